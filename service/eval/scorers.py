"""Scorers: each looks at one draft for one golden case and returns pass, a score from 0 to 1
and a reason a person can act on. The judge scorer (a model) lives in runner.py because it
is asynchronous and costs money; everything here is deterministic and offline.

    structure      the four sections present, in order
    rubric         no error finding from the checker (the draft's own review, grounding included)
    facts          every required fact present, every forbidden string absent
    concreteness   the remedy carries a time the policy sets
    similarity     chrF on characters against the golden reply (no segmenter needed)
    language       the draft's language and script are the ticket's
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..checker.grounding import numbers_in
from ..checker.rubric import SECTIONS
from ..playbook import Playbook
from ..checker.text import detect_lang, fold, normalize, to_simplified
from .cases import Case

__all__ = ["Score", "chrf", "SCORERS", "SECTIONS"]



@dataclass(slots=True)
class Score:
    passed: bool
    score: float
    reason: str

    def to_dict(self) -> dict:
        return {"pass": self.passed, "score": round(self.score, 4), "reason": self.reason}


def _plain(text: str) -> str:
    """For comparing strings across scripts and widths: folded, simplified."""
    return to_simplified(fold(text))


def structure(case: Case, draft: dict, playbook: Playbook) -> Score:
    spans = draft["review"]["sections"]
    text, emergency = draft["text"], draft["sections"].get("emergency")
    if emergency and emergency in text[:len(emergency) + 40]:
        # safety first: the emergency numbers lead by design; the four parts follow them
        from ..checker.review import review

        rest = text[text.index(emergency) + len(emergency):]
        if rest.strip():
            spans = review(rest, complaint=case.ticket.message, lang=draft["lang"], rubric=playbook.rubric).sections
    present = [k for k in SECTIONS if spans.get(k)]
    missing = [k for k in SECTIONS if not spans.get(k)]
    # In order: apology, restatement and remedy begin in that order, and the close comes after
    # the remedy: it begins after the remedy begins, or it ends the reply (a phone script reads
    # the remedy back inside its close; a contact line with opening hours reads as a remedy).
    opening = [k for k in SECTIONS[:3] if k in present]
    ordered = [spans[k][0] for k in opening] == sorted(spans[k][0] for k in opening)
    if "close" in present and opening:
        last = spans[opening[-1]]
        ordered = ordered and (spans["close"][0] >= last[0] or spans["close"][1] >= last[1])
    score = len(present) / len(SECTIONS) - (0 if ordered else 0.25)
    if missing:
        reason = "missing: " + ", ".join(missing)
    elif not ordered:
        reason = "out of order: " + " > ".join(sorted(present, key=lambda k: spans[k][0]))
    else:
        reason = "four sections, in order"
    return Score(not missing and ordered, max(score, 0.0), reason)


def rubric(case: Case, draft: dict, playbook: Playbook) -> Score:
    if draft.get("fallback") and draft.get("fallback_reason"):
        # a model's draft replaced by the offline one: what the model wrote could not go out
        return Score(False, 0.0, f"the model's draft was replaced: {draft['fallback_reason']}")
    findings = draft["review"]["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    if errors:
        reason = "errors: " + "; ".join(
            f"{f['category']}" + (f" \"{f['text']}\"" if f.get("text") else "") for f in errors[:5])
    else:
        warnings = sum(1 for f in findings if f["severity"] == "warning")
        reason = "no error findings" + (f" ({warnings} warnings)" if warnings else "")
    return Score(not errors, draft["review"]["score"] / 100, reason)


def facts(case: Case, draft: dict, playbook: Playbook) -> Score:
    text = _plain(draft["text"])
    missing = [f for f in case.facts if _plain(f) not in text]
    said = [f for f in case.must_not if _plain(f) in text]
    total = len(case.facts) + len(case.must_not)
    if not total:
        return Score(True, 1.0, "no facts to check")
    score = (total - len(missing) - len(said)) / total
    parts = []
    if missing:
        parts.append("missing: " + ", ".join(missing))
    if said:
        parts.append("says what it must not: " + ", ".join(said))
    return Score(not parts, score, "; ".join(parts) or f"all {len(case.facts)} facts, nothing forbidden")


def _policy_times(text: str, lang: str, playbook: Playbook) -> tuple[list[str], list[str]]:
    """Time expressions in `text`: those whose figures the policy sets, and the others."""
    norm = normalize(text, lang)
    allowed = playbook.policy.numbers()
    ok, other = [], []
    for m in playbook.rubric.recognisers["time"].finditer(norm.text):
        s, e = norm.span(*m.span())
        values = numbers_in(m.group(0))
        (ok if values and all(v in allowed for v in values) else other).append(text[s:e])
    return ok, other


def concreteness(case: Case, draft: dict, playbook: Playbook) -> Score:
    text, lang = draft["text"], draft["lang"]
    span = draft["review"]["sections"].get("remedy")
    if not span:
        ok, _ = _policy_times(text, lang, playbook)
        return Score(False, 0.25 if ok else 0.0, "no remedy section" + (
            f"; a policy time elsewhere: {ok[0]}" if ok else ""))
    # the remedy runs until the next part begins (sentences between carry no marker of their own)
    after = [v[0] for k, v in draft["review"]["sections"].items() if v and k != "remedy" and v[0] > span[0]]
    end = max(span[1], min(after, default=len(text)))
    ok, other = _policy_times(text[span[0]:end], lang, playbook)
    if ok:
        return Score(True, 1.0, "remedy time from the policy: " + ", ".join(dict.fromkeys(ok)))
    elsewhere, _ = _policy_times(text, lang, playbook)
    if elsewhere:
        return Score(False, 0.5, f"the remedy has no time; the policy time {elsewhere[0]!r} is elsewhere")
    if other:
        return Score(False, 0.25, "the remedy's time is not one the policy sets: " + ", ".join(other))
    return Score(False, 0.0, "the remedy carries no time")


_SPACE = re.compile(r"\s+")


def _ngrams(text: str, n: int) -> Counter:
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def chrf(hypothesis: str, reference: str, max_n: int = 6, beta: float = 2.0) -> float:
    """chrF (Popović 2015): the character n-gram F-score for n = 1..6, whitespace removed,
    precision and recall averaged over n, recall weighted by beta. 0..1."""
    hyp, ref = _SPACE.sub("", hypothesis), _SPACE.sub("", reference)
    if not hyp or not ref:
        return 1.0 if hyp == ref else 0.0
    precisions, recalls = [], []
    for n in range(1, max_n + 1):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        if not h or not r:
            continue
        common = sum((h & r).values())
        precisions.append(common / sum(h.values()))
        recalls.append(common / sum(r.values()))
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r)


def similarity(case: Case, draft: dict, playbook: Playbook) -> Score:
    value = chrf(_plain(draft["text"]), _plain(case.golden))
    return Score(True, value, f"chrF {value:.2f} against the golden reply")


def language(case: Case, draft: dict, playbook: Playbook) -> Score:
    want = case.ticket.lang
    got = detect_lang(draft["text"])
    if got == want:
        return Score(True, 1.0, f"{got}, as the ticket")
    return Score(False, 0.0, f"the draft is {got}; the ticket is {want}")


SCORERS = {"structure": structure, "rubric": rubric, "facts": facts, "concreteness": concreteness,
           "similarity": similarity, "language": language}
