"""What of the customer's words a draft may quote back, and whether a piece of a message says
anything at all: greetings, openers and filler (rubrics/quoting.yaml) carry no problem, and an
insult is never quoted."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from ..checker.text import to_simplified

__all__ = ["says_nothing", "says_something", "trim_filler"]


@lru_cache(maxsize=8)
def _quoting(rubric_dir: str) -> tuple[re.Pattern, re.Pattern]:
    """rubrics/quoting.yaml as two patterns: filler to take out, insults never to quote."""
    path = Path(rubric_dir) / "quoting.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def words(kind: str) -> re.Pattern:
        zh = sorted(data.get(kind, {}).get("zh", []), key=len, reverse=True)
        en = sorted(data.get(kind, {}).get("en", []), key=len, reverse=True)
        alts = [re.escape(w) for w in zh] + [r"(?<![a-z])" + re.escape(w) + r"(?![a-z])" for w in en]
        return re.compile("|".join(alts) or r"(?!)")

    return words("filler"), words("insults")


_CJK = re.compile(r"[\u4e00-\u9fff]")
_MARKUP = re.compile(r"@\w+|#\w+|\[[^\]]*\]")  # handles, hashtags, an export's placeholders
_NOT_WORDS = re.compile(r"[\W\d_]+")
_EN_WORD = re.compile(r"[a-z]{2,}")


def trim_filler(clause: str, rubric_dir) -> str:
    """The clause less the greetings, openers and filler it starts or ends with ("你好 请问…",
    "… lol"; rubrics/quoting.yaml)."""
    filler, _ = _quoting(str(rubric_dir))
    plain = to_simplified(clause).lower()  # (same length: offsets hold)
    at = 0
    while True:
        m = filler.match(plain, at)
        if not m or m.end() == at:
            break
        at = m.end()
        while at < len(plain) and not plain[at].isalnum():
            at += 1
    end = len(plain)
    while end > at:
        tail = [m for m in filler.finditer(plain, at, end) if m.end() == end and m.start() > at]
        if not tail:
            break
        end = tail[0].start()
        while end > at and not plain[end - 1].isalnum():
            end -= 1
    return clause[at:end] if at < end else clause


def says_something(clause: str, rubric_dir, words: int = 3) -> bool:
    """Whether a clause carries the customer's problem once greetings, filler, @handles,
    hashtags and placeholders are taken out (four Chinese characters or `words` English words
    are left; a lone English word must be five letters), and holds no insult
    (rubrics/quoting.yaml)."""
    filler, insults = _quoting(str(rubric_dir))
    text = to_simplified(clause).lower()
    if insults.search(text):
        return False
    rest = _left_over(text, filler)
    en = _EN_WORD.findall(rest)
    return (len(_CJK.findall(rest)) >= 4 or len(en) >= words
            and (len(en) > 1 or len(en[0]) >= 5))


_ANY_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z]{2,}")


def says_nothing(text: str, rubric_dir) -> bool:
    """Whether a message is only greetings, filler, @handles, hashtags and placeholders ("在吗",
    "我要转人工", "hi @Delta", an order card's "[订单x]"): not one word is left of it. "太慢了"
    says little, but it says something."""
    filler, _ = _quoting(str(rubric_dir))
    return not _ANY_WORD.search(_left_over(to_simplified(text).lower(), filler))


def _left_over(text: str, filler: re.Pattern) -> str:
    """`text` (simplified, lower case) less handles, hashtags, placeholders, punctuation and
    filler: the filler matched once as written ("what's going on") and once with the
    punctuation out."""
    return _NOT_WORDS.sub(" ", filler.sub(" ", _NOT_WORDS.sub(" ", filler.sub(" ", _MARKUP.sub(" ", text)))))
