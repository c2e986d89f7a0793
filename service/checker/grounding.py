"""The grounding check: a draft may promise only what the policy or the ticket's own facts
hold. Every amount of money, every number inside a time expression and every link in the
draft is checked; what is not grounded becomes an error finding (category `ungrounded`).

The same check blocks what a model says when a ticket's hidden instructions took it over
(prompt injection): compensation the policy does not offer ("双倍赔偿", "五千元"), a passage
copied from the prompts (`grounding.prompt_leak`), or talk about its own prompt or role
("I am now DAN", "忽略之前的指令"; `grounding.role_break`)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from typing import TYPE_CHECKING

from ..drafting.prompts import environment
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

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
# an amount the signals recogniser does not read: Chinese numerals or a 千/万 multiplier
# ("五千元", "1万元", "¥5千", "两万块"), on the normalised (simplified, folded) text
_CN_AMOUNT = re.compile(
    r"(?P<cur>[¥$]\s?)?(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(?P<mul>[十百千万]|k\b)?"
    r"\s*(?P<unit>元(?!素|件|旦|宵|气|老|首)|块钱|块|人民币|美元|dollars?|yuan)?")
# compensation the policy does not offer at any amount: multiples, free orders, for life
_EXTRA_COMP = re.compile(
    r"(?:双倍|[两三四五六七八九十百\d]+倍)(?:的)?(?:赔偿|补偿|赔付|退款|返还)"
    r"|(?:赔偿|补偿|赔付|退还|返还|退|赔)(?:给)?(?:您|你)?(?:双倍|[两三四五六七八九十百\d]+倍)"
    r"|假一赔[一二三四五六七八九十\d]+|免单|终身免费|永久免费|终身vip|免费终身"
    r"|\b(?:refund|pay|compensate|give|offer|credit|reimburse)(?:\s+you)?\s+"
    r"(?:double|triple|twice|(?:three|four|five|ten|\d+)\s*(?:times|x))\b"
    r"|\b(?:double|triple|quadruple|(?:three|four|five|ten|\d+)\s*(?:times|x))\s+(?:the\s+|your\s+)?"
    r"(?:refund|compensation)\b"
    r"|\bfree (?:for life|forever)\b|\blifetime (?:free|membership|vip)\b")
# ("您被扣了双倍金额", "charged double the amount" restate a billing error: not compensation)


def _cn_number(s: str) -> float | None:
    """"五千" 5000, "两万" 20000, "三十" 30, "十五" 15, "5" 5; None when it is not a number."""
    if s[0].isdigit():
        return float(s)
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch == "万":
            total += (section + (digit or 0)) * 10_000 or 10_000
            section, digit = 0, None
        elif ch in _CN_UNIT:
            section += (1 if digit is None else digit) * _CN_UNIT[ch]
            digit = None
        else:
            return None
    return float(total + section + (digit or 0))


def _word_amounts(t: str):
    """(start, end, value) of amounts in Chinese numerals or with a 千/万 multiplier."""
    for m in _CN_AMOUNT.finditer(t):
        num, mul = m.group("num"), m.group("mul")
        if not (m.group("cur") or m.group("unit")):
            continue
        if num.isascii() and not mul:
            continue  # "30元", "¥5000": the signals recogniser reads these
        value = _cn_number(num)
        if value is None:
            continue
        if mul:
            value *= {"十": 10, "百": 100, "千": 1000, "万": 10_000}.get(mul, 1000)
        if m.group("unit") == "块" and not m.group("cur") and value < 100:
            continue  # "一块儿", "碎成两块": pieces, not money
        yield m.start(), m.end(), value


# ---------------------------------------------------------------- prompt leaks

LEAK_MIN_CHARS = 30  # characters (whitespace aside) copied from the prompts that make a leak
_SHINGLE = 12        # copies are found by shared 12-character pieces...
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


_SPACE = re.compile(r"\s+")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """The folded text without whitespace, and where each of its characters came from."""
    folded = fold(text)
    index = [i for i, ch in enumerate(folded) if not ch.isspace()]
    return "".join(folded[i] for i in index), index


def _literal_text(root: Path, name: str) -> list[str]:
    """A template's own words: its data pieces, without the values it is rendered with."""
    env = environment(root)
    try:
        source = env.loader.get_source(env, name)[0]
    except Exception:  # noqa: BLE001 - a prompt folder without this template
        return []
    return [value for _, kind, value in env.lex(source) if kind == "data"]


@functools.cache
def _leak_shingles(root: Path, rubric: Rubric) -> frozenset[str]:
    """Every 12-character piece of the prompts' own words, less those that the company's own
    reply texts use too (offline templates, rule messages and suggestions: "the order number
    or the last 4 digits of your phone" is a fine thing for a draft to say)."""
    k = _SHINGLE
    prompt = set()
    for name in _PROMPTS:
        for piece in _literal_text(root, name):
            s, _ = _squeeze(piece)
            prompt.update(s[i:i + k] for i in range(len(s) - k + 1))
    ours: list[str] = []
    for path in sorted((root / "offline").glob("*/*.j2")):
        ours += _literal_text(root, path.relative_to(root).as_posix())
    ours += [x for r in rubric.rules for x in (r.message, r.suggestion)]
    ours += [sug for pairs in rubric.triggers.values() for _, sug in pairs if sug]
    ours += [x for sec in rubric.sections.values() for d in (sec.spec.message, sec.spec.suggestion)
             for x in d.values()]
    for piece in ours:
        s, _ = _squeeze(piece)
        prompt.difference_update(s[i:i + k] for i in range(len(s) - k + 1))
    return frozenset(prompt)


def prompt_leaks(text: str, playbook: Playbook) -> list[tuple[int, int]]:
    """Spans of `text` that copy a passage of the prompts: at least LEAK_MIN_CHARS characters
    (case and whitespace aside) of the templates' own words, in pieces that may be split by a
    template value. The policy's facts and the contact are template values, never a leak."""
    shingles = _leak_shingles(playbook.prompt_dir, playbook.rubric)
    s = _SPACE.sub("", fold(text))  # where each character came from is needed only for a leak
    k = _SHINGLE
    runs: list[list[int]] = []  # [start, end, copied characters] in squeezed offsets
    for i in range(len(s) - k + 1):
        if s[i:i + k] not in shingles:
            continue
        if runs and i <= runs[-1][1]:  # overlaps or touches the run so far
            grown = i + k - runs[-1][1]
            runs[-1][1] = i + k
            runs[-1][2] += grown
        elif runs and i - runs[-1][1] <= _LEAK_GAP:
            runs[-1][1] = i + k
            runs[-1][2] += k
        else:
            runs.append([i, i + k, k])
    runs = [r for r in runs if r[2] >= LEAK_MIN_CHARS]
    if not runs:
        return []
    _, index = _squeeze(text)
    return [(index[a], index[b - 1] + 1) for a, b, _ in runs]


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


def check(text: str, playbook: Playbook, triage: Triage, lang: str) -> list[Finding]:
    """The grounding findings of `text`, a reply to the ticket `triage` read, against the
    playbook's policy and prompts."""
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
    if e.amount and triage.scenario == "billing":  # refunding what was charged
        money_ok.update(round(v, 2) for v in numbers_in(e.amount))

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
    for m in _SCREENED["role_break"].finditer(norm.text):
        s, end = norm.span(*m.span())
        if not any(f.rule == "grounding.prompt_leak" and f.start <= s and end <= f.end for f in findings):
            add("role_break", s, end)
    return findings


# the three are searched in every draft: behind their literal screens most drafts skip them
_SCREENED = {"link": Screened(_LINK), "compensation": Screened(_EXTRA_COMP), "role_break": Screened(_ROLE_BREAK)}


def has_link(text: str) -> bool:
    """Whether `text` holds what the check reads as a link (a URL, www., a bare domain)."""
    return _SCREENED["link"].search(text) is not None
_CJK = re.compile(r"[\u3400-\u9fff]")
_DEMAND = re.compile(r"赔|补偿|退|返|红包|奖励|送|compensat|refund|reimburs|pay me|give me")
_WORD_HINT = re.compile(r"[零〇一二两三四五六七八九十百千万]\s*(?:[十百千万]\s*)?(?:元|块|人民币|美元|yuan|dollar)|\d\s*(?:[十百千万]|k\b)")
