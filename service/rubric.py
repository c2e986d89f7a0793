"""The rubric as data: load, validate and compile `rubrics/`.

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

A bad file is rejected at load time with its path and the reason (RubricError).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ahocorasick
import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from .errors import RubricError, first_problem
from .prefilter import Recogniser
from .text import fold

__all__ = ["Rubric", "load_rubric", "default_rubric_dir", "expand", "PHRASE_CATEGORIES",
           "STRUCTURE_CATEGORIES", "SECTIONS"]

PHRASE_CATEGORIES = ("defensive_language", "vague_promise", "over_promise", "blame_shifting",
                     "sensitive_data_request", "negative_wording")
STRUCTURE_CATEGORIES = ("missing_apology", "missing_restatement", "missing_concrete_remedy",
                        "missing_open_close")
SECTIONS = ("apology", "restatement", "remedy", "close")
Severity = Literal["error", "warning", "info"]

try:  # libyaml is several times faster; PyYAML's wheels ship it
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


def default_rubric_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "rubrics"


# ---------------------------------------------------------------- file schemas

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(_Strict):
    before: list[str] = []
    after: list[str] = []
    window: int = Field(8, ge=1, le=200)
    sentence: list[str] = []
    time: bool = False
    amount: bool = False
    quoted: bool = False  # the match stands inside quotation marks (reported speech)


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    category: Literal[PHRASE_CATEGORIES]  # type: ignore[valid-type]
    severity: Severity
    message: str = Field(min_length=1)
    suggestion: str = ""
    phrases: list[str] | dict[str, str] = []
    patterns: list[str] = []
    when: list[str] = []
    unless: Condition | None = None
    requires: Condition | list[Condition] | None = None  # a list: every one must hold

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"pattern {p!r} is not a valid regular expression: {e}") from e
        return patterns

    @model_validator(mode="after")
    def _has_matcher(self) -> "RuleSpec":
        if not self.phrases and not self.patterns:
            raise ValueError("a rule needs `phrases` or `patterns`")
        return self


class Category(_Strict):
    weight: float = Field(ge=0)
    label: dict[str, str] = {}


class Scoring(_Strict):
    start: float = 100
    severity_factor: dict[Severity, float]
    repeat_decay: float = Field(1.0, ge=0, le=1)


class RubricSpec(_Strict):
    name: str
    version: str
    score: Scoring
    categories: dict[str, Category]

    @field_validator("categories")
    @classmethod
    def _all_categories(cls, cats: dict[str, Category]) -> dict[str, Category]:
        missing = set(PHRASE_CATEGORIES + STRUCTURE_CATEGORIES) - set(cats)
        if missing:
            raise ValueError(f"categories missing: {', '.join(sorted(missing))}")
        return cats


class SectionSpec(_Strict):
    rule: str
    category: Literal[STRUCTURE_CATEGORIES]  # type: ignore[valid-type]
    severity: Severity
    message: dict[Literal["zh", "en"], str]
    suggestion: dict[Literal["zh", "en"], str]
    markers: list[str] = Field(min_length=1)
    generic: list[str] = []
    concrete: list[str] = []  # remedy: phrases that make a remedy concrete without a time
    stop_terms: list[str] = []  # restatement: words too common to show a specific match
    min_overlap: int = 2


class StructureSpec(_Strict):
    apology: SectionSpec
    restatement: SectionSpec
    remedy: SectionSpec
    close: SectionSpec


class SignalSpec(_Strict):
    time: list[str] = Field(min_length=1)
    amount: list[str] = Field(min_length=1)
    contact: list[str] = Field(min_length=1)
    reference: list[str] = Field(min_length=1)


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


@dataclass(slots=True)
class Section:
    name: str
    spec: SectionSpec
    generic: frozenset[int] = frozenset()
    concrete: frozenset[int] = frozenset()


@dataclass(eq=False)
class Rubric:
    """Everything the checker needs, compiled: one automaton holds every phrase of every rule,
    condition and section marker, so a reply is scanned once."""

    path: Path
    spec: RubricSpec
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
    memo: object = None  # sentences seen lately and their analyses (review.py)

    @property
    def version(self) -> str:
        return self.spec.version


class _Builder:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.phrases: list[tuple[str, bool, bool]] = []

    def add(self, phrase: str) -> list[int]:
        out = []
        for p in expand(phrase):
            key = fold(p)
            if not key.strip():
                continue
            pid = self.ids.get(key)
            if pid is None:
                pid = self.ids[key] = len(self.phrases)
                self.phrases.append((key, key[0].isascii() and key[0].isalnum(),
                                     key[-1].isascii() and key[-1].isalnum()))
            out.append(pid)
        return out

    def literal(self, text: str) -> int | None:
        """The id of a screen string (prefilter.py), scanned for as it is, case folded."""
        key = fold(text)
        if not key.strip():
            return None
        pid = self.ids.get(key)
        if pid is None:
            pid = self.ids[key] = len(self.phrases)
            self.phrases.append((key, key[0].isascii() and key[0].isalnum(),
                                 key[-1].isascii() and key[-1].isalnum()))
        return pid

    def cond(self, c: Condition | None) -> Cond | None:
        if c is None:
            return None
        ids = lambda ps: frozenset(i for p in ps for i in self.add(p))  # noqa: E731
        return Cond(ids(c.before), ids(c.after), c.window, ids(c.sentence), c.time, c.amount,
                    c.quoted)


def _read_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RubricError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise RubricError(f"{path}: cannot read: {e}") from e


def _validate(model, data, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise RubricError(f"{where}: {first_problem(e)}") from e


def _compile_signals(spec: SignalSpec, b: _Builder) -> dict[str, Recogniser]:
    return {k: Recogniser(getattr(spec, k), b.literal) for k in ("time", "amount", "contact", "reference")}


@functools.cache
def load_rubric(path: Path | str | None = None) -> Rubric:
    root = Path(path) if path else default_rubric_dir()
    if not (root / "rubric.yaml").is_file():
        raise RubricError(f"{root}: no rubric.yaml in this folder")
    spec = _validate(RubricSpec, _read_yaml(root / "rubric.yaml"), str(root / "rubric.yaml"))
    structure = _validate(StructureSpec, _read_yaml(root / "structure.yaml"),
                          str(root / "structure.yaml"))
    signals = _validate(SignalSpec, _read_yaml(root / "signals.yaml"), str(root / "signals.yaml"))
    for name in ("time", "amount", "contact", "reference"):
        for p in getattr(signals, name):
            try:
                re.compile(p)
            except re.error as e:
                raise RubricError(f"{root / 'signals.yaml'}: {name}: bad pattern {p!r}: {e}") from e

    b = _Builder()
    rules: list[Rule] = []
    triggers: dict[int, list[tuple[int, str | None]]] = {}
    pattern_rules: list[int] = []
    patterns: dict[int, list[str]] = {}
    seen: dict[str, Path] = {}
    files = sorted((root / "rules").glob("*/*.yaml"))
    if not files:
        raise RubricError(f"{root / 'rules'}: no rule files found")
    for file in files:
        entries = _read_yaml(file) or []
        if not isinstance(entries, list):
            raise RubricError(f"{file}: expected a list of rules")
        lang = file.parent.name
        for n, entry in enumerate(entries, 1):
            spec_r: RuleSpec = _validate(RuleSpec, entry, f"{file}: rule {n}")
            if spec_r.id in seen:
                raise RubricError(f"{file}: rule {spec_r.id} is already defined in {seen[spec_r.id]}")
            seen[spec_r.id] = file
            idx = len(rules)
            req = spec_r.requires
            requires = tuple(b.cond(c) for c in (req if isinstance(req, list) else [req] if req else []))
            rule = Rule(spec_r.id, spec_r.category, spec_r.severity, spec_r.message,
                        spec_r.suggestion, "en" if lang == "en" else "zh",
                        b.cond(spec_r.unless), requires)
            items = (spec_r.phrases.items() if isinstance(spec_r.phrases, dict)
                     else ((p, None) for p in spec_r.phrases))
            for phrase, suggestion in items:
                for pid in b.add(phrase):
                    triggers.setdefault(pid, []).append((idx, suggestion))
            if spec_r.patterns:
                patterns[idx] = spec_r.patterns
                rule.when = frozenset(i for p in spec_r.when for i in b.add(p)) or None
                pattern_rules.append(idx)
            rules.append(rule)

    section_of: dict[int, tuple[str, ...]] = {}
    sections: dict[str, Section] = {}
    for name in SECTIONS:
        sec: SectionSpec = getattr(structure, name)
        for m in sec.markers:
            for pid in b.add(m):
                section_of[pid] = section_of.get(pid, ()) + (name,)
        ids = lambda ps: frozenset(i for p in ps for i in b.add(p))  # noqa: E731
        sections[name] = Section(name, sec, ids(sec.generic), ids(sec.concrete))

    screens_from = len(b.phrases)
    recognisers = _compile_signals(signals, b)
    for idx, sources in patterns.items():
        rules[idx].pattern = Recogniser(sources, b.literal)

    automaton = ahocorasick.Automaton()
    for pid, (key, _, _) in enumerate(b.phrases):
        automaton.add_word(key, pid)
    automaton.make_automaton()
    cond_pids = frozenset(
        pid for r in rules for c in (r.unless, *r.requires) if c is not None
        for pid in (c.before | c.after | c.sentence))
    return Rubric(root, spec, rules, b.phrases, triggers, section_of, sections, automaton,
                  recognisers, pattern_rules, cond_pids, screens_from)
