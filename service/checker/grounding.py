"""The grounding check: a draft may promise only what the policy or the ticket's own facts
hold. Every amount of money, every number inside a time expression and every link in the
draft is checked; what is not grounded becomes an error finding (category `ungrounded`).

The same check blocks what a model says when a ticket's hidden instructions took it over
(prompt injection): compensation the policy does not offer ("双倍赔偿", "五千元"), a passage
copied from the prompts (`grounding.prompt_leak`), or talk about its own prompt or role
("I am now DAN", "忽略之前的指令"; `grounding.role_break`).

A copied passage is found however the model was told to disguise it (prompt_leaks). Draft and
prompts are compared on skeletons: letters and digits only, NFKD-folded (full-width and other
compatibility forms, accents dropped), look-alike Cyrillic and Greek letters made Latin,
casefolded; so separators between letters ("Y-o-u w-r-i-t-e"), zero-width and bidi characters
and soft hyphens vanish. The prompt pieces are also kept in ROT13 and reversed. Runs that look
like base64/base64url, hex or %XX are decoded and checked the same way, and reported with the
span of the encoded run. Spans are offsets into the draft as given."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from typing import TYPE_CHECKING

from ..drafting.prompts import environment
from . import tokens
from .tokens import cn_number
from .languages import LANGS
from .prefilter import Screened
from .review import Finding
from .rubric import Rubric
from .text import fold, normalize, to_script

if TYPE_CHECKING:
    from ..drafting.triage import Triage
    from ..playbook import Playbook

__all__ = ["check", "has_link", "numbers_in", "prompt_leaks"]

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_STOP = "\\s)\\]>\"'，。、；"
# markdown images, http(s) and www. links, and bare domains ("t.cn/xyz", "evil.example/claim"):
# a bare domain needs a known top-level domain, and no "@" or letter before it (an email's domain)
_LINK = re.compile(
    r"!\[[^\]]*\]\([^)]*\)|\bhttps?://[^" + _STOP + r"]+|\bwww\.[^" + _STOP + r"]+"
    r"|(?<![@A-Za-z0-9._/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|cn|net|org|io|xyz|top|ly|cc|gl|example|info|biz|site|online|shop|link|vip|club|tw|hk)"
    r"(?![A-Za-z0-9-])(?:[/?#][^" + _STOP + r"]*)?", re.I)
_CN_NUM = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "半": 0.5}


def numbers_in(text: str) -> list[float]:
    out = [float(n) for n in _NUMBER.findall(text.replace(",", ""))]
    out += [float(_CN_NUM[c]) for c in text if c in _CN_NUM]
    return out


# ---------------------------------------------------------------- compensation in words

# an amount the signals recogniser does not read: Chinese numerals or a 千/万 multiplier
# ("五千元", "1万元", "¥5千", "两万块"), on the normalised (simplified, folded) text
_CN_AMOUNT = re.compile(
    r"(?P<cur>[¥$]\s?)?(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(?P<mul>[十百千万]|k\b)?"
    r"\s*(?P<unit>元(?!素|件|旦|宵|气|老|首)|块钱|块|人民币|美元|dollars?|yuan)?")
# compensation the policy does not offer at any amount: multiples, free orders, for life
_EXTRA_COMP = re.compile(
    r"(?:双倍|[两三四五六七八九十百\d]+倍)(?:的)?(?:赔偿|补偿|赔付|退款|返还)"
    r"|(?:赔偿|补偿|赔付|退还|返还|退|赔)(?:给)?(?:您|你)?(?:双倍|[两三四五六七八九十百\d]+倍)"
    r"|假一赔[一二三四五六七八九十\d]+|免单|终身免费|永久免费|终身vip|免费终身|(?:全额)?加倍(?:退款|赔偿|补偿|返还)"
    r"|\b(?:refund|pay|compensate|give|offer|credit|reimburse)(?:\s+you)?\s+"
    r"(?:double|triple|twice|(?:three|four|five|ten|\d+)\s*(?:times|x))\b"
    r"|\b(?:double|triple|quadruple|(?:three|four|five|ten|\d+)\s*(?:times|x))\s+(?:the\s+|your\s+)?"
    r"(?:refund|compensation)\b"
    r"|\bfree (?:for life|forever)\b|\blifetime (?:free|membership|vip)\b")
# ("您被扣了双倍金额", "charged double the amount" restate a billing error: not compensation)


def _word_amounts(t: str):
    """(start, end, value) of amounts in Chinese numerals or with a 千/万 multiplier."""
    for m in _CN_AMOUNT.finditer(t):
        num, mul = m.group("num"), m.group("mul")
        if not (m.group("cur") or m.group("unit")):
            continue
        if num.isascii() and not mul:
            continue  # "30元", "¥5000": the signals recogniser reads these
        value = cn_number(num)
        if value is None:
            continue
        if mul:
            value *= {"十": 10, "百": 100, "千": 1000, "万": 10_000}.get(mul, 1000)
        if m.group("unit") == "块" and not m.group("cur") and value < 100:
            continue  # "一块儿", "碎成两块": pieces, not money
        yield m.start(), m.end(), value


# ---------------------------------------------------------------- prompt leaks

LEAK_MIN_CHARS = 30  # letters and digits (of skeletons: _skeleton_of) copied from the prompts: a leak
_SHINGLE = 12        # copies are found by shared 12-character pieces of skeletons...
_LEAK_GAP = 40       # ...joined across a gap of up to 40 (a template value: company, contact)
_PROMPTS = ("system.j2", "draft.j2", "repair.j2")

# A customer-service reply never talks about its prompt, its instructions or its role.
_ROLE_BREAK = re.compile(
    r"\bsystem prompt\b|\bprompt injection\b|\bmy (?:hidden |original |initial |system )(?:instructions|prompt)\b"
    r"|\bmy instructions (?:say|says|tell me|told me|were)\b"
    r"|\b(?:ignor(?:e|ed|ing)|disregard(?:ed|ing)?) (?:all |any )?(?:the |my |your )?"
    r"(?:previous|prior|above|earlier|original) (?:instructions|rules|prompts?)\b"
    r"|\bi(?: am|'m) now dan\b|\bdan mode\b|\bas an ai(?: language)? model\b"
    r"|\bi (?:have|am under|follow) no (?:rules|restrictions)\b"
    r"|系统提示词|系统提示语|内部指令|我的(?:提示词|指令|系统设定)"
    r"|(?:忽略|无视|不再遵守|不用遵守)(?:了)?(?:(?:之前|以上|前面|先前|此前|上述|原来|原有)(?:的)?(?:所有|全部|一切)?"
    r"|(?:所有|全部|一切)(?:的)?)(?:指令|指示|规则|设定|限制)|(?:忽略|无视)(?:了)?(?:你的|我的)?(?:指令|指示)"
    r"|我现在是dan|我已(?:经)?(?:成为|变成)(?:了)?dan|dan模式|作为(?:一个)?(?:ai|人工智能)(?:语言)?模型"
    r"|不受任何(?:规则|限制)")


# Letters that look like Latin ones, from the scripts a model may swap in to hide a copy (Cyrillic,
# Greek, Armenian, IPA and small capitals); NFKD already takes care of full-width, mathematical,
# circled and other compatibility forms. Upper and lower case both: casefolding Greek Η (which
# looks like H) would make it η (which looks like n).
_CONFUSABLES = dict(zip(
    "АВЕЅІЈКМНОРСТУХҮҺӀԚԜ" "авеѕіјкмнорстухүһӏԛԝԁɡѵѡ"
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ" "αβγεικνορτυχωηϲϳ"
    "օսհոցզ" "ıȷɑɩɪʟ" "ᴀʙᴄᴅᴇғɢʜᴊᴋᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ",
    "abesijkmhopctyxyhlqw" "abesijkmhopctyxyhlqwdgvw"
    "abezhikmnoptyx" "abyeikvoptuxwncj"
    "ounhgq" "ijaiil" "abcdefghjkmnoprstuvwyz"))
_SKELETON_CACHE = 50_000  # characters remembered (a text of many distinct ones is still read right)


def _skeleton_of(ch: str) -> str:
    """A character's letters and digits, as the leak check compares them: compatibility forms
    decomposed (NFKD: full-width, ligatures, circled letters; accents fall away as combining
    marks), look-alike letters to Latin ones, casefolded; everything else (spaces, punctuation,
    separators, and the Unicode format characters: zero-width and bidi controls, soft hyphens)
    dropped."""
    import unicodedata

    out = []
    for c in unicodedata.normalize("NFKD", ch):
        c = _CONFUSABLES.get(c) or c.casefold()
        out += [x for x in c if x.isalnum()]
    return "".join(out)


class _SkeletonTable(dict):
    """A `str.translate` table from each character to its skeleton, filled as characters are
    met: the ASCII ones up front, every other one the first time it is seen."""

    def __missing__(self, code: int) -> str:
        value = _skeleton_of(chr(code))
        if len(self) < _SKELETON_CACHE:
            self[code] = value
        return value


_SKELETON = _SkeletonTable({c: _skeleton_of(chr(c)) for c in range(128)})


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text's skeleton (its letters and digits, normalised; see _skeleton_of), and where in
    `text` each of its characters came from. `text.translate(_SKELETON)` is the same skeleton
    without the map, for when no offsets are needed."""
    table = _SKELETON
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        x = table[ord(ch)]
        if x:
            out.append(x)
            index += [i] * len(x)
    return "".join(out), index


def _literal_text(root: Path, name: str) -> list[str]:
    """A template's own words: its data pieces, without the values it is rendered with."""
    env = environment(root)
    try:
        source = env.loader.get_source(env, name)[0]
    except Exception:  # noqa: BLE001 - a prompt folder without this template
        return []
    return [value for _, kind, value in env.lex(source) if kind == "data"]


_ROT13 = str.maketrans("abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm")


@functools.cache
def _leak_shingles(root: Path, rubric: Rubric) -> frozenset[str]:
    """Every 12-character piece of the prompts' own words (on their skeletons), less those that
    the company's own reply texts use too (offline templates, rule messages and suggestions:
    "the order number or the last 4 digits of your phone" is a fine thing for a draft to say);
    and each of those pieces in ROT13 and reversed, so that one pass over a draft's skeleton
    finds a copy written forwards, in ROT13 or backwards."""
    k = _SHINGLE

    def pieces(texts: list[str]) -> set[str]:
        out = set()
        for text in texts:
            s = text.translate(_SKELETON)
            out.update(s[i:i + k] for i in range(len(s) - k + 1))
        return out

    ours: list[str] = []
    for path in sorted((root / "offline").glob("*/*.j2")):
        ours += _literal_text(root, path.relative_to(root).as_posix())
    ours += [x for r in rubric.rules for x in (r.message, r.suggestion)]
    ours += [sug for pairs in rubric.triggers.values() for _, sug in pairs if sug]
    ours += [x for sec in rubric.sections.values() for d in (sec.spec.message, sec.spec.suggestion)
             for x in d.values()]
    own = pieces(ours)
    prompt = pieces([piece for name in _PROMPTS for piece in _literal_text(root, name)]) - own
    prompt |= {s.translate(_ROT13) for s in prompt} | {s[::-1] for s in prompt}
    return frozenset(prompt - own)


def _copied_runs(s: str, shingles: frozenset[str]) -> list[tuple[int, int, int]]:
    """(start, end, characters copied) in the skeleton `s` of its runs of prompt pieces: pieces
    that overlap or lie within _LEAK_GAP of each other make one run, which counts when its
    pieces cover at least LEAK_MIN_CHARS characters."""
    k = _SHINGLE
    hits = [i for i in range(len(s) - k + 1) if s[i:i + k] in shingles]
    if not hits:
        return []
    runs: list[list[int]] = []  # [start, end, copied characters]
    for i in hits:
        if runs and i <= runs[-1][1]:  # overlaps or touches the run so far
            runs[-1][2] += i + k - runs[-1][1]
            runs[-1][1] = i + k
        elif runs and i - runs[-1][1] <= _LEAK_GAP:
            runs[-1][1] = i + k
            runs[-1][2] += k
        else:
            runs.append([i, i + k, k])
    return [(a, b, copied) for a, b, copied in runs if copied >= LEAK_MIN_CHARS]


# ------------------------------------------------ encoded copies

_BLOB_MIN = 24  # characters (whitespace aside) of a run worth decoding
# a run of base64/base64url or hex characters, whitespace inside allowed (a blob split across lines,
# or with spaces put in); the "\x", "0x", ":" and "-" of hex bytes included
_BLOB_CHARS = r"A-Za-z0-9+/=_:\\\-"
_BLOB = re.compile(rf"(?=[{_BLOB_CHARS}][{_BLOB_CHARS}\s]{{{_BLOB_MIN - 1}}})"
                   rf"[{_BLOB_CHARS}]+(?:\s+[{_BLOB_CHARS}]+)*")
# a run of %XX escapes and the characters that percent-encoding leaves as they are
_PERCENT_RUN = re.compile(r"[A-Za-z0-9._~!*'()+%%-]{%d,}" % _BLOB_MIN)
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
# characters that hide a blob from _BLOB: format characters (zero-width, bidi, soft hyphen, tags)
# between its characters, full-width forms of them; _VIEW drops the former and makes the latter ASCII
_FORMAT_RANGES = ((0xAD, 0xAD), (0x61C, 0x61C), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
                  (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xE0001, 0xE0001), (0xE0020, 0xE007F))
_FORMAT_CHARS = frozenset(c for lo, hi in _FORMAT_RANGES for c in range(lo, hi + 1))
_VIEW = {c: None for c in _FORMAT_CHARS} | {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
# (as ranges: a class that lists a hundred characters one by one makes `re` 20 times slower)
_HIDDEN = re.compile("[%s\uff05\uff0b\uff0f\uff10-\uff19\uff1d\uff21-\uff3a\uff41-\uff5a]"
                     % "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _FORMAT_RANGES))
_HEX_SEPARATORS = re.compile(r"\\x|0x|[:-]", re.I)
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){%d,}" % _BLOB_MIN)
_HEX_DIGITS = b"0123456789abcdefABCDEF"
# words of prose at either end of a run ("here is WW91IHdy... thanks"), which would dilute a blob
_LEADING_WORDS = re.compile(r"(?:[A-Za-z][a-z]*\s+)+")
_TRAILING_WORDS = re.compile(r"(?:[a-z]*[A-Za-z]\s+)+")  # on the run reversed
# base64 of text has capitals in a fifth of its characters or more (of a prompt passage of 30
# characters or more, in capitals, small letters, ROT13, reversed or spelled out); prose, numbers
# and codes hardly have any: they are not decoded
_NOT_UPPER = bytes(c for c in range(128) if not 65 <= c <= 90)
_B64URL = str.maketrans("-_", "+/", ":\\")
# capitals and digits that a word of prose would not have there: inside a word, or a capital not
# followed by a small letter
_ODD_CASE = re.compile(r"(?<=[A-Za-z0-9+/_-])[A-Z0-9+/_-]|[0-9+/_=:\\-]|[A-Z](?![a-z])")


def _base64(data: str) -> bytes:
    """Lenient base64: '=' ends one blob and may begin another (lines encoded one by one), and
    the padding may be left out."""
    import binascii

    out = []
    for part in data.split("="):
        if len(part) % 4 == 1:
            part = part[:-1]
        if part:
            try:
                out.append(binascii.a2b_base64(part + "=" * (-len(part) % 4)))
            except binascii.Error:  # pragma: no cover - the run holds only base64 characters by now
                pass
    return b"".join(out)


def _looks_base64(run: str, size: int, capitals: int) -> bool:
    """Whether `run` (of `size` characters whitespace aside, `capitals` of them capital letters)
    is base64 rather than prose, numbers or a code: a fifth of base64 of text is capitals, and a
    blob's share is taken without the words of prose around it."""
    if capitals * 8 >= size:
        return True
    if capitals < 2:
        return False
    m = _LEADING_WORDS.match(run)
    core = run[m.end():] if m else run
    m = _TRAILING_WORDS.match(core[::-1])
    core = "".join((core[:len(core) - m.end()] if m else core).split()).encode("ascii")
    return len(core) >= 16 and len(core.translate(None, _NOT_UPPER)) * 8 >= len(core)


def _decodings(run: str):
    """What a run of _BLOB may say: hex decoded, from each of its first two digits; base64 (or
    base64url) decoded from each of its first four characters, so that a word run into the blob
    ("Here WW91IHdy...") leaves the rest aligned. Nothing for a run that looks like neither."""
    data = "".join(run.split())
    if len(data) < _BLOB_MIN:
        return
    raw = data.encode("ascii")
    if len(raw) - len(raw.translate(None, _HEX_DIGITS)) >= 2 * _BLOB_MIN:
        for m in _HEX.finditer(_HEX_SEPARATORS.sub("", data)):
            digits = m.group()
            for r in (0, 1):
                pairs = digits[r:len(digits) - (len(digits) - r) % 2]
                yield bytes.fromhex(pairs).decode("utf-8", errors="replace")
    if _looks_base64(run, len(raw), len(raw.translate(None, _NOT_UPPER))):
        data = data.translate(_B64URL)
        for r in range(4):
            yield _base64(data[r:]).decode("utf-8", errors="replace")


def _copied_decoded(run: str, shingles: frozenset[str]) -> int:
    """The characters of the prompts that a decoding of `run` copies, at most (0: none, or too
    few to be a leak)."""
    return max((sum(c for _, _, c in _copied_runs(decoded.translate(_SKELETON), shingles))
                for decoded in _decodings(run)), default=0)


def _blob_span(text: str, start: int, end: int, copied: int,
               shingles: frozenset[str]) -> tuple[int, int]:
    """The run text[start:end] less the words of prose at either end ("Here it is WW91IHdy...
    thanks"): chunks of letters alone (no capital inside, no digit) that the copy does not need.
    Such a chunk of the blob itself decodes to three letters of the copy, and is given back; a
    word of prose may add a stray letter by chance. (Decoded a bounded number of times: the run
    may be a long one.)"""
    chunks = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    odd = [k for k, (a, b) in enumerate(chunks) if _ODD_CASE.search(text, a, b)]
    if not odd:
        return start, end
    i, j = odd[0], odd[-1]
    for _ in range(8):
        if _copied_decoded(text[chunks[i][0]:chunks[j][1]], shingles) >= copied - 2:
            return chunks[i][0], chunks[j][1]
        i, j = max(i - 1, 0), min(j + 1, len(chunks) - 1)
    return start, end


def _encoded_leaks(text: str, shingles: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of the encoded runs of `text` (base64, hex, %XX) that decode to a copy of the
    prompts. A run hidden by format characters or written in full-width forms is read without
    the former and with the latter made ASCII (_VIEW), and its span mapped back to `text`."""
    view = text.translate(_VIEW) if not text.isascii() and _HIDDEN.search(text) else text
    spans = []
    for m in _BLOB.finditer(view):
        copied = _copied_decoded(m.group(), shingles)
        if copied:
            spans.append(_blob_span(view, *m.span(), copied, shingles))
    if "%" in view:
        from urllib.parse import unquote

        for m in _PERCENT_RUN.finditer(view):
            run = m.group()
            if len(_PERCENT.findall(run)) >= 3 and _copied_runs(
                    unquote(run, errors="replace").translate(_SKELETON), shingles):
                spans.append(m.span())
    if spans and view is not text:
        index = [i for i, ch in enumerate(text) if ord(ch) not in _FORMAT_CHARS]
        spans = [(index[a], index[b - 1] + 1) for a, b in spans]
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def prompt_leaks(text: str, playbook: Playbook) -> list[tuple[int, int]]:
    """Spans of `text` (offsets into it as given) that copy a passage of the prompts: at least
    LEAK_MIN_CHARS letters and digits of the templates' own words, in pieces that may be split
    by a template value. The policy's facts and the contact are template values, never a leak.

    The copy is found however it is written: compared on skeletons (letters and digits only,
    NFKD-folded, look-alike letters made Latin, casefolded), a copy in capitals, spelled out
    letter by letter ("Y-o-u w-r-i-t-e"), with zero-width or bidi characters or soft hyphens
    between its letters, or in Cyrillic or full-width look-alikes is the same as the plain
    one; so is one in ROT13 or backwards (see _leak_shingles). A run that looks like base64,
    base64url, hex or %XX is decoded and its text checked the same way; a copy found there is
    reported with the span of the encoded run."""
    shingles = _leak_shingles(playbook.prompt_dir, playbook.rubric)
    spans: list[tuple[int, int]] = []
    if _copied_runs(text.translate(_SKELETON), shingles):  # the offsets are needed only for a leak
        s, index = _skeleton(text)
        spans += [(index[a], index[b - 1] + 1) for a, b, _ in _copied_runs(s, shingles)]
    spans += _encoded_leaks(text, shingles)
    return _merge(spans)


# ---------------------------------------------------------------- the check

def _message(kind: str, lang: str, value: str) -> tuple[str, str]:
    zh = lang.startswith("zh")
    short = value if len(value) <= 60 else value[:57] + "…"
    if kind == "amount":
        return (("金额“%s”不在政策或工单里,不能承诺" % value, "改用政策允许的补偿金额") if zh else
                (f'The amount "{value}" is not in the policy or the ticket.', "use an amount the policy allows"))
    if kind == "compensation":
        return (("补偿“%s”不在政策里,不能承诺" % value, "改用政策允许的补偿金额") if zh else
                (f'The compensation "{value}" is not one the policy offers.', "use an amount the policy allows"))
    if kind == "time":
        return (("时间“%s”不在政策里,不能承诺" % value, "改用政策规定的处理时限") if zh else
                (f'The time "{value}" is not one the policy sets.', "use a time the policy sets"))
    if kind == "prompt_leak":
        return (("这段照抄了内部指令(系统提示词):“%s”" % short, "删除这段内部指令,只回复顾客的问题") if zh else
                (f'This copies the internal instructions (the system prompt): "{short}"',
                 "remove it; answer only the customer's problem"))
    if kind == "role_break":
        return (("“%s”在谈论自己的指令或角色,像是执行了工单里夹带的指令" % short, "删除这句话,只回复顾客的问题") if zh else
                (f'"{short}" talks about its own instructions or role: the ticket\'s hidden instructions were followed.',
                 "remove it; answer only the customer's problem"))
    return (("链接或图片“%s”不在政策允许的链接里" % value, "删除该链接") if zh else
            (f'The link or image "{value}" is not one the policy allows.', "remove it"))


def check(text: str, playbook: Playbook, triage: Triage, lang: str, rendered: list[str] = (),
          complaint: str | None = None) -> list[Finding]:
    """The grounding findings of `text`, a reply to the ticket `triage` read, against the
    playbook's policy and prompts. `rendered`: catalogue texts the service wrote into it;
    `complaint`: the customer's message, whose own figures a reply may restate (never give)."""
    rubric, policy = playbook.rubric, playbook.policy
    # the recognisers are written in simplified Chinese: a traditional draft is converted first
    # (with an offset map when a conversion changes the length), and so is any draft holding
    # Chinese, whatever its language was taken to be (a base64 blob makes a Chinese ticket look
    # English, and an injected instruction may make the model answer in either script)
    norm = normalize(text, "zh-Hant" if _CJK.search(text) else lang)
    facts = policy.numbers()
    e = triage.entities
    for value in (e.order_id, e.date):
        if value:
            facts.update(numbers_in(value))
    money_ok = {round(v, 2) for v in (policy.compensation[t].coupon for t in policy.compensation)}
    money_ok |= {round(policy.compensation[triage.severity].cap, 2)}
    if e.amount and triage.kind == "billing":  # refunding what was charged
        money_ok.update(round(v, 2) for v in numbers_in(e.amount))
    own = policy.numbers()
    for piece in rendered:  # a sum the service wrote from the catalogue (an expense cap): the policy's own
        for m in rubric.recognisers["amount"].finditer(normalize(piece, "zh-Hant" if _CJK.search(piece) else lang).text):
            money_ok.update(round(v, 2) for v in numbers_in(m.group(0)) if v in own)

    findings: list[Finding] = []

    def add(kind: str, s: int, end: int) -> None:
        value = text[s:end]
        message, suggestion = _message(kind, lang, value)
        if lang == "zh-Hant":
            message, suggestion = to_script(message, lang), to_script(suggestion, lang)
        findings.append(Finding(f"grounding.{kind}", "ungrounded", "error", s, end, value,
                                message, suggestion))

    allowed_links = {fold(u).rstrip("/") for u in policy.links.values()}
    allowed_links |= {u.split("://", 1)[-1] for u in allowed_links}  # written without the scheme
    link_spans = []
    for m in _SCREENED["link"].finditer(text):
        s, end = m.span()
        while end > s and text[end - 1] in ".,;:!?)" and not text.startswith("![", s):  # punctuation after a link
            end -= 1
        link_spans.append((s, end))
        if fold(text[s:end]).rstrip("/") not in allowed_links:
            add("link", s, end)

    def inside_link(s: int) -> bool:
        return any(a <= s < b for a, b in link_spans)

    for m in rubric.recognisers["amount"].finditer(norm.text):
        s, end = norm.span(*m.span())
        if inside_link(s):
            continue
        values = numbers_in(m.group(0))
        if values and not all(round(v, 2) in money_ok for v in values):
            add("amount", s, end)
    if _WORD_HINT.search(norm.text):  # "五千元", "1万元", "¥10万": read whole, numerals and all
        flagged = [(f.start, f.end) for f in findings if f.rule == "grounding.amount"]
        # the customer's own loss may be restated ("被盗刷了三千块"), never a sum they demand
        said = normalize(e.clause or "", "zh-Hant").text
        if _DEMAND.search(said):
            said = ""
        for a, b, value in _word_amounts(norm.text):
            s, end = norm.span(a, b)
            if inside_link(s) or round(value, 2) in money_ok or any(x < end and s < y for x, y in flagged):
                continue
            if said and norm.text[a:b].strip() in said:
                continue
            add("amount", s, end)
    for m in _SCREENED["compensation"].finditer(norm.text):
        add("compensation", *norm.span(*m.span()))
    for m in rubric.recognisers["time"].finditer(norm.text):
        s, end = norm.span(*m.span())
        if inside_link(s):
            continue
        values = numbers_in(m.group(0))
        if values and not all(v in facts for v in values):
            add("time", s, end)
    for s, end in prompt_leaks(text, playbook):
        add("prompt_leak", s, end)
    for f in tokens.reply_tokens(text, lang, _allowed(policy, triage, lang, rendered, complaint)):
        if not any(g.start is not None and g.start < f.end and f.start < g.end for g in findings):
            findings.append(f)
    for m in _SCREENED["role_break"].finditer(norm.text):
        s, end = norm.span(*m.span())
        if not any(f.rule == "grounding.prompt_leak" and f.start <= s and end <= f.end for f in findings):
            add("role_break", s, end)
    return findings


def _allowed(policy, triage: Triage, lang: str, rendered, complaint: str | None = None) -> tokens.Allowed:
    """What a reply to this ticket may carry: the policy's numbers, links and contacts, the
    ticket's own facts, and the catalogue texts the service rendered."""
    e = triage.entities
    numbers = policy.numbers()
    literals = {policy.contact.hotline, policy.contact.email, *policy.links.values(),
                policy.contact.name(lang), policy.company.name(lang), policy.contact.hours(lang)}
    # the amount the ticket states is the charge to refund in a billing case; anywhere else it is
    # the customer's figure (a claimed promise, a demand), restated at most, never given
    facts = (e.order_id, e.date, e.amount if triage.kind == "billing" else None)
    for value in facts:
        if value:
            numbers.update(numbers_in(value))
            literals.add(value)
    if e.clause and not _DEMAND.search(normalize(e.clause, "zh-Hant").text):
        # the customer's own words quoted back, and their own loss restated ("被盗刷了三千块"),
        # never a sum they demand
        literals.add(e.clause)
    said = {v for text in (e.clause, e.amount, complaint) if text
            for m in tokens.NUMBER_FULL.finditer(tokens.skeleton(text)[0]) for v in tokens.values_of(m.group())}
    literals |= {u.split("://", 1)[-1] for u in policy.links.values()}  # links written without the scheme
    for tier in policy.compensation.values():
        numbers.update((tier.coupon, tier.cap))
    offers, pairs = _catalogue(policy)
    c = policy.currency
    currencies = {c.symbol.lower(), c.code.lower()} | ({"人民币", "rmb", "￥", "¥"} if c.code == "CNY" else set())
    return tokens.Allowed(numbers=numbers, literals={x for x in literals if x}, rendered=list(rendered),
                          offers=offers, pairs=pairs, said=said - numbers, currencies=currencies)


_OFFERS: dict[int, tuple[frozenset[str], dict]] = {}


def _catalogue(policy) -> tuple[frozenset[str], dict]:
    """The verbs of giving in the catalogue's texts (every language), and the numbers each goes
    with there, rendered at every tier."""
    key = id(policy)  # a loaded policy lives as long as the process (load_policy caches it)
    if key not in _OFFERS:
        texts = [policy.render(r.text(x), tier=t, facts={}) for r in policy.remedies for x in LANGS
                 for t in policy.compensation]
        _OFFERS[key] = (frozenset(tokens.offers_of(texts)), tokens.pairs_of(texts))
    return _OFFERS[key]


# the three are searched in every draft: behind their literal screens most drafts skip them
_SCREENED = {"link": Screened(_LINK), "compensation": Screened(_EXTRA_COMP), "role_break": Screened(_ROLE_BREAK)}


def has_link(text: str) -> bool:
    """Whether `text` holds what the check reads as a link (a URL, www., a bare domain)."""
    return _SCREENED["link"].search(text) is not None
_CJK = re.compile(r"[\u3400-\u9fff]")
_DEMAND = re.compile(r"赔|补偿|退|返|红包|奖励|送|compensat|refund|reimburs|pay me|give me")
_WORD_HINT = re.compile(r"[零〇一二两三四五六七八九十百千万]\s*(?:[十百千万]\s*)?(?:元|块|人民币|美元|yuan|dollar)|\d\s*(?:[十百千万]|k\b)")
