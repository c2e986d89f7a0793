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
import hashlib
import importlib.util
import itertools
import os
import pickle
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ahocorasick

    from .prefilter import Recogniser

__all__ = ["Rubric", "load_rubric", "expand", "PHRASE_CATEGORIES",
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
    memo: object = None  # sentences seen lately and their analyses (review.py)

    @property
    def version(self) -> str:
        return self.spec.version




# ---------------------------------------------------------------- loading, with a cache

_CODE = ("rubric.py", "rubric_files.py", "prefilter.py", "text.py", "languages.py")  # what the compiled form depends on


@functools.cache
def load_rubric(path: Path | str, cache_dir: str = "") -> Rubric:
    """The compiled rubric of the folder `path` (Settings.rubric_dir). Compiling takes about
    0.2 s with pydantic and YAML; the result is kept in a cache file in `cache_dir`
    (Settings.cache_dir: "" for the user's cache folder, "off" for none), keyed by the folder's
    files and this code, so that the next process reads it back in a fraction of that."""
    root = Path(path)
    folder = _cache_folder(cache_dir)
    cache = _cache_file(root, folder) if folder else None  # None for a folder it cannot read
    rubric = _read_cache(cache) if cache else None
    if rubric is None:
        from .rubric_files import compile_rubric

        rubric = compile_rubric(root)
        if cache:
            _write_cache(cache, rubric)
    return rubric


def _cache_folder(value: str) -> Path | None:
    """The cache folder named by Settings.cache_dir: the user's cache folder (XDG) when empty,
    None when "off"."""
    if value.lower() == "off":
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tactful"


def _cache_file(root: Path, folder: Path) -> Path | None:
    h = hashlib.sha256(sys.version.encode())
    for module in ("ahocorasick", "opencc"):  # the automaton's format; the zh-Hant messages
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin and origin.exists():
            st = origin.stat()
            h.update(f"{module}:{origin}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    files = [root / "rubric.yaml", root / "structure.yaml", root / "signals.yaml",
             *sorted((root / "rules").glob("*/*.yaml"))]
    here = Path(__file__).parent
    try:
        for f in [*files, *(here / name for name in _CODE)]:
            h.update(str(f.relative_to(root) if f.is_relative_to(root) else f.name).encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    except OSError:  # a file cannot be read: compiling will say which, and why
        return None
    where = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return folder / f"rubric-{where}-{h.hexdigest()[:24]}.pickle"


def _read_cache(cache: Path) -> Rubric | None:
    """The cached rubric, or None when there is none or it cannot be trusted or read. Only a
    file owned by this user and writable by no one else is read: unpickling runs code."""
    try:
        st = cache.stat()
        if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o022:
            return None
        with cache.open("rb") as f:
            rubric = pickle.load(f)
    except Exception:  # noqa: BLE001 - none yet, or stale or damaged: compiled afresh
        return None
    return rubric if isinstance(rubric, Rubric) else None


def _write_cache(cache: Path, rubric: Rubric) -> None:
    """Write the cache atomically and remove older ones of the same folder; a cache that
    cannot be written only means the next start compiles again."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            pickle.dump(rubric, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
        prefix = cache.name.rsplit("-", 1)[0] + "-"
        for old in cache.parent.glob(prefix + "*.pickle"):
            if old != cache:
                old.unlink(missing_ok=True)
    except OSError:
        pass
