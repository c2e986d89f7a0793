"""What a company writes, loaded from the settings: the rubric (rules, structure, signals), the
policy (facts, remedies, contacts), the triage rules and the prompts.

One Playbook is made from the Settings at start-up and handed down: the checker, the triage,
the offline drafter and the model pipeline take it (or the piece they need) as an argument,
never from a default path. Each piece is loaded on first use, so `tactful review` loads only
the compiled rubric and never imports pydantic or YAML.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checker.rubric import Rubric
    from .drafting.policy import Policy
    from .drafting.triage import TriageRules
    from .settings import Settings

__all__ = ["Playbook"]


class Playbook:
    def __init__(self, rubric_dir: Path, policy_path: Path, prompt_dir: Path, cache_dir: str = ""):
        self.rubric_dir = Path(rubric_dir)
        self.policy_path = Path(policy_path)
        self.prompt_dir = Path(prompt_dir)
        self.cache_dir = cache_dir

    @classmethod
    def from_settings(cls, settings: Settings) -> "Playbook":
        return cls(settings.rubric_dir, settings.policy_path, settings.prompt_dir, settings.cache_dir)

    @functools.cached_property
    def rubric(self) -> Rubric:
        from .checker.rubric_cache import load_rubric

        return load_rubric(self.rubric_dir, self.cache_dir)

    @functools.cached_property
    def policy(self) -> Policy:
        from .drafting.policy import load_policy

        return load_policy(self.policy_path)

    @functools.cached_property
    def triage_rules(self) -> TriageRules:
        from .drafting.triage import load_triage_rules

        return load_triage_rules(self.rubric_dir / "triage.yaml")

    def load(self) -> "Playbook":
        """Load every piece now: a bad file stops start-up with its path and the reason."""
        self.rubric, self.policy, self.triage_rules  # noqa: B018 - loaded for their errors
        return self

    def __repr__(self) -> str:
        return f"Playbook(rubric_dir={str(self.rubric_dir)!r}, policy_path={str(self.policy_path)!r}, " \
               f"prompt_dir={str(self.prompt_dir)!r})"
