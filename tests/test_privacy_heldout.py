"""Every personal value of the independently written sets (tests/data/pii_heldout2.jsonl,
pii_heldout3.jsonl, pii_heldout4.jsonl, pii_heldout7.jsonl and pii_heldout15.jsonl, written by sessions that never saw the masker) sent through every way in:
drafts (model and offline) with the value in the message and the thread, reviews, and a batch
upload whose replies, complaints, agent names and file name carry it. None of the raw values
is then in the SQLite files (database, WAL, shared memory), the logs, the model's input, the
served results and report, or on disk."""

import csv
import io
import json
import logging
import os
import time
from pathlib import Path

import respx
from fastapi.testclient import TestClient

from builtin import model_answer
from service.settings import Settings
from service.web.app import create_app

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"

DATA = Path(__file__).parent / "data"
ROWS = [json.loads(line) for name in ("pii_heldout2.jsonl", "pii_heldout3.jsonl", "pii_heldout4.jsonl", "pii_heldout7.jsonl",
                                                     "pii_heldout15.jsonl")
        for line in (DATA / name).open(encoding="utf-8") if line.strip()]
TEXTS = [r["text"] for r in ROWS if r["entities"]]
LANG = {r["text"]: r["lang"] for r in ROWS}  # (a text of names and an address alone may read as Spanish)
# (a piece of a value under five letters and digits, "186" of a phone given in two messages, is
# masked where it stands but cannot be told from any other number on disk: not searched for)
VALUES = sorted({e["value"] for r in ROWS for e in r["entities"] if sum(c.isalnum() for c in e["value"]) >= 5})
# an agent column holds names and work emails: the sets' emails stand in for them
EMAILS = sorted({e["value"] for r in ROWS for e in r["entities"] if e["type"] == "EMAIL"})
ANSWER = {"apology": "非常抱歉给您添麻烦了。", "restatement": "您反映的问题我们已经收到。",
          "remedies": ["full_answer"], "close": "感谢您的耐心,有任何问题随时找我。"}


def forms(value: str) -> list[bytes]:
    """The ways a value can sit in a file: as UTF-8, and as a JSON string with \\u escapes."""
    return [value.encode("utf-8"), json.dumps(value)[1:-1].encode("ascii")]


def test_the_independent_sets_values_never_reach_storage_logs_reports_or_the_model(tmp_path, caplog):
    assert len(TEXTS) >= 1000 and len(VALUES) >= 1300  # the five sets, whole
    caplog.set_level(logging.DEBUG)
    settings = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model="gpt-4o-mini",
                        model_retries=0, model_backoff_s=0.001, model_backoff_cap_s=0.01)
    offline = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data")
    served = []
    with respx.mock:
        route = respx.post("https://api.openai.com/v1/chat/completions").mock(
            side_effect=lambda request: model_answer(ANSWER))
        with TestClient(create_app(settings)) as c:
            for i, text in enumerate(TEXTS[::4]):  # the model path: a quarter of the texts, as ticket and thread
                r = c.post("/v1/drafts", json={"message": text, "channel": "chat", "lang": LANG[text],
                                               "thread": [{"role": "customer", "text": TEXTS[-1 - i]}]})
                assert r.status_code == 200, r.text
                served.append(c.get(f"/v1/drafts/{r.json()['id']}").text)
            sent = b"".join(call.request.content for call in route.calls)
            assert route.call_count >= len(TEXTS) // 4
    with TestClient(create_app(offline)) as c:
        for text in TEXTS:
            r = c.post("/v1/drafts", json={"message": text, "channel": "email", "lang": LANG[text]})
            assert r.status_code == 200, r.text  # (the answer goes to the agent who sent the ticket)
            served.append(c.get(f"/v1/drafts/{r.json()['id']}").text)
            r = c.post("/v1/reviews", json={"reply": text, "complaint": text, "policy": True, "lang": LANG[text]})
            assert r.status_code == 200, r.text
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["id", "agent", "channel", "reply", "complaint"])
        for i, text in enumerate(TEXTS):
            w.writerow([f"r{i}", EMAILS[i % len(EMAILS)], "chat", text, TEXTS[-1 - i]])
        name = f"export {EMAILS[0]}.csv"
        job = c.post("/v1/batches", files={"file": (name, out.getvalue().encode("utf-8"), "text/csv")}).json()
        for _ in range(600):
            state = c.get(f"/v1/batches/{job['id']}").json()["state"]
            if state in ("done", "failed"):
                break
            time.sleep(0.05)
        assert state == "done"
        served += [c.get(f"/v1/batches/{job['id']}/results").text,
                   c.get(f"/v1/batches/{job['id']}/results?format=csv").text,
                   c.get(f"/v1/batches/{job['id']}/report?format=html").text,
                   c.get("/v1/batches").text]

    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    served_text = "\n".join(served)
    leaks = {}
    for value in VALUES:
        where = [place for place, blob in (("model input", sent), ("disk", on_disk))
                 if any(f in blob for f in forms(value))]
        where += [place for place, text in (("logs", caplog.text), ("served", served_text))
                  if value in text or json.dumps(value)[1:-1] in text]
        if where:
            leaks[value] = where
    assert leaks == {}, f"{len(leaks)} raw values: {dict(list(leaks.items())[:12])}"
