"""`tactful review` and `tactful batch` as a person runs them (subprocesses, real exit codes)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def tactful(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "service", *args], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=120)


GOOD = ("王先生您好,非常抱歉您11月3日购买的蓝牙耳机(订单20261103886)左耳没有声音。"
        "我们今天18点前为您寄出新耳机。如有任何问题,欢迎随时联系我:客服小李,电话400-820-1234。")


def test_review_exits_0_when_passed_and_1_when_not():
    assert tactful("review", GOOD).returncode == 0
    bad = tactful("review", "我们会尽快处理。", "--format", "json")
    assert bad.returncode == 1
    body = json.loads(bad.stdout)
    assert body["passed"] is False
    assert any(f["category"] == "vague_promise" and f["text"] == "尽快" for f in body["findings"])


def test_review_text_format_shows_spans_findings_and_score():
    out = tactful("review", "我们会尽快处理。").stdout.decode()
    assert "我们会尽快处理" in out and "vague_promise" in out and "尽快" in out
    assert "score" in out and "not passed" in out


def test_review_reads_a_file_and_stdin(tmp_path):
    f = tmp_path / "reply.txt"
    f.write_text("稍后联系您。", encoding="utf-8")
    from_file = json.loads(tactful("review", "--file", str(f), "--format", "json").stdout)
    from_stdin = json.loads(tactful("review", "-", "--format", "json", stdin="稍后联系您。".encode()).stdout)
    assert from_file["findings"] == from_stdin["findings"]
    assert from_file["findings"][0]["text"] == "稍后"


def test_text_piped_in_with_no_argument_is_read():
    piped = json.loads(tactful("review", "--format", "json", stdin="稍后联系您。".encode()).stdout)
    assert piped["findings"][0]["text"] == "稍后"
    draft = json.loads(tactful("draft", "--json", stdin="快递三天了还没收到".encode()).stdout)
    assert draft["triage"]["scenario"] == "late_or_lost_parcel"


def test_no_text_at_all_names_the_options_to_give_it():
    res = subprocess.run([sys.executable, "-m", "service", "draft"], capture_output=True, cwd=ROOT, timeout=120,
                         stdin=subprocess.DEVNULL)  # (an empty pipe: an empty message)
    assert res.returncode == 2 and "Traceback" not in res.stderr.decode()
    assert "no message: give it as --message or --message-file" in res.stderr.decode()


@pytest.mark.parametrize("args,stdin,message", [
    (["review", "   "], None, "reply is empty"),
    (["review", "-"], b"\xff\xfe bad", "not valid UTF-8"),
    (["review", "-"], "好".encode() * 20_001, "limit is 20000"),
])
def test_review_bad_input_exits_2_with_a_message_and_no_traceback(args, stdin, message):
    res = tactful(*args, stdin=stdin)
    assert res.returncode == 2
    assert message in res.stderr.decode()
    assert "Traceback" not in res.stderr.decode()


def test_review_uses_the_complaint_and_a_forced_language():
    res = tactful("review", GOOD, "--complaint", "我的咖啡机漏水", "--lang", "zh-Hans", "--format", "json")
    body = json.loads(res.stdout)
    assert body["lang"] == "zh-Hans"
    assert "missing_restatement" in {f["category"] for f in body["findings"]}


def test_review_does_not_import_litellm_or_fastapi():
    code = ("import sys; from service.cli import main; main(['review', '尽快', '--format', 'json']);"
            "print('LOADED', sorted(m for m in ('litellm', 'fastapi', 'openai') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, text=True)
    assert "LOADED []" in res.stdout


def test_batch_cli_writes_output_and_a_summary(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "reply": GOOD, "agent": "li"}, ensure_ascii=False) + "\n"
                   + json.dumps({"id": "b", "reply": "不知道"}, ensure_ascii=False) + "\n", encoding="utf-8")
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"))
    assert res.returncode == 0, res.stderr
    rows = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["agent"] == "li" and rows[0]["passed"] is True
    err = res.stderr.decode()
    assert "2 rows" in err and "negative_wording" in err


def test_batch_cli_refuses_a_csv_without_reply_column(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,hello\n", encoding="utf-8")
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"))
    assert res.returncode == 2
    assert "no 'reply' column" in res.stderr.decode()
    assert not (tmp_path / "out.jsonl").exists()


LONG = ("王先生您好,非常抱歉您11月3日购买的蓝牙耳机(订单20261103886)左耳没有声音,给您添麻烦了。"
        "我们今天18点前为您寄出新耳机,并附上30元优惠券作为补偿,旧耳机无需寄回。"
        "如有任何问题,欢迎随时联系我:客服小李,电话400-820-1234,邮箱service@yuexiang.example。")


def test_a_long_reply_argument_is_text_not_a_path():
    """Over 255 bytes (one ordinary Chinese reply) used to crash with 'File name too long'."""
    assert len(LONG.encode()) > 255
    res = tactful("review", LONG, "--format", "json")
    assert res.returncode in (0, 1), res.stderr.decode()
    assert "Traceback" not in res.stderr.decode()
    assert json.loads(res.stdout)["lang"] == "zh-Hans"


def test_a_long_message_argument_is_drafted(tmp_path):
    env_db = {"TACTFUL_DB_PATH": str(tmp_path / "t.db")}
    res = subprocess.run([sys.executable, "-m", "service", "draft", "--message", LONG * 2, "--json"],
                         capture_output=True, cwd=ROOT, timeout=120, env={**os.environ, **env_db})
    assert res.returncode in (0, 1), res.stderr.decode()
    assert json.loads(res.stdout)["text"]


def test_text_naming_a_file_is_still_text(tmp_path):
    (tmp_path / "pyproject.toml").write_text("尽快", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "service", "review", "pyproject.toml", "--format", "json"],
                         capture_output=True, cwd=tmp_path, timeout=120)
    body = json.loads(res.stdout)
    assert "vague_promise" not in {f["category"] for f in body["findings"]}  # the file said 尽快


@pytest.mark.parametrize("args,message", [
    (["review", "--file", "/no/such/reply.txt"], "/no/such/reply.txt: No such file or directory"),
    (["review", "好的", "--file", "x.txt"], "not both"),
    (["review"], "no reply: give it as text or with --file"),
    (["draft", "--message-file", "/no/such/ticket.txt"], "No such file or directory"),
])
def test_errors_exit_2_with_one_line(args, message):
    res = tactful(*args)
    err = res.stderr.decode()
    assert res.returncode == 2 and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_an_internal_error_exits_2_not_1(monkeypatch, capsys):
    from service import cli
    from service.checker import check

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(check, "check_reply", broken)
    assert cli.main(["review", "好的"]) == 2
    assert "internal error (RuntimeError: boom)" in capsys.readouterr().err


def test_text_output_is_not_wrapped_when_piped_and_keeps_brackets():
    reply = "您好,订单20261103886202611038862026110388620261103886的退款我们会尽快处理,请联系 service@yuexiang.example 。"
    out = tactful("review", reply).stdout.decode()
    assert reply in out.splitlines()  # the reply on one line, as written, whatever the width
    # a suggestion with placeholders is printed as written, not eaten as markup
    assert "[" in out and "]" in out
    assert any("→" in line and "[" in line for line in out.splitlines())
