"""Cassettes: recorded model answers, one file per golden case, replayed at the HTTP layer.

With `--model mock` every model call goes through litellm as usual (prompt rendering, JSON
mode, retries, cost, parsing, the repair round) and reaches a respx router instead of the
network: the router answers each call with the next recorded interaction of the case being
drafted, as an OpenAI chat completion. A call the recording lacks, or one of another kind (a
repair where the recording had none), is a miss: the case errors, as in any VCR, so a change
in the drafter's behaviour cannot pass unnoticed.

    {"case": "billing-en-email-03", "model": "openai/gpt-4o-mini", "set": "good", "note": "...",
     "interactions": [{"kind": "draft",
                       "response": {"status": 200, "content": "{\\"apology\\": ...}",
                                    "prompt_tokens": 950, "completion_tokens": 240}}]}

`--record DIR` with a real model writes the same files from the model's real answers.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..drafting.pipeline import RETRY_ASK
from ..errors import InputError, first_problem
from ..drafting.models import Completion, ModelClient

__all__ = ["Cassette", "load_cassettes", "Replay", "Recorder", "current_case", "kind_of", "OPENAI_URL"]

OPENAI_URL = "https://api.openai.com/v1/chat/completions"

# The case being drafted in this task: each case runs in its own asyncio task, so the router
# (called inside litellm's HTTP client, in the same task) knows whose answer to replay.
current_case: contextvars.ContextVar[str | None] = contextvars.ContextVar("tactful_eval_case", default=None)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(_Strict):
    status: int = Field(200, ge=100, le=599)
    content: str = ""
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)


class Interaction(_Strict):
    kind: str = Field(pattern="^(draft|repair|retry|judge)$")
    response: Response


class Cassette(_Strict):
    case: str
    model: str = "openai/gpt-4o-mini"
    set: str = ""
    note: str = ""
    interactions: list[Interaction] = Field(min_length=1)


def kind_of(messages: list[dict]) -> str:
    """What a call is for, from the shape of its messages."""
    if len(messages) == 1:
        return "judge"
    if len(messages) == 2:
        return "draft"
    return "retry" if messages[-1].get("content") == RETRY_ASK else "repair"


def load_cassettes(folder: Path) -> dict[str, Cassette]:
    if not folder.is_dir():
        raise InputError(f"{folder}: cassette folder not found", field="cassettes")
    out: dict[str, Cassette] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            cassette = Cassette.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as e:
            raise InputError(f"{path}: {first_problem(e)}", field="cassettes") from None
        if cassette.case in out:
            raise InputError(f"{path}: a second cassette for case {cassette.case!r}", field="cassettes")
        out[cassette.case] = cassette
    if not out:
        raise InputError(f"{folder}: no cassettes (*.json) in it", field="cassettes")
    return out


def _completion_body(case: str, n: int, model: str, r: Response) -> dict:
    return {"id": f"chatcmpl-cassette-{case}-{n}", "object": "chat.completion", "created": 0,
            "model": model.split("/", 1)[-1],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": r.content}}],
            "usage": {"prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                      "total_tokens": r.prompt_tokens + r.completion_tokens}}


@dataclass
class Replay:
    """Serves cassettes to litellm through respx. Use as a context manager around the run;
    any request to another host fails (respx mocks everything), so a replay never reaches
    the network."""

    cassettes: dict[str, Cassette]
    used: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def client(self, model: str, settings) -> ModelClient:
        return ModelClient.for_models(settings, [model], api_base="https://api.openai.com/v1",
                                      backoff_s=0.0, backoff_cap_s=0.0)

    def _answer(self, request):
        import httpx

        case = current_case.get()
        messages = json.loads(request.content or b"{}").get("messages", [])
        kind = kind_of(messages)
        cassette = self.cassettes.get(case or "")
        n = self.used.get(case or "", 0)

        def miss(why: str):
            self.misses.setdefault(case or "?", []).append(why)
            return httpx.Response(400, json={"error": {"message": f"cassette miss: {why}",
                                                       "type": "invalid_request_error"}})

        if cassette is None:
            return miss(f"no cassette for case {case!r}")
        if n >= len(cassette.interactions):
            return miss(f"call {n + 1} ({kind}) is not in the recording of {case} "
                        f"({len(cassette.interactions)} calls); re-record it")
        recorded = cassette.interactions[n]
        if recorded.kind != kind:
            return miss(f"call {n + 1} of {case} is a {kind}; the recording has a {recorded.kind}")
        self.used[case] = n + 1
        r = recorded.response
        if r.status != 200:
            return httpx.Response(r.status, json={"error": {"message": r.content or "recorded failure"}})
        return httpx.Response(200, json=_completion_body(case, n, cassette.model, r))

    @contextlib.contextmanager
    def active(self):
        import respx

        from ..drafting.models import litellm_module

        os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"  # respx patches httpx; aiohttp would bypass it
        os.environ.setdefault("OPENAI_API_KEY", "sk-cassette-replay")
        litellm_module().disable_aiohttp_transport = True
        with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
            router.post(OPENAI_URL).mock(side_effect=self._answer)
            yield self


class Recorder:
    """Wraps a real ModelClient and keeps every answer per case, to write as cassettes."""

    def __init__(self, client: ModelClient):
        self.inner = client
        self.models = client.models
        self.calls: dict[str, list[dict]] = {}

    async def complete(self, messages: list[dict], *, json: bool = True,
                       models: list[str] | None = None) -> Completion:
        c = await self.inner.complete(messages, json=json, models=models)
        case = current_case.get() or "?"
        self.calls.setdefault(case, []).append(
            {"kind": kind_of(messages), "model": c.model,
             "response": {"status": 200, "content": c.text, "prompt_tokens": c.prompt_tokens,
                          "completion_tokens": c.completion_tokens}})
        return c

    def write(self, folder: Path, note: str = "recorded") -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for case, calls in sorted(self.calls.items()):
            cassette = {"case": case, "model": calls[0]["model"], "set": folder.name, "note": note,
                        "interactions": [{"kind": c["kind"], "response": c["response"]} for c in calls]}
            path = folder / f"{case}.json"
            path.write_text(json.dumps(cassette, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            written.append(path)
        return written
