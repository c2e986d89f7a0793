"""Triage of a customer message, with no model: language, scenario, severity tier, response
deadline, who answers, and the entities a reply should restate (rubrics/triage.yaml)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, model_validator

from typing import TYPE_CHECKING

from ..checker.rubric import expand
from ..checker.rubric_files import read_yaml, validate
from ..checker.text import detect_lang, fold, normalize, to_simplified
from ..privacy.masking import find_pii
from .quoting import says_nothing
from .severity_signals import compile_patterns, said_as_fact as _said_as_fact, signals_in

if TYPE_CHECKING:
    from ..playbook import Playbook

__all__ = ["Issue", "Triage", "TriageRules", "triage", "load_triage_rules", "signal_severity", "keyword_hits",
           "refine", "issue_severity", "SCENARIOS", "TIERS"]

SCENARIOS = ("safety_emergency", "account_security", "billing", "outage",
             "defective_or_wrong_item", "late_or_lost_parcel", "poor_service", "inquiry", "other")
TIERS = ("minor", "medium", "severe")


class _ScenarioSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: str = Field(pattern="^(minor|medium|severe)$")
    keywords: list[str]


class _TriageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenarios: dict[str, _ScenarioSpec]
    escalate_to_severe: list[str]
    escalate_to_medium: list[str]
    product_after: list[str]
    # a product phrase is restated only when it ends in one of these ({zh: [...], en: [...]});
    # none given: any phrase after product_after is
    product_heads: dict[str, list[str]] = {}
    topics: dict[str, list[str]] = {}
    # phrases that hold a keyword but not its meaning ("fire stick", "down payment"): blanked
    # before the keywords are matched
    idioms: list[str] = []
    # the guides' severity signals, by name (repeat_contact, money_taken, public_threat, ...):
    # phrases, and patterns by kind (severity_signals.py)
    signals: dict[str, list[str]] = {}
    signal_patterns: dict[str, list[str]] = {}
    # thanks and praise with no complaint: words that say it, and words that say it is not
    # ("thanks for the huge delays", "谢谢 但是…"): a message with one of `praise` and none of
    # `praise_not` gets a thank-you, not an apology and a remedy
    praise: list[str] = []
    praise_not: list[str] = []
    # ... and words that say a problem is over ("退款已经到账了", "seems resolved"): in their clause,
    # a complaint's words are the past ("退款", "problem"), and thanks with them is praise
    praise_resolved: list[str] = []
    # a public post that shares something (a photo, a promotion, a moment) and asks and complains
    # about nothing: it links, does not open with an @handle, and holds none of these words (nor
    # of `praise_not`); the reply thanks for sharing
    shared_not: list[str] = []
    # topics that are requests, not complaints ("能换大一码吗", "帮我开专票"): asked with no
    # complaint keyword, the message is the request, whatever complaint the classifier guessed
    requests: list[str] = []
    # ... and those that stand even where the classifier is sure of a complaint ("别再给我打推销电话了，
    # 烦死了" is annoyed, and what it asks is to stop the calls, not a supervisor's call back)
    firm_requests: list[str] = []
    # by language: regular expressions, one of which a message must hold for the classifier
    # alone to call a danger or add the "if anyone is hurt" line (no list: no such need)
    hazard_words: dict[str, list[str]] = {}
    # ... and of a danger from a person (a reckless or drunk driver, a threat, an attack): the
    # emergency line gives the police's number beside the ambulance's, not the fire service's
    people_danger_words: dict[str, list[str]] = {}
    # a scenario the classifier alone calls needs one of its words in the message (patterns on
    # the normalised text, any language): "my $3 burrito never came" is no break-in
    scenario_words: dict[str, list[str]] = {}


@dataclass(frozen=True)
class TriageRules:
    """triage.yaml, compiled: its spec, one automaton of every keyword, the product pattern."""

    spec: _TriageSpec
    automaton: ahocorasick.Automaton  # keyword -> (kind, scenario)
    product_re: re.Pattern
    idioms: ahocorasick.Automaton | None = None
    signal_patterns: dict[str, re.Pattern] = None  # triage.yaml signal_patterns, compiled
    hazard: dict[str, re.Pattern] = None  # triage.yaml hazard_words, one pattern a language
    evidence: dict[str, re.Pattern] = None  # triage.yaml scenario_words, one pattern a scenario
    people_danger: dict[str, re.Pattern] = None  # triage.yaml people_danger_words, one pattern a language


def _all_known(path: Path, key: str, names, known, what: str) -> None:
    """triage.yaml's `key` names only what `known` holds, else the file's error, naming them."""
    unknown = set(names) - set(known)
    if unknown:
        from ..errors import RubricError

        raise RubricError(f"{path}: {key}: {what}: {', '.join(sorted(unknown))}")


@functools.cache
def load_triage_rules(path: Path) -> TriageRules:
    path = Path(path)
    spec = validate(_TriageSpec, read_yaml(path), str(path))
    missing = set(SCENARIOS) - set(spec.scenarios)
    if missing:
        from ..errors import RubricError

        raise RubricError(f"{path}: scenarios missing: {', '.join(sorted(missing))}")
    _all_known(path, "requests", spec.requests, spec.topics, "not a topic of `topics`")
    _all_known(path, "firm_requests", spec.firm_requests, spec.requests, "not one of `requests`")
    automaton = ahocorasick.Automaton()
    entries: dict[str, list[tuple[str, str]]] = {}
    for name, sc in spec.scenarios.items():
        for k in sc.keywords:
            for word in expand(k):
                entries.setdefault(fold(word), []).append(("scenario", name))
    for kind in ("escalate_to_severe", "escalate_to_medium"):
        for k in getattr(spec, kind):
            for word in expand(k):
                entries.setdefault(fold(word), []).append((kind, ""))
    for topic, keywords in spec.topics.items():
        for k in keywords:
            for word in expand(k):
                entries.setdefault(fold(word), []).append(("topic", topic))
    for signal, keywords in spec.signals.items():
        for k in keywords:
            for word in expand(k):
                entries.setdefault(fold(word), []).append(("signal", signal))
    for said, keywords in (("yes", spec.praise), ("no", spec.praise_not), ("resolved", spec.praise_resolved),
                           ("not_shared", spec.shared_not)):
        for k in keywords:
            for word in expand(k):
                entries.setdefault(fold(word), []).append(("praise", said))
    for word, values in entries.items():
        automaton.add_word(word, (word, values))
    automaton.make_automaton()
    idioms = None
    if spec.idioms:
        idioms = ahocorasick.Automaton()
        for k in spec.idioms:
            for word in expand(k):
                idioms.add_word(fold(word), fold(word))
        idioms.make_automaton()
    after = "|".join(re.escape(fold(w)) for w in sorted(spec.product_after, key=len, reverse=True))
    # Chinese: a short run of ideographs up to punctuation or a verb. English: up to four words,
    # ending before a verb or punctuation ("my new space heater started..." -> "space heater").
    zh = r"[\u4e00-\u9fff]{2,10}?(?=[,.!?;:，。！？；:\s]|$|出现|有|竟然|居然|一直|还|坏|是|不|没|收到|到了)"
    people = (r"(?!(?:daughter|son|wife|husband|kids?|child|children|mother|father|mom|mum|dad|baby|family|"
              r"friend|partner|hand|arm|face|skin|account|order|card|money|refund|email|address|return|returns|"
              r"warranty|policy|question|agent|call)\b)")
    en = (people + r"[a-z][a-z0-9'-]*(?: [a-z][a-z0-9-]*){0,3}?(?=\s*[,.!?;:]|$|\s+(?:arrived|is|was|has|had|keeps|kept|"
          r"stopped|started|began|came|broke|doesn't|won't|isn't|wasn't|does|did|just|never|only|from|that|"
          r"which|and|but|with|caught|smells|smelled|smoked|exploded|leaks|leaked|sparked|overheated|got|went|"
          r"burned|burnt|shocked|melted|cracked|failed|died|i|we|you|he|she|they|it)\b)")
    product_re = re.compile(rf"(?<![a-z])(?:{after})(?![a-z])\s*(?P<p>{zh}|{en})")
    _all_known(path, "signal_patterns", spec.signal_patterns, spec.signals, "not a signal of `signals`")
    hazard = {lang: re.compile("|".join(f"(?:{w})" for w in words)) for lang, words in spec.hazard_words.items()}
    _all_known(path, "scenario_words", spec.scenario_words, spec.scenarios, "not a scenario")
    evidence = {name: re.compile("|".join(f"(?:{fold(w)})" for w in words)) for name, words in spec.scenario_words.items()}
    people = {lang: re.compile("|".join(f"(?:{w})" for w in words)) for lang, words in spec.people_danger_words.items()}
    return TriageRules(spec, automaton, product_re, idioms, compile_patterns(spec.signal_patterns), hazard, evidence,
                       people)


_ORDER = re.compile(r"(?:订单|訂單|单号|order|#)\s*(?:号|號|編號|编号|no\.?|number|id)?\s*[:：#]?\s*(?P<id>[A-Za-z]{0,4}-?\d[\d-]{4,}[A-Za-z0-9]*)", re.I)
_LONG_ID = re.compile(r"(?<![\d\w])(?P<id>[A-Za-z]{1,4}\d{6,}|\d{8,20})(?![\d\w])")
# a Chinese name is taken only when it starts with a common surname ("我是京东商家" names no one)
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
             "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
             "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
             "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
             "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
             "明佘池查麻苑迟邝陳張劉楊黃趙吳孫馬郭羅鄭許韓馮鄧彭蕭葉蘇呂盧薑崔鍾譚陸範賈韋鄒熊閻龔萬錢覃溫龐顏聶"
             "歐關蘭寧紀淩畢駱藍鮑喻饒繆簡車項連蘆竇戚費衛臧鄔邊師欒隨甄")
_ZH_NAME = rf"[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}"
_NAME = re.compile(r"(?:我(?:是|叫)|my name is)\s*(?P<n>" + _ZH_NAME + r"|[A-Z][a-z]+(?: [A-Z][a-z]+)?)"
                   r"|this is (?P<m>[A-Z][a-z]+(?: [A-Z][a-z]+)?)(?=\s*(?:[,.!\n]|$|here\b|from\b))")
_SIGN = re.compile(r"(?:^|\n)\s*(?:[-–—]{1,2}\s*|regards,?\s*|thanks,?\s*|best,?\s*)(?P<n>[A-Z][a-z]+(?: [A-Z][a-z]+)?|" + _ZH_NAME + r")\s*$", re.I)


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Entities(BaseModel):
    order_id: str | None = None
    product: str | None = None
    date: str | None = None
    amount: str | None = None
    customer_name: str | None = None
    keyword: str | None = None  # the customer's own words that named the problem
    clause: str | None = None  # the clause around them, for restating the problem
    # what the ticket already holds, so that a draft does not ask for it again (asks.py)
    photo: bool = False  # the customer says they sent a photo, a screenshot or a video
    account_contact: bool = False  # the ticket names an email address or a phone number
    order_given: bool = False  # an order number the export anonymised ("订单号:[订单x]"): given, unknown


class Issue(BaseModel):
    scenario: str  # a built-in scenario, or the company's own (policy `scenarios`) that refines it
    text: str  # the clause it was read from (normalised: folded, simplified)
    score: float  # the classifier's probability of the scenario for that clause
    kind: str = ""  # the built-in scenario it is (SCENARIOS): the scenario itself unless the company's

    @model_validator(mode="after")
    def _kind(self):
        self.kind = self.kind or self.scenario
        return self


class Triage(BaseModel):
    lang: str
    scenario: str  # the primary issue: the one a single-scenario reply answers
    severity: str
    respond_within: str
    escalate_to: str
    entities: Entities
    topics: list[str] = []  # what the message asks about (triage.yaml), in the order it says it
    issues: list[Issue] = []  # every problem the message raises, the primary first
    signals: list[str] = []  # the guides' severity signals found (triage.yaml `signals`)
    safety: bool = False  # a danger to someone: the emergency line comes first
    safety_uncertain: bool = False  # not called, but the classifier is not sure: say it anyway
    safety_score: float = 0.0  # the classifier's probability of a danger, clause or message
    by_people: bool = False  # the danger is from a person (a driver, an attacker): police, not fire
    praise: bool = False  # thanks or praise, no complaint: the reply thanks, it does not apologise
    request: str | None = None  # the request topic the message is (triage.yaml `requests`), not a complaint
    opening: bool = False  # nothing said yet but a greeting, an order card or "转人工": the reply asks what they need
    shared: bool = False  # a public post that shares something and asks nothing: the reply thanks for sharing
    # what the model's reading of the ticket added (triage_opinion.py): any of "scenario",
    # "issues", "severity", "safety", "signals"; empty when the service's own reading stands
    from_model: list[str] = []
    kind: str = ""  # the built-in scenario of the primary issue (SCENARIOS): `scenario` unless the company's

    @model_validator(mode="after")
    def _kind(self):
        self.kind = self.kind or self.scenario
        return self


# Safety from the classifier: called at SAFETY_CALL or above; from SAFETY_UNSURE up to it the
# draft carries the emergency numbers "if anyone is hurt" (bench/triage_bench.py sets them).
SAFETY_CALL = 0.9
SAFETY_UNSURE = 0.3
# A clause adds an issue of its own when the classifier gives it at least this probability.
WHOLE_UNSURE = 0.7  # below this, the whole message's class gives way to a clause read at CLAUSE_SURE
CLAUSE_SURE = 0.9
CLAUSE_ISSUE = 0.85
# A keyword's scenario stays the primary one unless the classifier gives it less than this
# (a negated or quoted keyword, an idiom: "没有质量问题", "客服说无质量问题").
RULE_KEEP = 0.05
_DIGITS = re.compile(r"[\d\W_]+")
# a helpdesk's order card sent with the first message ("咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x]"):
# fields, not the customer's words; the classifier does not read them as a charge
_ORDER_CARD = re.compile(r"(?:咨询订单号|订单编号|订单号|订单金额|下单时间|商品ID|商家ID|商品编号|訂單編號|訂單金額|下單時間)\s*[:：]\s*"
                         r"[￥¥$]?(?:\[[^\]]*\](?:\s*\[[^\]]*\])?|[\w-]+)?", re.I)
_COURTESY = re.compile(r"(?:thanks?(?: you)?(?: so much)?|thx|ty|cheers|谢谢(?:你们|您)?|多谢|感谢|唔该)", re.I)
_URGENCY = {s: i for i, s in enumerate(SCENARIOS)}
_TIER = {t: i for i, t in enumerate(TIERS)}


def keyword_hits(automaton: ahocorasick.Automaton, text: str):
    """(start, end, value) of each keyword of `automaton` (values are (word, value)) in `text`;
    an English word only as a whole word ("sue" is not in "issue"; "去12315投诉" holds "12315")."""
    for end, (word, value) in automaton.iter(text):
        start = end - len(word) + 1
        if _ascii_word(word[0]) and start > 0 and _ascii_word(text[start - 1]):
            continue
        if _ascii_word(word[-1]) and end + 1 < len(text) and _ascii_word(text[end + 1]):
            continue
        yield start, end + 1, value


# a company scenario of these kinds (a question, `other`) refines an issue of any kind, and
# an issue of these kinds is refined by a company scenario of any kind...
_OPEN_KINDS = ("inquiry", "other")
# ...but for these, which only a scenario of their own kind refines
_NEVER_LOWERED = ("safety_emergency", "account_security")


def refine(issues: list[Issue], policy, whole: str, *, taken=(), primary: bool = True
           ) -> tuple[list[Issue], tuple[int, int] | None]:
    """The issues with each one the company names for its business (policy `scenarios`)
    renamed to the company's scenario, and its kind to the scenario's: among the scenarios
    whose keywords the issue's clause holds (the primary's: `whole`, the message as matched),
    first one of the issue's own kind, else (in the file's order) one of kind inquiry or
    other, or any for an issue of kind inquiry or other, or any at all for the one issue of a
    message (the company's words outrank the classifier's kind). A danger or an account break-in is
    refined only by a scenario of its own kind, so it is never lowered. Also where the
    primary's keyword is in `whole` (None when the primary stays a built-in). `taken`: the
    company scenarios other issues already are; `primary`: whether issues[0] is the primary."""
    if not policy.scenarios:
        return issues, None
    out: list[Issue] = []
    taken = set(taken)
    at = None
    for n, issue in enumerate(issues):
        hits = [h for h in policy.matching_scenarios(whole if n == 0 and primary else issue.text)
                if h[0].id not in taken]
        own = next((h for h in hits if h[0].kind == issue.kind), None)
        if own is None and issue.kind not in _NEVER_LOWERED:
            own = next((h for h in hits if h[0].kind in _OPEN_KINDS or issue.kind in _OPEN_KINDS), None)
            if own is None and len(issues) == 1 and hits:
                # a message of one problem in the company's own words ("行李没有到"): its
                # vocabulary outranks a classifier that learnt a shop's ("没有…到" of a defect)
                own = hits[0]
        if own is None:
            out.append(issue)
            continue
        sc, s, e = own
        taken.add(sc.id)
        if n == 0 and primary:
            at = (s, e)
        out.append(issue.model_copy(update={"scenario": sc.id, "kind": sc.kind}))
    return out, at


def issue_severity(issue: Issue, rules: TriageRules, policy) -> str:
    """An issue's base tier: its company scenario's `severity`, else its kind's (triage.yaml)."""
    own = policy.company_scenario(issue.scenario)
    return (own.severity if own else None) or rules.spec.scenarios[issue.kind].severity


def triage(message: str, playbook: Playbook, *, lang: str | None = None, order_id: str | None = None,
           customer_name: str | None = None, use_model: bool = True) -> Triage:
    """Read a message with the playbook's triage rules and its classifier; its policy sets
    the severity tiers. The keyword rules are a floor: a keyword danger is always a danger."""
    c, policy = playbook.triage_rules, playbook.policy
    lang = lang or detect_lang(message)
    norm = normalize(message, "zh-Hant" if lang == "zh-Hant" else lang).text
    if c.idioms is not None:  # "fire stick", "down payment": blanked, offsets kept
        chars = list(norm)
        for end, word in c.idioms.iter(norm):
            start = end - len(word) + 1
            # an English idiom is a whole word; a Chinese one may touch letters ("ATM吞卡")
            if ((start == 0 or not _ascii_word(word[0]) or not _ascii_word(norm[start - 1]))
                    and (end + 1 >= len(norm) or not _ascii_word(word[-1]) or not _ascii_word(norm[end + 1]))):
                chars[start:end + 1] = " " * len(word)
        matched = "".join(chars)
    else:
        matched = norm
    hazard = (c.hazard or {}).get(lang)  # triage.yaml hazard_words of the message's language
    danger_said = hazard is not None and hazard.search(matched) is not None
    first: dict[str, int] = {}
    keyword_at: dict[str, tuple[int, int]] = {}
    scenario_hits: list[tuple[str, int, int]] = []
    escalate = set()
    topics: list[str] = []
    topic_at: dict[str, tuple[int, int]] = {}
    signal_hits: list[tuple[str, int, int]] = []
    praise_said: set[str] = set()  # "yes": a word of thanks or praise; "no": one that says it is not
    praise_at: list[tuple[str, int, int]] = []  # each of those words, and "resolved" ones, with where it is
    for start, end_, values in keyword_hits(c.automaton, matched):
        end = end_ - 1
        for kind, name in values:  # name: a scenario's, a topic's or a signal's
            if kind == "scenario":
                first.setdefault(name, start)
                keyword_at.setdefault(name, (start, end + 1))
                scenario_hits.append((name, start, end + 1))
            elif kind == "topic":
                if name not in topics:
                    topics.append(name)
                    topic_at[name] = (start, end + 1)
            elif kind == "signal":
                signal_hits.append((name, start, end + 1))
            elif kind == "praise":
                praise_at.append((name, start, end + 1))
            elif _said_as_fact("legal_threat" if kind == "escalate_to_severe" else "repeat_contact",
                               matched, start, end + 1):
                escalate.add(kind)  # "I'll call again tomorrow" raises nothing
    # a "resolved" word's clause up to the word's end ("my problem has been resolved" of "... but
    # now my bill is wrong"): what comes before it in the clause is the past
    # a word inside a longer one is not said on its own: the 不 of 爱不释手, the 差 of 差不多
    praise_at = [(said, at, end) for said, at, end in praise_at
                 if not any(a <= at and end <= b and b - a > end - at for _, a, b in praise_at)]
    resolved = [(_clause_start(norm, at), end) for said, at, end in praise_at if said == "resolved"]
    for said, at, _ in praise_at:  # "退款已经到账了，谢谢": the refund is over, the thanks is not sarcasm
        if said != "resolved" and not (said == "no" and any(a <= at < b for a, b in resolved)):
            praise_said.add(said)
    # each scenario's first keyword said on its own: not negated or quoted, nor inside a longer
    # keyword of another scenario (the 还没到 of 退款还没到)
    named: dict[str, tuple[int, int]] = {}
    for name, at, end in scenario_hits:
        if name not in named and not _marked(norm, at) and not any(
                a <= at and end <= b and b - a > end - at and n != name for n, a, b in scenario_hits):
            named[name] = (at, end)
    # said as a fact only: not negated, hypothetical or a near miss (severity_signals.py)
    signals = signals_in(matched, signal_hits, c.signal_patterns or {})
    rule_scenario = next((s for s in c.spec.scenarios if s in first), "other")

    issues: list[Issue] = []
    safety_score = danger = 0.0  # the classifier's probability of a danger; what triage acts on
    uncarded = _ORDER_CARD.sub(" ", message)  # the customer's words, not the helpdesk's order card
    if use_model:
        from .triage_model import load_danger_model, load_model, prepare, segments

        model = load_model(playbook.rubric_dir, playbook.cache_dir)
        dangers = load_danger_model(playbook.rubric_dir, playbook.cache_dir)
        said = uncarded.strip() or message
        whole = model.proba(said)
        top = max(whole, key=whole.get)
        safety_score = _danger_of(whole, dangers.proba(said))
        clauses = segments(said)
        if rule_scenario not in ("inquiry", "other", "safety_emergency") and (
                whole[rule_scenario] >= RULE_KEEP or not _marked(norm, keyword_at[rule_scenario][0])) and not (
                top == "safety_emergency" and _danger_word(hazard, matched, *keyword_at[rule_scenario])):
            top = rule_scenario  # a keyword names the problem, unless negated or quoted ("没有质量问题")
        found: dict[str, Issue] = {top: Issue(scenario=top, text=prepare(said).strip()[:200], score=round(whole[top], 3))}
        if len(clauses) > 1:
            own = [x for x in clauses if not _reported(x)]  # "客服说无质量问题": their words, not a complaint
            tops = {}
            for clause in own:
                p = model.proba(clause, prepared=True)
                tops[clause] = max(p, key=p.get), p
            if len(own) < len(clauses) and own and top not in {b for b, _ in tops.values()}:
                best, p = max(tops.values(), key=lambda bp: bp[1][bp[0]] if bp[0] != "other" else 0)
                if best != "other":  # the message's top came from the quoted words only
                    top = best
                    found = {top: Issue(scenario=top, text=prepare(message).strip()[:200], score=round(p[top], 3))}
            for clause, (best, p) in tops.items():
                if len(_DIGITS.sub("", clause)) >= 4:  # "订单20261101208" says nothing of a danger
                    safety_score = max(safety_score, _danger_of(p, dangers.proba(clause, prepared=True)))
                if best not in found and p[best] >= CLAUSE_ISSUE and best != "other":
                    found[best] = Issue(scenario=best, text=clause[:200], score=round(p[best], 3))
                elif best in found and found[best].score < p[best]:
                    found[best] = Issue(scenario=best, text=clause[:200], score=round(p[best], 3))
        if rule_scenario != "safety_emergency" and "injury" not in signals and hazard is not None and not danger_said:
            # no word of a danger at all ("Halloween screams", "my heart is broken", "killing
            # it"): the classifier's guess calls nothing and adds no "if anyone is hurt" line
            danger = 0.0
        else:
            danger = safety_score
        if rule_scenario == "safety_emergency" and "safety_emergency" not in found:
            found["safety_emergency"] = Issue(scenario="safety_emergency", text=_clause(message, *keyword_at["safety_emergency"]) or "",
                                              score=round(safety_score, 3))
        if danger < SAFETY_CALL and rule_scenario != "safety_emergency":
            found.pop("safety_emergency", None)  # a danger is called by a keyword or a sure classifier
        elif "safety_emergency" not in found:
            found["safety_emergency"] = Issue(scenario="safety_emergency", text=prepare(message).strip()[:200],
                                              score=round(safety_score, 3))
        if len(found) > 1:
            found.pop("other", None)  # "other" is what is left when nothing else is
        if len(found) > 1 and "inquiry" in found and found["inquiry"].score < 0.9:
            found.pop("inquiry")  # "请问你们到底什么时候发货": a complaint put as a question
        primary = next(iter(found.values()), None)
        sure = [i for i in found.values() if i.score >= CLAUSE_SURE and i.scenario not in ("inquiry", "other")]
        if primary and primary.score < WHOLE_UNSURE and primary.scenario != rule_scenario and sure:
            # an unsure reading of the whole ("什么破玩意儿…垃圾" round the problem) gives way to a
            # clause the classifier is sure of
            best = max(sure, key=lambda i: i.score)
            found = {best.scenario: best, **{k: v for k, v in found.items() if k != best.scenario}}
        issues = list(found.values())
        if c.evidence:  # the classifier's call alone, with not one word of its kind in the message
            kept = [i for i in issues if i.scenario not in c.evidence or i.scenario in keyword_at
                    or c.evidence[i.scenario].search(matched)]
            if not kept:
                open_ = max(_OPEN_KINDS, key=lambda k: whole.get(k, 0.0))
                kept = [Issue(scenario=open_, text=prepare(said).strip()[:200], score=round(whole.get(open_, 0.0), 3))]
            issues = kept
        # a second problem named by its own keyword ("寄回两周了,退款还没到" of a parcel, "and
        # the agent hung up"): an issue the classifier's clauses may not have been sure of
        have = {i.scenario for i in issues}
        for s in SCENARIOS[1:]:
            if (s in named and s not in _OPEN_KINDS and s not in have
                    and not ("safety_emergency" in have and _danger_word(hazard, matched, *named[s]))):
                # (a danger's own word names no second problem: "my driver crashed")
                text = _clause(message, *named[s]) or prepare(said).strip()
                issues.append(Issue(scenario=s, text=text[:200], score=round(whole.get(s, 0.0), 3)))
    safety = rule_scenario == "safety_emergency" or any(i.scenario == "safety_emergency" for i in issues)
    asked = next((t for t in topics if t in c.spec.requests and not _their_words(norm, topic_at[t][0])), None)
    guess = max(whole, key=whole.get) if use_model else None  # the classifier's reading of the whole
    if (asked and not safety and rule_scenario in _OPEN_KINDS and not signals
            and (not use_model or whole[guess] < CLAUSE_SURE or guess in _OPEN_KINDS or asked in c.spec.firm_requests)):
        # a request ("衣服没问题,就是拍小了,能换大一码吗", "降价了能退差价吗") named by its topic, and no
        # complaint by a keyword, no signal of one (money taken, a repeat contact), and no
        # complaint the classifier is sure of: its guess gives way (the words 问题 and 退 are a
        # complaint's); "差价一直没退回来" and "每次都说'已加急'" stay complaints
        open_ = max(_OPEN_KINDS, key=lambda k: whole.get(k, 0.0)) if use_model else rule_scenario
        issues = [Issue(scenario=open_, text=norm.strip()[:200], score=round(whole.get(open_, 1.0), 3) if use_model else 1.0)]
        keyword_at[open_] = topic_at[asked]  # restated from the request's words
    else:
        asked = None
    if safety:
        scenario = "safety_emergency"
    elif issues:  # the message's own top class, or its first clause's when that was "other"
        scenario = issues[0].scenario
    else:
        scenario = rule_scenario
    if issues:  # the primary first, then the others as the message raises them
        issues.sort(key=lambda i: (i.scenario != scenario, _URGENCY[i.scenario]))
    else:
        issues = [Issue(scenario=scenario, text=norm.strip()[:200], score=1.0)]
    issues, own_at = refine(issues, policy, matched)  # the company's own names for its kinds
    scenario, kind = issues[0].scenario, issues[0].kind
    severity = max((issue_severity(i, c, policy) for i in issues), key=_TIER.get)
    raise_to = signal_severity(signals)
    if "escalate_to_severe" in escalate:
        raise_to = "severe"
    elif "escalate_to_medium" in escalate and raise_to == "minor":
        raise_to = "medium"
    severity = max(severity, raise_to, key=_TIER.get)
    tier = policy.severity[severity]

    keyword = clause = None
    if own_at is not None:  # the company's keyword names the problem
        keyword_at[scenario] = own_at
        keyword_at.setdefault(kind, own_at)
    if scenario in keyword_at:
        s, e = keyword_at[scenario]
        keyword = message[s:e]  # normalisation keeps offsets for every script we use
        clause = _clause(message, s, e)
    elif message.strip():  # no keyword: the first clause of the message
        clause = _clause(message, 0, 0)
    entities = _entities(message, norm, c, playbook.rubric, order_id, customer_name, keyword, clause)
    if kind == "billing" and ("billing" not in keyword_at or _marked(norm, keyword_at["billing"][0])):
        # a billing case lets a reply repeat the ticket's amount as the charge to refund; the
        # classifier's guess alone does not ("退返HK$3,800俾我" is a demand, not a charge)
        entities = entities.model_copy(update={"amount": None})
    sure = [i for i in issues if i.kind not in ("other", "inquiry") and (i.score or 0) >= WHOLE_UNSURE]
    # thanks or praise ("好评!包装很用心"), with no word of a complaint, a request or a question
    # (`praise_not`) and nothing asked about (topics). The classifier's sure "other" alone is
    # not enough: on the held-out sets it was sure of "other" for a baby who swallowed a part.
    # A problem said to be over ("退款已经到账了", "my problem has been resolved") and thanks: the
    # classifier's sure complaint is the past one, and a keyword inside that clause is too.
    thanks = praise_said - {"not_shared"}  # (a word against a shared post says nothing of praise)
    over = bool(resolved) and thanks == {"yes"} and all(
        any(a <= at < b for a, b in resolved) for at, _ in keyword_at.values())
    praise = (not safety and danger < SAFETY_UNSURE and (rule_scenario in ("other", "inquiry") or over)
              and (not sure or over or _praise_throughout(norm, praise_at, model if use_model else None))
              and not signals and not topics and thanks == {"yes"})
    # nothing said yet ("在吗", "我要转人工", an order card alone, "hi @Delta"): no keyword, topic or
    # signal, no complaint the classifier is sure of, and no words left once greetings, filler,
    # handles and placeholders are taken out. An apology would be for nothing: the reply asks.
    opening = (not praise and not safety and danger < SAFETY_UNSURE and rule_scenario in _OPEN_KINDS
               and not topics and not signals and not escalate
               and (not use_model or whole[guess] < CLAUSE_SURE or guess in _OPEN_KINDS)
               and says_nothing(uncarded, playbook.rubric_dir))
    # a post that shares something ("Boorito time! 🎃 https://t.co/…", a promotion, a sunset from
    # the window seat): a link, no @handle first, nothing asked, no word against it, no keyword,
    # topic, signal or danger word, and the classifier reads no specific problem
    shared = (not praise and not opening and not safety and danger < SAFETY_UNSURE and bool(_LINK.search(message))
              and not message.lstrip().startswith("@") and rule_scenario in _OPEN_KINDS and not topics
              and not signals and not escalate and praise_said <= {"yes"}
              and all(i.kind in _OPEN_KINDS for i in issues)
              and not danger_said)
    if praise or opening or shared:
        scenario, issues = "other", [Issue(scenario="other", text=norm[:200], score=0.0)]
    return Triage(lang=lang, scenario=scenario, kind=issues[0].kind, severity=severity,
                  respond_within=tier.respond_within, escalate_to=tier.escalate_to,
                  entities=entities,
                  topics=topics, issues=issues, signals=signals, safety=safety,
                  safety_uncertain=not safety and danger >= SAFETY_UNSURE,
                  safety_score=round(safety_score, 3), praise=praise, opening=opening, shared=shared,
                  by_people=bool((safety or danger >= SAFETY_UNSURE) and lang in (c.people_danger or {})
                                 and c.people_danger[lang].search(matched)),
                  request=asked if not (praise or opening or shared) else None)


_LINK = re.compile(r"https?://\S+")


def _danger_of(scenarios: dict[str, float], danger: dict[str, float]) -> float:
    """A text's danger: the scenario model's reading or the yes/no danger model's, the higher
    (on held-out sets 2-5 the pair called 0.96-0.98 of dangers where the scenario model alone
    called 0.79-0.95, once the helper-written training messages were in)."""
    return max(scenarios.get("safety_emergency", 0.0), danger.get("danger", 0.0))


def _praise_throughout(norm: str, praise_at, model) -> bool:
    """Praise the classifier misreads as a complaint ("great customer service! Thank you!" as
    poor service): a word of praise beyond a courteous thanks, and no clause without one that
    the classifier is sure is a complaint ("got an XL in a different colour. Great job 👏" is
    not praise; "东西很好用，出货也超快，点个赞" is)."""
    said = [(a, b) for kind, a, b in praise_at if kind == "yes"]
    if model is None or not any(not _COURTESY.fullmatch(norm[a:b].strip()) for a, b in said):
        return False
    start = 0
    for m in [*_CLAUSE_END.finditer(norm), None]:
        end = m.start() if m else len(norm)
        clause = norm[start:end]
        if clause.strip() and not any(start <= a < end for a, _ in said):
            p = model.proba(clause)
            if any(p[k] >= CLAUSE_SURE for k in p if k not in _OPEN_KINDS):
                return False
        start = end + 1
    return True


def _danger_word(hazard: re.Pattern | None, matched: str, start: int, end: int) -> bool:
    """The keyword at [start, end) is a danger's own word ("my driver crashed", "asked him to
    slow down"): where the classifier reads a danger, it names no second problem (an outage)."""
    return hazard is not None and any(m.start() < end and start < m.end() for m in hazard.finditer(matched, max(0, start - 20), end + 20))


def _clause_start(text: str, at: int) -> int:
    """Where the clause of `text` that holds offset `at` starts (_CLAUSE_END)."""
    while at > 0 and not _CLAUSE_END.match(text[at - 1]):
        at -= 1
    return at


def _reported(clause: str) -> bool:
    """Whether a clause is only what someone else said (the merchant's, an agent's words)."""
    from ..checker.classifier import _spans

    marked = set()
    for s, e, mark in _spans(clause):
        if mark == "q":
            marked.update(range(s, e))
    content = [i for i, ch in enumerate(clause) if ch.isalnum()]
    return bool(marked) and sum(i in marked for i in content) >= 0.6 * len(content)


def _marked(norm: str, at: int) -> bool:
    """Whether the keyword at `at` is in a negated or reported part of the message."""
    from ..checker.classifier import _spans

    return any(s <= at < e for s, e, _ in _spans(norm))


_SAID_BEFORE = re.compile(r"(?:说|称|讲|回复|答复|表示|保证|答应|告诉我|\bsaid\b|\bsays\b|\btold\b|\bpromised\b)")


def _their_words(norm: str, at: int) -> bool:
    """Whether the word at `at` is negated or someone else's: marked (_marked), or after a
    verb of saying in its clause ("客服每次都说'已经帮您加急'", "they said they'd expedite it")."""
    if _marked(norm, at):
        return True
    start = max((norm.rfind(ch, 0, at) for ch in ",，.。!！?？;；\n"), default=-1) + 1
    return bool(_SAID_BEFORE.search(norm, start, at))


def signal_severity(signals: list[str]) -> str:
    """The guides: an injury, a legal threat, the media or a public threat make a ticket
    severe; a repeat contact or money already taken make it at least medium, both severe."""
    s = set(signals)
    if s & {"injury", "legal_threat", "media", "public_threat"} or {"repeat_contact", "money_taken"} <= s:
        return "severe"
    if s & {"repeat_contact", "money_taken"}:
        return "medium"
    return "minor"


_PHOTO = re.compile(r"照片|相片|图片|截图|截屏|视频|影片|录像|拍了|附件|附档|附图|附上|见图|如图|上传了|"
                    r"\b(?:attached|attachment|attaching|photos?|pictures?|pics?|images?|screenshots?|videos?)\b")


def _entities(message: str, norm: str, c: TriageRules, rubric, order_id: str | None,
              customer_name: str | None, keyword: str | None, clause: str | None) -> Entities:
    personal = find_pii(message)
    account_contact = any(kind in ("EMAIL", "PHONE") for kind, _, _ in personal)
    if not order_id:
        # a number is the order's only if it is no one's phone, QQ, ID or passport ("passport # A0391…")
        m = next((x for x in (*_ORDER.finditer(message), *_LONG_ID.finditer(message))
                  if not any(s < x.end("id") and x.start("id") < e for _, s, e in personal)), None)
        order_id = m.group("id") if m else None
    product = None
    m = c.product_re.search(norm)
    if m:
        s, e = m.span("p")
        product = message[s:e].strip() or None
        if product and keyword and keyword in product:  # "咖啡机漏水了" -> "咖啡机"
            product = product[:product.index(keyword)].strip() or None
        product = _product_phrase(product, c.spec.product_heads)
    date = amount = None
    for m in rubric.recognisers["reference"].finditer(norm):
        text = message[m.start():m.end()]
        if not re.fullmatch(r"[A-Za-z]{0,4}-?\d{5,}[A-Za-z0-9]*|#\s?\d{4,}", text):
            date = text
            break
    m = rubric.recognisers["amount"].search(norm)
    if m:
        amount = message[m.start():m.end()]
    # an anonymised export's placeholder ("[日期x]", "[金额x]") is read as a value of its kind so
    # that the recognisers see one, but it is no fact a reply may repeat: its value is unknown
    date, amount = (None if x and _PLACEHOLDER.search(x) else x for x in (date, amount))
    if not customer_name:
        m = _NAME.search(message) or _SIGN.search(message.strip())
        customer_name = (m.group("n") or m.groupdict().get("m")) if m else None
    return Entities(order_id=order_id, product=product, date=date, amount=amount,
                    customer_name=customer_name, keyword=keyword, clause=clause,
                    photo=_photo_sent(norm), account_contact=account_contact,
                    order_given=bool(order_id or _ORDER_PLACEHOLDER.search(message)))


_EN_FUNCTION = re.compile(r"\s+(?:via|of|for|to|on|in|at|with|from|the|a|an|my|your|this|that|and|or|but|"
                          r"so|when|because|after|before|over|into|about)\b.*$", re.I)
_MODEL_NUMBER = re.compile(r"[a-z]*\d[a-z0-9-]*", re.I)


def _product_phrase(phrase: str | None, heads: dict[str, list[str]]) -> str | None:
    """The product phrase when it ends in a product's head noun (triage.yaml product_heads),
    else None: a restatement says "your item" rather than "your friends" or "您收到的所有指令".
    English is cut at its first function word ("phone via the watch" -> "phone")."""
    if not phrase or not heads:
        return phrase
    if _CJK.search(phrase):  # the longest start that ends in a head ("蓝牙耳机左耳" -> "蓝牙耳机")
        plain = to_simplified(phrase)
        ends = [plain.rfind(h) + len(h) for h in heads.get("zh", ()) if h in plain]
        ends = [e for e in ends if e >= 2]
        return phrase[:max(ends)] if ends else None
    phrase = _EN_FUNCTION.sub("", phrase).strip()
    words = phrase.lower().split()
    en = set(heads.get("en", ()))
    while words and _MODEL_NUMBER.fullmatch(words[-1]) and len(words) > 1:
        words = words[:-1]  # ("iphone 7", "galaxy s9": a model number after the head)
    if not words:
        return None
    last, two = words[-1], " ".join(words[-2:])
    singular = {last, last[:-1] if last.endswith("s") else last, last[:-2] if last.endswith("es") else last}
    return phrase if (singular & en or two in en) else None


_NO_PHOTO = re.compile(r"(?:没有?|未|无法|不能|\bno|\bnot|\bwithout|n't|\bcannot)(?: ?\w{1,8}){0,2} ?$")


def _photo_sent(norm: str) -> bool:
    """Whether the customer says they sent (or attach) a photo, screenshot or video; "没有照片",
    "no photo", "can't take a picture" are not one."""
    return any(not _NO_PHOTO.search(norm[max(0, m.start() - 14):m.start()]) for m in _PHOTO.finditer(norm))


_CLAUSE_END = re.compile(r"[,，.。!！?？;；:：\n\"“”「」()（）]")
_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fff]{1,4}x\]")
_ORDER_PLACEHOLDER = re.compile(r"(?:订单|訂單|单号|單號)[^\[\]\n]{0,4}?[:：]?\s*\[(?:订单|訂單|数字|數字)[\u4e00-\u9fff]{0,2}x\]")


def _clause(message: str, s: int, e: int) -> str | None:
    """The customer's clause around a keyword (their own words): up to the nearest clause
    punctuation, at most 24 characters (Chinese) or 60 (English, cut at a word) each side."""
    limit = 24 if _CJK.search(message[s:e] or message) else 60
    left = s
    while left > 0 and s - left < limit and not _CLAUSE_END.match(message[left - 1]):
        left -= 1
    right = e
    while right < len(message) and right - e < limit and not _CLAUSE_END.match(message[right]):
        right += 1
    if limit == 60:  # do not cut a word in two
        while left < s and left > 0 and message[left - 1].isalnum():
            left += 1
        while right > e and right < len(message) and message[right].isalnum():
            right -= 1
    clause = message[left:right].strip()
    return clause if 2 <= len(clause) <= 2 * limit else None


_CJK = re.compile(r"[\u4e00-\u9fff]")
