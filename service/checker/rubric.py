"""The rubric's compiled form: the dataclasses the checker works on. Loading (with a cache) is
rubric_cache.load_rubric; validating and compiling the files is rubric_files.compile_rubric.

Layout of a rubric folder:
    rubric.yaml        categories, weights, scoring
    structure.yaml     markers of the four parts of a reply
    signals.yaml       recognisers for times, amounts, contacts, references
    rules/<lang>/*.yaml  phrase rules, a list of entries per file

A rule entry (Vale-like; all phrase lists accept "(a|b)" alternatives):
    id: vague.asap               # unique, dotted
    category: vague_promise      # one of rubric.yaml's categories
    severity: error|warning|info
    message: why this is a problem
    suggestion: a rewrite for the span   (or per phrase: phrases as a mapping)
    phrases: [尽快, 尽早]          # literal, matched on normalised text
    patterns: ['根据.{0,10}规定']  # regular expressions, optional
    when: [根据]                  # patterns run only when one of these phrases occurs
    unless:   {before: [...], after: [...], window: 8, sentence: [...], time: true, amount: true,
               quoted: true}
    requires: {same keys}         # the match counts only if one of these holds
    customer: {requires: [...], unless: [...]}  # what the customer said before the turn
    alone: true                   # the match's sentence is all the turn says

A bad file is rejected at load time with its path and the reason (RubricError).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ahocorasick

    from .prefilter import Recogniser

__all__ = ["Rubric", "expand", "PHRASE_CATEGORIES",
           "STRUCTURE_CATEGORIES", "SECTIONS"]

PHRASE_CATEGORIES = ("defensive_language", "vague_promise", "over_promise", "blame_shifting",
                     "sensitive_data_request", "negative_wording")
STRUCTURE_CATEGORIES = ("missing_apology", "missing_restatement", "missing_concrete_remedy",
                        "missing_open_close")
SECTIONS = ("apology", "restatement", "remedy", "close")


# ---------------------------------------------------------------- compiled form

_GROUP = re.compile(r"\(([^()]*)\)(\??)")


def expand(phrase: str) -> list[str]:
    """'我们(会|将)跟进' -> ['我们会跟进', '我们将跟进']. A group followed by '?', or with an
    empty alternative, is optional: '(会)?跟进' -> ['会跟进', '跟进']. Groups may nest."""
    parts = _GROUP.split(phrase)  # text, (alternatives, '?'), text, ...
    if len(parts) == 1:
        return [phrase]
    if any("(" in p or ")" in p for p in parts[::3]):  # a nested group: inner ones first
        m = _GROUP.search(phrase)
        alts = m.group(1).split("|") + ([""] if m.group(2) else [])
        return [x for alt in dict.fromkeys(alts)
                for x in expand(phrase[: m.start()] + alt + phrase[m.end():])]
    choices: list[list[str]] = []
    for i in range(0, len(parts) - 1, 3):
        choices.append([parts[i]])
        alts = parts[i + 1].split("|") + ([""] if parts[i + 2] else [])
        choices.append(list(dict.fromkeys(alts)))
    choices.append([parts[-1]])
    return ["".join(combo) for combo in itertools.product(*choices)]


@dataclass(slots=True, frozen=True)
class Cond:
    before: frozenset[int]
    after: frozenset[int]
    window: int
    sentence: frozenset[int]
    time: bool
    amount: bool
    quoted: bool
    around: frozenset[int] = frozenset()  # phrases of the sentence before or after (unless only)


@dataclass(slots=True, frozen=True)
class CustomerCond:
    """What the customer said before the turn (the conversation's customer turns since the
    agent last spoke, or the complaint a reply answers): a finding of the rule stands only
    when their words hold one of `requires` (when given) and none of `unless`."""
    requires: frozenset[int]
    unless: frozenset[int]


@dataclass(slots=True)
class Rule:
    id: str
    category: str
    severity: str
    message: str
    suggestion: str
    lang: str  # "zh" or "en": the language its message is written in
    unless: Cond | None
    requires: tuple[Cond, ...]
    pattern: Recogniser | None = None
    when: frozenset[int] | None = None
    customer: CustomerCond | None = None
    alone: bool = False  # only when the match's sentence is the whole turn


@dataclass(slots=True)
class Section:
    name: str
    spec: Any  # structure.yaml's entry for the part (attributes, as validated)
    generic: frozenset[int] = frozenset()
    concrete: frozenset[int] = frozenset()


@dataclass(eq=False)
class Rubric:
    """Everything the checker needs, compiled: one automaton holds every phrase of every rule,
    condition and section marker, so a reply is scanned once."""

    path: Path
    spec: Any  # rubric.yaml (attributes, as validated)
    rules: list[Rule]
    phrases: list[tuple[str, bool, bool]]  # (text, needs word boundary left, right)
    triggers: dict[int, list[tuple[int, str | None]]]  # phrase id -> (rule index, suggestion)
    section_of: dict[int, tuple[str, ...]]  # phrase id -> sections it marks
    sections: dict[str, Section]
    automaton: ahocorasick.Automaton
    recognisers: dict[str, Recogniser]  # signals.yaml: times, amounts, contacts, references
    pattern_rules: list[int] = field(default_factory=list)
    cond_pids: frozenset[int] = frozenset()  # phrases that some condition looks for
    # phrase ids from here on are only the recognisers' and rule patterns' screen strings
    # (prefilter.py): the scan notes them, and nothing else looks at them
    screens_from: int = 0
    hant: dict[str, str] = field(default_factory=dict)  # Chinese messages in traditional script
    conversation: Any = None  # structure.yaml's `conversation:` (chat and social threads)
    memo: object = None  # sentences seen lately and their analyses (review.py)

    @property
    def version(self) -> str:
        return self.spec.version
