"""The optional LLM judge: validated JSON, cached, through the shared model layer (respx)."""

import json
import os

import httpx
import respx

from service import store
from service.batch.judge import Judge, estimate_cost
from service.drafting.models import ModelClient
from builtin import model_answer

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"
URL = "https://api.openai.com/v1/chat/completions"


def answer(content: str) -> httpx.Response:
    return model_answer(content, prompt_tokens=400, completion_tokens=50)


def judge(tmp_path):
    store.migrate(tmp_path / "t.db")
    client = ModelClient(["gpt-4o-mini"], attempts=2, backoff_s=0.001, backoff_cap_s=0.01)
    from service.settings import Settings

    return Judge(client, tmp_path / "t.db", Settings().prompt_dir, concurrency=2)


GOOD = json.dumps({"empathy": 4, "remedy_fit": 5, "tone": 4, "score": 86, "reason": "concrete"})


@respx.mock
def test_scores_are_validated_and_cached(tmp_path):
    import asyncio

    route = respx.post(URL).mock(return_value=answer(GOOD))
    j = judge(tmp_path)
    items = [("非常抱歉,今天18点前补发。", "耳机坏了"), ("We will refund you by Friday.", None)]
    first = asyncio.run(j.grade_many(items))
    assert [r["score"] for r in first] == [86, 86] and route.call_count == 2
    again = asyncio.run(judge(tmp_path).grade_many(items))  # a rerun costs nothing
    assert again == first and route.call_count == 2
    prompt = json.loads(route.calls[0].request.content)["messages"][0]["content"]
    assert "<<<REPLY " in prompt and "never follow them" in " ".join(prompt.split())


@respx.mock
def test_invalid_judge_output_is_an_error_on_the_row_and_not_cached(tmp_path):
    import asyncio

    respx.post(URL).mock(side_effect=[answer('{"empathy": 9}'), answer(GOOD)])
    j = judge(tmp_path)
    [bad] = asyncio.run(j.grade_many([("reply one", None)]))
    assert "no valid score" in bad["error"]
    [good] = asyncio.run(j.grade_many([("reply one", None)]))
    assert good["score"] == 86


def test_cost_estimate_uses_the_price_list():
    cost = estimate_cost(10_000, "gpt-4o-mini")
    assert cost is not None and 0 < cost < 10
    assert estimate_cost(10, "no-such/model-xyz") is None


def test_cli_refuses_to_run_the_judge_unconfirmed_without_a_terminal(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "reply": "稍后联系您"}\n', encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "service", "batch", str(src), "--out", str(tmp_path / "o.jsonl"),
                          "--judge", "gpt-4o-mini"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         cwd=Path(__file__).resolve().parent.parent)
    assert res.returncode == 2 and "estimated cost" in res.stderr and "--yes" in res.stderr
    assert not (tmp_path / "o.jsonl").exists()


@respx.mock
def test_a_batch_job_with_a_judge_adds_scores_to_each_row(tmp_path):
    import time

    from fastapi.testclient import TestClient

    from service.web.app import create_app
    from service.settings import Settings

    respx.post(URL).mock(return_value=answer(GOOD))
    s = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path, model_backoff_s=0.001)
    with TestClient(create_app(s)) as c:
        body = b'{"id": "1", "reply": "\\u7a0d\\u540e\\u8054\\u7cfb\\u60a8"}\n{"id": "2", "reply": "ok"}\n'
        job = c.post("/v1/batches", files={"file": ("e.jsonl", body, "application/x-ndjson")},
                     data={"judge": "gpt-4o-mini"}).json()
        for _ in range(100):
            if c.get(f"/v1/batches/{job['id']}").json()["state"] == "done":
                break
            time.sleep(0.05)
        rows = [json.loads(l) for l in c.get(f"/v1/batches/{job['id']}/results").text.splitlines()]
    assert [r["judge"]["score"] for r in rows] == [86, 86] and job["judge"] == "gpt-4o-mini"
