"""Settings from the environment (prefix TACTFUL_), with defaults that run on a fresh machine:
the offline drafter and a SQLite file under ./var."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TACTFUL_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # Idle keep-alive connections are kept this long. Longer than clients and load balancers keep
    # theirs (often 60 s): otherwise a client reuses a connection just as the server closes it.
    keep_alive_s: int = 75
    # Server processes (uvicorn workers). More than one uses every core: the jobs run in one of
    # them (a file lock elects it), and request limits are kept in SQLite so they hold across all.
    workers: int = 1
    db_path: Path = ROOT / "var" / "tactful.db"
    rubric_dir: Path = ROOT / "rubrics"
    prompt_dir: Path = ROOT / "prompts"
    policy_path: Path = ROOT / "rubrics" / "policy.yaml"
    max_body_bytes: int = 4 * 1024 * 1024  # JSON request bodies
    max_batch_items: int = 1000
    max_upload_bytes: int = 1024 * 1024 * 1024  # batch uploads (CSV/JSONL), checked before reading
    data_dir: Path = ROOT / "var"  # uploaded batch files live in data_dir/uploads

    # API keys: "auto" requires one whenever the server binds beyond loopback.
    auth: Literal["auto", "on", "off"] = "auto"

    # Models (litellm ids). Empty model means the offline drafter.
    model: str = ""
    fallback_models: str = ""  # comma-separated, tried in order after `model`
    api_base: str | None = None
    model_timeout_s: float = 30.0
    model_max_tokens: int = 800
    model_retries: int = 3  # attempts per model, on rate limits, timeouts and 5xx only
    model_backoff_s: float = 0.5  # first backoff; doubles, full jitter, capped by model_backoff_cap_s
    model_backoff_cap_s: float = 8.0
    model_input: Literal["mask", "allow"] = "mask"  # personal data in tickets sent to a model
    draft_deadline_s: float = 45.0  # the whole model phase of a draft; then the offline drafter answers


@functools.cache
def get_settings() -> Settings:
    return Settings()
