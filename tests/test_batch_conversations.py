"""Batches of conversations: one row per message in, a row per agent turn and a scorecard per
conversation out, the same from `tactful batch` and from `POST /v1/batches`."""

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from batches import run_job
from service.settings import Settings
from service.web.app import create_app

HEADER = ["conversation_id", "role", "text", "agent", "created_at", "channel"]
PHONE = "13812345678"

# c1: a complaint in chat, answered with an apology and the problem, then a promise with no time;
# c2: a question with a short factual answer (nothing to apologise for: it passes);
# c3 is interleaved with c2 (its last message comes after c2's), c4 has no agent turn;
# a bot greeting, a private note and a system message are context, never scored.
MESSAGES = [
    ("c1", "customer", f"我的快递三天了还没到,怎么回事?电话{PHONE}", "", "2026-11-02T10:00:00Z", "chat"),
    ("c1", "bot", "您好,我是智能助手,正在为您转接人工客服。", "", "2026-11-02T10:00:05Z", "chat"),
    ("c1", "agent", "您好,请稍等,我帮您查一下。", "小王", "2026-11-02T10:00:30Z", "chat"),
    ("c1", "note", "客户很着急,这个仓库最近总是延误", "小王", "2026-11-02T10:00:40Z", "chat"),
    ("c1", "agent", "非常抱歉让您久等了,您的包裹在中转站滞留了三天,我们会尽快处理。", "小王",
     "2026-11-02T10:01:00Z", "chat"),
    ("c2", "customer", "Is the blue kettle in stock?", "", "2026-11-02T11:00:00Z", "chat"),
    ("c3", "customer", "Where is my refund? It has been two weeks.", "", "2026-11-02T11:00:10Z", "email"),
    ("c2", "agent", "Yes, it ships today.", "Ann", "2026-11-02T11:00:20Z", "chat"),
    ("c2", "system", "Conversation closed by Ann", "", "2026-11-02T11:01:00Z", "chat"),
    ("c3", "agent", "Thanks for your patience.", "Ann", "2026-11-02T11:02:00Z", "email"),
    ("c4", "customer", "hello?", "", "2026-11-02T12:00:00Z", "chat"),
    ("c5", "robot", "hi", "", "", "chat"),
]


def conversation_csv(messages=MESSAGES) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(messages)
    return buf.getvalue().encode("utf-8")


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model=""))) as c:
        yield c


def run_cli(in_process, tmp_path, data: bytes, name="conversations.csv", *extra) -> list[dict]:
    src, out = tmp_path / name, tmp_path / "out.jsonl"
    src.write_bytes(data)
    assert in_process(["batch", str(src), "--out", str(out), "--no-progress", *extra]) == 0
    return read_jsonl(out)


def test_each_agent_turn_is_reviewed_and_each_conversation_scored(tmp_path, in_process):
    rows = run_cli(in_process, tmp_path, conversation_csv())
    kinds = [(r["kind"], r.get("conversation_id")) for r in rows]
    # turns, then the scorecard, conversation by conversation as each one ends; c3 ends after c2
    assert kinds == [("turn", "c1"), ("turn", "c1"), ("conversation", "c1"),
                     ("turn", "c2"), ("conversation", "c2"),
                     ("turn", "c3"), ("conversation", "c3"),
                     ("conversation", "c4"), ("message", "c5"), ("conversation", "c5")]
    c1 = [r for r in rows if r.get("conversation_id") == "c1"]
    assert [r["line"] for r in c1[:2]] == [4, 6]  # the agent's lines: the bot and the note are not scored
    hold, answer, card = c1
    assert hold["passed"] and all(v == "n/a" for v in hold["structure"].values())
    assert answer["agent"] == "小王" and answer["structure"]["apology"] == "present"
    assert "vague_promise" in {f["category"] for f in answer["findings"]}
    assert card["complaint"] is True and card["agents"] == ["小王"] and card["turns"] == 2
    assert card["structure"]["apology"] == "present" and card["structure"]["close"] == "missing"
    assert not card["passed"]

    c2_turn, c2 = [r for r in rows if r.get("conversation_id") == "c2"]
    assert c2_turn["passed"] and c2["passed"] and c2["complaint"] is False  # a short factual answer passes

    # email: each reply carries the four parts, so a one-liner to a complaint misses them
    c3_turn = next(r for r in rows if r.get("conversation_id") == "c3" and r["kind"] == "turn")
    assert c3_turn["channel"] == "email"
    assert {"apology", "restatement", "remedy"} <= {p for p, v in c3_turn["structure"].items() if v == "missing"}

    c4 = next(r for r in rows if r.get("conversation_id") == "c4")
    assert c4["unanswered"] and c4["score"] is None and c4["turns"] == 0

    bad = rows[-2]
    assert bad["line"] == 13 and "role 'robot'" in bad["error"]


def test_channel_changes_what_a_turn_is_asked_for(tmp_path, in_process):
    def turn(channel):
        # a question, not a complaint ("右边没声音" is a defect reported: its chat owes a close)
        msgs = [("x", "customer", "请问这款耳机支持换新吗", "", "", channel),
                ("x", "agent", "可以的,这款耳机支持换新,您在订单页点申请换货就行。", "A", "", channel)]
        return run_cli(in_process, tmp_path, conversation_csv(msgs))[0]

    chat, email = turn("chat"), turn("email")
    assert chat["structure"]["remedy"] != "missing" and chat["structure"]["close"] == "n/a"
    assert email["structure"]["close"] == "missing"
    assert chat["score"] > email["score"]


def test_reply_rows_with_a_chat_channel_are_judged_as_chat_turns(tmp_path, in_process):
    data = ("id,reply,channel\n1,是的,chat\n2,是的,email\n").encode()
    rows = run_cli(in_process, tmp_path, data, "replies.csv")
    assert rows[0]["passed"] and "kind" not in rows[0]
    assert not rows[1]["passed"]


def test_jsonl_conversations_and_csv_output(tmp_path, in_process):
    lines = [json.dumps(dict(zip(HEADER, m)), ensure_ascii=False) for m in MESSAGES[:5]]
    src = tmp_path / "c.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert in_process(["batch", str(src), "--out", str(out), "--no-progress"]) == 0
    table = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(table[0])[:3] == ["kind", "conversation_id", "turn"] and "structure" in table[0]
    assert [r["kind"] for r in table] == ["turn", "turn", "conversation"]
    assert table[2]["agent"] == "小王" and table[2]["passed"] == "false"
    assert json.loads(table[2]["structure"])["close"] == "missing"


def test_workers_give_the_same_bytes(tmp_path, in_process):
    data = conversation_csv(MESSAGES * 1)
    many = [(f"{cid}-{k}", *rest) for k in range(40) for cid, *rest in MESSAGES]  # 40 x each conversation
    src = tmp_path / "many.csv"
    src.write_bytes(conversation_csv(many))
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        assert in_process(["batch", str(src), "--out", str(out), "--no-progress", "--workers", workers]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b'"kind":"conversation"') == 40 * 5
    assert data  # the single-conversation file is the one above


def test_the_http_job_gives_the_same_rows_and_a_conversation_report(tmp_path, in_process, client):
    data = conversation_csv()
    src, out, report = tmp_path / "c.csv", tmp_path / "out.jsonl", tmp_path / "r.json"
    src.write_bytes(data)
    assert in_process(["batch", str(src), "--out", str(out), "--report", str(report), "--no-progress"]) == 0
    job = run_job(client, "c.csv", data, "text/csv")
    assert job["conversations"] is True and job["rows_done"] == len(MESSAGES)
    rows = [json.loads(x) for x in client.get(f"/v1/batches/{job['id']}/results").text.splitlines()]
    assert rows == read_jsonl(out)
    table = list(csv.DictReader(io.StringIO(client.get(f"/v1/batches/{job['id']}/results?format=csv").text)))
    assert [r["kind"] for r in table] == [r["kind"] for r in rows]

    got = client.get(f"/v1/batches/{job['id']}/report").json()
    cli = json.loads(report.read_text(encoding="utf-8"))
    assert got["conversations"] == cli["conversations"]
    conv = got["conversations"]
    assert conv["conversations"] == 5 and conv["scored"] == 3 and conv["unanswered"] == 2
    assert conv["structure"]["close"]["missing"] >= 1
    assert [a["agent"] for a in conv["by_agent"]][0] == "小王"  # worst first
    assert [w["conversation_id"] for w in conv["worst"]] == ["c3", "c1"]  # worst first; c2 passed
    worst = conv["worst"][1]
    roles = [m["role"] for m in worst["messages"]]
    assert roles[:3] == ["customer", "bot", "agent"]
    assert PHONE not in json.dumps(got, ensure_ascii=False)  # the customer's words are masked too
    marked = [m for m in worst["messages"] if m["findings"]]
    for m in marked:
        for f in m["findings"]:
            if f["start"] is not None:
                assert m["text"][f["start"]:f["end"]] == f["text"]

    html = client.get(f"/v1/batches/{job['id']}/report?format=html").text
    assert "Worst conversations" in html and '<mark class="cat-vague_promise"' in html
    assert PHONE not in html


def test_a_file_with_neither_replies_nor_conversations_is_refused(tmp_path, in_process, capsys):
    src = tmp_path / "x.csv"
    src.write_text("conversation_id,text\n1,hello\n", encoding="utf-8")
    assert in_process(["batch", str(src), "--out", str(tmp_path / "o.jsonl"), "--no-progress"]) == 2
    assert "conversation_id, role and text" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


HELPDESK = Path(__file__).parent / "data" / "helpdesk"


@pytest.mark.parametrize("name", ["zendesk", "chatwoot", "intercom", "freshdesk", "zammad"])
def test_a_helpdesk_export_is_scored_by_conversation_in_the_cli_and_over_http(name, tmp_path, in_process, client):
    data = (HELPDESK / f"{name}.json").read_bytes()
    rows = run_cli(in_process, tmp_path, data, f"{name}.json", "--from", name)
    cards = [r for r in rows if r["kind"] == "conversation"]
    turns = [r for r in rows if r["kind"] == "turn"]
    assert cards and turns and all(r.get("conversation_id") for r in turns)
    assert all("review" not in r and r.get("score") is not None for r in turns if "error" not in r)
    # notes, bots and system messages are context: only agent messages become turns
    from service.batch.formats import get_format, read_records

    agents = [r for r in read_records(HELPDESK / f"{name}.json", get_format(name), "utf-8")
              if r.data and r.data.get("role") == "agent" and not r.error]
    assert len(turns) == len(agents)

    job = run_job(client, f"{name}.json", data, "application/json", format=name)
    job_id = job["id"]
    assert job["conversations"] and job["rows_done"] == job["rows_total"]
    http_rows = [json.loads(x) for x in client.get(f"/v1/batches/{job_id}/results").text.splitlines()]
    assert http_rows == rows
    report = client.get(f"/v1/batches/{job_id}/report").json()
    assert report["conversations"]["conversations"] == len(cards)


def test_a_helpdesk_export_of_the_wrong_shape_is_refused_before_any_job(tmp_path, client, in_process, capsys):
    bad = b'{"not": "a zendesk export"}'
    r = client.post("/v1/batches", files={"file": ("x.json", bad, "application/json")}, data={"format": "zendesk"})
    assert r.status_code == 422 and client.get("/v1/batches").json() == []
    src = tmp_path / "x.json"
    src.write_bytes(bad)
    assert in_process(["batch", str(src), "--from", "zendesk", "--out", str(tmp_path / "o.jsonl"), "--no-progress"]) == 2
    assert "zendesk" in capsys.readouterr().err.lower()
    assert not (tmp_path / "o.jsonl").exists()
