"""Literal screens for regular expressions: the strings a pattern cannot match without.

Python's `re` tries a pattern with leading alternatives and optional parts at every position
of a text, so a recogniser such as "a clock time" costs about 7 us per sentence even when the
sentence holds no 点 or 时 at all. Every match of that pattern contains 点 or 时, so a
search for those two characters (which `re` scans for in C, by first character) rules such
sentences out for a fraction of the cost. The screen is derived from the pattern itself,
never written by hand, so a company that edits `rubrics/signals.yaml` cannot get it wrong.

Inside the checker the screens cost nothing at all: the rubric puts every screen's literals
into the automaton that scans each sentence anyway, and a pattern runs only when the scan saw
one of its literals (`found_in`, `finditer_in`).
"""

from __future__ import annotations

import re
from re import _constants as C  # noqa: N812 - the parser's own names
from re import _parser
from typing import Callable

__all__ = ["required_literals", "required_sets", "Recogniser", "Screened"]

_SMALL_CLASS = 12  # a character class of more members than this is no useful screen


def required_literals(pattern: str) -> frozenset[str] | None:
    """A set of strings such that every match of `pattern` contains at least one of them, or
    None when no such set can be derived (a pattern made of \\d, \\w, . and the like)."""
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
        return None
    return _minimal(_sequence(list(parsed)))


def required_sets(pattern: str) -> list[frozenset[str]]:
    """Sets of strings such that every match of `pattern` contains at least one string of
    each set: "(是|属于)...(公司|部门)...(问题|责任)" gives three. Empty when none can be derived."""
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return []
    if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
        return []
    return _options(list(parsed), every=True)


def _sequence(items: list) -> frozenset[str] | None:
    """The best screen of a sequence: each item that must match gives one, and a run of plain
    characters gives the whole run as a single string."""
    return min(_options(items), key=_cost, default=None)


def _options(items: list, every: bool = False) -> list[frozenset[str]]:
    """The screens of the items of a sequence that must match. With `every`, the groups and
    repeats that must match give all of their own screens, not only their best one."""
    options: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        if op is C.LITERAL:
            run += chr(av)
            continue
        if run:
            options.append(frozenset([run]))
            run = ""
        if every and op is C.SUBPATTERN and not av[1] & re.IGNORECASE:
            options += _options(list(av[3]), every)
        elif every and op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            options += _options(list(av[2]), every)
        else:
            found = _minimal(_item(op, av))
            if found is not None:
                options.append(found)
    if run:
        options.append(frozenset([run]))
    return [o for o in map(_minimal, options) if o is not None]


def _item(op, av) -> frozenset[str] | None:
    if op is C.SUBPATTERN:
        if av[1] & re.IGNORECASE:  # (?i:...)
            return None
        return _sequence(list(av[3]))
    if op is C.BRANCH:
        parts = [_sequence(list(branch)) for branch in av[1]]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*parts)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _, sub = av
        return _sequence(list(sub)) if low >= 1 else None
    if op is C.ATOMIC_GROUP:
        return _sequence(list(av))
    if op is C.IN:
        return _class(av)
    return None  # assertions, \b, ., \d, backreferences: nothing that must occur


def _class(members) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in members:
        if op is C.LITERAL:
            chars.add(chr(av))
        elif op is C.RANGE and av[1] - av[0] < _SMALL_CLASS:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # a negated class, a category such as \d: too wide to screen with
            return None
    return frozenset(chars) if len(chars) <= _SMALL_CLASS else None


def _cost(option: frozenset[str]) -> float:
    """Lower is a better screen: few strings, long ones, and not common ASCII characters."""
    shortest = min(len(s) for s in option)
    common = any(len(s) == 1 and s.isascii() for s in option)
    return len(option) * (8 if common else 1) / shortest


def _minimal(option: frozenset[str] | None) -> frozenset[str] | None:
    """Drop a string that holds another of the set: 之内 occurs only where 内 does."""
    if not option or "" in option:
        return None
    return frozenset(s for s in option if not any(o != s and o in s for o in option))


class Recogniser:
    """Times (or amounts, contacts, references, or a rule's patterns) in a text: each pattern
    is tried only on a text that passes its screen.

    `literal_id`, when given, registers a screen string with a phrase scanner and returns its
    id there (None when it cannot be scanned for); `found_in` and `finditer_in` then take the
    ids the scanner saw in the text instead of searching the text for the screens, and a
    pattern runs only when the scanner saw a string of each of its required sets."""

    __slots__ = ("checks", "sources", "needs", "_joined")

    def __init__(self, patterns: list[str], literal_id: Callable[[str], int | None] | None = None):
        checks = []
        needs: list[frozenset[int] | None] = []
        for p in patterns:
            screen = required_literals(p)
            checks.append((re.compile("|".join(re.escape(s) for s in sorted(screen, key=len, reverse=True)))
                           if screen else None, re.compile(p)))
            needs.append(self._scanned(p, literal_id) if literal_id else None)
        self.checks = tuple(checks)
        self.sources = tuple(patterns)
        self.needs = tuple(needs)
        self._joined: dict[tuple[int, ...], re.Pattern] = {}

    @staticmethod
    def _scanned(pattern: str, literal_id: Callable[[str], int | None]) -> tuple[frozenset[int], ...] | None:
        """The ids of the pattern's required sets, for the scanner. A set with a lone ASCII
        character ("1" of a phone number) would be seen all the time, so it is left out; a
        pattern with no set left stays screened by a search of the text."""
        out = []
        for strings in required_sets(pattern):
            if any(len(s) == 1 and s.isascii() for s in strings):
                continue
            ids = frozenset(literal_id(s) for s in strings)
            if None not in ids:
                out.append(ids)
        return tuple(out) or None

    @property
    def pattern(self) -> re.Pattern:
        """All the kind's patterns joined as one alternation (for sub() and the like)."""
        return self._join(tuple(range(len(self.sources))))

    def _join(self, which: tuple[int, ...]) -> re.Pattern:
        pattern = self._joined.get(which)
        if pattern is None:
            if len(self._joined) > 512:
                self._joined.clear()
            pattern = self._joined[which] = re.compile(
                "|".join(f"(?:{self.sources[i]})" for i in which) or "(?!)")
        return pattern

    def finditer(self, text: str):
        """The matches of `pattern`, exactly; the patterns whose screens fail cannot match,
        so they are left out of the alternation."""
        return self._join(tuple(i for i, (screen, _) in enumerate(self.checks)
                                if screen is None or screen.search(text) is not None)).finditer(text)

    def search(self, text: str) -> re.Match | None:
        """The first match of `pattern`."""
        return next(self.finditer(text), None)

    def found(self, text: str) -> bool:
        for screen, pattern in self.checks:
            if (screen is None or screen.search(text) is not None) and pattern.search(text) is not None:
                return True
        return False

    def found_in(self, text: str, seen: set[int]) -> bool:
        """`found(text)`, given the ids of the screen strings that occur in the text.

        This and finditer_in make the same test of each pattern, written out in each: a
        shared helper (a generator, or a list with any(map(...))) measured 1-4% more
        instructions on the batch benchmark, and this runs for every new sentence."""
        for need, (screen, pattern) in zip(self.needs, self.checks):
            if need is None:
                if screen is not None and screen.search(text) is None:
                    continue
            else:
                for ids in need:
                    if ids.isdisjoint(seen):
                        break
                else:
                    if pattern.search(text) is not None:
                        return True
                continue
            if pattern.search(text) is not None:
                return True
        return False

    def finditer_in(self, text: str, seen: set[int]):
        """`finditer(text)`, given the ids of the screen strings that occur in the text."""
        which = []
        for i, need in enumerate(self.needs):
            if need is None:
                screen = self.checks[i][0]
                if screen is None or screen.search(text) is not None:
                    which.append(i)
                continue
            for ids in need:
                if ids.isdisjoint(seen):
                    break
            else:
                which.append(i)
        return self._join(tuple(which)).finditer(text) if which else iter(())


class Screened:
    """A compiled pattern behind the screen of its required literals (matched with the
    pattern's own case sensitivity): `finditer` and `search` answer exactly as the pattern."""

    __slots__ = ("pattern", "screen")

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        found = required_literals(pattern.pattern) if isinstance(pattern.pattern, str) else None
        self.screen = (re.compile("|".join(re.escape(x) for x in sorted(found, key=len, reverse=True)),
                                  pattern.flags & re.IGNORECASE) if found else None)

    def finditer(self, text: str):
        if self.screen is not None and self.screen.search(text) is None:
            return iter(())
        return self.pattern.finditer(text)

    def search(self, text: str):
        if self.screen is not None and self.screen.search(text) is None:
            return None
        return self.pattern.search(text)
