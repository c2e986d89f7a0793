"""The grounding check: a draft may promise only what the policy or the ticket's own facts
hold. Every amount of money, every number inside a time expression and every link in the
draft is checked; what is not grounded becomes an error finding (category `ungrounded`)."""

from __future__ import annotations

import re

from .policy import Policy
from .review import Finding
from .rubric import load_rubric
from .text import fold, normalize, to_script
from .triage import Triage

__all__ = ["check", "numbers_in"]

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)|\bhttps?://[^\s)\]>\"'，。、；]+|\bwww\.[^\s)\]>\"'，。、；]+", re.I)
_CN_NUM = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "半": 0.5}


def numbers_in(text: str) -> list[float]:
    out = [float(n) for n in _NUMBER.findall(text.replace(",", ""))]
    out += [float(_CN_NUM[c]) for c in text if c in _CN_NUM]
    return out


def _message(kind: str, lang: str, value: str) -> tuple[str, str]:
    zh = lang.startswith("zh")
    if kind == "amount":
        return (("金额“%s”不在政策或工单里,不能承诺" % value, "改用政策允许的补偿金额") if zh else
                (f'The amount "{value}" is not in the policy or the ticket.', "use an amount the policy allows"))
    if kind == "time":
        return (("时间“%s”不在政策里,不能承诺" % value, "改用政策规定的处理时限") if zh else
                (f'The time "{value}" is not one the policy sets.', "use a time the policy sets"))
    return (("链接或图片“%s”不在政策允许的链接里" % value, "删除该链接") if zh else
            (f'The link or image "{value}" is not one the policy allows.', "remove it"))


def check(text: str, policy: Policy, triage: Triage, lang: str) -> list[Finding]:
    rubric = load_rubric()
    # the recognisers are written in simplified Chinese: a traditional draft is converted first
    # (with an offset map when a conversion changes the length)
    norm = normalize(text, lang)
    facts = policy.numbers()
    e = triage.entities
    for value in (e.order_id, e.date):
        if value:
            facts.update(numbers_in(value))
    money_ok = {round(v, 2) for v in (policy.compensation[t].coupon for t in policy.compensation)}
    money_ok |= {round(policy.compensation[triage.severity].cap, 2)}
    if e.amount and triage.scenario == "billing":  # refunding what was charged
        money_ok.update(round(v, 2) for v in numbers_in(e.amount))

    findings: list[Finding] = []

    def add(kind: str, s: int, end: int) -> None:
        value = text[s:end]
        message, suggestion = _message(kind, lang, value)
        if lang == "zh-Hant":
            message, suggestion = to_script(message, lang), to_script(suggestion, lang)
        findings.append(Finding(f"grounding.{kind}", "ungrounded", "error", s, end, value,
                                message, suggestion))

    allowed_links = {fold(u).rstrip("/") for u in policy.links.values()}
    link_spans = []
    for m in _LINK.finditer(text):
        s, end = m.span()
        while end > s and text[end - 1] in ".,;:!?)" and not text.startswith("![", s):  # punctuation after a link
            end -= 1
        link_spans.append((s, end))
        if fold(text[s:end]).rstrip("/") not in allowed_links:
            add("link", s, end)

    def inside_link(s: int) -> bool:
        return any(a <= s < b for a, b in link_spans)

    for m in rubric.signals["amount"].finditer(norm.text):
        s, end = norm.span(*m.span())
        if inside_link(s):
            continue
        values = numbers_in(m.group(0))
        if values and not all(round(v, 2) in money_ok for v in values):
            add("amount", s, end)
    for m in rubric.signals["time"].finditer(norm.text):
        s, end = norm.span(*m.span())
        if inside_link(s):
            continue
        values = numbers_in(m.group(0))
        if values and not all(v in facts for v in values):
            add("time", s, end)
    return findings
