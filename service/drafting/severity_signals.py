"""The guides' severity signals in a message: repeat contact, money taken, public and legal
threats, media, injury (triage.yaml `signals`, phrases, and `signal_patterns`, patterns by
kind). A phrase or pattern found counts only where the message says it as a fact:

- not negated in its clause: "还没有扣款", "I was not charged", "一点都没伤到";
- for a repeat contact, money taken or an injury, not a hypothetical, a question about what
  will happen, or a wish: "如果再扣款", "会不会扣两次", "would I be charged again", "I'll
  call again tomorrow", "我想再买一个" (a threat is a future by nature: it keeps its future);
- for an injury, not a near miss: "差点被烫到", "幸好没有人受伤", "no one was hurt".

The checks read the clause the match is in (up to punctuation or a contrast word: "but",
"但是"), on the normalised text (simplified Chinese, lower-case English), so zh-Hant and
zh-Hans share them."""

from __future__ import annotations

import re

__all__ = ["compile_patterns", "said_as_fact", "signals_in"]

# where a clause begins: punctuation, or a contrast word (its own clause starts at it)
_CLAUSE_END = re.compile(r"[,，.。!！?？;；:：\n()（）\"“”「」]")
_CONTRAST = re.compile(r"但是|但|可是|不过|结果|却|然而|\b(?:but|though|however|yet)\b")

# a negation just before the match (zh: within six characters; en: three words), or inside an
# English match before its verb ("was not charged"). Not a negation: 没了 (gone), 不见 (vanished),
# 不小心 (by accident), 不同, 不停, 不断, 不少, 不明, 无数, 无缘无故, 非常, 不是第一次 (a repeat).
_NEG_ZH = re.compile(r"(?:并没有|还没有|还没|从没|从来没|从未|没有|没|未|不|无|别|并非)"
                     r"(?!了|见|小心|同|停|断|少|明|知|仅|但|光|管|然|数|缘无故|是第一次|止一次|只一次)"
                     r"(?:会|想|要|打算|敢|用|被|有|再|去|给|把|是)?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_NEG_EN = re.compile(r"(?:\b(?:not|no|never|nobody|none|without|neither|nor)\b|n't\b|\bno one\b|\bnoone\b|"
                     r"\bdidnt\b|\bwasnt\b|\bhavent\b|\bhasnt\b|\bisnt\b|\bdont\b|\bdoesnt\b|\bwerent\b)")
# a hypothetical, a question about the future, or a wish
_IF_ZH = re.compile(r"如果|要是|万一|假如|假设|倘若|若是|会不会|是否会|会否|能否|能不能|可不可以|以免|免得|防止|"
                    r"担心|害怕|怕|什么时候|何时|多久|想要|下次|以后|将来|明天再|下个月|会(?!员|计|议|话)")
_IF_EN = re.compile(r"\b(?:if|in case|what if|whether|unless|should|will|would|could|might|may|going to|gonna|"
                    r"worried|afraid|next time|in the future|lest|to avoid|want to|wanna|plan to|planning to|"
                    r"i'?ll|we'?ll|you'?ll|it'?ll|hope|hoping)\b")
_AFTER_IF_EN = re.compile(r"^\W*\w*\W*(?:tomorrow|later|soon|next week|next time|someday|in the future)\b")
_QUESTION_ZH = re.compile(r"(?:吗|嘛|么|没有)\s*[?？]?\s*$")
_QUESTION_EN = re.compile(r"^\s*(?:is|are|will|would|do|does|did|can|could|should|have|has|am|was|were)\b")
# a near miss, for an injury
_NEAR_MISS = re.compile(r"差点|差一点|险些|幸好|幸亏|还好|好在|\b(?:almost|nearly|could have|could've|luckily|"
                        r"fortunately|thankfully)\b")

_FACTUAL_ONLY = {"repeat_contact", "money_taken", "injury"}  # a hypothetical is not one of these


def compile_patterns(patterns: dict[str, list[str]]) -> dict[str, re.Pattern]:
    """triage.yaml `signal_patterns`, one pattern per signal. A bad expression is a RubricError."""
    from ..errors import RubricError

    out = {}
    for name, items in patterns.items():
        try:
            out[name] = re.compile("|".join(f"(?:{p})" for p in items))
        except re.error as e:
            raise RubricError(f"triage.yaml: signal_patterns.{name}: {e}") from None
    return out


_REACH = 80  # a clause is read at most this far either side of the match (a message with no punctuation)


def _boundary(text: str, i: int) -> bool:
    """Whether text[i] ends a clause: punctuation, or a space after a Chinese character (a
    message typed without punctuation: "快递没到 钱都扣了")."""
    ch = text[i]
    return bool(_CLAUSE_END.match(ch)) or (ch.isspace() and i > 0 and _CJK.match(text[i - 1]) is not None)


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The part of the match's clause before it, and the part after it."""
    left, far = start, max(0, start - _REACH)
    while left > far and not _boundary(text, left - 1):
        left -= 1
    contrast = [m.end() for m in _CONTRAST.finditer(text, left, start)]
    if contrast:
        left = contrast[-1]
    right, far = end, min(len(text), end + _REACH)
    while right < far and not _boundary(text, right):
        right += 1
    if right < len(text) and text[right] in "?？":
        right += 1  # the question mark belongs to the clause
    return text[left:start], text[end:right]


def said_as_fact(name: str, text: str, start: int, end: int) -> bool:
    """Whether the match text[start:end] of signal `name` is said as a fact (the module's rules)."""
    before, after = _clause(text, start, end)
    hit = text[start:end]
    zh = not hit[:1].isascii()
    factual = name in _FACTUAL_ONLY
    if zh:
        # a negation governs the verb right after it: "还没有被扣款", not "还没到 钱都扣了";
        # a threat is negated only by a word right before it ("不会起诉"), not by its
        # condition ("不处理就起诉")
        if _NEG_ZH.search(before[-4:] if factual else before[-3:]):
            return False
    else:
        words = before.split()[-(3 if factual else 2):]
        head = hit.rsplit(" ", 1)[0] if " " in hit else ""
        if _NEG_EN.search(" ".join(words)) or (name == "money_taken" and _NEG_EN.search(head)):
            return False
    if factual:
        # the condition governs what follows it closely: "if you charge me twice", not
        # "they said it would come Monday and I've called four times"
        if _IF_ZH.search(before[-10:]) or _IF_EN.search(" ".join(before.split()[-4:])):
            return False
        if name == "repeat_contact" and _AFTER_IF_EN.search(after):
            return False  # "again tomorrow"
        if re.match(r"\s*了?(?:吗|嘛|么|没有?)\s*[?？]?\s*$", after) or (_QUESTION_ZH.search(after) and "会" in before):
            return False  # "扣款了吗", "会扣两次吗"
        if after.rstrip().endswith("?") and _QUESTION_EN.search(before):
            return False  # "is there an extra charge ...?"
    if name == "injury" and (_NEAR_MISS.search(before) or re.search(
            r"(?:没有?人|无人|no ?one|nobody)\W{0,3}\w{0,6}$", before)):
        return False
    return True


def signals_in(text: str, hits: list[tuple[str, int, int]], patterns: dict[str, re.Pattern]) -> list[str]:
    """The signals `text` shows, in the order it first shows them: `hits` are the phrase
    matches (name, start, end); `patterns` the compiled signal_patterns."""
    found: dict[str, int] = {}
    candidates = list(hits)
    for name, rx in patterns.items():
        candidates += [(name, m.start(), m.end()) for m in rx.finditer(text) if m.end() > m.start()]
    for name, start, end in sorted(candidates, key=lambda c: c[1]):
        if name not in found and said_as_fact(name, text, start, end):
            found[name] = start
    return list(found)
