"""Golden cases: a ticket, the reply a great agent would send, the facts a good reply carries
and the strings it must never say, and tags to slice results by. Data lives in eval/*.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError, first_problem
from ..schemas import Channel, CustomerName, Lang, OrderId
from ..drafting.triage import SCENARIOS
from .config import SuiteConfig

__all__ = ["Case", "Ticket", "load_cases", "Fact", "Scenario"]

Scenario = Literal[SCENARIOS]  # triage's scenario ids
Fact = Literal["order_id", "photo", "account"]  # what a question asks for (policy.yaml `asks`)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ticket(_Strict):
    """A ticket as POST /v1/drafts takes it: the name and the order number have the shapes the
    API requires (schemas.py), so a case that the API would refuse is an error of the file."""

    message: str = Field(min_length=1, max_length=20_000)
    channel: Channel = "chat"
    customer_name: CustomerName | None = None
    order_id: OrderId | None = None
    lang: Lang


class Case(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    ticket: Ticket
    golden: str = Field(min_length=1)
    facts: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    tags: dict[str, str | None] = Field(default_factory=dict)
    # For the scorers of real-style tickets (scorers.py); a case without them skips those checks.
    # scenarios: what triage must find, the primary first (every issue of a multi-issue message)
    scenarios: list[Scenario] = Field(default_factory=list)
    # insults: strings of the message a reply must never repeat (insults, profanity, @handles,
    # greetings and filler); they must be in the message
    insults: list[str] = Field(default_factory=list)
    # asks: facts the ticket lacks, which the reply asks for; asks_not: facts it gives
    asks: list[Fact] = Field(default_factory=list)
    asks_not: list[Fact] = Field(default_factory=list)
    # restates: the problem's key words (product, what went wrong); one must be in the restatement
    restates: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "Case":
        if len(set(self.scenarios)) != len(self.scenarios):
            raise ValueError("scenarios: a scenario is listed twice")
        both = set(self.asks) & set(self.asks_not)
        if both:
            raise ValueError(f"asks and asks_not both list {', '.join(sorted(both))}")
        # an insult the message does not hold tests nothing (compared folded, across scripts)
        from ..checker.text import fold, to_simplified

        message = to_simplified(fold(self.ticket.message))
        absent = [x for x in self.insults if to_simplified(fold(x)) not in message]
        if absent:
            raise ValueError(f"insults not in the message: {', '.join(absent)}")
        return self

    def matches(self, include: dict[str, list[str]]) -> bool:
        """Every key's tag value is one of the listed values (`id` matches the case id)."""
        return all(str(self.id if k == "id" else self.tags.get(k)) in {str(v) for v in values}
                   for k, values in include.items())


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        raise InputError(f"{path}: cases file not found", field="cases")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML: {e}", field="cases") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: a cases file is a list of cases", field="cases")
    return data


def load_cases(config: SuiteConfig) -> list[Case]:
    """Every case of the suite, validated, filtered by `include`. Ids are unique across files."""
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    for name in config.cases:
        path = config.resolve(name)
        for i, raw in enumerate(_read(path), 1):
            try:
                case = Case.model_validate(raw)
            except ValidationError as e:
                who = raw.get("id") if isinstance(raw, dict) and raw.get("id") else f"case #{i}"
                raise InputError(f"{path}: {who}: {first_problem(e)}", field="cases") from None
            if case.id in seen:
                raise InputError(f"{path}: case id {case.id!r} is used twice (also in {seen[case.id]})",
                                 field="cases")
            seen[case.id] = path
            if case.matches(config.include):
                cases.append(case)
    if not cases:
        raise InputError("no case matches the suite's `include` filter", field="cases")
    return cases
