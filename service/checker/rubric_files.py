"""The rubric's files: their schemas, reading and validation, and compiling them into the
Rubric the checker uses (rubric.py). Only a cold start needs this module: load_rubric()
keeps the compiled form in a cache, so `tactful review` and batch runs import neither
pydantic nor YAML when the files have not changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import ahocorasick
import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from ..errors import RubricError, first_problem
from .prefilter import Recogniser
from .rubric import (PHRASE_CATEGORIES, SECTIONS, STRUCTURE_CATEGORIES, Cond, CustomerCond, Rubric,
                     Rule, Section, expand)
from .text import fold, to_script

__all__ = ["compile_rubric", "read_yaml", "validate"]

Severity = Literal["error", "warning", "info"]

try:  # libyaml is several times faster; PyYAML's wheels ship it
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


# ---------------------------------------------------------------- file schemas

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Regular-expression syntax a phrase would hold as literal text, so that it never matches: a
# "?" after a letter inside the phrase ("holders?", "的?"), a backslash class ("\d"), ".*", or
# a group repeated with "+". (A "?" that ends a phrase, or stands alone, is a literal question
# mark the rules do look for; "[具体时间]" is a literal placeholder.)
_REGEX_IN_PHRASE = re.compile(r"(?<=[^\s()|?？!！])\?(?=.)|\\[a-zA-Z]|\.\*|(?<=\))\+")


def _literal_phrases(phrases):
    for p in phrases:
        if m := _REGEX_IN_PHRASE.search(p):
            raise ValueError(f"phrase {p!r} has {m.group()!r}: a phrase is literal text with (a|b) "
                             "alternatives and (x)? optional groups; write (s)? for an optional letter, "
                             "or move it to `patterns`")
    return phrases


class Condition(_Strict):
    before: list[str] = []
    after: list[str] = []
    window: int = Field(8, ge=1, le=200)
    sentence: list[str] = []
    time: bool = False
    amount: bool = False
    quoted: bool = False  # the match stands inside quotation marks (reported speech)
    # phrases of the sentence before or after, across a full stop ("Please DM the tracking
    # number. We will look into this."): only in `unless`
    around: list[str] = []

    _literal = field_validator("before", "after", "sentence", "around")(classmethod(lambda cls, v: _literal_phrases(v)))


class CustomerCondition(_Strict):
    """The customer's words before the turn: a brush-off is one only as an answer to what
    the customer said ("请耐心等待" after "怎么还没到", not after "好的谢谢")."""
    requires: list[str] = []
    unless: list[str] = []

    _literal = field_validator("requires", "unless")(classmethod(lambda cls, v: _literal_phrases(v)))

    @model_validator(mode="after")
    def _says_something(self) -> "CustomerCondition":
        if not self.requires and not self.unless:
            raise ValueError("`customer` needs `requires` or `unless` phrases")
        return self


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
    customer: CustomerCondition | None = None
    # the match counts only when its sentence is the whole turn: "还有什么可以帮您的吗" said
    # instead of an answer, not after one
    alone: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:  # as it will run: joined with the others (so no global flags like "(?i)")
                re.compile(f"(?:{p})|(?:x)")
            except re.error as e:
                raise ValueError(f"pattern {p!r} is not a valid regular expression: {e}") from e
        return patterns

    _literal = field_validator("phrases", "when")(classmethod(lambda cls, v: _literal_phrases(v)))

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


class ConversationSpec(_Strict):
    """How the four parts are asked of a conversation in channels whose turns are short."""
    complete_channels: list[str] = ["email", "phone"]  # each reply there carries all four parts
    holding: list[str] = []  # a turn made of these only holds the line ("请稍等", "one moment")
    min_chars: int = 12  # a shorter turn is a quick answer, not the substantive one
    not_complaints: list[str] = ["inquiry", "other"]  # triage scenarios that ask no apology


class StructureSpec(_Strict):
    apology: SectionSpec
    restatement: SectionSpec
    remedy: SectionSpec
    close: SectionSpec
    conversation: ConversationSpec = ConversationSpec()


class SignalSpec(_Strict):
    time: list[str] = Field(min_length=1)
    amount: list[str] = Field(min_length=1)
    contact: list[str] = Field(min_length=1)
    reference: list[str] = Field(min_length=1)


# ---------------------------------------------------------------- compiling

class _Builder:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.phrases: list[tuple[str, bool, bool]] = []

    def add(self, phrase: str) -> list[int]:
        """The ids of a phrase's expansions ("(a|b)" alternatives)."""
        return [pid for p in expand(phrase) if (pid := self.literal(p)) is not None]

    def literal(self, text: str) -> int | None:
        """The id of a string scanned for as it is, case folded (a phrase's expansion, or a
        screen string of prefilter.py); None for one that is only whitespace."""
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
                    c.quoted, ids(c.around))


def read_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RubricError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise RubricError(f"{path}: cannot read: {e}") from e


def validate(model, data, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise RubricError(f"{where}: {first_problem(e)}") from e


def _compile_signals(spec: SignalSpec, b: _Builder) -> dict[str, Recogniser]:
    return {k: Recogniser(getattr(spec, k), b.literal) for k in ("time", "amount", "contact", "reference")}


def compile_rubric(root: Path) -> Rubric:
    """Read, validate and compile the rubric folder `root`. Raises RubricError with the file
    and the reason for the first problem found."""
    if not (root / "rubric.yaml").is_file():
        raise RubricError(f"{root}: no rubric.yaml in this folder")
    spec = validate(RubricSpec, read_yaml(root / "rubric.yaml"), str(root / "rubric.yaml"))
    structure = validate(StructureSpec, read_yaml(root / "structure.yaml"),
                          str(root / "structure.yaml"))
    signals = validate(SignalSpec, read_yaml(root / "signals.yaml"), str(root / "signals.yaml"))
    for name in ("time", "amount", "contact", "reference"):
        for p in getattr(signals, name):
            try:  # as it will run: joined with the others (so no global flags like "(?i)")
                re.compile(f"(?:{p})|(?:x)")
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
        entries = read_yaml(file) or []
        if not isinstance(entries, list):
            raise RubricError(f"{file}: expected a list of rules")
        lang = file.parent.name
        for n, entry in enumerate(entries, 1):
            spec_r: RuleSpec = validate(RuleSpec, entry, f"{file}: rule {n}")
            if spec_r.id in seen:
                raise RubricError(f"{file}: rule {spec_r.id} is already defined in {seen[spec_r.id]}")
            seen[spec_r.id] = file
            idx = len(rules)
            req = spec_r.requires
            requires = tuple(b.cond(c) for c in (req if isinstance(req, list) else [req] if req else []))
            rule = Rule(spec_r.id, spec_r.category, spec_r.severity, spec_r.message,
                        spec_r.suggestion, "en" if lang == "en" else "zh",
                        b.cond(spec_r.unless), requires)
            rule.alone = spec_r.alone
            if spec_r.customer is not None:
                ids = lambda ps: frozenset(i for p in ps for i in b.add(p))  # noqa: E731
                rule.customer = CustomerCond(ids(spec_r.customer.requires), ids(spec_r.customer.unless))
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
        sections[name] = Section(name, _plain(sec), ids(sec.generic), ids(sec.concrete))

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
    hant = {text: to_script(text, "zh-Hant") for text in _chinese_texts(rules, triggers, sections)}
    return Rubric(root, _plain(spec), rules, b.phrases, triggers, section_of, sections,
                  automaton, recognisers, pattern_rules, cond_pids, screens_from, hant,
                  conversation=_plain(structure.conversation))


def _chinese_texts(rules: list[Rule], triggers: dict, sections: dict[str, Section]):
    """The messages and suggestions a review may show in traditional Chinese."""
    for rule in rules:
        if rule.lang == "zh":
            yield rule.message
            yield rule.suggestion
    for pairs in triggers.values():
        for idx, suggestion in pairs:
            if suggestion is not None and rules[idx].lang == "zh":
                yield suggestion
    for section in sections.values():
        yield section.spec.message["zh"]
        yield section.spec.suggestion["zh"]


def _plain(value):
    """A validated spec as plain objects (attributes, dicts and lists), so that the compiled
    rubric can be read back without pydantic."""
    if isinstance(value, BaseModel):
        return SimpleNamespace(**{k: _plain(getattr(value, k)) for k in type(value).model_fields})
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
