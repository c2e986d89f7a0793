"""The suite config (eval/suite.yaml): which cases, which model, which scorers with what weight
and threshold, and the gate. Validated with pydantic; every path in it is relative to the file.

    cases: [cases.yaml]
    model: offline                 # offline | mock | a litellm model id
    cassettes: cassettes/good      # what `mock` replays
    concurrency: 8
    include: {locale: [zh-Hant]}   # optional: only cases whose tags match
    scorers:
      structure: {weight: 1, threshold: 1.0}
      ...
    gate: {tolerance: 0.02, min_score: 0.7, min_pass_rate: 0.7}
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError, first_problem

__all__ = ["SuiteConfig", "ScorerConfig", "GateConfig", "load_config", "SCORER_NAMES"]

SCORER_NAMES = ("structure", "rubric", "facts", "concreteness", "similarity", "language", "scenario", "honesty",
                "no_quoted_insults", "asks", "restatement", "judge")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScorerConfig(_Strict):
    enabled: bool = True
    weight: float = Field(1.0, ge=0)
    threshold: float | None = Field(None, ge=0, le=1,
                                    description="the least score that passes; None: the scorer's own test")
    model: str | None = Field(None, description="judge only: the grading model (default: the run's model)")


class GateConfig(_Strict):
    tolerance: float = Field(0.02, ge=0, le=1, description="how far an aggregate may drop below the baseline")
    min_score: float = Field(0.0, ge=0, le=1, description="the run fails below this mean score")
    min_pass_rate: float = Field(0.0, ge=0, le=1, description="the run fails below this share of passing cases")


class SuiteConfig(_Strict):
    description: str = ""
    cases: list[str] = Field(min_length=1)
    model: str = "offline"
    mock_model: str = "openai/gpt-4o-mini"
    cassettes: str | None = None
    concurrency: int = Field(8, ge=1, le=256)
    include: dict[str, list[str]] = Field(default_factory=dict)
    scorers: dict[str, ScorerConfig] = Field(default_factory=dict)
    gate: GateConfig = Field(default_factory=GateConfig)

    path: Path | None = Field(None, exclude=True)  # where it was read from; paths resolve against it

    def resolve(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() or self.path is None else self.path.parent / p

    def enabled(self) -> dict[str, ScorerConfig]:
        return {n: c for n, c in self.scorers.items() if c.enabled}

    def digest(self) -> str:
        """A hash of the settings and the cases' contents: two runs with the same digest ran
        the same suite."""
        h = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode())
        for name in self.cases:
            path = self.resolve(name)
            if path.is_file():
                h.update(path.read_bytes())
        return "sha256:" + h.hexdigest()[:16]


def load_config(path: Path | str, **overrides) -> SuiteConfig:
    """Read and validate a suite config; `overrides` (e.g. model, cassettes) replace its values."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: suite config not found", field="config")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML: {e}", field="config") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: the suite config must be a mapping", field="config")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        config = SuiteConfig.model_validate(raw)
    except ValidationError as e:
        raise InputError(f"{path}: {first_problem(e)}", field="config") from None
    unknown = set(config.scorers) - set(SCORER_NAMES)
    if unknown:
        raise InputError(f"{path}: unknown scorer(s) {sorted(unknown)}; known: {', '.join(SCORER_NAMES)}",
                         field="config")
    if not config.enabled():
        raise InputError(f"{path}: no scorer is enabled", field="config")
    config.path = path
    return config
