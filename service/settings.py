"""Settings from the environment (prefix TACTFUL_), with defaults that run on a fresh machine:
the offline drafter, the built-in rubric and prompts, and a SQLite file under ./var.

This is the one configuration path: the CLI and the app read Settings once and hand them
down (the web layer through FastAPI dependencies, everything below as arguments). Nothing
else reads the environment for tactful's own settings."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "DEFAULTS"]

# The built-in rubric (with its policy and triage rules) and prompts, shipped in the package.
# In a checkout these are links to the top-level rubrics/ and prompts/, the source of truth;
# `tactful init DIR` copies them out for a company to edit.
DEFAULTS = Path(__file__).parent / "defaults"


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
    db_path: Path = Path("var") / "tactful.db"  # relative paths are from the working directory
    rubric_dir: Path = DEFAULTS / "rubrics"  # rubric.yaml, rules/, signals, structure, triage.yaml
    prompt_dir: Path = DEFAULTS / "prompts"
    policy_path: Path | None = None  # default: policy.yaml in rubric_dir
    max_body_bytes: int = 4 * 1024 * 1024  # JSON request bodies
    max_batch_items: int = 1000
    max_upload_bytes: int = 1024 * 1024 * 1024  # batch uploads (CSV/JSONL), checked before reading
    data_dir: Path = Path("var")  # uploaded batch files live in data_dir/uploads

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

    @model_validator(mode="after")
    def _policy_beside_rubric(self) -> "Settings":
        if self.policy_path is None:
            self.policy_path = self.rubric_dir / "policy.yaml"
        return self


@functools.cache
def get_settings() -> Settings:
    return Settings()
