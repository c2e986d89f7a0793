"""Triage of a customer message, with no model: language, scenario, severity tier, response
deadline, who answers, and the entities a reply should restate (rubrics/triage.yaml)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field

from typing import TYPE_CHECKING

from ..checker.rubric import expand
from ..checker.rubric_files import read_yaml, validate
from ..checker.text import detect_lang, fold, normalize
from ..privacy.masking import find_pii

if TYPE_CHECKING:
    from ..playbook import Playbook

__all__ = ["Triage", "TriageRules", "triage", "load_triage_rules", "SCENARIOS"]

SCENARIOS = ("safety_emergency", "account_security", "billing", "outage",
             "defective_or_wrong_item", "late_or_lost_parcel", "poor_service", "inquiry", "other")
TIERS = ("minor", "medium", "severe")


class _ScenarioSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: str = Field(pattern="^(minor|medium|severe)$")
    keywords: list[str]


class _TriageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenarios: dict[str, _ScenarioSpec]
    escalate_to_severe: list[str]
    escalate_to_medium: list[str]
    product_after: list[str]
    topics: dict[str, list[str]] = {}


@dataclass(frozen=True)
class TriageRules:
    """triage.yaml, compiled: its spec, one automaton of every keyword, the product pattern."""

    spec: _TriageSpec
    automaton: ahocorasick.Automaton  # keyword -> (kind, scenario)
    product_re: re.Pattern


@functools.cache
def load_triage_rules(path: Path) -> TriageRules:
    path = Path(path)
    spec = validate(_TriageSpec, read_yaml(path), str(path))
    missing = set(SCENARIOS) - set(spec.scenarios)
    if missing:
        from ..errors import RubricError

        raise RubricError(f"{path}: scenarios missing: {', '.join(sorted(missing))}")
    automaton = ahocorasick.Automaton()
    entries: dict[str, list[tuple[str, str]]] = {}
    for name, sc in spec.scenarios.items():
        for k in sc.keywords:
            for word in expand(k):
                entries.setdefault(fold(word), []).append(("scenario", name))
    for kind in ("escalate_to_severe", "escalate_to_medium"):
        for k in getattr(spec, kind):
            for word in expand(k):
                entries.setdefault(fold(word), []).append((kind, ""))
    for topic, keywords in spec.topics.items():
        for k in keywords:
            for word in expand(k):
                entries.setdefault(fold(word), []).append(("topic", topic))
    for word, values in entries.items():
        automaton.add_word(word, (word, values))
    automaton.make_automaton()
    after = "|".join(re.escape(fold(w)) for w in sorted(spec.product_after, key=len, reverse=True))
    # Chinese: a short run of ideographs up to punctuation or a verb. English: up to four words,
    # ending before a verb or punctuation ("my new space heater started..." -> "space heater").
    zh = r"[\u4e00-\u9fff]{2,10}?(?=[,.!?;:，。！？；:\s]|$|出现|有|竟然|居然|一直|还|坏|是|不|没|收到|到了)"
    people = (r"(?!(?:daughter|son|wife|husband|kids?|child|children|mother|father|mom|mum|dad|baby|family|"
              r"friend|partner|hand|arm|face|skin|account|order|card|money|refund|email|address|return|returns|"
              r"warranty|policy|question|agent|call)\b)")
    en = (people + r"[a-z][a-z0-9'-]*(?: [a-z][a-z0-9-]*){0,3}?(?=\s*[,.!?;:]|$|\s+(?:arrived|is|was|has|had|keeps|kept|"
          r"stopped|started|began|came|broke|doesn't|won't|isn't|wasn't|does|did|just|never|only|from|that|"
          r"which|and|but|with|caught|smells|smelled|smoked|exploded|leaks|leaked|sparked|overheated|got|went|"
          r"burned|burnt|shocked|melted|cracked|failed|died|i|we|you|he|she|they|it)\b)")
    product_re = re.compile(rf"(?<![a-z])(?:{after})(?![a-z])\s*(?P<p>{zh}|{en})")
    return TriageRules(spec, automaton, product_re)


_ORDER = re.compile(r"(?:订单|訂單|单号|order|#)\s*(?:号|號|編號|编号|no\.?|number|id)?\s*[:：#]?\s*(?P<id>[A-Za-z]{0,4}-?\d[\d-]{4,}[A-Za-z0-9]*)", re.I)
_LONG_ID = re.compile(r"(?<![\d\w])(?P<id>[A-Za-z]{1,4}\d{6,}|\d{8,20})(?![\d\w])")
_NAME = re.compile(r"(?:我(?:是|叫)|my name is|this is)\s*(?P<n>[\u4e00-\u9fff]{2,3}|[A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_SIGN = re.compile(r"(?:^|\n)\s*(?:[-–—]{1,2}\s*|regards,?\s*|thanks,?\s*|best,?\s*)(?P<n>[A-Z][a-z]+(?: [A-Z][a-z]+)?|[\u4e00-\u9fff]{2,3})\s*$", re.I)


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Entities(BaseModel):
    order_id: str | None = None
    product: str | None = None
    date: str | None = None
    amount: str | None = None
    customer_name: str | None = None
    keyword: str | None = None  # the customer's own words that named the problem
    clause: str | None = None  # the clause around them, for restating the problem


class Triage(BaseModel):
    lang: str
    scenario: str
    severity: str
    respond_within: str
    escalate_to: str
    entities: Entities
    topics: list[str] = []  # what the message asks about (triage.yaml), in the order it says it


def triage(message: str, playbook: Playbook, *, lang: str | None = None, order_id: str | None = None,
           customer_name: str | None = None) -> Triage:
    """Read a message with the playbook's triage rules; its policy sets the severity tiers."""
    c, policy = playbook.triage_rules, playbook.policy
    lang = lang or detect_lang(message)
    norm = normalize(message, "zh-Hant" if lang == "zh-Hant" else lang).text
    first: dict[str, int] = {}
    keyword_at: dict[str, tuple[int, int]] = {}
    escalate = set()
    topics: list[str] = []
    for end, (word, values) in c.automaton.iter(norm):
        start = end - len(word) + 1
        if _ascii_word(word[0]) and start > 0 and _ascii_word(norm[start - 1]):
            continue  # "sue" inside "issue"; but "去12315投诉" keeps its keyword
        if _ascii_word(word[-1]) and end + 1 < len(norm) and _ascii_word(norm[end + 1]):
            continue
        for kind, name in values:  # name: a scenario's or a topic's
            if kind == "scenario":
                first.setdefault(name, start)
                keyword_at.setdefault(name, (start, end + 1))
            elif kind == "topic":
                if name not in topics:
                    topics.append(name)
            else:
                escalate.add(kind)
    scenario = next((s for s in c.spec.scenarios if s in first), "other")
    severity = c.spec.scenarios[scenario].severity
    if "escalate_to_severe" in escalate:
        severity = "severe"
    elif "escalate_to_medium" in escalate and severity == "minor":
        severity = "medium"
    tier = policy.severity[severity]

    keyword = clause = None
    if scenario in keyword_at:
        s, e = keyword_at[scenario]
        keyword = message[s:e]  # normalisation keeps offsets for every script we use
        clause = _clause(message, s, e)
    elif message.strip():  # no keyword: the first clause of the message
        clause = _clause(message, 0, 0)
    return Triage(lang=lang, scenario=scenario, severity=severity,
                  respond_within=tier.respond_within, escalate_to=tier.escalate_to,
                  entities=_entities(message, norm, c, playbook.rubric, order_id, customer_name,
                                     keyword, clause),
                  topics=topics)


def _entities(message: str, norm: str, c: TriageRules, rubric, order_id: str | None,
              customer_name: str | None, keyword: str | None, clause: str | None) -> Entities:
    if not order_id:
        # a number is the order's only if it is no one's phone, QQ, ID or passport ("passport # A0391…")
        personal = find_pii(message)
        m = next((x for x in (*_ORDER.finditer(message), *_LONG_ID.finditer(message))
                  if not any(s < x.end("id") and x.start("id") < e for _, s, e in personal)), None)
        order_id = m.group("id") if m else None
    product = None
    m = c.product_re.search(norm)
    if m:
        s, e = m.span("p")
        product = message[s:e].strip() or None
        if product and keyword and keyword in product:  # "咖啡机漏水了" -> "咖啡机"
            product = product[:product.index(keyword)].strip() or None
    date = amount = None
    for m in rubric.recognisers["reference"].finditer(norm):
        text = message[m.start():m.end()]
        if not re.fullmatch(r"[A-Za-z]{0,4}-?\d{5,}[A-Za-z0-9]*|#\s?\d{4,}", text):
            date = text
            break
    m = rubric.recognisers["amount"].search(norm)
    if m:
        amount = message[m.start():m.end()]
    if not customer_name:
        m = _NAME.search(message) or _SIGN.search(message.strip())
        customer_name = m.group("n") if m else None
    return Entities(order_id=order_id, product=product, date=date, amount=amount,
                    customer_name=customer_name, keyword=keyword, clause=clause)


_CLAUSE_END = re.compile(r"[,，.。!！?？;；:：\n\"“”「」()（）]")


def _clause(message: str, s: int, e: int) -> str | None:
    """The customer's clause around a keyword (their own words): up to the nearest clause
    punctuation, at most 24 characters (Chinese) or 60 (English, cut at a word) each side."""
    limit = 24 if _CJK.search(message[s:e] or message) else 60
    left = s
    while left > 0 and s - left < limit and not _CLAUSE_END.match(message[left - 1]):
        left -= 1
    right = e
    while right < len(message) and right - e < limit and not _CLAUSE_END.match(message[right]):
        right += 1
    if limit == 60:  # do not cut a word in two
        while left < s and left > 0 and message[left - 1].isalnum():
            left += 1
        while right > e and right < len(message) and message[right].isalnum():
            right -= 1
    clause = message[left:right].strip()
    return clause if 2 <= len(clause) <= 2 * limit else None


_CJK = re.compile(r"[\u4e00-\u9fff]")
