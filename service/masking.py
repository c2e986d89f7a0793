"""Masking of personal data before it is stored or logged: mainland and Taiwan ID numbers
(checksums), mobile numbers (+86 and Taiwan 09xx, spaced or dashed), bank card numbers (Luhn, named as a card, or
grouped in fours), emails
and passport numbers. Order numbers and other ids are left alone unless they pass as one of
these. Each value becomes a tag that keeps its last four characters, e.g. [PHONE …5678]."""

from __future__ import annotations

import re

__all__ = ["mask", "mask_spans", "luhn_ok", "id_checksum_ok", "tw_id_ok"]

_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])((?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4})(?![0-9])")
_CARD = re.compile(r"(?<![0-9])((?:\d[-\s]?){15,18}\d)(?![0-9])")
_TW_ID = re.compile(r"(?<![0-9A-Za-z])([A-Za-z][12]\d{8})(?![0-9A-Za-z])")
_TW_PHONE = re.compile(r"(?<![0-9])((?:\+?886[-\s]?9|09)\d{2}[-\s]?\d{3}[-\s]?\d{3})(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PASSPORT = re.compile(r"(?:护照|護照|passport)[^A-Za-z0-9]{0,12}([A-Za-z]{1,2}\d{7,8})", re.I)
_GROUPED = re.compile(r"\d{4}(?:[-\s]\d{4}){3}(?:[-\s]\d{1,3})?")
_CARD_WORDS = re.compile(r"(?:卡号|卡號|银行卡|銀行卡|信用卡|card)", re.I)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


_TW_LETTERS = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36)))


def tw_id_ok(value: str) -> bool:
    """Taiwan national ID checksum (letter code, then weights 8..1 and the check digit)."""
    code = _TW_LETTERS[value[0].upper()]
    digits = [int(d) for d in value[1:]]
    total = code // 10 + (code % 10) * 9 + sum(d * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2, 1, 1)))
    return total % 10 == 0


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _tag(kind: str, value: str) -> str:
    tail = re.sub(r"[^0-9A-Za-z]", "", value)[-4:]
    return f"[{kind} …{tail}]"


def mask(text: str | None, keep: tuple[str, ...] = ()) -> str | None:
    """`text` with personal data replaced by tags. Values in `keep` (e.g. the ticket's order
    number, the company's own contact email) are never masked."""
    if not text:
        return text

    lowered_keep = {k.lower() for k in keep if k}

    def kept(value: str) -> bool:
        return any(value.replace(" ", "").replace("-", "") == k for k in keep if k)

    def ids(m: re.Match) -> str:
        v = m.group(1)
        return v if kept(v) or not id_checksum_ok(v) else _tag("ID", v)

    def cards(m: re.Match) -> str:
        v = m.group(1)
        digits = re.sub(r"\D", "", v)
        named = _CARD_WORDS.search(text, max(0, m.start() - 12), m.start())
        grouped = _GROUPED.fullmatch(v) is not None  # written the way cards are: 4-4-4-4(-3)
        if kept(v) or not (luhn_ok(digits) or named or grouped):
            return v
        return _tag("CARD", v)

    text = _ID.sub(ids, text)
    text = _TW_ID.sub(lambda m: _tag("ID", m.group(1)) if tw_id_ok(m.group(1)) and not kept(m.group(1))
                      else m.group(1), text)
    text = _TW_PHONE.sub(lambda m: m.group(1) if kept(m.group(1)) else _tag("PHONE", m.group(1)), text)
    text = _CARD.sub(cards, text)
    text = _PHONE.sub(lambda m: m.group(1) if kept(m.group(1)) else _tag("PHONE", m.group(1)), text)
    text = _EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() in lowered_keep else _tag("EMAIL", m.group(0)), text)
    text = _PASSPORT.sub(lambda m: m.group(0).replace(m.group(1), _tag("PASSPORT", m.group(1))), text)
    return text


def mask_spans(reply, findings: list[dict], keep: tuple[str, ...] = ()) -> tuple[str | None, list[dict]]:
    """The reply with personal data masked, and the findings' offsets moved to match: each
    stretch between finding boundaries is masked on its own."""
    if not isinstance(reply, str):
        return None, findings
    cuts = sorted({0, len(reply), *(x for f in findings if f.get("start") is not None
                                     for x in (f["start"], f["end"]))})
    new_at = {}
    out = []
    pos = 0
    for a, b in zip(cuts, cuts[1:]):
        new_at[a] = pos
        piece = mask(reply[a:b], keep) or ""
        out.append(piece)
        pos += len(piece)
    new_at[len(reply)] = pos
    moved = [dict(f, start=new_at[f["start"]], end=new_at[f["end"]]) if f.get("start") is not None else f
             for f in findings]
    return "".join(out), moved
