"""Batch review: one output line per input record, in order, bad records flagged with their line."""

import csv
import json

import pytest

from service.batch.runner import BLOCK, run_batch as _run_batch
from service.errors import InputError
from service.settings import Settings

SETTINGS = Settings()  # the rubric comes from the caller's settings


def run_batch(src, dst, **kw):
    return _run_batch(src, dst, rubric=SETTINGS, **kw)


GOOD = ("王先生您好,非常抱歉您11月3日购买的蓝牙耳机(订单20261103886)左耳没有声音。"
        "我们今天18点前为您寄出新耳机。如有任何问题,欢迎随时联系我:客服小李,电话400-820-1234。")


def jl(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


def read_jsonl(path):
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def test_malformed_lines_are_reported_with_their_line_number_and_the_rest_goes_on(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b"\xef\xbb\xbf" + jl({"id": "1", "reply": GOOD, "agent": "li", "channel": "chat"})  # BOM
        + b'{"id": "2", "reply": "broken\n'                        # 2: bad JSON
        + "\n".encode()                                            # 3: blank, skipped
        + b'{"id": "4", "reply": "\xff\xfe"}\n'                    # 4: invalid UTF-8
        + jl({"id": "5"})                                          # 5: no reply
        + jl({"id": "6", "reply": "   "})                          # 6: empty reply
        + jl({"id": "7", "reply": "好" * 20_001})                   # 7: too long
        + jl(["not", "an", "object"])                              # 8
        + jl({"id": "9", "reply": 42})                             # 9
        + jl({"id": "10", "reply": "😡 <p>我们会尽快处理</p>,that's not my department"}))
    summary = run_batch(src, tmp_path / "out.jsonl")
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["line"] for r in rows] == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert set(errors) == {2, 4, 5, 6, 7, 8, 9}
    assert "not valid JSON" in errors[2] and "not valid utf-8" in errors[4]
    assert "no 'reply'" in errors[5] and "empty" in errors[6] and "limit" in errors[7]
    assert all(e.startswith(f"line {n}:") for n, e in errors.items())
    assert rows[0]["id"] == "1" and rows[0]["agent"] == "li" and rows[0]["passed"] is True
    assert {f["category"] for f in rows[-1]["findings"]} >= {"vague_promise", "negative_wording"}
    assert summary.rows == 9 and summary.errors == 7


def test_csv_with_excel_quirks_multiline_fields_and_csv_output(tmp_path):
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8-sig", newline="") as f:  # Excel writes a BOM and CRLF
        w = csv.writer(f)
        w.writerow([" ID", "Reply ", "agent", "channel"])
        w.writerow(["a", GOOD, "li", "email"])
        w.writerow(["b", "第一行\n第二行:我们会尽快处理, \"引号\"", "wang", "chat"])
        w.writerow(["c", "", "wang", "chat"])
        w.writerow(["d", "稍后联系您", "zhao", "chat", "extra"])
        w.writerow(["e", "不知道", "zhao", "chat"])
    run_batch(src, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", "e"]
    assert [r["line"] for r in rows] == ["2", "3", "5", "6", "7"]
    assert rows[0]["passed"] == "true" and rows[0]["agent"] == "li"
    assert "vague_promise" in rows[1]["categories"]
    assert "empty" in rows[2]["error"] and "fields" in rows[3]["error"]
    assert "negative_wording" in rows[4]["categories"]


@pytest.mark.parametrize("content,message", [(b"", "empty"), (b"id,text\n1,x\n", "no 'reply' column")])
def test_unusable_csv_is_refused_and_leaves_no_output(tmp_path, content, message):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    with pytest.raises(InputError, match=message):
        run_batch(src, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
    assert not (tmp_path / "out.jsonl.part").exists()


def test_gbk_export_with_encoding_option(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes("id,reply\n1,我们会尽快处理\n".encode("gbk"))
    run_batch(src, tmp_path / "bad.jsonl", encoding="utf-8")  # a declared encoding wins
    assert "line 2: not valid utf-8" in read_jsonl(tmp_path / "bad.jsonl")[0]["error"]
    for encoding in ("gbk", None):  # declared, or detected
        run_batch(src, tmp_path / "ok.jsonl", encoding=encoding)
        row = read_jsonl(tmp_path / "ok.jsonl")[0]
        assert row["findings"][0]["text"] == "尽快"


def test_two_workers_give_the_same_output_in_the_same_order(tmp_path):
    src = tmp_path / "in.jsonl"
    replies = [GOOD, "我们会尽快处理", "不知道", "This will never happen again.", "稍后联系您"]
    with src.open("wb") as f:
        for i in range(1500):
            f.write(jl({"id": str(i), "reply": replies[i % len(replies)] + f" #{i}"}))
        f.write(b"{oops\n")
    one = run_batch(src, tmp_path / "one.jsonl", workers=1)
    two = run_batch(src, tmp_path / "two.jsonl", workers=2)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert one.to_dict() == two.to_dict()
    assert read_jsonl(tmp_path / "two.jsonl")[-1]["line"] == 1501


def _mixed_file(path, rows=2500):
    """Every kind of line a worker may get in its block, and blocks of many sizes."""
    replies = [GOOD, "我们会尽快处理", "不知道", "This will never happen again.", "稍後聯絡您"]
    with path.open("wb") as f:
        f.write(b"\xef\xbb\xbf")
        for i in range(rows):
            if i == 700:
                f.write(b'{"id": "bad", "reply": "broken\n')
            elif i == 900:
                f.write(b"   \n\n")
            elif i == 1100:
                f.write(b'{"id": "utf", "reply": "\xff\xfe"}\n')
            elif i == 1300:  # one line longer than a worker's block of input
                f.write(jl({"id": "long", "reply": GOOD, "note": "x" * (BLOCK + 1000)}))
            else:
                f.write(jl({"id": str(i), "reply": replies[i % len(replies)] + f" #{i}", "agent": f"a{i % 7}"}))
        f.write(json.dumps({"id": "last", "reply": GOOD}, ensure_ascii=False).encode())  # no newline


@pytest.mark.parametrize("out_name", ["out.jsonl", "out.csv"])
def test_workers_write_every_line_in_order_whatever_the_blocks(tmp_path, out_name):
    from service.batch.report import ReportBuilder
    from service.checker.rubric_cache import load_rubric

    src = tmp_path / "in.jsonl"
    _mixed_file(src)
    reports = []
    for workers in (1, 2, 3):
        report = ReportBuilder()
        summary = run_batch(src, tmp_path / f"{workers}-{out_name}", workers=workers, report=report)
        reports.append((summary.to_dict(), report.to_dict(load_rubric(SETTINGS.rubric_dir))))
    first = (tmp_path / f"1-{out_name}").read_bytes()
    assert first == (tmp_path / f"2-{out_name}").read_bytes() == (tmp_path / f"3-{out_name}").read_bytes()
    assert reports[0] == reports[1] == reports[2]
    if out_name.endswith(".jsonl"):
        rows = read_jsonl(tmp_path / f"2-{out_name}")
        assert [r["line"] for r in rows] == sorted(r["line"] for r in rows)
        assert rows[-1]["id"] == "last" and "error" in next(r for r in rows if r["line"] == 701)
        assert next(r for r in rows if r["id"] == "long")["score"] > 0


def test_a_csv_with_two_workers_gives_what_one_gives(tmp_path):
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "reply", "agent"])
        for i in range(1200):
            w.writerow([i, GOOD if i % 3 else "我们会尽快处理,\n稍后联系您", f"a{i % 5}"])
    run_batch(src, tmp_path / "one.jsonl", workers=1)
    run_batch(src, tmp_path / "two.jsonl", workers=2)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_a_worker_that_fails_stops_the_run_without_hanging_or_leaving_output(tmp_path, monkeypatch):
    import threading

    import service.batch.runner as batch

    real = batch._review_chunk

    def failing(chunk, *args):
        if isinstance(chunk, tuple) and b'"boom"' in chunk[1]:  # (first line, block of raw lines)
            raise RuntimeError("a bug in the checker")
        return real(chunk, *args)

    monkeypatch.setattr(batch, "_review_chunk", failing)  # the workers are forked with it
    src = tmp_path / "in.jsonl"
    with src.open("wb") as f:
        for i in range(3000):
            f.write(jl({"id": "boom" if i == 1500 else str(i), "reply": GOOD}))
    outcome = []

    def run():
        try:
            run_batch(src, tmp_path / "out.jsonl", workers=2)
        except RuntimeError as e:
            outcome.append(str(e))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the run hung"
    assert outcome == ["a bug in the checker"]
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.jsonl.part").exists()


def test_ctrl_c_stops_a_run_with_workers_promptly_and_leaves_no_output(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in.jsonl"
    with src.open("wb") as f:
        for i in range(200_000):  # seconds of work: the interrupt comes well before the end
            f.write(jl({"id": str(i), "reply": GOOD.replace("20261103886", f"{i:011d}")}))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "service", "batch", str(src), "--out", str(out),
                             "--workers", "2", "--no-progress"], cwd=os.path.dirname(os.path.dirname(__file__)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            # as in a terminal: a test run started in the background (`make test &`)
                            # inherits SIGINT ignored, and Python then keeps ignoring it
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while not (tmp_path / "out.jsonl.part").exists() or (tmp_path / "out.jsonl.part").stat().st_size < 100_000:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: to the whole process group
    try:
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not out.exists() and not (tmp_path / "out.jsonl.part").exists()
