"""Script detection and normalisation for matching.

Rules are written once, in simplified Chinese and lower-case English. A reply is normalised
before matching: full-width ASCII folded to ASCII, curly quotes straightened, ASCII lower-cased
and, for traditional Chinese, converted to simplified with OpenCC. Findings are found in the
normalised text and mapped back to offsets in the reply exactly as given.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from dataclasses import dataclass

from .languages import LANGS, LANGUAGES  # LANGS re-exported

__all__ = ["Normalized", "detect_lang", "unsupported_script", "script_counts", "lang_of_counts", "fold", "normalize", "to_script", "to_simplified", "LANGS"]


# runs, not single characters: findall() makes one string per match, and ideographs come in runs
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]+")
# runs of 20+ letters, digits and URL/base64 punctuation with no space: not words of a language
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_\-.:?&%#~]{20,}")


def _fold_table() -> dict[int, int]:
    table = {c: c + 0x20 for c in range(ord("A"), ord("Z") + 1)}
    for c in range(0xFF01, 0xFF5F):  # full-width ASCII -> ASCII
        table[c] = c - 0xFEE0
    for c in range(0xFF21, 0xFF3B):  # full-width capitals -> lower-case
        table[c] = c - 0xFEE0 + 0x20
    table.update({0x3000: 0x20, 0x2018: 0x27, 0x2019: 0x27, 0x201C: 0x22, 0x201D: 0x22,
                  0x00A0: 0x20})
    return table


_FOLD = _fold_table()  # one char to one char: offsets are unchanged


@functools.cache
def _converter(config: str):
    import opencc  # imported on first Chinese text only

    return opencc.OpenCC(config)


SCRIPT_CHARS = Path(__file__).parent / "data" / "script_chars.json"


def derive_script_chars() -> dict:
    """Traditional-only and simplified-only ideographs (U+4E00-U+9FFF), from OpenCC's own
    tables: a character OpenCC changes from traditional to simplified is traditional-only, one
    it changes from simplified to traditional (and is not the former) simplified-only."""
    import opencc

    chars = "".join(chr(i) for i in range(0x4E00, 0xA000))
    joined = "\n".join(chars)
    to_simp = _converter("t2s").convert(joined).split("\n")
    to_trad = _converter("s2t").convert(joined).split("\n")
    trad = {a for a, b in zip(chars, to_simp) if a != b}
    simp = {a for a, b in zip(chars, to_trad) if a != b and a not in trad}
    return {"opencc": opencc.__version__, "traditional": "".join(sorted(trad)),
            "simplified": "".join(sorted(simp))}


@functools.cache
def _script_classes() -> tuple[re.Pattern, re.Pattern]:
    """Character classes of traditional-only and simplified-only ideographs. Read from
    service/data/script_chars.json, written by derive_script_chars() for the pinned OpenCC
    (deriving them takes 90 ms of every `tactful review`); derived afresh for another version.
    A test checks the file against OpenCC."""
    import json

    import opencc

    data = json.loads(SCRIPT_CHARS.read_text(encoding="utf-8")) if SCRIPT_CHARS.is_file() else {}
    if data.get("opencc") != opencc.__version__:
        data = derive_script_chars()
    return re.compile(f"[{data['traditional']}]+"), re.compile(f"[{data['simplified']}]+")


def script_counts(text: str) -> tuple[int, int, int, int]:
    """Ideographs, Latin letters, traditional-only and simplified-only ideographs in `text`.
    Counts of parts add up to the counts of the whole, so a reply's can be summed from its
    (cached) sentences."""
    if text.isascii():
        return 0, sum(c.isalpha() for c in text), 0, 0
    cjk = sum(map(len, _CJK.findall(text)))
    latin = sum(map(len, _LATIN.findall(text)))
    if not cjk:
        return 0, latin, 0, 0
    trad_re, simp_re = _script_classes()
    return cjk, latin, sum(map(len, trad_re.findall(text))), sum(map(len, simp_re.findall(text)))


def lang_of_counts(text: str, cjk: int, latin: int, trad: int, simp: int) -> str:
    """detect_lang(text), given script_counts(text)."""
    if cjk and cjk * 3 < latin:  # perhaps only because of a base64 blob or a URL: those are not English
        latin = sum(map(len, _LATIN.findall(_OPAQUE.sub(" ", text))))
    if cjk == 0 or cjk * 3 < latin:
        return "en"
    return "zh-Hant" if trad > simp else "zh-Hans"


# Scripts of languages the rules are not written for: kana (Japanese), Hangul (Korean),
# Cyrillic, Arabic, Hebrew, Thai, Devanagari. Their replies are not reviewed with the Chinese or
# English rules; they are reported as unsupported.
_FOREIGN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff\u0400-\u04ff\u0590-\u05ff"
                      r"\u0600-\u06ff\u0e00-\u0e7f\u0900-\u097f]")
_SCRIPT_NAMES = ((0x3040, 0x31ff, "Japanese"), (0xac00, 0xd7af, "Korean"), (0x1100, 0x11ff, "Korean"),
                 (0x0400, 0x04ff, "Cyrillic"), (0x0590, 0x05ff, "Hebrew"), (0x0600, 0x06ff, "Arabic"),
                 (0x0e00, 0x0e7f, "Thai"), (0x0900, 0x097f, "Devanagari"))


FUNCTION_WORDS = Path(__file__).parent / "data" / "function_words.json"
_WORD_RE = re.compile(r"[a-zà-ÿœç']+")
_NOT_WORDS = re.compile(r"\S+@\S+|@\w+|https?://\S+|#\w+|\w+(?:\.\w+)+")  # (emails, handles, links, domains)


@functools.cache
def _function_words() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    import json

    data = json.loads(FUNCTION_WORDS.read_text(encoding="utf-8"))
    en = frozenset(data["en"])
    return en, {k: frozenset(v) - en for k, v in data.items() if k not in ("_about", "en")}


def foreign_language(text: str) -> str | None:
    """The name of a Latin-script language the rules do not cover when it, not English, carries
    the text ("bonjour a partir de combien de temps…", "na ultima atualização do meu pedido"):
    at least two of its function words, and half again as many as English ones. None otherwise."""
    words = _WORD_RE.findall(_NOT_WORDS.sub(" ", text.lower()))
    if len(words) < 3:
        return None
    en, others = _function_words()
    english = sum(w in en for w in words)
    counts = {name: sum(w in ws for w in words) for name, ws in others.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 2 and counts[best] > 1.5 * english else None


def unsupported_script(text: str) -> str | None:
    """The name of a script the rules do not cover, when it carries the text (Japanese kana
    among kanji, Korean, Cyrillic...), or of a Latin-script language that is not English
    (French, Spanish...); None for Chinese and English, with a stray "の" or a foreign name aside."""
    if _FOREIGN.search(text) is None:
        name = foreign_language(text)  # (None for nearly every text: the script is counted only then)
        return name if name and (text.isascii() or detect_lang(text) == "en") else None
    foreign = _FOREIGN.findall(text)
    letters = sum(1 for ch in text if ch.isalpha())
    if len(foreign) < 3 or len(foreign) * 3 < letters:  # under a third of the letters
        return None
    first = ord(foreign[0])
    return next(name for lo, hi, name in _SCRIPT_NAMES if lo <= first <= hi)


def detect_lang(text: str) -> str:
    """zh-Hans, zh-Hant or en, from the share of ideographs and which script they are in."""
    if text.isascii():
        return "en"
    return lang_of_counts(text, *script_counts(text))


# Taiwan wording OpenCC's s2twp leaves in mainland form; each the same length, so offsets hold
_TW_WORDS = {"郵箱": "信箱", "賬戶": "帳戶", "賬號": "帳號", "到賬": "入帳", "質量問題": "品質問題",
             "聯系": "聯絡", "視頻": "影片", "短信": "簡訊"}
_TW = re.compile("|".join(_TW_WORDS))


def to_script(text: str, lang: str) -> str:
    """Render simplified-Chinese text in the script of `lang` (identity for zh-Hans and en);
    zh-Hant in Taiwan wording."""
    config = LANGUAGES[lang].opencc if lang in LANGUAGES else None
    if not (config and text):
        return text
    out = _converter(config).convert(text)
    return _TW.sub(lambda m: _TW_WORDS[m.group()], out) if lang == "zh-Hant" else out


def to_simplified(text: str) -> str:
    """Traditional characters to simplified (a model's zh-Hans answer may mix them)."""
    return _converter("t2s").convert(text) if text else text


@dataclass(slots=True)
class Normalized:
    """The normalised text and, when its length differs from the original, an offset map."""

    original: str
    text: str
    index: list[int] | None = None  # index[i] = offset in original of normalised char i

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.index is None:
            return start, end
        if start >= len(self.index):
            return len(self.original), len(self.original)
        return self.index[start], self.index[end - 1] + 1 if end > start else self.index[start]


_NEEDS_FOLD = re.compile(r"[\uff01-\uff5e\u3000\u2018\u2019\u201c\u201d\u00a0]")


def fold(text: str) -> str:
    """Lower-case ASCII, full-width ASCII to ASCII, curly quotes straightened: one char to one
    char. `str.lower()` is fast but may lengthen a few non-ASCII letters, so it is checked."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return text.translate(_FOLD)
    if _NEEDS_FOLD.search(lowered) is None:
        return lowered
    return lowered.translate(_FOLD)


# Anonymised exports replace values with placeholders ("[数字x]小时内", "[时间x]前"): each is read
# as a value of its kind, with the same length so offsets hold, so that the time and amount
# recognisers see a time where the agent gave one.
_VALUES = {"[数字x]": "00000", "[时间x]": "12:00", "[日期x]": "1月01日", "[金额x]": "¥0000"}
_VALUE = re.compile(r"\[(?:数字|时间|日期|金额)x\]")


def _values(m: re.Match) -> str:
    return _VALUES[m.group()]


def normalize(text: str, lang: str) -> Normalized:
    folded = fold(text)
    if "x]" in folded:
        folded = _VALUE.sub(_values, folded)
    if lang != "zh-Hant":
        return Normalized(text, folded)
    converted = _converter("t2s").convert(folded)
    if len(converted) == len(folded):
        return Normalized(text, converted)
    # Rare: a phrase conversion changed the length. Convert char by char and keep a map.
    sep = "\x1f"
    pieces = _converter("t2s").convert(sep.join(folded)).split(sep)
    if len(pieces) != len(folded):  # the text held the separator itself: match unconverted
        return Normalized(text, folded)
    index = [i for i, piece in enumerate(pieces) for _ in piece]
    return Normalized(text, "".join(pieces), index)
