"""Settings from the environment (prefix TACTFUL_), with defaults that run on a fresh machine:
the offline drafter, the built-in rubric and prompts, and a SQLite file under ./var.

This is the one configuration path: the CLI and the app read Settings once (`get_settings()`)
and hand them down, the web layer through FastAPI dependencies (web/deps.py) and everything
below as arguments. Nothing else reads the environment for tactful's own settings.

A plain dataclass, not pydantic-settings: `tactful review` reads its settings on every start,
and importing pydantic would cost it about 0.3 s of a 0.5 s budget.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

from .errors import InputError

__all__ = ["Settings", "get_settings", "DEFAULTS"]

# The built-in rubric (with its policy and triage rules) and prompts, shipped in the package.
# In a checkout these are links to the top-level rubrics/ and prompts/, the source of truth;
# `tactful init DIR` copies them out for a company to edit.
DEFAULTS = Path(__file__).parent / "defaults"

PREFIX = "TACTFUL_"
_CHOICES = {"auth": ("auto", "on", "off"), "model_input": ("mask", "allow"), "connector_worker": ("on", "off")}


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    # Idle keep-alive connections are kept this long. Longer than clients and load balancers keep
    # theirs (often 60 s): otherwise a client reuses a connection just as the server closes it.
    keep_alive_s: int = 75
    header_timeout_s: float = 10.0  # a request head must arrive whole within this (web/protocol.py)
    body_idle_timeout_s: float = 30.0  # at most this long without a byte of a request body
    max_connections: int = 1000  # beyond it, new requests get 503 (uvicorn's limit_concurrency)
    # Server processes (uvicorn workers). More than one uses every core: the jobs run in one of
    # them (a file lock elects it), and request limits are kept in SQLite so they hold across all.
    workers: int = 1
    db_path: Path = Path("var") / "tactful.db"  # relative paths are from the working directory
    # What a company writes: the rubric folder (rubric.yaml, rules/, signals, structure,
    # triage.yaml, policy.yaml) and the prompts. `tactful init DIR` makes an editable copy.
    rubric_dir: Path = DEFAULTS / "rubrics"
    prompt_dir: Path = DEFAULTS / "prompts"
    policy_path: Path | None = None  # default: policy.yaml in rubric_dir
    # The compiled rubric is cached here (default: the user's cache folder); "off" disables it.
    cache_dir: str = ""
    max_body_bytes: int = 4 * 1024 * 1024  # JSON request bodies
    max_batch_items: int = 1000
    max_upload_bytes: int = 1024 * 1024 * 1024  # batch uploads (CSV/JSONL), checked before reading
    data_dir: Path = Path("var")  # uploaded batch files live in data_dir/uploads

    # API keys: "auto" requires one whenever the server binds beyond loopback.
    auth: str = "auto"

    # Models (litellm ids). Empty model means the offline drafter.
    model: str = ""
    fallback_models: str = ""  # comma-separated, tried in order after `model`
    api_base: str | None = None
    model_timeout_s: float = 30.0
    model_max_tokens: int = 800
    model_retries: int = 3  # attempts per model, on rate limits, timeouts and 5xx only
    model_backoff_s: float = 0.5  # first backoff; doubles, full jitter, capped by model_backoff_cap_s
    model_backoff_cap_s: float = 8.0
    model_input: str = "mask"  # personal data in tickets sent to a model: "mask" or "allow"
    draft_deadline_s: float = 45.0  # the whole model phase of a draft; then the offline drafter answers

    # Helpdesk connectors (service/connectors): webhooks in, private notes out, through an outbox.
    connector_worker: str = "on"  # "on": `tactful serve` works the outbox too; "off": only `tactful connector work`
    connector_quiet_s: float = 3.0  # a conversation is drafted once it has been quiet this long...
    connector_quiet_max_s: float = 30.0  # ...or this long after the first message of a burst, whichever comes first
    connector_lease_s: float = 120.0  # a claimed delivery is the worker's this long; then another worker may take it
    connector_attempts: int = 6  # calls to the helpdesk for one delivery before it is parked as failed
    connector_backoff_s: float = 1.0  # first backoff; doubles, full jitter, capped by connector_backoff_cap_s
    connector_backoff_cap_s: float = 60.0
    connector_timeout_s: float = 10.0  # one call to a helpdesk
    connector_poll_s: float = 0.5  # how often an idle worker looks for due deliveries
    # QA imports (connectors/imports.py): `tactful serve` imports every helpdesk account this
    # often (seconds) into a batch job; 0 (the default): only `tactful import` does
    import_interval_s: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = _KINDS[f.name]
            if kind is Path and value is not None and not isinstance(value, Path):
                setattr(self, f.name, Path(value))
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise InputError(f"{PREFIX}{name.upper()} must be one of {', '.join(choices)}, "
                                 f"not {getattr(self, name)!r}", field=f"{PREFIX}{name.upper()}")
        if self.policy_path is None:
            self.policy_path = self.rubric_dir / "policy.yaml"
        # a worker whose lease ran out while its call to the helpdesk was still open could be
        # overtaken by another: every call must end well inside the lease
        if self.connector_lease_s < 2 * self.connector_timeout_s:
            raise InputError(f"{PREFIX}CONNECTOR_LEASE_S ({self.connector_lease_s:g}) must be at least twice "
                             f"{PREFIX}CONNECTOR_TIMEOUT_S ({self.connector_timeout_s:g})",
                             field=f"{PREFIX}CONNECTOR_LEASE_S")
        if self.import_interval_s and self.import_interval_s < 60:
            raise InputError(f"{PREFIX}IMPORT_INTERVAL_S must be 0 (off) or at least 60 seconds",
                             field=f"{PREFIX}IMPORT_INTERVAL_S")
        if self.connector_attempts < 1:
            raise InputError(f"{PREFIX}CONNECTOR_ATTEMPTS must be at least 1", field=f"{PREFIX}CONNECTOR_ATTEMPTS")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Settings from TACTFUL_* variables, then `overrides`. A value of the wrong type is
        an InputError naming the variable."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is not None and f.name not in overrides:
                values[f.name] = _parse(f.name, raw)
        return cls(**(values | overrides))

    def replace(self, **changes) -> "Settings":
        if "rubric_dir" in changes and "policy_path" not in changes:
            changes["policy_path"] = None  # follows the rubric folder again
        return dataclasses.replace(self, **changes)


_KINDS = {"host": str, "port": int, "keep_alive_s": int, "header_timeout_s": float, "body_idle_timeout_s": float,
          "max_connections": int, "workers": int, "db_path": Path,
          "rubric_dir": Path, "prompt_dir": Path, "policy_path": Path, "cache_dir": str,
          "max_body_bytes": int, "max_batch_items": int, "max_upload_bytes": int, "data_dir": Path,
          "auth": str, "model": str, "fallback_models": str, "api_base": str,
          "model_timeout_s": float, "model_max_tokens": int, "model_retries": int,
          "model_backoff_s": float, "model_backoff_cap_s": float, "model_input": str,
          "draft_deadline_s": float, "connector_worker": str, "connector_quiet_s": float,
          "connector_quiet_max_s": float, "connector_lease_s": float, "connector_attempts": int,
          "connector_backoff_s": float, "connector_backoff_cap_s": float, "connector_timeout_s": float,
          "connector_poll_s": float, "import_interval_s": float}


def _parse(name: str, raw: str):
    kind = _KINDS[name]
    if kind is str:
        return raw
    if kind is Path:
        return Path(raw) if raw.strip() else None
    try:
        return kind(raw.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"{PREFIX}{name.upper()}={raw!r} is not {what}",
                         field=f"{PREFIX}{name.upper()}") from None


@functools.cache
def get_settings() -> Settings:
    return Settings.from_env()


if set(_KINDS) != {f.name for f in fields(Settings)}:  # a new setting needs its kind above
    raise RuntimeError("settings._KINDS is out of step with Settings")
