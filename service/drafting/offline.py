"""The offline drafter: composes a policy-grounded reply from per-scenario, per-language
Jinja2 templates (prompts/offline/<lang>/<scenario>.j2 and parts.j2), with no model.

zh-Hant uses prompts/offline/zh-Hant/ when a template is there, and otherwise renders the
zh-Hans template and converts it with OpenCC (s2twp: Taiwan phrasing, e.g. 工作日 -> 工作天)."""

from __future__ import annotations

import re
from pathlib import Path

from typing import TYPE_CHECKING

from ..checker.languages import LANGUAGES
from ..checker.text import normalize, to_script
from ..errors import Unsupported
from . import fields
from .asks import needed_asks
from .policy import Policy
from .prompts import module, template_hash
from .quoting import says_something, trim_filler
from .triage import Issue, Triage, keyword_hits

if TYPE_CHECKING:
    from ..playbook import Playbook

__all__ = ["catalogue_facts", "catalogue_remedy", "compose", "contact_line", "emergency_line", "greeting_for", "Sections"]

from pydantic import BaseModel


class Sections(BaseModel):
    apology: str
    restatement: str
    remedy: str
    close: str
    emergency: str | None = None
    greeting: str | None = None
    subject: str | None = None


def _money(policy: Policy):
    def money(value: float) -> str:
        return f"{policy.currency.symbol}{value:g}"
    return money


_UNQUOTABLE = {"number", "percent", "currency", "link", "contact", "account", "deadline", "slot"}


def _quotable(clause: str, rubric, keep: tuple[str, ...] = ()) -> bool:
    """Whether the customer's own words can be quoted back: nothing the rubric would flag in
    a reply, no contact details, and no token only the service may write (a quoted "答应赔偿
    伍仟元" would put the customer's figure in the company's mouth)."""
    from ..checker.review import review
    from ..checker.tokens import free_text

    if rubric.recognisers["contact"].found(clause.lower()):
        return False
    if re.search(r"\[[\u4e00-\u9fff]{1,4}x\]", clause):  # an export's placeholder: no one's words
        return False
    bare = clause
    for value in keep:  # the ticket's own order number is a fact the reply may repeat
        bare = bare.replace(value, "")
    if any(f.rule.split(".")[1] in _UNQUOTABLE for f in free_text(bare, "zh-Hans")):
        return False  # a number, amount, link, contact or deadline: the customer's, not ours to repeat
    try:
        return not any(f.start is not None for f in review(clause, rubric=rubric).findings)
    except Unsupported:  # words the rules cannot read (a French clause): not quoted unread
        return False


def _source_lang(root: Path, lang: str, scenario: str) -> str:
    """The template folder for `lang`: its own when it has this scenario, else the one its
    language is written from (zh-Hant from zh-Hans, converted)."""
    if (root / "offline" / lang / f"{scenario}.j2").is_file():
        return lang
    return LANGUAGES[lang].templates


def greeting_for(root: Path, lang: str, tone: str, name: str | None) -> str:
    """The opening line for a draft written by a model, from the same template as offline."""
    src = "en" if lang == "en" else "zh-Hans"
    parts = module(root, f"offline/{src}/parts.j2", {"tone": tone, "name": fields.customer_name(name)})
    return to_script(str(parts.greeting()), lang)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff？?！!])\s+(?=[\u4e00-\u9fff])")  # "我要转人工 我要转人工 你好": one message a line
_NOT_QUOTED = re.compile(r"@\w*|#\w+|https?://\S*|\bhttps?\b|\[[^\]]*\]?|…|&(?:amp|lt|gt|quot|apos|#\d+);?")  # (and an export's HTML entities)
_ASKING = re.compile(r"[吗嗎呢?？]|怎么|怎麼|能不能|可不可以|可以|多少|多久|几|幾|(?i:\b(?:how|what|when|where|why|can|could|is|are|do|does)\b)")
_MESSAGE_CLAUSE = re.compile(r"[^,，.。!！?？;；:：\n\"“”「」()（）]+")


_PLACEHOLDER = re.compile(r"\[[^\]\s]{1,6}x\]|\bNaN\b")  # ("[数字x]", "[金额x]", an export's empty "NaN")
_VAGUE_KINDS = ("inquiry", "other", "poor_service")  # their keywords ("do you", "sort it out") name no problem


def _quote(e, message: str | None, playbook: Playbook, channel: str, keep: tuple[str, ...],
           kind: str = "") -> str | None:
    """The customer's words a restatement quotes back: the clause round the word that named the
    problem, else the message's first clause that says something (not a greeting, an opener,
    filler or an insult: rubrics/quoting.yaml), and only what _quotable allows; else nothing."""
    from ..privacy.masking import find_pii

    rubric = playbook.rubric
    message = message or ""
    # a clause is never quoted where the message holds personal data: cut from its label, a
    # value no longer reads as one ("Line: sunny_tpe – …" quoted as "sunny_tpe – …")
    personal = [(s, e) for _, s, e in find_pii(message, keep)] if message else []
    candidates = [e.clause] if e.clause and e.keyword else []
    for m in _MESSAGE_CLAUSE.finditer(message):
        for c in (_CJK_SPACE.split(m.group()) if _CJK.search(m.group()) else [m.group()]):  # (chat lines)
            c = c.strip()
            if 4 <= len(c) <= (48 if _CJK.search(c) else 100):
                candidates.append(c)
    evidence = (playbook.triage_rules.evidence or {}).get(kind)
    if e.keyword is None and evidence is not None:
        # the classifier named the problem, no keyword did: only a clause with a word of its kind
        # says it ("the charger stopped working"), not the outburst round it ("what a RIP OFF")
        candidates = [c for c in candidates if evidence.search(normalize(c, "zh-Hant" if _CJK.search(c) else "en").text)]
    elif e.keyword is None and candidates:  # no word named the problem: a question's own clause first
        asks = [c for c in candidates if _ASKING.search(c)]
        candidates = asks + [c for c in candidates if c not in asks]
    for clause in candidates:
        at = message.find(clause)
        if personal and (at < 0 or any(s < at + len(clause) and at < e for s, e in personal)):
            continue
        if _PLACEHOLDER.search(clause):  # an export's placeholder stood for someone's words: "被转走 元" is no quote
            continue
        if channel == "social":  # a public reply: no order numbers
            clause = rubric.recognisers["reference"].pattern.sub("", clause)
        clause = _NOT_QUOTED.sub(" ", clause)  # an @handle is an address; links and placeholders are no one's words
        clause = re.sub(r"\s+", " ", clause).strip(" ,,")
        clause = trim_filler(clause, playbook.rubric_dir)  # ("你好 请问这款…" quoted from "这款…")
        if clause and says_something(clause, playbook.rubric_dir) and _quotable(clause, rubric, keep):
            return clause
    # at the least the triage's own word that named a problem ("扣了两次", "overcharged"; triage.yaml's,
    # so nothing personal), when it says enough alone ("down", "怎么" do not); a question's or a
    # grumble's keyword ("do you", "is it possible") names none
    if kind in _VAGUE_KINDS:
        return None
    return e.keyword if e.keyword and says_something(e.keyword, playbook.rubric_dir, words=1) else None


def _context(triage: Triage, playbook: Playbook, *, lang: str, channel: str, tone: str,
             customer_name: str | None, order_id: str | None, message: str | None = None) -> dict:
    policy, rubric = playbook.policy, playbook.rubric
    e = triage.entities
    # what a person did to the customer (a driver who groped them, a threat) is not read back
    quote = None if triage.by_people and triage.safety else _quote(
        e, message, playbook, channel, tuple(x for x in (order_id, e.order_id) if x), triage.kind)
    if quote != e.clause:
        e = e.model_copy(update={"clause": quote})
    hours = {"24h": 24, "8h": 8, "4h": 4, "immediate": 1}[triage.respond_within]
    return dict(
        # the service puts these two into the reply itself, each checked once more (fields.py)
        e=e, name=fields.customer_name(customer_name or e.customer_name),
        order_id=fields.order_id(order_id or e.order_id),
        channel=channel, tone=tone, p=policy, lang=lang, tier=policy.compensation[triage.severity],
        em=policy.emergency[lang], money=_money(policy), hours_within=hours,
        topics=triage.topics, by_people=triage.by_people,
        # how the company names the problem (policy `scenarios`), in the template's language;
        # None for a built-in scenario, which its template names
        named=_named(policy, triage.scenario, _source_lang(playbook.prompt_dir, lang, triage.kind)),
        contact={
            "name": policy.contact.name(lang), "hotline": policy.contact.hotline,
            "email": policy.contact.email, "hours": policy.contact.hours(lang),
            "private_channel": policy.contact.private_channel(lang),
        },
    )


def _named(policy: Policy, scenario: str, lang: str) -> str | None:
    """A company scenario's name in `lang` (the template's language); None for a built-in."""
    own = policy.company_scenario(scenario)
    return own.name(lang) if own else None


def _in_script(text: str, policy: Policy, scenarios, lang: str, src: str) -> str:
    """A zh-Hans rendering in `lang`'s script (OpenCC), with each company scenario's name as the
    company writes it in `lang` (帳戶, not what OpenCC makes of 账户)."""
    if not text or lang == src:
        return text
    out = to_script(text, lang)
    for sc in filter(None, map(policy.company_scenario, scenarios)):
        out = out.replace(to_script(sc.name(src), lang), sc.name(lang))
    return out


def _sections_in_script(sections: Sections, policy: Policy, scenarios, lang: str, src: str) -> Sections:
    """Every section in `lang`'s script (zh-Hant from the zh-Hans templates): _in_script."""
    if lang == src:
        return sections
    return Sections(**{k: _in_script(v, policy, scenarios, lang, src) if v else v
                       for k, v in sections.model_dump().items()})


def emergency_line(playbook: Playbook, triage: Triage, lang: str) -> str | None:
    """The safety line that opens a reply (the policy's emergency numbers), from the same
    template the offline drafter uses; when triage is unsure there is no danger, the
    "if anyone is hurt" line; None otherwise."""
    root = playbook.prompt_dir
    if triage.kind != "safety_emergency":
        if not triage.safety_uncertain:
            return None
        return _caution(playbook, triage, lang)
    src = _source_lang(root, lang, triage.kind)
    ctx = _context(triage, playbook, lang=lang, channel="chat", tone="warm",
                   customer_name=None, order_id=None)
    line = str(module(root, f"offline/{src}/{triage.kind}.j2", ctx).emergency())
    return to_script(line, lang) if lang != src else line


def _caution(playbook: Playbook, triage: Triage, lang: str) -> str:
    root = playbook.prompt_dir
    src = _source_lang(root, lang, triage.kind)
    ctx = _context(triage, playbook, lang=lang, channel="chat", tone="warm", customer_name=None, order_id=None)
    line = str(module(root, f"offline/{src}/parts.j2", ctx).caution())
    return to_script(line, lang) if lang != src else line


# the further issues that get a line of their own (a question or "other" is answered by the close)
_OWN_LINE = {"safety_emergency", "account_security", "billing", "outage", "defective_or_wrong_item",
             "late_or_lost_parcel", "poor_service"}


def further_issues(triage: Triage) -> list[Issue]:
    """The message's issues after the primary one that a draft answers line by line."""
    return [i for i in triage.issues if i.scenario != triage.scenario and i.kind in _OWN_LINE]


def contact_line(playbook: Playbook, triage: Triage, *, lang: str, channel: str, tone: str) -> str:
    """The close's contact, from the policy (the offline drafter's close): a model's close is
    its words, followed by this."""
    root = playbook.prompt_dir
    src = _source_lang(root, lang, triage.kind)
    ctx = _context(triage, playbook, lang=lang, channel=channel, tone=tone, customer_name=None, order_id=None)
    line = str(module(root, f"offline/{src}/parts.j2", ctx).close())
    return to_script(line, lang) if lang != src else line


def compose(playbook: Playbook, triage: Triage, *, lang: str, channel: str = "chat",
            tone: str = "warm", customer_name: str | None = None,
            order_id: str | None = None, message: str | None = None) -> tuple[Sections, str]:
    """The draft's sections and the hash of the scenario template used: the template of the
    primary issue's kind, naming a company scenario as the policy does, with its remedies."""
    root, policy = playbook.prompt_dir, playbook.policy
    src = _source_lang(root, lang, triage.kind)
    ctx = _context(triage, playbook, lang=lang, channel=channel, tone=tone,
                   customer_name=customer_name, order_id=order_id, message=message)
    # a request ("能换大一码吗", "帮我开专票") is answered in a question's lighter words, whether
    # triage calls it a question or `other`
    name = f"offline/{src}/{'inquiry' if triage.request else triage.kind}.j2"
    scenario = module(root, name, ctx)
    parts = module(root, f"offline/{src}/parts.j2", ctx)
    close = str(parts.close())
    if triage.praise or triage.opening or triage.shared:  # thanks, no complaint: a thank-you and
        # the contact, nothing to apologise for and no remedy to read back on the phone; nothing
        # said yet: the question what they need; a post that shares something: thanks for it
        opener = parts.thanks() if triage.praise else parts.opening() if triage.opening else parts.shared()
        sections = Sections(greeting=str(parts.greeting()), apology=str(opener), restatement="",
                            remedy="", close=close)
        return _sections_in_script(sections, policy, [], lang, src), template_hash(root, name)
    if channel == "phone":
        close = str(parts.readback(scenario)) + close
    emergency = str(scenario.emergency()) if hasattr(scenario, "emergency") else None
    if not emergency and triage.safety_uncertain:
        emergency = str(parts.caution())
    restatement = str(parts.restatement(scenario))
    # the policy's remedies, else the template's answer; "stop using the heater" only where a
    # product is named or faulty (not for someone who fainted)
    ids = policy.offline_remedies(triage.scenario, product=bool(triage.entities.product) or any(
        i.kind == "defective_or_wrong_item" for i in triage.issues))
    further = further_issues(triage)
    if further:  # a further issue's line names no amount: the ticket's figure is the primary's fact
        plain = dict(ctx, e=ctx["e"].model_copy(update={"amount": None, "clause": None, "keyword": None}))
    for other in further:  # several problems: one line each
        other_src = _source_lang(root, lang, other.kind)
        if other_src == src:
            own = _named(policy, other.scenario, src)
            line = parts.also_named(own) if own else parts.also(
                module(root, f"offline/{src}/{other.kind}.j2", plain).problem())
            restatement += (" " if src == "en" else "") + str(line)
    sections = Sections(
        emergency=emergency or None,
        greeting=str(parts.greeting()),
        apology=str(parts.apology(scenario)),
        restatement=restatement,
        remedy="" if ids else str(scenario.remedy()),
        close=close,
        subject=str(parts.subject_of_case(scenario)) if channel == "email" else None,
    )
    sections = _sections_in_script(sections, policy, [triage.scenario, *(i.scenario for i in further)], lang, src)
    asked = policy.topic_answers(triage.topics)
    if ids:  # the policy's own remedies, in each language as the policy writes them
        more = [policy.offline_remedies(o.scenario)[0] for o in further if policy.offline_remedies(o.scenario)]
        # ...and the answers to what it asks about, less those the policy says are no answer to
        # this problem (`unless`: "物流可以在订单里查看" to a parcel that is late)
        issues = {x for i in (triage.issues[0], *further) for x in (i.scenario, i.kind)}
        fit = [a for a in asked if (r := policy.remedy(a)) is None or not issues & set(r.unless)]
        sections.remedy = catalogue_remedy(policy, list(dict.fromkeys([*ids, *more, *fit])), triage, lang)
    elif asked:  # a question or a request about a topic the policy answers: its answer, not "within 24 hours"
        sections.remedy = catalogue_remedy(policy, asked, triage, lang)
        if message and _unanswered_question(message, playbook, lang):  # ("有没有批量优惠?需要开专票"): the
            # rest is still answered in the template's time
            rest = _in_script(str(scenario.remedy()), policy, [triage.scenario], lang, src)
            sections.remedy += ("" if lang.startswith("zh") else " ") + rest
    questions = needed_asks(policy, triage, channel=channel, order_id=order_id)
    if questions:  # what the case cannot move without, in the policy's words
        join = "" if lang.startswith("zh") else " "
        sections.remedy = join.join([sections.remedy, *(policy.render(
            q.text(lang), tier=triage.severity, facts=catalogue_facts(triage)) for q in questions)])
    return sections, template_hash(root, name)


_QUESTION = re.compile(r"[吗嗎呢?？]|有没有|有沒有|能不能|可不可以|是否|多少|多久|怎么|怎麼|如何|(?i:\b(?:how|what|when|where|which|can|could|do|does|is|are)\b.*\?)")


def _unanswered_question(message: str, playbook: Playbook, lang: str) -> bool:
    """Whether the message asks a question that names no topic the policy answers ("有没有批量
    优惠?" beside "需要开专票"): a clause that asks and holds no topic keyword (triage.yaml)."""
    automaton = playbook.triage_rules.automaton
    for m in _MESSAGE_CLAUSE.finditer(message + "\n"):
        clause = message[m.start():m.end() + 1]  # with the "?" that ends it
        norm = normalize(clause, "zh-Hant" if lang == "zh-Hant" else lang).text
        if not _QUESTION.search(norm) or not says_something(m.group(), playbook.rubric_dir, words=2):
            continue
        if not any(kind == "topic" for _, _, values in keyword_hits(automaton, norm) for kind, _ in values):
            return True
    return False


def catalogue_facts(triage: Triage) -> dict[str, str | None]:
    """The ticket's facts a catalogue text may name: the charge a billing ticket states. The
    product stays the catalogue's own word: triage's product phrase is not reliable enough to
    put in the policy's sentence ("新的蓝牙耳机左耳"); a model's words may name it by slot."""
    return {"charged": triage.entities.amount if triage.kind == "billing" else None, "product": None}


def catalogue_remedy(policy: Policy, ids, triage: Triage, lang: str) -> str:
    """The catalogue's texts for `ids`, with the policy's numbers and the ticket's facts."""
    facts = catalogue_facts(triage)
    join = "" if lang.startswith("zh") else " "
    return join.join(policy.render(policy.remedy(i).text(lang), tier=triage.severity, facts=facts) for i in ids)
