"""The model layer's retry policy, without HTTP."""

from types import SimpleNamespace

from service.drafting.models import ModelClient, _Wait, is_retryable, litellm_module


def state(exc, attempt=1):
    return SimpleNamespace(outcome=SimpleNamespace(exception=lambda: exc), attempt_number=attempt)


def test_retry_after_is_honoured_and_capped():
    lt = litellm_module()
    exc = lt.RateLimitError("slow", llm_provider="openai", model="m")
    exc.litellm_response_headers = {"retry-after": "3"}
    assert _Wait(0.5, 8)(state(exc)) == 3
    exc.litellm_response_headers = {"retry-after": "120"}
    assert _Wait(0.5, 8)(state(exc)) == 8


def test_backoff_without_retry_after_is_jittered_and_bounded():
    waits = {_Wait(0.5, 8)(state(TimeoutError(), attempt=4)) for _ in range(50)}
    assert len(waits) > 1 and all(0 <= w <= 4 for w in waits)


def test_only_transient_errors_are_retried():
    lt = litellm_module()
    assert is_retryable(lt.RateLimitError("x", llm_provider="openai", model="m"))
    assert is_retryable(lt.Timeout("x", llm_provider="openai", model="m"))
    assert is_retryable(lt.InternalServerError("x", llm_provider="openai", model="m"))
    assert not is_retryable(lt.AuthenticationError("x", llm_provider="openai", model="m"))
    assert not is_retryable(lt.BadRequestError("x", llm_provider="openai", model="m"))


def test_no_model_configured_means_offline():
    from service.settings import Settings

    assert ModelClient.from_settings(Settings(model="", fallback_models="")) is None
    assert ModelClient.from_settings(Settings(model="offline")) is None
    c = ModelClient.from_settings(Settings(model="gpt-4o-mini", fallback_models="ollama/qwen2.5, gpt-4o"))
    assert c.models == ["gpt-4o-mini", "ollama/qwen2.5", "gpt-4o"]
