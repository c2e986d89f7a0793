"""Optional model-graded scores (empathy, remedy fit, tone) through the shared model layer.

Results are cached in SQLite by (reply hash, rubric version, model), so a rerun costs nothing.
Calls run with bounded concurrency; each goes through ModelClient (timeouts, retries)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from .. import store
from ..drafting.models import ModelClient, litellm_module
from ..drafting.prompts import render

__all__ = ["Judge", "JudgeScore", "estimate_cost"]

PROMPT_TOKENS, COMPLETION_TOKENS = 450, 60  # a typical judge call
MAX_TOKENS = 200  # a grade is a short JSON object


class JudgeScore(BaseModel):
    empathy: int = Field(ge=1, le=5)
    remedy_fit: int = Field(ge=1, le=5)
    tone: int = Field(ge=1, le=5)
    score: int = Field(ge=0, le=100)
    reason: str = Field("", max_length=500)


def estimate_cost(rows: int, model: str) -> float | None:
    """rows x expected tokens x the model's price; None when litellm has no price for it."""
    info = litellm_module().model_cost.get(model) or litellm_module().model_cost.get(model.split("/", 1)[-1])
    if not info or info.get("input_cost_per_token") is None:
        return None
    return rows * (PROMPT_TOKENS * info["input_cost_per_token"]
                   + COMPLETION_TOKENS * info.get("output_cost_per_token", 0))


def _key(reply: str, complaint: str | None, model: str, rubric_version: str) -> str:
    raw = json.dumps([reply, complaint or "", rubric_version, model], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Judge:
    def __init__(self, client: ModelClient, db_path: Path | str, prompt_dir: Path, concurrency: int = 4,
                 rubric_version: str = ""):
        self.client, self.db_path, self.prompt_dir = client, db_path, Path(prompt_dir)
        self.model = client.models[0]
        self.concurrency = concurrency
        self.rubric_version = rubric_version  # part of the cache key: a new rubric grades afresh
        self.calls = 0

    @classmethod
    def for_model(cls, settings, model: str, concurrency: int = 4) -> "Judge":
        """A judge grading with `model` through the settings' retry policy, cached in their
        database under the version of their rubric."""
        from .pipeline import rubric_of

        client = ModelClient.for_models(settings, [model], max_tokens=MAX_TOKENS)
        return cls(client, settings.db_path, settings.prompt_dir, concurrency,
                   rubric_version=rubric_of(settings).version)

    async def _grade(self, reply: str, complaint: str | None, semaphore: asyncio.Semaphore) -> dict:
        prompt, _ = render(self.prompt_dir, "judge.j2", reply=reply, complaint=complaint,
                           nonce=secrets.token_hex(6))
        async with semaphore:
            self.calls += 1
            completion = await self.client.complete([{"role": "user", "content": prompt}])
        text = completion.text.strip()
        start, end = text.find("{"), text.rfind("}")
        return JudgeScore.model_validate(json.loads(text[start:end + 1])).model_dump()

    async def grade_many(self, items: list[tuple[str, str | None]]) -> list[dict]:
        """One result per item: the scores, or {"error": ...}. Cached results cost nothing."""
        keys = [_key(r, c, self.model, self.rubric_version) for r, c in items]
        with store.reader(self.db_path) as db:
            cached = {}
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                cached.update(db.execute(f"select key, result from judge_cache where key in "
                                         f"({','.join('?' * len(part))})", part).fetchall())

        semaphore = asyncio.Semaphore(self.concurrency)  # one per event loop

        async def one(i: int) -> dict:
            if keys[i] in cached:
                return json.loads(cached[keys[i]])
            try:
                return await self._grade(*items[i], semaphore)
            except (ValueError, ValidationError) as e:
                return {"error": f"the judge model gave no valid score: {str(e)[:120]}"}
            except Exception as e:  # noqa: BLE001 - a failed call is reported on its row
                return {"error": f"judge unavailable: {str(e)[:160]}"}

        results = await asyncio.gather(*(one(i) for i in range(len(items))))
        fresh = [{"key": keys[i], "model": self.model, "result": json.dumps(r, ensure_ascii=False),
                  "created_at": store.now()}
                 for i, r in enumerate(results) if keys[i] not in cached and "error" not in r]
        if fresh:
            with store.transaction(self.db_path) as db:
                db["judge_cache"].insert_all(fresh, replace=True)
        return list(results)


def judge_file(inp, out: Path, judge: Judge, chunk: int = 200) -> int:
    """Add a `judge` field to every reviewed line of a JSONL output written by run_batch from
    the batch input `inp` (pipeline.Input; one output line per record, in order). Returns the
    number of model calls. The output is replaced whole, or not at all."""
    tmp = out.with_name(out.name + ".judged")
    try:
        with out.open(encoding="utf-8") as rows, tmp.open("w", encoding="utf-8") as w:
            batch: list[tuple[dict, object]] = []

            def flush() -> None:
                todo = [(row, rec) for row, rec in batch if "error" not in row]
                scores = asyncio.run(judge.grade_many(
                    [(rec.data["reply"], rec.data.get("complaint")) for _, rec in todo])) if todo else []
                for (row, _), score in zip(todo, scores):
                    row["judge"] = score
                for row, _ in batch:
                    w.write(json.dumps(row, ensure_ascii=False) + "\n")
                batch.clear()

            for rec, line in zip(inp.records(), rows):
                batch.append((json.loads(line), rec))
                if len(batch) >= chunk:
                    flush()
            flush()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return judge.calls
