"""The company policy (rubrics/policy.yaml): validated once, then read by templates, prompts
and the grounding check."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ..checker.languages import LANGS
from ..checker.rubric_files import read_yaml, validate
from ..errors import RubricError

__all__ = ["Policy", "Remedy", "Ask", "CompanyScenario", "load_policy"]

Lang = Literal[LANGS]  # checker/languages.py
Tier = Literal["minor", "medium", "severe"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localised(_Strict):
    zh_Hans: str = Field(alias="zh-Hans")
    zh_Hant: str = Field(alias="zh-Hant")
    en: str

    def __call__(self, lang: str) -> str:
        return {"zh-Hans": self.zh_Hans, "zh-Hant": self.zh_Hant}.get(lang, self.en)


class Company(_Strict):
    name: Localised


class Contact(_Strict):
    name: Localised
    hotline: str
    email: str
    hours: Localised
    private_channel: Localised


class Currency(_Strict):
    code: str
    symbol: str


class Returns(_Strict):
    no_reason_days: int = Field(gt=0)
    defective_days: int = Field(gt=0)


class Refunds(_Strict):
    processing_business_days: int = Field(gt=0)
    duplicate_charge_hours: int = Field(gt=0)
    chase_hours: int | None = Field(default=None, gt=0)  # a refund that is late: where it is, within N hours
    charge_review_hours: int | None = Field(default=None, gt=0)  # a disputed charge checked within N hours


class Shipping(_Strict):
    resend_hours: int = Field(gt=0)
    lost_parcel_trace_hours: int = Field(gt=0)


class AccountSecurity(_Strict):
    freeze_minutes: int = Field(gt=0)
    investigation_hours: int = Field(gt=0)
    access_check_hours: int | None = Field(default=None, gt=0)  # why an account cannot be used, within N hours


class Outage(_Strict):
    update_every_minutes: int = Field(gt=0)


class Service(_Strict):
    supervisor_callback_hours: int = Field(gt=0)
    answer_hours: int = Field(gt=0)
    # in a live chat, a question the drafter cannot answer is answered here within N minutes
    # (none: the chat gets answer_hours too)
    chat_answer_minutes: int | None = Field(default=None, gt=0)
    opt_out_hours: int | None = Field(default=None, gt=0)  # off the marketing lists within N hours
    feedback_review_days: int | None = Field(default=None, gt=0)  # suggestions read every N days


class Safety(_Strict):
    callback_minutes: int = Field(gt=0)


class Identity(_Strict):
    phone_last_digits: int = Field(gt=0, lt=10)


class Compensation(_Strict):
    coupon: float = Field(ge=0)
    cap: float = Field(ge=0)


class Tier_(_Strict):
    respond_within: Literal["24h", "8h", "4h", "immediate"]
    escalate_to: Literal["frontline", "supervisor", "executive"]


class Emergency(_Strict):
    police: str
    fire: str
    ambulance: str


class Remedy(_Strict):
    """One remedy of the catalogue: what a reply may offer, in the policy's words."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    for_: tuple[str, ...] = Field(alias="for", min_length=1)
    text: Localised
    # offered by the offline drafter only when the ticket names a product ("product": "stop
    # using the heater"), or only when it names none ("no_product": a passenger who fainted)
    when: Literal["product", "no_product"] | None = None
    # not added, as the answer to what a ticket asks about, to a draft of these scenarios (or
    # kinds): "you can follow the parcel in My Orders" is no answer to a parcel that is late
    unless: tuple[str, ...] = ()


class Ask(_Strict):
    """One question a reply may ask the customer. `fact`: what it asks for, so that a draft
    asks it only when the ticket lacks it (asks.py): the order number, a photo of the
    fault, or how to find the account (its email, or the last digits of its phone)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    fact: Literal["order_id", "photo", "account"] | None = None
    text: Localised


class CompanyScenario(_Strict):
    """A scenario a company names for its own business (`scenarios:`): one of the nine built-in
    kinds, refined. Triage still finds kinds; an issue of this kind (or a question or `other`)
    whose words hold one of `keywords` becomes this scenario (triage.py `refine`). The offline
    drafter writes it with its kind's template, in `name`, with the remedies the policy lists
    for its id."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    kind: str
    name: Localised  # how a draft names the problem: "航班延误或取消", "a delayed or cancelled flight"
    keywords: tuple[str, ...] = Field(min_length=1)  # simplified Chinese, lower-case English, as in triage.yaml
    severity: Tier | None = None  # default: the kind's (triage.yaml)
    # words that, anywhere in the text, say it is not this scenario ("被盗" beside "密码错误": a
    # break-in, not a locked account)
    unless: tuple[str, ...] = ()


# {section.field}, {voucher}, {charged|word}, {product|word}, {links.name}
SLOT = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)(?:\|([^{}|]*))?\}")
_TICKET_SLOTS = ("charged", "product")


class Policy(_Strict):
    company: Company
    contact: Contact
    links: dict[str, str]
    currency: Currency
    returns: Returns | None = None  # an online shop's; a company without returns or parcels
    refunds: Refunds
    shipping: Shipping | None = None  # leaves both out and lists `offline` remedies instead
    account_security: AccountSecurity
    outage: Outage
    service: Service
    safety: Safety
    compensation: dict[Tier, Compensation]
    severity: dict[Tier, Tier_]
    emergency: dict[Lang, Emergency]
    identity: Identity
    remedies: tuple[Remedy, ...] = Field(min_length=1)
    asks: tuple[Ask, ...] = ()
    offline: dict[str, tuple[str, ...]] = {}  # scenario -> the remedy ids the offline drafter offers
    offline_topics: dict[str, tuple[str, ...]] = {}  # topic asked about -> the remedy ids that answer it
    # scenario -> the questions a draft asks when the ticket lacks their fact (asks.py)
    offline_asks: dict[str, tuple[str, ...]] = {}
    # the company's own scenarios, each refining a built-in kind (CompanyScenario)
    scenarios: tuple[CompanyScenario, ...] = ()
    # the company's own sections of numbers ("network: {engineer_visit_hours: 4}"): any other
    # top-level mapping of plain numbers, read as {network.engineer_visit_hours} in a text
    sections: dict[str, dict[str, float]] = {}

    _numbers: frozenset[float] | None = PrivateAttr(None)
    _matcher: object = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _company_sections(cls, data):
        """Top-level mappings the schema does not name are the company's sections of numbers;
        anything else there is refused (a typo of a known key, a list, a text)."""
        if not isinstance(data, dict):
            return data
        known = {f.alias or name for name, f in cls.model_fields.items()} - {"sections"}
        data = dict(data)
        own = {}
        for key in [k for k in data if k not in known]:
            value = data[key]
            if not isinstance(value, dict) or not value:
                continue  # refused below as an unknown field, by its name
            for field, number in value.items():
                if isinstance(number, bool) or not isinstance(number, (int, float)) or number <= 0:
                    raise ValueError(f"{key}.{field}: a company section holds plain positive numbers, "
                                     f"not {number!r}")
            own[key] = data.pop(key)
        if own:
            data["sections"] = own
        return data

    def numbers(self) -> set[float]:
        """Every number the policy states: the only figures a draft may promise."""
        if self._numbers is None:
            found: set[float] = set()

            def walk(value) -> None:
                if isinstance(value, bool):
                    return
                if isinstance(value, (int, float)):
                    found.add(float(value))
                elif isinstance(value, str):
                    found.update(float(n) for n in re.findall(r"\d+(?:\.\d+)?", value))
                elif isinstance(value, dict):
                    for v in value.values():
                        walk(v)

            walk(self.model_dump())
            self._numbers = frozenset(found)
        return set(self._numbers)


    # ------------------------------------------------------------ the catalogue

    def remedy(self, remedy_id: str) -> Remedy | None:
        return next((r for r in self.remedies if r.id == remedy_id), None)

    def ask(self, ask_id: str) -> Ask | None:
        return next((a for a in self.asks if a.id == ask_id), None)

    def remedies_for(self, scenario: str) -> list[Remedy]:
        return [r for r in self.remedies if scenario in r.for_ or "any" in r.for_]

    # ------------------------------------------------------------ the company's scenarios

    def company_scenario(self, scenario_id: str) -> CompanyScenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def kind_of(self, scenario: str) -> str:
        """The built-in kind of a scenario id: a company scenario's `kind`, else itself."""
        own = self.company_scenario(scenario)
        return own.kind if own else scenario

    def offline_remedies(self, scenario: str, product: bool | None = None) -> tuple[str, ...]:
        """The remedy ids the offline drafter offers for a scenario: its own entry of
        `offline`, else its kind's (empty: the template answers); with `product` (whether the
        ticket names one), those whose `when` the ticket meets."""
        ids = self.offline.get(scenario) or self.offline.get(self.kind_of(scenario), ())
        if product is None:
            return ids
        unmet = "no_product" if product else "product"
        return tuple(i for i in ids if (r := self.remedy(i)) is None or r.when != unmet)

    def topic_answers(self, topics) -> list[str]:
        """The remedy ids that answer what a ticket asks about (`offline_topics`), once each."""
        return list(dict.fromkeys(i for t in topics for i in self.offline_topics.get(t, ())))

    def offline_questions(self, scenario: str) -> tuple[str, ...]:
        """The question ids of `offline_asks` for a scenario: its own entry, else its kind's."""
        if scenario in self.offline_asks:
            return self.offline_asks[scenario]
        return self.offline_asks.get(self.kind_of(scenario), ())

    def matching_scenarios(self, text: str) -> list[tuple[CompanyScenario, int, int]]:
        """The company scenarios whose keywords `text` (normalised: folded, simplified) holds,
        and none of their `unless` words, in the file's order, each with where its first
        keyword is. Keywords match as triage.yaml's do (checker.rubric.expand; an English word
        only as a whole word)."""
        if not self.scenarios:
            return []
        if self._matcher is None:
            import ahocorasick

            from ..checker.rubric import expand
            from ..checker.text import fold

            automaton = ahocorasick.Automaton()
            entries: dict[str, list[tuple[int, bool]]] = {}
            for n, sc in enumerate(self.scenarios):
                for words, against in ((sc.keywords, False), (sc.unless, True)):
                    for k in words:
                        for word in expand(k):
                            entries.setdefault(fold(word), []).append((n, against))
            for word, ns in entries.items():
                automaton.add_word(word, (word, ns))
            automaton.make_automaton()
            self._matcher = automaton
        from .triage import keyword_hits

        first: dict[int, tuple[int, int]] = {}
        ruled_out: set[int] = set()
        for start, end, ns in keyword_hits(self._matcher, text):
            for n, against in ns:
                if against:
                    ruled_out.add(n)
                else:
                    first.setdefault(n, (start, end))
        return [(self.scenarios[n], *first[n]) for n in sorted(first) if n not in ruled_out]

    def slot_value(self, name: str, tier: str) -> str | None:
        """The policy's value of a slot ({refunds.processing_business_days}, {voucher},
        {links.status_page}), as it is written in a reply; None for a ticket slot."""
        if name == "voucher":
            return f"{self.currency.symbol}{self.compensation[tier].coupon:g}"
        if name in _TICKET_SLOTS:
            return None
        section, _, field = name.partition(".")
        if section == "links":
            return self.links.get(field)
        if section in self.sections:
            value = self.sections[section].get(field)
        else:
            value = getattr(getattr(self, section, None), field, None) if field else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return f"{value:g}"

    def render(self, text: str, *, tier: str, facts: dict[str, str | None]) -> str:
        """A catalogue text with its slots filled: the policy's numbers and links, and the
        ticket's own facts (`facts`: charged, product), or the word after | without one."""
        def fill(m: re.Match) -> str:
            name, default = m.group(1), m.group(2)
            if name in _TICKET_SLOTS:
                return facts.get(name) or (default or "")
            return self.slot_value(name, tier) or ""
        return SLOT.sub(fill, text)


def _check_catalogue(policy: Policy, path: Path) -> None:
    """Every slot resolves, no text carries a digit of its own, ids are unique, and every
    scenario a remedy names exists (a built-in one or the company's own)."""
    from .triage import SCENARIOS as BUILT_IN

    _check_scenarios(policy, path, BUILT_IN)
    SCENARIOS = (*BUILT_IN, *(s.id for s in policy.scenarios))
    for kind in ("defective_or_wrong_item", "late_or_lost_parcel"):
        if (policy.returns is None or policy.shipping is None) and not policy.offline.get(kind):
            raise RubricError(f"{path}: offline.{kind}: a policy without `returns` and `shipping` lists the "
                              f"remedies the offline drafter offers for {kind} (its template's answer uses them)")
    for topic, ids in policy.offline_topics.items():
        for remedy_id in ids:
            if policy.remedy(remedy_id) is None:
                raise RubricError(f"{path}: offline_topics.{topic}: {remedy_id!r} is not in the remedy catalogue")
    for scenario, ids in policy.offline.items():
        if scenario not in SCENARIOS:
            raise RubricError(f"{path}: offline: unknown scenario {scenario!r}")
        for remedy_id in ids:
            if policy.remedy(remedy_id) is None:
                raise RubricError(f"{path}: offline.{scenario}: {remedy_id!r} is not in the remedy catalogue")
    for scenario, ids in policy.offline_asks.items():
        if scenario not in SCENARIOS:
            raise RubricError(f"{path}: offline_asks: unknown scenario {scenario!r}")
        for ask_id in ids:
            ask = policy.ask(ask_id)
            if ask is None:
                raise RubricError(f"{path}: offline_asks.{scenario}: {ask_id!r} is not in the questions (asks)")
            if ask.fact is None:
                raise RubricError(f"{path}: offline_asks.{scenario}: {ask_id!r} names no `fact`, so it "
                                  f"would be asked whatever the ticket holds")
    for kind, items in (("remedies", policy.remedies), ("asks", policy.asks)):
        ids = [x.id for x in items]
        if len(ids) != len(set(ids)):
            raise RubricError(f"{path}: {kind}: an id is used twice")
        for item in items:
            where = f"{path}: {kind}.{item.id}"
            for scenario in (*getattr(item, "for_", ()), *getattr(item, "unless", ())):
                if scenario != "any" and scenario not in SCENARIOS:
                    raise RubricError(f"{where}: unknown scenario {scenario!r}")
            for lang in LANGS:
                text = item.text(lang)
                for m in SLOT.finditer(text):
                    if m.group(1) not in _TICKET_SLOTS and policy.slot_value(m.group(1), "minor") is None:
                        raise RubricError(f"{where}: {lang}: {{{m.group(1)}}} is not a number or link of the policy")
                if re.search(r"\d", SLOT.sub("", text)):
                    raise RubricError(f"{where}: {lang}: a digit written into the text; "
                                      f"use a {{section.field}} slot so the number comes from the policy")


def _check_scenarios(policy: Policy, path: Path, built_in: tuple[str, ...]) -> None:
    """A company scenario refines one of the nine kinds, under an id of its own."""
    seen: set[str] = set()
    for sc in policy.scenarios:
        where = f"{path}: scenarios.{sc.id}"
        if sc.id in built_in:
            raise RubricError(f"{where}: the id is a built-in scenario's; name the company's own "
                              f"(a built-in scenario needs no entry)")
        if sc.id in seen:
            raise RubricError(f"{where}: the id is used twice")
        seen.add(sc.id)
        if sc.kind not in built_in:
            raise RubricError(f"{where}: kind: {sc.kind!r} is not one of the built-in scenarios "
                              f"({', '.join(built_in)})")
        if sc.kind in ("safety_emergency", "account_security") and sc.severity not in (None, "severe"):
            raise RubricError(f"{where}: severity: a {sc.kind} scenario is severe; it cannot be lowered")


@functools.cache
def load_policy(path: Path | str) -> Policy:
    """The policy file `path` (Settings.policy_path), validated."""
    path = Path(path)
    if not path.is_file():
        raise RubricError(f"{path}: policy file not found")
    policy = validate(Policy, read_yaml(path), str(path))
    for tier in ("minor", "medium", "severe"):
        if tier not in policy.compensation or tier not in policy.severity:
            raise RubricError(f"{path}: compensation and severity need minor, medium and severe")
        if policy.compensation[tier].coupon > policy.compensation[tier].cap:
            raise RubricError(f"{path}: compensation.{tier}: coupon is over the cap")
    _check_catalogue(policy, path)
    return policy
