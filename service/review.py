"""The reply checker: one reply in, a review out (language, score, sections, findings).

The reply is normalised (text.py), scanned once by the rubric's automaton, and every hit of
a rule phrase is kept or dropped by the rule's conditions, which look only at other hits and
at the time/amount recognisers in the same sentence. Offsets in findings are offsets into the
reply exactly as given.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .errors import InputError, TooLarge
from .rubric import SECTIONS, Cond, Rubric, load_rubric
from .text import LANGS, Normalized, detect_lang, normalize, to_script

__all__ = ["Finding", "Review", "review", "MAX_REPLY_CHARS"]

MAX_REPLY_CHARS = 20_000

# Sentence ends: Chinese and ASCII punctuation (after folding), line breaks, block-level HTML.
_BOUNDARY = re.compile(r"[。!?;\n…]+|\.(?=\s|$)|<br\s*/?>|</(?:p|li|div)>")
_OPEN_QUOTES = frozenset("\"'「『《‘“")
_CLOSE_QUOTES = frozenset("\"'」』》’”")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_WORD = re.compile(r"[a-z][a-z'-]{3,}|\d{3,}")


@dataclass(slots=True)
class Finding:
    rule: str
    category: str
    severity: str
    start: int | None
    end: int | None
    text: str | None
    message: str
    suggestion: str

    def to_dict(self) -> dict:
        return {"rule": self.rule, "category": self.category, "severity": self.severity,
                "start": self.start, "end": self.end, "text": self.text,
                "message": self.message, "suggestion": self.suggestion}


@dataclass(slots=True)
class Review:
    lang: str
    score: int
    passed: bool
    sections: dict[str, list[int] | None]
    findings: list[Finding] = field(default_factory=list)
    rubric_version: str = ""

    def to_dict(self) -> dict:
        return {"lang": self.lang, "score": self.score, "passed": self.passed,
                "sections": self.sections, "findings": [f.to_dict() for f in self.findings],
                "rubric_version": self.rubric_version}


@functools.lru_cache(maxsize=4096)
def _localise(text: str, lang: str) -> str:
    return to_script(text, lang)


class _Scan:
    """Everything known about one normalised text: hits, sentences, times, amounts."""

    __slots__ = ("rubric", "t", "hits", "cond_hits", "bounds", "_times", "_amounts")

    def __init__(self, rubric: Rubric, t: str):
        self.rubric = rubric
        self.t = t
        phrases = rubric.phrases
        hits = []
        n = len(t)
        for end, pid in rubric.automaton.iter(t):
            key, left, right = phrases[pid]
            start = end - len(key) + 1
            if left and start > 0 and t[start - 1].isalnum() and t[start - 1].isascii():
                continue
            if right and end + 1 < n and t[end + 1].isalnum() and t[end + 1].isascii():
                continue
            hits.append((start, end + 1, pid))
        self.hits = hits
        # Hits that may satisfy a condition: not those inside a longer rule phrase, so that
        # "是我们的错" inside "不是我们的错" does not count as owning the problem.
        triggers = rubric.triggers
        longer = [(hs, he) for hs, he, pid in hits if pid in triggers]
        self.cond_hits = [h for h in hits
                          if not any(ls <= h[0] and h[1] <= le and le - ls > h[1] - h[0]
                                     for ls, le in longer)] if longer else hits
        self.bounds = [m.end() for m in _BOUNDARY.finditer(t)]
        self._times: list[tuple[int, int]] | None = None
        self._amounts: list[tuple[int, int]] | None = None

    def sentence(self, pos: int) -> int:
        return bisect_right(self.bounds, pos)

    def sentence_span(self, k: int) -> tuple[int, int]:
        start = self.bounds[k - 1] if k > 0 else 0
        end = self.bounds[k] if k < len(self.bounds) else len(self.t)
        return start, end

    @property
    def times(self) -> list[tuple[int, int]]:
        if self._times is None:
            self._times = [m.span() for m in self.rubric.signals["time"].finditer(self.t)]
        return self._times

    @property
    def amounts(self) -> list[tuple[int, int]]:
        if self._amounts is None:
            self._amounts = [m.span() for m in self.rubric.signals["amount"].finditer(self.t)]
        return self._amounts

    def quoted(self, s: int, e: int) -> bool:
        """The span opens right after a quotation mark that closes later in the sentence."""
        t = self.t
        if s == 0 or t[s - 1] not in _OPEN_QUOTES:
            return False
        _, end = self.sentence_span(self.sentence(s))
        return any(ch in _CLOSE_QUOTES for ch in t[e:end])

    def holds(self, c: Cond, s: int, e: int) -> bool:
        """True when any part of the condition holds around the span [s, e)."""
        k = self.sentence(s)
        sentence = self.sentence
        for hs, he, pid in self.cond_hits:
            if hs >= s and he <= e:  # the match itself
                continue
            if pid in c.before and hs < s and he <= e and s - he <= c.window and sentence(hs) == k:
                return True
            if pid in c.after and hs >= s and he > e and hs - e <= c.window and sentence(hs) == k:
                return True
            if pid in c.sentence and sentence(hs) == k:
                return True
        if c.time and any(sentence(ts) == k for ts, _ in self.times):
            return True
        if c.amount and any(sentence(as_) == k for as_, _ in self.amounts):
            return True
        if c.quoted and self.quoted(s, e):
            return True
        return False


def _check_input(reply: str, lang: str | None) -> None:
    if not isinstance(reply, str) or not reply.strip():
        raise InputError("reply is empty", field="reply")
    if len(reply) > MAX_REPLY_CHARS:
        raise TooLarge(f"reply is {len(reply)} characters; the limit is {MAX_REPLY_CHARS}",
                       field="reply")
    if lang is not None and lang not in LANGS:
        raise InputError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}", field="lang")


def review(reply: str, complaint: str | None = None, lang: str | None = None,
           rubric: Rubric | None = None) -> Review:
    """Review one reply. Raises InputError on an empty or oversized reply or an unknown lang."""
    _check_input(reply, lang)
    rubric = rubric or load_rubric()
    lang = lang or detect_lang(reply)
    norm = normalize(reply, lang)
    scan = _Scan(rubric, norm.text)

    findings = _phrase_findings(rubric, scan, norm, lang)
    sections, structure = _structure(rubric, scan, norm, lang, complaint)
    findings.extend(structure)
    score, passed = _score(rubric, findings)
    return Review(lang, score, passed, sections, findings, rubric.version)


def _phrase_findings(rubric: Rubric, scan: _Scan, norm: Normalized, lang: str) -> list[Finding]:
    candidates: list[tuple[int, int, int, str | None]] = []  # (start, end, rule index, suggestion)
    triggers = rubric.triggers
    rules = rubric.rules
    for s, e, pid in scan.hits:
        for ridx, suggestion in triggers.get(pid, ()):
            candidates.append((s, e, ridx, suggestion))
    if rubric.pattern_rules:
        present = {pid for _, _, pid in scan.hits}
        for ridx in rubric.pattern_rules:
            rule = rules[ridx]
            if rule.when is not None and not (rule.when & present):
                continue
            for m in rule.pattern.finditer(scan.t):
                s, e = m.span("m") if "m" in rule.pattern.groupindex and m.group("m") else m.span()
                candidates.append((s, e, ridx, None))

    kept: list[tuple[int, int, int, str | None]] = []
    for cand in candidates:
        s, e, ridx, _ = cand
        rule = rules[ridx]
        if rule.requires and not all(scan.holds(c, s, e) for c in rule.requires):
            continue
        if rule.unless is not None and scan.holds(rule.unless, s, e):
            continue
        kept.append(cand)

    # One finding per span and category: the longest match wins, then the most severe.
    order = {"error": 0, "warning": 1, "info": 2}
    kept.sort(key=lambda c: (c[0], -(c[1] - c[0]), order[rules[c[2]].severity]))
    taken: dict[str, list[tuple[int, int]]] = {}
    out: list[Finding] = []
    for s, e, ridx, suggestion in kept:
        rule = rules[ridx]
        spans = taken.setdefault(rule.category, [])
        if any(s < te and ts < e for ts, te in spans):
            continue
        spans.append((s, e))
        os_, oe = norm.span(s, e)
        message, suggestion = rule.message, suggestion if suggestion is not None else rule.suggestion
        if lang == "zh-Hant" and rule.lang == "zh":
            message, suggestion = _localise(message, lang), _localise(suggestion, lang)
        out.append(Finding(rule.id, rule.category, rule.severity, os_, oe, norm.original[os_:oe],
                           message, suggestion))
    return out


def _terms(text: str, stop: frozenset[str]) -> set[str]:
    """Specific terms of a text: CJK bigrams, English content words, numbers."""
    terms: set[str] = set()
    for run in _CJK_RUN.findall(text):
        terms.update(run[i:i + 2] for i in range(len(run) - 1))
    for w in _WORD.findall(text):
        w = w.rstrip("'s") if not w.isdigit() else w
        terms.add(w[:-1] if w.endswith("s") and len(w) > 4 else w)
    return terms - stop


@functools.lru_cache(maxsize=256)
def _complaint_terms(rubric: Rubric, complaint: str) -> frozenset[str]:
    stop = _stop_terms(rubric)
    return frozenset(_terms(normalize(complaint, detect_lang(complaint)).text, stop))


@functools.lru_cache(maxsize=8)
def _stop_terms(rubric: Rubric) -> frozenset[str]:
    return frozenset(t.lower() for t in rubric.sections["restatement"].spec.stop_terms)


def _structure(rubric: Rubric, scan: _Scan, norm: Normalized, lang: str,
               complaint: str | None) -> tuple[dict, list[Finding]]:
    marked: dict[str, set[int]] = {name: set() for name in SECTIONS}
    generic_spans = [(s, e) for s, e, pid in scan.hits
                     if pid in rubric.sections["restatement"].generic]
    concrete_sentences: set[int] = set()
    concrete = rubric.sections["remedy"].concrete
    for s, e, pid in scan.hits:
        names = rubric.section_of.get(pid)
        if names:
            for name in names:
                if name == "restatement" and any(gs <= s and e <= ge for gs, ge in generic_spans):
                    continue
                marked[name].add(scan.sentence(s))
        if pid in concrete:  # a remedy already carried out is a concrete remedy
            concrete_sentences.add(scan.sentence(s))
            marked["remedy"].add(scan.sentence(s))
    for m in rubric.signals["reference"].finditer(scan.t):
        marked["restatement"].add(scan.sentence(m.start()))
    contacts = [scan.sentence(m.start()) for m in rubric.signals["contact"].finditer(scan.t)]
    marked["close"].update(contacts)

    if complaint and complaint.strip():
        wanted = _complaint_terms(rubric, complaint)
        stop = _stop_terms(rubric)
        need = rubric.sections["restatement"].spec.min_overlap
        n_sent = len(scan.bounds) + 1
        matching = set()
        for k in range(n_sent):
            a, b = scan.sentence_span(k)
            overlap = len(_terms(scan.t[a:b], stop) & wanted)
            if overlap >= need:
                matching.add(k)
        marked["restatement"] = matching

    time_sentences = {scan.sentence(s) for s, _ in scan.times}
    concrete_remedy = {k for k in marked["remedy"] if k in time_sentences or k in concrete_sentences}

    present = {
        "apology": bool(marked["apology"]),
        "restatement": bool(marked["restatement"]),
        "remedy": bool(concrete_remedy),
        "close": bool(marked["close"]),
    }
    spans: dict[str, list[int] | None] = {}
    for name in SECTIONS:
        ks = concrete_remedy or marked["remedy"] if name == "remedy" else marked[name]
        spans[name] = _span_of(scan, norm, ks) if ks else None

    findings = []
    for name in SECTIONS:
        if present[name]:
            continue
        spec = rubric.sections[name].spec
        key = "en" if lang == "en" else "zh"
        message, suggestion = spec.message[key], spec.suggestion[key]
        if lang == "zh-Hant":
            message, suggestion = _localise(message, lang), _localise(suggestion, lang)
        findings.append(Finding(spec.rule, spec.category, spec.severity, None, None, None,
                                message, suggestion))
    return spans, findings


def _span_of(scan: _Scan, norm: Normalized, sentences: set[int]) -> list[int]:
    a, _ = scan.sentence_span(min(sentences))
    _, b = scan.sentence_span(max(sentences))
    t = scan.t
    while a < b and t[a].isspace():
        a += 1
    while b > a and t[b - 1].isspace():
        b -= 1
    return list(norm.span(a, b))


def _score(rubric: Rubric, findings: list[Finding]) -> tuple[int, bool]:
    spec = rubric.spec
    factor = spec.score.severity_factor
    decay = spec.score.repeat_decay
    seen: dict[str, int] = {}
    cost = 0.0
    for f in findings:
        n = seen.get(f.category, 0)
        seen[f.category] = n + 1
        cost += spec.categories[f.category].weight * factor.get(f.severity, 1.0) * decay ** n
    score = max(0, min(100, round(spec.score.start - cost)))
    return score, not any(f.severity == "error" for f in findings)
