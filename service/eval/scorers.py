"""Scorers: each looks at one draft for one golden case and returns pass, a score from 0 to 1
and a reason a person can act on. The judge scorer (a model) lives in runner.py because it
is asynchronous and costs money; everything here is deterministic and offline.

    structure      the four sections present, in order
    rubric         no error finding from the checker (the draft's own review, grounding included)
    facts          every required fact present, every forbidden string absent
    concreteness   the remedy carries a time the policy sets
    similarity     chrF on characters against the golden reply (no segmenter needed)
    language       the draft's language and script are the ticket's

For real-style tickets (eval/cases_real.yaml), from the case's own fields; a case without the
field passes them with the reason "not set", so the older cases are scored as before:

    scenario           triage found the case's `scenarios`, the primary first
    honesty            no claim of a check, call or action that did not happen (rubrics/honesty.yaml)
    no_quoted_insults  none of the case's `insults` and no @handle of the message in the draft
    asks               asks for each fact of `asks`, for none of `asks_not`
    restatement        the restatement holds no insult, and one of `restates` when set
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

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


def _not_set(what: str) -> Score:
    return Score(True, 1.0, f"not set ({what})")


def scenario(case: Case, draft: dict, playbook: Playbook) -> Score:
    """Triage found every issue the case names; the share found, and a pass only when all are
    found and the case's first is the draft's primary scenario."""
    want = case.scenarios
    if not want:
        return _not_set("no scenarios in the case")
    t = draft["triage"]
    found = list(dict.fromkeys([t["scenario"], *(i["scenario"] for i in t.get("issues") or [])]))
    missed = [s for s in want if s not in found]
    score = (len(want) - len(missed)) / len(want)
    parts = []
    if missed:
        parts.append("missed: " + ", ".join(missed))
    if t["scenario"] != want[0]:
        parts.append(f"primary {t['scenario']}, the case's is {want[0]}")
        score = min(score, (len(want) - 0.5) / len(want))  # found, but not as the main problem
    extra = [s for s in found if s not in want]
    reason = "; ".join(parts) or "found " + ", ".join(want)
    if extra:
        reason += " (also read: " + ", ".join(extra) + ")"
    return Score(not parts, max(score, 0.0), reason)


_HONESTY_DEFAULT = Path(__file__).resolve().parents[2] / "rubrics" / "honesty.yaml"


@functools.cache
def _claims(path: Path) -> tuple[tuple[str, str, re.Pattern], ...]:
    """rubrics/honesty.yaml: (kind, phrase, pattern), zh matched as a substring, en by word."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for kind, by_lang in data.items():
        for lang, phrases in (by_lang or {}).items():
            for phrase in phrases or ():
                norm = _plain(str(phrase))
                pattern = re.escape(norm) if lang == "zh" else rf"(?<![a-z]){re.escape(norm)}(?![a-z])"
                out.append((kind, str(phrase), re.compile(pattern)))
    return tuple(out)


def claims_in(text: str, playbook: Playbook) -> list[tuple[str, str]]:
    """The (kind, phrase) claims of a check, call or action that `text` makes."""
    path = Path(playbook.rubric_dir) / "honesty.yaml"
    plain = _plain(text).replace("\u2019", "'")
    return [(kind, phrase) for kind, phrase, rx in _claims(path if path.is_file() else _HONESTY_DEFAULT)
            if rx.search(plain)]


def honesty(case: Case, draft: dict, playbook: Playbook) -> Score:
    """No check, call or action is claimed: a draft is written before anyone has acted."""
    found = claims_in(draft["text"], playbook)
    if found:
        return Score(False, 0.0, "claims what did not happen: " + ", ".join(
            f"{phrase!r} ({kind})" for kind, phrase in found[:5]))
    return Score(True, 1.0, "claims no check, call or action")


_HANDLE = re.compile(r"(?<![A-Za-z0-9._%+-])@[A-Za-z0-9_\u4e00-\u9fff]{2,}")


def _holds(plain: str, phrase: str) -> bool:
    """Whether folded, simplified `plain` holds `phrase`; a phrase that begins or ends with a
    Latin letter or digit only as a whole word ("yo" is not in "you")."""
    p = _plain(phrase)
    if not p:
        return False
    left = r"(?<![a-z0-9])" if p[0].isascii() and p[0].isalnum() else ""
    right = r"(?![a-z0-9])" if p[-1].isascii() and p[-1].isalnum() else ""
    return re.search(left + re.escape(p) + right, plain) is not None


# JD.com exports put these where a number, name, address or amount was: [数字x], [姓名x], ...
_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fff]{1,4}x\]")


def handles(text: str) -> list[str]:
    return list(dict.fromkeys(_HANDLE.findall(text)))


def no_quoted_insults(case: Case, draft: dict, playbook: Playbook) -> Score:
    """None of the case's insults (profanity, @handles, greetings, filler) is repeated, and no
    @handle of the message is written into the reply."""
    text = _plain(draft["text"])
    banned = list(dict.fromkeys([*case.insults, *handles(case.ticket.message)]))
    if not banned:
        return _not_set("no insults or @handles in the case")
    said = [x for x in banned if _holds(text, x)]
    if said:
        return Score(False, (len(banned) - len(said)) / len(banned), "repeats: " + ", ".join(said))
    return Score(True, 1.0, f"repeats none of {len(banned)}")


# Words by which a sentence names a fact, and the marks of a sentence that asks for something.
# Compared folded and simplified.
_FACT_WORDS = {
    "order_id": ("订单号", "订单编号", "单号", "order number", "order no", "order #", "order id"),
    "photo": ("照片", "相片", "图片", "拍一张", "拍张", "视频", "photo", "picture", "pic of", "image", "video"),
    "account": ("绑定的邮箱", "邮箱", "手机号", "账号绑定", "email address", "email is the account",
                "registered with", "phone number on the account", "account's phone"),
}
_ASKING = ("?", "吗", "方便", "请提供", "请告诉", "告诉我们", "发给我们", "传给我们", "私信我们", "麻烦您",
           "could you", "can you", "would you", "please send", "please share", "please tell", "let us know",
           "send us", "tell us", "dm us", "message us", "which email")
_SENTENCE = re.compile(r"(?<=[。!?;\n])|(?<=[.!?])\s+")


def _asked_facts(text: str, lang: str, playbook: Playbook, severity: str) -> dict[str, str]:
    """The facts the reply asks for, each with the sentence that asks it: one of the policy's
    questions for that fact, rendered, or a sentence that names the fact and asks."""
    plain = _plain(text)
    policy = playbook.policy
    asked: dict[str, str] = {}
    for ask in policy.asks:
        if ask.fact and ask.fact not in asked:
            rendered = _plain(policy.render(ask.text(lang), tier=severity, facts={"charged": None, "product": None}))
            if rendered and rendered in plain:
                asked[ask.fact] = rendered
    for sentence in (x.strip() for x in _SENTENCE.split(plain)):
        if not sentence or not any(m in sentence for m in _ASKING):
            continue
        for fact, words in _FACT_WORDS.items():
            if fact not in asked and any(w in sentence for w in words):
                asked[fact] = sentence
    return asked


def asks(case: Case, draft: dict, playbook: Playbook) -> Score:
    """The reply asks for each fact the ticket lacks (`asks`) and for none it gives (`asks_not`)."""
    if not case.asks and not case.asks_not:
        return _not_set("no asks in the case")
    severity = (draft.get("triage") or {}).get("severity", "minor")
    asked = _asked_facts(draft["text"], draft["lang"], playbook, severity)
    lacking = [f for f in case.asks if f not in asked]
    again = [f for f in case.asks_not if f in asked]
    total = len(case.asks) + len(case.asks_not)
    parts = []
    if lacking:
        parts.append("does not ask for: " + ", ".join(lacking))
    if again:
        parts.append("asks again for what the ticket gives: " + ", ".join(again))
    ok = ", ".join(case.asks) or "nothing"
    return Score(not parts, (total - len(lacking) - len(again)) / total,
                 "; ".join(parts) or f"asks for {ok}; not for {', '.join(case.asks_not) or '-'}")


def restatement_text(draft: dict) -> str | None:
    """The draft's restatement: its section as drafted, or (a reply read back) from the review's
    restatement marker to the next part."""
    text = (draft.get("sections") or {}).get("restatement")
    if text:
        return text
    spans = draft["review"]["sections"]
    span = spans.get("restatement")
    if not span:
        return None
    after = [v[0] for k, v in spans.items() if v and k != "restatement" and v[0] > span[0]]
    return draft["text"][span[0]:max(span[1], min(after, default=len(draft["text"])))]


def restatement(case: Case, draft: dict, playbook: Playbook) -> Score:
    """The restatement carries the ticket's content only: no insult, @handle, greeting or filler
    of the message, and (when the case lists `restates`) one of the problem's key words."""
    banned = list(dict.fromkeys([*case.insults, *handles(case.ticket.message)]))
    if not banned and not case.restates:
        return _not_set("no insults or restates in the case")
    section = restatement_text(draft)
    if not section:
        return Score(False, 0.0, "no restatement section")
    plain = _plain(section)
    said = [x for x in banned if _holds(plain, x)]
    placeholders = list(dict.fromkeys(_PLACEHOLDER.findall(plain)))
    named = [w for w in case.restates if _plain(w) in plain]
    parts = []
    if said:
        parts.append("repeats: " + ", ".join(said))
    if placeholders:  # an export's stand-in for a number, name or address is no one's words
        parts.append("quotes the export's placeholders: " + ", ".join(placeholders))
    if case.restates and not named:
        parts.append("names none of: " + ", ".join(case.restates))
    checks = (1 if banned else 0) + (1 if case.restates else 0)
    score = (checks - (1 if said or placeholders else 0) - (1 if case.restates and not named else 0)) / checks
    return Score(not parts, score, "; ".join(parts) or (
        "the ticket's content only" + (f", names {', '.join(named)}" if named else "")))


SCORERS = {"structure": structure, "rubric": rubric, "facts": facts, "concreteness": concreteness,
           "similarity": similarity, "language": language, "scenario": scenario, "honesty": honesty,
           "no_quoted_insults": no_quoted_insults, "asks": asks, "restatement": restatement}
