"""Every model call goes through here: litellm's `acompletion` with an explicit timeout and
max_tokens, tenacity retries on rate limits, timeouts and 5xx only (honouring Retry-After,
jittered, bounded), and an ordered list of fallback models.

litellm is imported on first use (it takes seconds and must not slow `tactful review`), with
its bundled price list so that importing it never reaches the network.
"""

from __future__ import annotations

import logging
import os
import random
import time
from dataclasses import dataclass

from ..errors import ModelUnavailable

__all__ = ["ModelClient", "Completion", "litellm_module", "is_retryable"]

log = logging.getLogger("tactful.models")

_litellm = None


def litellm_module():
    """litellm, imported once, offline-safe."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        # OpenAI-compatible calls through litellm's own HTTP handler rather than the openai
        # SDK, whose request and response transforms were a quarter of litellm's CPU per call
        # (200 concurrent calls: 1.27 s -> 0.94 s; errors map to the same exception types)
        os.environ.setdefault("EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER", "True")
        import litellm

        litellm.suppress_debug_info = True
        litellm.drop_params = True  # providers without JSON mode ignore response_format
        # Message contents (customer text) are redacted from litellm's logging payload only
        # when a logging callback could receive them: redacting deep-copies the payload and the
        # response on every call (10-14% of the CPU), and tactful registers no callback.
        litellm.turn_off_message_logging = bool(
            litellm.callbacks or litellm.success_callback or litellm.failure_callback)
        if os.environ.get("DISABLE_AIOHTTP_TRANSPORT", "").lower() in ("1", "true"):
            litellm.disable_aiohttp_transport = True
        _litellm = litellm
    return _litellm


@dataclass
class Completion:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def is_retryable(exc: BaseException) -> bool:
    """Rate limits, timeouts, connection failures and 5xx are worth another try; a bad key,
    a bad request or a content refusal are not."""
    lt = litellm_module()
    if isinstance(exc, (lt.RateLimitError, lt.Timeout, lt.APIConnectionError,
                        lt.InternalServerError, lt.ServiceUnavailableError)):
        return True
    if isinstance(exc, (TimeoutError,)):
        return True
    status = _status(exc)
    return status is not None and (status == 429 or status >= 500)


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "litellm_response_headers", None) or getattr(
        getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class _Wait:
    """Retry-After when the provider sends one (capped), else exponential backoff with full
    jitter."""

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    def __call__(self, state) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(exc) if exc else None
        if hinted is not None:
            return min(hinted, self.cap)
        return random.uniform(0, min(self.cap, self.base * 2 ** (state.attempt_number - 1)))


class ModelClient:
    """An ordered list of models, each tried with bounded retries."""

    def __init__(self, models: list[str], *, api_base: str | None = None, timeout_s: float = 30,
                 max_tokens: int = 800, attempts: int = 3, backoff_s: float = 0.5,
                 backoff_cap_s: float = 8.0):
        if not models:
            raise ValueError("ModelClient needs at least one model")
        self.models = models
        self.api_base = api_base
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s

    @classmethod
    def from_settings(cls, settings) -> "ModelClient | None":
        models = [m.strip() for m in [settings.model, *settings.fallback_models.split(",")]
                  if m.strip() and m.strip() != "offline"]
        if not models:
            return None
        return cls.for_models(settings, models)

    @classmethod
    def for_models(cls, settings, models: list[str], **overrides) -> "ModelClient":
        """A client for `models` with the settings' endpoint, timeout, token cap and retry
        policy; `overrides` replace any of them (a judge's smaller max_tokens, a replay's base)."""
        kwargs = dict(api_base=settings.api_base, timeout_s=settings.model_timeout_s,
                      max_tokens=settings.model_max_tokens, attempts=settings.model_retries,
                      backoff_s=settings.model_backoff_s, backoff_cap_s=settings.model_backoff_cap_s)
        return cls(models, **(kwargs | overrides))

    async def complete(self, messages: list[dict], *, json: bool = True,
                       models: list[str] | None = None) -> Completion:
        """The first model that answers, in order. Raises ModelUnavailable when none does."""
        failures = []
        for model in models or self.models:
            try:
                return await self._with_retries(model, messages, json)
            except Exception as exc:  # noqa: BLE001 - every failure moves to the next model
                failures.append(f"{model}: {type(exc).__name__}: {str(exc)[:200]}")
                log.warning("model %s failed: %s", model, failures[-1])
        raise ModelUnavailable("no model answered: " + "; ".join(failures))

    async def stream(self, messages: list[dict], *, on_text, json: bool = True,
                     models: list[str] | None = None) -> Completion:
        """Like complete(), but `on_text(text so far)` is called as the answer is generated.
        Retries and fallbacks happen only before the first token: once text has been shown, a
        failure is final (ModelUnavailable)."""
        failures = []
        for model in models or self.models:
            started = [False]
            try:
                return await self._with_retries(model, messages, json, on_text=on_text, started=started)
            except Exception as exc:  # noqa: BLE001 - the next model, unless text already went out
                failures.append(f"{model}: {type(exc).__name__}: {str(exc)[:200]}")
                log.warning("model %s failed while streaming: %s", model, failures[-1])
                if started[0]:
                    break
        raise ModelUnavailable("no model answered: " + "; ".join(failures))

    async def _with_retries(self, model: str, messages: list[dict], json: bool, on_text=None,
                            started=None) -> Completion:
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=_Wait(self.backoff_s, self.backoff_cap_s),
            retry=retry_if_exception(lambda e: is_retryable(e) and not (started and started[0])),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if on_text is None:
                    return await self._call(model, messages, json)
                return await self._call_streaming(model, messages, json, on_text, started)
        raise AssertionError("unreachable")  # pragma: no cover

    def _kwargs(self, model: str, messages: list[dict], json: bool) -> dict:
        """One call's arguments: explicit timeout and max_tokens; retries are ours, not litellm's."""
        kwargs = dict(model=model, messages=messages, timeout=self.timeout_s, max_tokens=self.max_tokens,
                      temperature=0.3, num_retries=0, max_retries=0)
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if json:
            kwargs["response_format"] = {"type": "json_object"}
        return kwargs

    async def _call_streaming(self, model: str, messages: list[dict], json: bool, on_text,
                              started: list[bool]) -> Completion:
        lt = litellm_module()
        t0 = time.perf_counter()
        response = await lt.acompletion(**self._kwargs(model, messages, json), stream=True,
                                        stream_options={"include_usage": True})
        parts: list[str] = []
        prompt_tokens = completion_tokens = 0
        async for chunk in response:
            usage = getattr(chunk, "usage", None)
            if usage:
                prompt_tokens = getattr(usage, "prompt_tokens", 0) or prompt_tokens
                completion_tokens = getattr(usage, "completion_tokens", 0) or completion_tokens
            choices = getattr(chunk, "choices", None) or []
            piece = (getattr(choices[0].delta, "content", None) or "") if choices else ""
            if piece:
                parts.append(piece)
                started[0] = True
                on_text("".join(parts))
        try:
            prompt_cost, completion_cost = lt.cost_per_token(model=model, prompt_tokens=prompt_tokens,
                                                             completion_tokens=completion_tokens)
            cost = float(prompt_cost + completion_cost)
        except Exception:  # noqa: BLE001 - unknown price: never fail a draft for it
            cost = 0.0
        return Completion(text="".join(parts), model=model, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, cost_usd=cost,
                          latency_ms=(time.perf_counter() - t0) * 1000)

    async def _call(self, model: str, messages: list[dict], json: bool) -> Completion:
        lt = litellm_module()
        started = time.perf_counter()
        response = await lt.acompletion(**self._kwargs(model, messages, json))
        latency = (time.perf_counter() - started) * 1000
        usage = getattr(response, "usage", None)
        # litellm prices every response itself; an unknown model's price is None: report 0
        cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        if cost is None:
            try:
                cost = lt.completion_cost(completion_response=response)
            except Exception:  # noqa: BLE001 - unknown price: never fail a draft for it
                cost = 0.0
        cost = float(cost or 0.0)
        text = response.choices[0].message.content or ""
        return Completion(text=text, model=model,
                          prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                          completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                          cost_usd=cost, latency_ms=latency)
