"""The reply checker: one reply in, a review out (language, score, sections, findings).

The reply is normalised (text.py), scanned once by the rubric's automaton, and every hit of
a rule phrase is kept or dropped by the rule's conditions, which look only at other hits and
at the time/amount recognisers in the same sentence. Offsets in findings are offsets into the
reply exactly as given.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ..errors import InputError, TooLarge, Unsupported
from .rubric import SECTIONS, Cond, Rubric
from .languages import LANGUAGES
from .text import unsupported_script
from .text import LANGS, Normalized, detect_lang, lang_of_counts, normalize, script_counts, to_script

__all__ = ["Finding", "Review", "review", "review_dict", "analyse", "score_keys", "score_of", "ALL_PARTS", "MAX_REPLY_CHARS"]

MAX_REPLY_CHARS = 20_000

# Sentence ends in a reply as given: Chinese and ASCII punctuation, line breaks, block-level
# HTML. On folded text (text.fold) this is
#     [。!?;\n…]+ | \.(?=\s|$) | <br\s*/?> | </(?:p|li|div)>
# and it is written here for the text before folding, so that a sentence seen before needs
# no folding at all: every character that folds to one of those is in its class (！ for !,
# Ｂ and B for b). It begins with one character class, so that re skips to the next
# candidate character in C instead of trying every alternative at every position.
_END = "。!?;\n…！？；"
_BOUNDARY = re.compile(
    rf"[{_END}<＜.．](?:(?<=[{_END}])[{_END}]*|(?<=[.．])(?=\s|$)"
    r"|(?<=[<＜])(?:[bBｂＢ][rRｒＲ]\s*[/／]?|[/／](?:[pPｐＰ]|[lLｌＬ][iIｉＩ]|[dDｄＤ][iIｉＩ][vVｖＶ]))[>＞])")


def _letter(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


_QUOTES = {'"': '"', "'": "'", "「": "」", "『": "』", "《": "》", "‘": "’", "“": "”"}
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
    # each part: "present", "missing" (required and absent) or "n/a" (not asked of this reply)
    structure: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"lang": self.lang, "score": self.score, "passed": self.passed,
                "sections": self.sections, "structure": self.structure,
                "findings": [f.to_dict() for f in self.findings], "rubric_version": self.rubric_version}


# the parts of a reply a sentence can hold, by index: SECTIONS, then a remedy with no time
# and nothing already carried out (it counts only when the reply has no other remedy)
_PART_INDEX = {name: i for i, name in enumerate(SECTIONS)}
_RESTATEMENT, _REMEDY, _CLOSE = _PART_INDEX["restatement"], _PART_INDEX["remedy"], _PART_INDEX["close"]
_LOOSE_REMEDY = len(SECTIONS)
ALL_PARTS = frozenset(SECTIONS)  # what a complete reply (an email, a phone script) holds


def _hant(rubric: Rubric, text: str) -> str:
    """A Chinese message of the rubric in traditional script: converted when the rubric was
    compiled, so that reviewing needs no OpenCC phrase dictionary (70 ms to load)."""
    found = rubric.hant.get(text)
    return found if found is not None else to_script(text, "zh-Hant")


class _Sentence:
    """The analysis of one normalised sentence: its findings, the parts of a reply it holds,
    and lazily its signals. Every rule condition is sentence-local, so this is a pure function
    of (rubric, sentence text) and is memoised across replies: helpdesk replies are built
    from macros and repeat the same sentences all day. What only the analysis itself needs
    (the phrase hits) is dropped when it is done, to keep the memo small."""

    __slots__ = ("rubric", "t", "seen", "hits", "_cond_hits", "_found", "_terms", "found",
                 "parts", "keys")

    def __init__(self, rubric: Rubric, norm: Normalized, hant: bool):
        self.rubric = rubric
        self.t = t = norm.text
        phrases = rubric.phrases
        screens_from = rubric.screens_from
        hits = []
        self.seen = seen = set()  # every phrase id the scan saw, screen strings included
        n = len(t)
        for end, pid in rubric.automaton.iter(t):
            seen.add(pid)
            if pid >= screens_from:
                continue
            key, left, right = phrases[pid]
            start = end - len(key) + 1
            if left and start > 0 and t[start - 1].isalnum() and t[start - 1].isascii():
                continue
            if right and end + 1 < n and t[end + 1].isalnum() and t[end + 1].isascii():
                continue
            hits.append((start, end + 1, pid))
        self.hits: list | None = hits
        self._cond_hits: list | None = None
        self._found: dict[str, bool] | None = None
        self._terms: frozenset[str] | None = None
        self.found = _finding_parts(rubric, _match_rules(rubric, self), norm, hant)
        sections, concrete = _section_marks(rubric, hits)
        self.parts = tuple(sorted(
            _LOOSE_REMEDY if name == "remedy" and not (concrete or self.has("time"))
            else _PART_INDEX[name] for name in sections))
        self.keys = tuple(_key(rubric, f["category"], f["severity"]) for _, _, f in self.found)
        self.hits = self._cond_hits = None

    @property
    def cond_hits(self) -> list[tuple[int, int, int]]:
        """Hits that may satisfy a condition: not those inside a longer rule phrase, so that
        "是我们的错" inside "不是我们的错" does not count as owning the problem."""
        if self._cond_hits is None:
            triggers, wanted = self.rubric.triggers, self.rubric.cond_pids
            longer = [(hs, he) for hs, he, pid in self.hits if pid in triggers]
            self._cond_hits = [h for h in self.hits if h[2] in wanted and
                               not any(ls <= h[0] and h[1] <= le and le - ls > h[1] - h[0]
                                       for ls, le in longer)]
        return self._cond_hits

    def has(self, kind: str) -> bool:
        """Whether the sentence holds a time, amount, contact or reference (searched once)."""
        if self._found is None:
            self._found = {}
        found = self._found.get(kind)
        if found is None:
            found = self._found[kind] = self.rubric.recognisers[kind].found_in(self.t, self.seen)
        return found

    def terms(self, stop: frozenset[str]) -> frozenset[str]:
        if self._terms is None:
            self._terms = frozenset(_terms(self.t, stop))
        return self._terms

    def quoted(self, s: int, e: int) -> bool:
        """The span stands inside a quotation in the sentence: reported speech, not the agent's
        own words. A quote mark opens when it does not follow a letter (so the apostrophe of
        "don't" is no quote) and closes when no letter follows it."""
        t = self.t
        for i in range(s - 1, -1, -1):
            q = t[i]
            if q in _QUOTES and not (i > 0 and _letter(t[i - 1]) and q in "'\""):
                close = _QUOTES[q]
                if close in t[i + 1:s] and close != q:
                    return False
                for j in range(e, len(t)):
                    if t[j] == close and not (j + 1 < len(t) and _letter(t[j + 1])):
                        return True
                return False
        return False

    def holds(self, c: Cond, s: int, e: int) -> bool:
        """True when any part of the condition holds around the span [s, e)."""
        for hs, he, pid in self.cond_hits:
            if hs >= s and he <= e:  # the match itself
                continue
            if pid in c.before and hs < s and he <= e and s - he <= c.window:
                return True
            if pid in c.after and hs >= s and he > e and hs - e <= c.window:
                return True
            if pid in c.sentence:
                return True
        if c.time and self.has("time"):
            return True
        if c.amount and self.has("amount"):
            return True
        if c.quoted and self.quoted(s, e):
            return True
        return False


_ORDER = {"error": 0, "warning": 1, "info": 2}


def _match_rules(rubric: Rubric, sent: _Sentence) -> list[tuple[int, int, int, str | None]]:
    """Rule matches in a sentence that survive their conditions, one per span and category:
    the longest match wins, then the earliest, then the most severe."""
    rules = rubric.rules
    candidates: list[tuple[int, int, int, str | None]] = []
    triggers = rubric.triggers
    for s, e, pid in sent.hits:
        for ridx, suggestion in triggers.get(pid, ()):
            candidates.append((s, e, ridx, suggestion))
    if rubric.pattern_rules:
        present = {pid for _, _, pid in sent.hits}
        for ridx in rubric.pattern_rules:
            rule = rules[ridx]
            if rule.when is not None and not (rule.when & present):
                continue
            for m in rule.pattern.finditer_in(sent.t, sent.seen):
                candidates.append((*m.span(), ridx, None))
    if not candidates:
        return []
    kept = []
    for cand in candidates:
        s, e, ridx, _ = cand
        rule = rules[ridx]
        if rule.requires and not all(sent.holds(c, s, e) for c in rule.requires):
            continue
        if rule.unless is not None and sent.holds(rule.unless, s, e):
            continue
        kept.append(cand)
    # a rule that waits on the customer's words may be dropped once the reply is known
    # (analyse), so it never takes a span from a rule that does not
    kept.sort(key=lambda c: (rules[c[2]].customer is not None, -(c[1] - c[0]), c[0],
                             _ORDER[rules[c[2]].severity]))
    taken: dict[str, list[tuple[int, int]]] = {}
    out = []
    for cand in kept:
        s, e = cand[0], cand[1]
        spans = taken.setdefault(rules[cand[2]].category, [])
        if any(s < te and ts < e for ts, te in spans):
            continue
        spans.append((s, e))
        out.append(cand)
    out.sort(key=lambda c: (c[0], c[1]))
    return out


def _section_marks(rubric: Rubric, hits) -> tuple[frozenset[str], bool]:
    """The parts of a reply a sentence's markers put it in, and whether it holds a remedy
    that is already carried out (concrete without a time)."""
    section_of = rubric.section_of
    generic = rubric.sections["restatement"].generic
    concrete_ids = rubric.sections["remedy"].concrete
    names: set[str] = set()
    concrete = False
    generic_spans = None
    for s, e, pid in hits:
        marks = section_of.get(pid)
        if marks:
            for name in marks:
                if name == "restatement":
                    if generic_spans is None:
                        generic_spans = [(gs, ge) for gs, ge, g in hits if g in generic]
                    if any(gs <= s and e <= ge for gs, ge in generic_spans):
                        continue
                names.add(name)
        if pid in concrete_ids:
            concrete = True
            names.add("remedy")
    return frozenset(names), concrete


def _finding_parts(rubric: Rubric, matches, norm: Normalized, hant: bool) -> tuple:
    """A sentence's findings as (start, end, the finding's fields), with offsets into the
    sentence as given and messages in its script: a review only adds the sentence's place in
    the reply to start and end."""
    rules = rubric.rules
    out = []
    for s, e, ridx, suggestion in matches:
        rule = rules[ridx]
        os_, oe = norm.span(s, e)
        message = rule.message
        suggestion = suggestion if suggestion is not None else rule.suggestion
        if hant and rule.lang == "zh":
            message, suggestion = _hant(rubric, message), _hant(rubric, suggestion)
        out.append((os_, oe, {"rule": rule.id, "category": rule.category, "severity": rule.severity,
                              "start": os_, "end": oe, "text": norm.original[os_:oe],
                              "message": message, "suggestion": suggestion}))
    return tuple(out)


class _Piece:
    """A sentence of a reply exactly as given, memoised across replies: its script counts
    (a reply's language is the sum of its sentences') and, per script, its analysis. A
    sentence seen before costs a dictionary lookup: no folding, no OpenCC, no matching."""

    __slots__ = ("raw", "lead", "trail", "counts", "plain", "hant")

    def __init__(self, raw: str):
        self.raw = raw
        # a part's span leaves out the whitespace around its sentences
        self.lead = len(raw) - len(raw.lstrip())
        self.trail = len(raw) - len(raw.rstrip()) if self.lead < len(raw) else 0
        self.counts: tuple[int, int, int, int] | None = None  # script_counts, when needed
        self.plain: _Sentence | None = None  # the analysis as simplified Chinese or English
        self.hant: _Sentence | None = None  # as traditional Chinese

    def sentence(self, rubric: Rubric, hant: bool) -> _Sentence:
        """The analysis in this script, made on first use."""
        sent = self.hant if hant else self.plain
        return sent if sent is not None else self.analyse(rubric, hant)

    def analyse(self, rubric: Rubric, hant: bool) -> _Sentence:
        sent = _Sentence(rubric, normalize(self.raw, "zh-Hant" if hant else "zh-Hans"), hant)
        if hant:
            self.hant = sent
        else:
            self.plain = sent
        return sent


SENTENCE_MEMO_SIZE = 4_000  # sentences per generation of the memo


class _Memo:
    """Sentences seen lately, in two generations: when the young one is full it becomes the
    old one, and a sentence found in the old one moves back to the young. A macro sentence
    used at least once in every 4,000 new sentences stays; a reply's one-off sentences (order
    numbers, dates) drop out after two generations, so memory stays flat (under 20 MB) on a
    file of any size. Small generations also keep the memo nearer the CPU: with 10,000 the
    100k benchmark ran 3-14% slower in interleaved runs."""

    __slots__ = ("young", "old")

    def __init__(self) -> None:
        self.young: dict[str, _Piece] = {}
        self.old: dict[str, _Piece] = {}

    def recall(self, raw: str) -> _Piece:
        """The piece for a sentence not in the young generation."""
        piece = self.old.pop(raw, None) or _Piece(raw)
        if len(self.young) >= SENTENCE_MEMO_SIZE:
            self.old, self.young = self.young, {}
        self.young[raw] = piece
        return piece


def _pieces(rubric: Rubric, reply: str) -> list[tuple[int, int, _Piece]]:
    """The sentences of a reply as given, with their memoised pieces."""
    memo = rubric.memo
    if memo is None:
        memo = rubric.memo = _Memo()
    young = memo.young
    out = []
    a = 0
    for m in _BOUNDARY.finditer(reply):
        b = m.end()  # > a: matches are never empty
        raw = reply[a:b]
        out.append((a, b, young.get(raw) or memo.recall(raw)))
        a = b
    if a < len(reply):
        raw = reply[a:]
        out.append((a, len(reply), young.get(raw) or memo.recall(raw)))
    return out


def _lang(reply: str, pieces) -> str:
    if reply.isascii():
        return "en"
    cjk = latin = trad = simp = 0
    for _, _, piece in pieces:
        counts = piece.counts
        if counts is None:
            counts = piece.counts = script_counts(piece.raw)
        c, la, t, si = counts
        cjk += c
        latin += la
        trad += t
        simp += si
    return lang_of_counts(reply, cjk, latin, trad, simp)


def _check_input(reply: str, lang: str | None) -> None:
    if not isinstance(reply, str) or not reply.strip():
        raise InputError("reply is empty", field="reply")
    if len(reply) > MAX_REPLY_CHARS:
        raise TooLarge(f"reply is {len(reply)} characters; the limit is {MAX_REPLY_CHARS}",
                       field="reply")
    if lang is not None and lang not in LANGS:
        raise InputError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}", field="lang")
    if lang is None:
        script = unsupported_script(reply)
        if script:  # the Chinese and English rules would read it wrong
            raise Unsupported(f"the reply is written in {script}, which tactful does not review "
                              f"(it reviews {', '.join(LANGS)}); pass lang to review it anyway", field="lang")


def _required(rubric: Rubric | None) -> Rubric:
    if rubric is None:  # the caller's settings name the rubric: there is no default one
        raise TypeError("the rubric is required: pass Playbook.rubric or load_rubric(settings.rubric_dir)")
    return rubric


def review(reply: str, complaint: str | None = None, lang: str | None = None,
           rubric: Rubric | None = None, required: frozenset[str] = ALL_PARTS) -> Review:
    """Review one reply against `rubric` (required). `required`: the parts this reply must
    hold (all four for an email; see checker/conversation.py for chat turns). Raises
    InputError on an empty or oversized reply or an unknown lang."""
    rubric = _required(rubric)
    lang, spans, findings, keys, structure = analyse(reply, complaint, lang, rubric, required)
    score, passed = score_of(rubric, keys)
    return Review(lang, score, passed, spans, [Finding(**f) for f in findings], rubric.version, structure)


def review_dict(reply: str, complaint: str | None = None, lang: str | None = None,
                rubric: Rubric | None = None, required: frozenset[str] = ALL_PARTS) -> dict:
    """`review(...).to_dict()`, built without the objects in between (the batch's hot path)."""
    rubric = _required(rubric)
    lang, spans, findings, keys, structure = analyse(reply, complaint, lang, rubric, required)
    score, passed = score_of(rubric, keys)
    return {"lang": lang, "score": score, "passed": passed, "sections": spans, "structure": structure,
            "findings": findings, "rubric_version": rubric.version}


def analyse(reply: str, complaint: str | None, lang: str | None, rubric: Rubric,
            required: frozenset[str] = ALL_PARTS):
    """Language, sections, findings (as dicts), their score keys and the structure outcome of
    each part, before scoring (so that check_reply can add the grounding findings and score
    once). A part not in `required` that is absent is "n/a", not a finding (in a chat turn, a
    promise with no time is the vague_promise rules' to find). One pass over the memoised
    sentences; this is the batch's hot path."""
    _check_input(reply, lang)
    pieces = _pieces(rubric, reply)
    if lang is None:
        lang = _lang(reply, pieces)
    hant = lang == "zh-Hant"
    sents = []
    findings = []
    keys = []
    stops = None  # the full stop of each piece, once a finding needs them
    first: list[int | None] = [None] * (_LOOSE_REMEDY + 1)
    last = [0] * (_LOOSE_REMEDY + 1)
    for k, (a, _, piece) in enumerate(pieces):
        sent = piece.sentence(rubric, hant)
        sents.append(sent)
        for i in sent.parts:
            if first[i] is None:
                first[i] = k
            last[i] = k
        if sent.found:
            if stops is None and len(pieces) > 1:  # (one piece has no neighbours to look at)
                stops = _stops(reply, pieces)
            for (s, e, f), key in zip(sent.found, sent.keys):
                # what clears a finding may stand in the clause next to it: the time of a
                # promise ("预计5号到货,尽快为您安排发货"), the alternative to a refusal ("不能修改的
                # 呢 您可以在设置里修改")
                if _cleared_nearby(rubric, f, pieces, sents, stops, k, hant):
                    continue
                if not _answers_customer(rubric, f["rule"], complaint):
                    continue
                if len(pieces) > 1 and f["rule"] in _alone_rules(rubric) and _says_more(pieces, k):
                    continue
                f = f.copy()
                f["start"] = a + s
                f["end"] = a + e
                findings.append(f)
                keys.append(key)
    if complaint and complaint.strip():
        _restated(rubric, complaint, sents, first, last)
    elif first[_RESTATEMENT] is None:  # an order number or a date restates the problem too
        _find(sents, "reference", _RESTATEMENT, first, last)
    if first[_CLOSE] is None:  # a phone number or an email is a contact
        _find(sents, "contact", _CLOSE, first, last)
    spans = {}
    structure = {}
    for i, name in enumerate(SECTIONS):
        k = first[i]
        if k is None:
            loose = i == _REMEDY and first[_LOOSE_REMEDY] is not None  # a remedy with no time
            if name in required:
                finding, key = _missing(rubric, name, lang)
                keys.append(key)
                findings.append(finding.copy())
                structure[name] = "missing"
            else:
                structure[name] = "n/a"
            if loose:
                k, i = first[_LOOSE_REMEDY], _LOOSE_REMEDY
            else:
                spans[name] = None
                continue
        else:
            structure[name] = "present"
        a, _, piece = pieces[k]
        _, b, end = pieces[last[i]]
        spans[name] = [a + piece.lead, b - end.trail]
    return lang, spans, findings, keys, structure


@functools.lru_cache(maxsize=8)
def _conditions(rubric: Rubric) -> dict:
    """Each rule's `unless` that another sentence can satisfy, by rule id."""
    return {r.id: r.unless for r in rubric.rules
            if r.unless is not None and (r.unless.time or r.unless.sentence or r.unless.after or r.unless.around)}


_FULL_STOP = frozenset("。！？!?.；;")
_ASKS = frozenset("?？")
_CLAUSES = 6  # how many clauses of the same sentence, each way, a finding's condition looks at


def _stops(reply: str, pieces: list) -> list[str]:
    """The full stop each sentence piece ends with ("" for a comma, a space or nothing)."""
    out = []
    for a, b, _ in pieces:
        ch = reply[b - 1] if b > a else ""
        if ch.isspace():
            ch = reply[a:b].rstrip()[-1:]
        out.append(ch if ch in _FULL_STOP else "")
    return out


def _cleared_nearby(rubric: Rubric, finding: dict, pieces: list, sents: list, stops: list[str], k: int,
                    hant: bool) -> bool:
    """Whether another clause of the same sentence (clauses are cut at a comma or a space,
    not a full stop) clears a finding in clause k: it holds a time (for a rule a time clears)
    or one of the rule's `unless: sentence` phrases, or a clause after it holds one of its
    `unless: after` phrases. The sentence before or after, across a full stop, clears it with
    one of its `unless: around` phrases ("Please DM the tracking number. We will look into
    this."); a promise right after a question waits on the customer's answer ("Which store
    was it? I'll get this sorted."); and its time may come in the sentence after ("我为您反馈
    到专员处理。我们会在24小时内回电")."""
    n = len(pieces)
    if n == 1:
        return False
    c = _conditions(rubric).get(finding["rule"])
    if c is None:
        return False
    lo = hi = k  # the clauses of k's sentence, at most _CLAUSES each way
    while lo > 0 and not stops[lo - 1] and k - lo < _CLAUSES:
        lo -= 1
    while hi + 1 < n and not stops[hi] and hi - k < _CLAUSES:
        hi += 1
    vague = finding["category"] == "vague_promise"
    if lo == hi and not c.around and not (vague and (c.time or (lo > 0 and stops[lo - 1] in _ASKS))):
        return False  # a sentence on its own, and nothing to look for beyond it

    def sentence(j: int):
        return sents[j] if j < len(sents) else pieces[j][2].sentence(rubric, hant)

    for j in range(lo, hi + 1):
        if j == k:
            continue
        sent = sentence(j)
        if c.sentence and not c.sentence.isdisjoint(sent.seen):
            return True
        if c.time and sent.has("time"):
            return True
        if j > k and c.after and not c.after.isdisjoint(sent.seen):
            return True
    if lo > 0 and stops[lo - 1]:  # the sentence before
        if vague and stops[lo - 1] in _ASKS:
            return True
        if c.around and not c.around.isdisjoint(sentence(lo - 1).seen):
            return True
    if hi + 1 < n and stops[hi]:  # the sentence after
        if (c.around or (vague and c.time)):
            after = sentence(hi + 1)
            if c.around and not c.around.isdisjoint(after.seen):
                return True
            if vague and c.time and after.has("time"):
                return True
    return False


@functools.lru_cache(maxsize=8)
def _alone_rules(rubric: Rubric) -> frozenset[str]:
    """The ids of the rules whose match counts only as the whole turn."""
    return frozenset(r.id for r in rubric.rules if r.alone)


def _says_more(pieces: list, k: int) -> bool:
    """Whether a sentence other than the k-th holds words (not only punctuation or emoji)."""
    return any(any(ch.isalnum() for ch in piece.raw) for j, (_, _, piece) in enumerate(pieces) if j != k)


@functools.lru_cache(maxsize=8)
def _customer_rules(rubric: Rubric) -> dict:
    """Each rule's condition on the customer's words, by rule id."""
    return {r.id: r.customer for r in rubric.rules if r.customer is not None}


def _answers_customer(rubric: Rubric, rule_id: str, complaint: str | None) -> bool:
    """Whether a finding of the rule stands as an answer to what the customer said before the
    turn (a rule with no `customer:` condition always does)."""
    c = _customer_rules(rubric).get(rule_id)
    if c is None:
        return True
    seen = _customer_seen(rubric, complaint) if complaint and complaint.strip() else frozenset()
    if c.requires and c.requires.isdisjoint(seen):
        return False
    return c.unless.isdisjoint(seen)


@functools.lru_cache(maxsize=256)
def _customer_seen(rubric: Rubric, complaint: str) -> frozenset[int]:
    """The rule phrases in the customer's words (whole words for English ones)."""
    t = normalize(complaint, detect_lang(complaint)).text
    n = len(t)
    out = set()
    for end, pid in rubric.automaton.iter(t):
        if pid >= rubric.screens_from:
            continue
        key, left, right = rubric.phrases[pid]
        start = end - len(key) + 1
        if left and start > 0 and t[start - 1].isalnum() and t[start - 1].isascii():
            continue
        if right and end + 1 < n and t[end + 1].isalnum() and t[end + 1].isascii():
            continue
        out.add(pid)
    return frozenset(out)


def _find(sents: list, kind: str, part: int, first: list, last: list) -> None:
    """Mark as `part` the sentences that hold a `kind` (a reference, a contact)."""
    for k, sent in enumerate(sents):
        if sent.has(kind):
            if first[part] is None:
                first[part] = k
            last[part] = k


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


def _restated(rubric: Rubric, complaint: str, sents: list, first: list, last: list) -> None:
    """With the complaint given, the restatement is the sentences that share enough of its
    specific terms, whatever their markers say."""
    wanted = _complaint_terms(rubric, complaint)
    stop = _stop_terms(rubric)
    # a short complaint has few specific terms: ask for at most a third of them
    need = min(rubric.sections["restatement"].spec.min_overlap, max(1, len(wanted) // 3))
    first[_RESTATEMENT] = None
    for k, sent in enumerate(sents):
        if len(sent.terms(stop) & wanted) >= need:
            if first[_RESTATEMENT] is None:
                first[_RESTATEMENT] = k
            last[_RESTATEMENT] = k


@functools.lru_cache(maxsize=64)
def _missing(rubric: Rubric, name: str, lang: str) -> tuple[dict, tuple[str, float, bool]]:
    """The finding for a missing part, in the reply's language (shared: copy to change), and
    its score key."""
    spec = rubric.sections[name].spec
    key = LANGUAGES[lang].rules
    message, suggestion = spec.message[key], spec.suggestion[key]
    if lang == "zh-Hant":
        message, suggestion = _hant(rubric, message), _hant(rubric, suggestion)
    return ({"rule": spec.rule, "category": spec.category, "severity": spec.severity,
             "start": None, "end": None, "text": None, "message": message, "suggestion": suggestion},
            _key(rubric, spec.category, spec.severity))


@functools.lru_cache(maxsize=8)
def _weights(rubric: Rubric) -> dict[tuple[str, str], float]:
    factor = rubric.spec.score.severity_factor
    return {(name, sev): cat.weight * factor.get(sev, 1.0)
            for name, cat in rubric.spec.categories.items() for sev in ("error", "warning", "info")}


def _key(rubric: Rubric, category: str, severity: str) -> tuple[str, float, bool]:
    """What a finding counts for in the score: its category, weight and whether it fails."""
    return category, _weights(rubric)[category, severity], severity == "error"


def score_keys(rubric: Rubric, findings) -> list[tuple[str, float, bool]]:
    """The score keys of findings (Finding objects)."""
    return [_key(rubric, f.category, f.severity) for f in findings]


def score_of(rubric: Rubric, keys: list[tuple[str, float, bool]]) -> tuple[int, bool]:
    score = rubric.spec.score
    decay = score.repeat_decay
    seen: dict[str, int] = {}
    cost = 0.0
    passed = True
    for category, weight, error in keys:
        n = seen.get(category, 0)
        seen[category] = n + 1
        cost += weight * decay ** n
        if error:
            passed = False
    return max(0, min(100, round(score.start - cost))), passed
