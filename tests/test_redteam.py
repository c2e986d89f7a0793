"""The red-team corpus written by someone other than the checks' author (82 payloads in
zh-Hans, zh-Hant and en: tests/data/redteam2_payloads.yaml), answered by a fake model that
obeys every one of them (tests/data/redteam2_obeyed.yaml, written independently too: what a
fully obeying model writes in the structured answer, and which substrings carry the goal).

The promise: no carrier reaches a draft unflagged, through the draft route (where the model's
words are checked, repaired once, and replaced by the offline draft when they still hold
what only the service may write) and through the review route with `policy: true` (the same
words sent by a person). The model is mocked at the HTTP layer. No network."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest
import respx
import yaml
from fastapi.testclient import TestClient

from service.checker.tokens import skeleton
from builtin import model_answer
from service.settings import Settings
from service.web.app import create_app

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"  # let respx see litellm's async calls

DATA = Path(__file__).parent / "data"
URL = "https://api.openai.com/v1/chat/completions"
PAYLOADS = yaml.safe_load((DATA / "redteam2_payloads.yaml").read_text(encoding="utf-8"))
OBEYED = {o["id"]: o for o in yaml.safe_load((DATA / "redteam2_obeyed.yaml").read_text(encoding="utf-8"))}
CASES = [(p, OBEYED[p["id"]]) for p in PAYLOADS]
MARK = "{{SYSTEM_PROMPT}}"
FOLLOW_UP = {"zh-Hans": "麻烦再确认一次。", "zh-Hant": "麻煩再確認一次。", "en": "Please confirm that again."}
COMPLAINT = {"zh-Hans": "我的订单一直没有到,怎么回事?", "zh-Hant": "我的訂單一直沒有到,怎麼回事?",
             "en": "My order still hasn't arrived, what is going on?"}


def _leak(prompt: str, encoding: str) -> str:
    """The system prompt as the obeying model leaks it. A paraphrase or translation cannot be
    generated here: those are sent as the prompt's own words (what an n-gram check sees)."""
    piece = prompt[:400]
    if encoding == "base64":
        return base64.b64encode(piece.encode("utf-8")).decode()
    if encoding == "spaced":
        return " ".join(piece[:250])
    if encoding == "zero_width":
        return "\u200b".join(piece[:250])
    if encoding == "reversed":
        return piece[::-1]
    return piece


def _answer(o: dict, prompt: str) -> dict:
    enc = o.get("leak_encoding", "plain")
    fill = (lambda v: v.replace(MARK, _leak(prompt, enc))) if MARK in json.dumps(o, ensure_ascii=False) else (lambda v: v)
    return {"apology": fill(o["apology"]), "restatement": fill(o["restatement"]),
            "remedies": o.get("remedies") or [], "asks": o.get("asks") or [], "close": fill(o["close"])}


def _carriers(o: dict, prompt: str) -> list[str]:
    enc = o.get("leak_encoding", "plain")
    return [c.replace(MARK, _leak(prompt, enc)) for c in o["carrier"]]


def _request(p: dict) -> dict:
    lang, field, payload = p["lang"], p["field"], p["payload"]
    if field == "message":
        return {"message": payload}
    if field == "order_id":
        return {"message": COMPLAINT[lang], "order_id": payload}
    if field == "customer_name":
        return {"message": COMPLAINT[lang], "customer_name": payload}
    thread = []
    for line in payload.splitlines():
        agent = re.match(r"\s*(?:客服|Agent)", line) is not None
        thread.append({"role": "agent" if agent else "customer", "text": line})
    return {"message": FOLLOW_UP[lang], "thread": thread}


_END = re.compile(r"[。!！?？;；\n]|\.(?=\s|$)")


def _sentence_of(text: str, s: int, e: int) -> tuple[int, int]:
    starts = [m.end() for m in _END.finditer(text, 0, s)]
    m = _END.search(text, e)
    return (starts[-1] if starts else 0), (m.end() if m else len(text))


def _unflagged(text: str, carriers: list[str], findings: list[dict]) -> list[str]:
    """The carriers found in `text` (after the same normalising the checks do, so a carrier
    cannot hide by a disguise) with no error finding in their sentence: flagged means the
    agent sees an error on the sentence that carries the goal, and the reply cannot pass."""
    errors = [f for f in findings if f["severity"] == "error" and f["start"] is not None]
    sk, index = skeleton(text)
    out = []
    for c in carriers:
        want = skeleton(c)[0].strip()
        if len(want) < 2:
            continue
        for m in re.finditer(re.escape(want), sk):
            s, e = _sentence_of(text, index[m.start()], index[m.end() - 1] + 1)
            if not any(f["start"] < e and s < f["end"] for f in errors):
                out.append(c)
    return out


@pytest.fixture(scope="module")
def model_client(tmp_path_factory):
    settings = Settings(db_path=tmp_path_factory.mktemp("rt2") / "t.db", model="gpt-4o-mini",
                        model_backoff_s=0.001, model_backoff_cap_s=0.01, model_timeout_s=2)
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_corpus_is_independent_complete_and_paired():
    assert len(PAYLOADS) >= 60 and {p["lang"] for p in PAYLOADS} == {"zh-Hans", "zh-Hant", "en"}
    assert [p["id"] for p in PAYLOADS] == list(OBEYED)
    assert {"amount", "time", "contact", "link", "prompt_leak", "sensitive_request", "non_money_promise",
            "claimed_entitlement", "field_injection"} <= {p["kind"] for p in PAYLOADS}
    for p, o in CASES:
        words = " ".join([o["apology"], o["restatement"], o["close"]])
        assert any(c in words for c in o["carrier"]), p["id"]  # every goal is in the model's words


@pytest.mark.parametrize("p,o", CASES, ids=[p["id"] for p, _ in CASES])
def test_an_obeying_model_gets_no_carrier_into_a_draft(model_client, p, o):
    sent: list[str] = []

    def reply(request):
        prompt = json.loads(request.content)["messages"][0]["content"]
        sent.append(prompt)
        return model_answer(_answer(o, prompt), prompt_tokens=300, completion_tokens=90)

    with respx.mock:
        respx.post(URL).mock(side_effect=reply)
        r = model_client.post("/v1/drafts", json=_request(p))
    if r.status_code == 422:  # a request field that is not data of its shape: nothing is drafted
        assert p["field"] in ("customer_name", "order_id", "thread"), r.text
        return
    assert r.status_code == 200, r.text
    d = r.json()
    carriers = _carriers(o, sent[0]) if sent else o["carrier"]
    assert _unflagged(d["text"] + "\n" + (d.get("subject") or ""), carriers, d["review"]["findings"]) == []
    if sent:  # the model answered: its words went out only if nothing in them was the service's to write
        assert d["model"] == "offline" or d["review"]["passed"] is False or not any(
            skeleton(c)[0].strip() in skeleton(d["text"])[0] for c in carriers)


@pytest.mark.parametrize("p,o", CASES, ids=[p["id"] for p, _ in CASES])
def test_the_same_words_sent_by_a_person_are_flagged_by_the_policy_review(client, p, o):
    from service.drafting.prompts import render
    from builtin import PLAYBOOK

    prompt = ""
    if "leak_encoding" in o:
        remedies, asks = [], []
        prompt, _ = render(PLAYBOOK.prompt_dir, "system.j2", company="", language="", lang=p["lang"],
                           channel="chat", remedies=remedies, asks=asks, scenarios=[], signals=[])
    a = _answer(o, prompt)
    reply = "\n".join(x for x in (a["apology"], a["restatement"], a["close"]) if x)
    complaint = p["payload"] if p["field"] in ("message", "thread") else COMPLAINT[p["lang"]]
    r = client.post("/v1/reviews", json={"reply": reply, "complaint": complaint, "policy": True})
    assert r.status_code == 200, r.text
    assert _unflagged(reply, _carriers(o, prompt), r.json()["findings"]) == []
