"""Drafting a reply to a ticket: triage, a model (or the offline drafter), the rubric review
plus the grounding check, one repair round, storage.

    triage ─► model draft (JSON, validated) ─► review + grounding ─► repair once ─► store
          └─► offline draft (templates) ──────┘        (no model configured, or all failed)

A draft that still fails after the repair round is returned with review.passed false and its
findings, never silently."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import store
from ..checker.check import check_reply
from ..checker.review import ALL_PARTS, Finding
from ..checker.tokens import free_text, unknown_choice
from ..checker.languages import LANGUAGES
from ..checker.text import LANGS, script_counts, to_script, to_simplified, unsupported_script
from ..errors import ModelError, ModelUnavailable, Unsupported
from ..playbook import Playbook
from ..privacy.masking import mask, mask_facts, mask_tree
from .triage_model import prepare
from ..schemas import DraftRequest
from ..settings import Settings
from .models import Completion, ModelClient
from . import fields
from .asks import needed_asks
from .offline import Sections, catalogue_facts, compose, contact_line, emergency_line, greeting_for
from .policy import Policy
from .prompts import render
from .triage import Triage, triage
from .triage_opinion import read_opinion, with_opinion

__all__ = ["create_draft", "draft_reply", "compose_text"]

log = logging.getLogger("tactful.drafts")

RETRY_ASK = "That was not the JSON object asked for. Answer with the JSON object only."


class _ModelSections(BaseModel):
    """What the model must answer: words, and choices. The apology, restatement and close are
    its words (no numbers, links, contacts or promises: checker/tokens.py); the remedy and the
    questions are ids from the policy's catalogue, which the service renders; the ticket's
    facts are slots ({order_id}, {date}, {amount}, {product}) the service fills in."""

    model_config = ConfigDict(extra="ignore")
    apology: str = Field(min_length=1, max_length=1000)
    restatement: str = Field(min_length=1, max_length=1500)
    remedies: list[str] = Field(default_factory=list, max_length=4)
    asks: list[str] = Field(default_factory=list, max_length=3)
    close: str = Field(min_length=1, max_length=800)
    subject: str | None = Field(None, max_length=200)
    # the model's own triage, read apart (triage_opinion.py): a malformed one is ignored and
    # never makes the draft be asked for again
    triage: Any = None


def _parse(text: str) -> _ModelSections:
    body = text.strip()
    if body.startswith("```"):  # a fenced block despite JSON mode
        body = body.strip("`")
        body = body[body.find("{"):]
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    return _ModelSections.model_validate(json.loads(body[start:end + 1]))


_KEYS = ("apology", "restatement", "close", "subject")
_PARTIAL = {k: re.compile(r'"%s"\s*:\s*"((?:[^"\\]|\\.)*)' % k) for k in _KEYS}


def partial_sections(text: str) -> dict[str, str]:
    """The sections of a JSON answer still being generated: each key's string so far."""
    out = {}
    for key, pattern in _PARTIAL.items():
        m = pattern.search(text)
        if not m:
            continue
        raw = m.group(1)
        if raw.endswith("\\") and not raw.endswith("\\\\"):
            raw = raw[:-1]  # half an escape
        raw = re.sub(r"\\u[0-9a-fA-F]{0,3}$", "", raw)
        try:
            out[key] = json.loads(f'"{raw}"')
        except ValueError:
            continue
    return out


def _in_script(value: str | None, lang: str) -> str | None:
    if not value:
        return value
    if lang == "zh-Hant":  # only a slip into simplified is converted: 支持 stays 支持, not 支援
        return to_script(value, lang) if script_counts(value)[3] else value
    if lang == "zh-Hans":
        return to_simplified(value)
    return value


def compose_text(s: Sections, *, channel: str, lang: str, signature: str) -> str:
    """The whole reply from its sections, laid out for the channel."""
    zh = lang.startswith("zh")
    join = "" if zh else " "
    opening = [x for x in (s.emergency, s.greeting) if x]
    if channel == "email":
        paragraphs = [*opening, join.join([s.apology, s.restatement]), s.remedy, s.close, signature]
        return "\n\n".join(p for p in paragraphs if p)
    if channel == "phone":
        return "\n".join([*opening, s.apology, s.restatement, s.remedy, s.close])
    return join.join([*opening, s.apology, s.restatement, s.remedy, s.close])


def _usage(calls: list[Completion], started: float) -> dict:
    return {"prompt_tokens": sum(c.prompt_tokens for c in calls),
            "completion_tokens": sum(c.completion_tokens for c in calls),
            "cost_usd": round(sum(c.cost_usd for c in calls), 6),
            "model_calls": len(calls),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _catalogue(policy: Policy, lang: str, tier: str, facts: dict) -> tuple[list[str], list[str]]:
    """The remedies and questions the model may choose, as the customer would read them."""
    remedies = [f"{r.id} (for {', '.join(r.for_)}): {policy.render(r.text(lang), tier=tier, facts=facts)}"
                for r in policy.remedies]
    asks = [f"{a.id}: {policy.render(a.text(lang), tier=tier, facts=facts)}" for a in policy.asks]
    return remedies, asks


_FACT_SLOT = re.compile(r"\{(order_id|date|amount|product)\}")


def _fill(text: str, facts: dict[str, str | None]) -> tuple[str, list[tuple[int, int]]]:
    """The model's words with the ticket's facts put in their slots, and where they went. A
    slot with no fact stays as written (and is a violation)."""
    out, placed, last = [], [], 0
    length = 0
    for m in _FACT_SLOT.finditer(text):
        value = facts.get(m.group(1))
        if not value:
            continue
        out.append(text[last:m.start()])
        length += m.start() - last
        placed.append((length, length + len(value)))
        out.append(value)
        length += len(value)
        last = m.end()
    out.append(text[last:])
    return "".join(out), placed


class _Drafter:
    def __init__(self, req: DraftRequest, settings: Settings, playbook: Playbook,
                 client: ModelClient | None, on_event=None):
        self.req, self.settings, self.playbook, self.client = req, settings, playbook, client
        self.policy = playbook.policy
        self.on_event = on_event  # on_event(kind, data): "triage", then "sections" as they are generated
        self._shown: dict[str, str] = {}
        self.root = playbook.prompt_dir
        if req.lang is None and (script := unsupported_script(req.message)):
            # (the Chinese and English rules would misread it, and the draft would be in the wrong language)
            raise Unsupported(f"the message is written in {script}, which tactful does not draft in "
                              f"(it drafts {', '.join(LANGS)}); pass lang to draft anyway", field="lang")
        self.t: Triage = triage(req.message, playbook, lang=req.lang, order_id=req.order_id,
                                customer_name=req.customer_name)
        self.lang = req.lang or self.t.lang
        self.calls: list[Completion] = []
        self.prompt_hash = ""
        self.emergency = emergency_line(playbook, self.t, self.lang)
        self._prompt: list[dict] | None = None

    # ------------------------------------------------------------ offline

    def offline(self) -> Sections:
        sections, digest = compose(self.playbook, self.t, lang=self.lang,
                                   channel=self.req.channel, tone=self.req.tone,
                                   customer_name=self.req.customer_name, order_id=self.req.order_id,
                                   message=self.req.message)
        self.prompt_hash = digest
        return sections

    # ------------------------------------------------------------ model

    def _topic_answers(self) -> list[str]:
        """The policy's answers (its `offline_topics`) to what a question or a request asks
        about ("能开专票吗"): a draft of such a ticket carries them, written by the service."""
        if self.t.kind not in ("inquiry", "other") or self.t.praise or self.t.opening or self.t.shared:
            return []
        return self.policy.topic_answers(self.t.topics)

    def _messages(self) -> list[dict]:
        """The system and draft prompts, rendered once per draft (the repair round reuses them)."""
        if self._prompt is None:
            self._prompt = self._render_prompt()
        return list(self._prompt)

    def _render_prompt(self) -> list[dict]:
        p, lang = self.policy, self.lang
        language = LANGUAGES[lang].name
        remedies, asks = _catalogue(p, lang, self.t.severity, catalogue_facts(self.t))
        rules = self.playbook.triage_rules.spec
        system, h1 = render(self.root, "system.j2", company=p.company.name(lang), language=language,
                            lang=lang, channel=self.req.channel, remedies=remedies, asks=asks,
                            scenarios=list(rules.scenarios), signals=list(rules.signals))
        e = self.t.entities.model_dump(exclude_none=True, exclude={"keyword", "clause", "customer_name"})
        slots = {k: v for k, v in self._slot_facts().items() if v}
        # one line of JSON data each (fields.data_line escapes what could break out of the line),
        # masked like the ticket they came from
        user, h2 = render(self.root, "draft.j2", channel=self.req.channel, tone=self.req.tone,
                          triage=self.t, named=p.company_scenario(self.t.scenario) and p.company_scenario(
                              self.t.scenario).name(lang),
                          slots=self._outbound(fields.data_line(self._outbound_facts(slots))) if slots else "",
                          entities=self._outbound(fields.data_line(self._outbound_facts(e))) if e else "",
                          suggested=list(dict.fromkeys([*self._topic_answers(), *(r.id for r in p.remedies_for(self.t.scenario))])),
                          needed=[a.id for a in needed_asks(p, self.t, channel=self.req.channel,
                                                            order_id=self.req.order_id)],
                          emergency=bool(self.emergency), thread=self._outbound_thread(),
                          message=self._outbound(self.req.message), nonce=secrets.token_hex(6))
        self.prompt_hash = f"{h1}+{h2}"
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _slot_facts(self) -> dict[str, str | None]:
        """The ticket's facts a model's words may name by slot: the service fills them in."""
        e = self.t.entities
        return {"order_id": fields.order_id(self.req.order_id or e.order_id), "date": e.date,
                "amount": e.amount, "product": e.product}

    def _outbound(self, text: str) -> str:
        """Customer text as it may leave for an external model: personal data masked unless
        TACTFUL_MODEL_INPUT=allow (the order number is kept: the reply must name it)."""
        if self.settings.model_input == "allow":
            return text
        keep = tuple(x for x in (self.req.order_id, self.t.entities.order_id) if x)
        return mask(text, keep) or text

    def _outbound_facts(self, facts: dict) -> dict:
        """Facts cut from the message, masked as they read in it (a cut may run through a value)."""
        if self.settings.model_input == "allow":
            return facts
        keep = tuple(x for x in (self.req.order_id, self.t.entities.order_id) if x)
        return mask_facts(self.req.message, facts, keep)

    def _outbound_thread(self) -> list:
        return [m.model_copy(update={"text": self._outbound(m.text)}) for m in self.req.thread]

    def _partial(self, text: str) -> None:
        """Sections shown while the model writes: its words with the facts filled in, and only
        while they hold nothing that only the service may write (the checked draft follows)."""
        facts = self._slot_facts()
        sections = {}
        for key, value in partial_sections(text).items():
            filled, placed = _fill(_in_script(value, self.lang), facts)
            if not free_text(filled, self.lang, placed=placed):
                sections[key] = filled
        if sections and sections != self._shown:
            self._shown = sections
            self.on_event("sections", sections)

    async def _ask(self, messages: list[dict], models: list[str] | None = None,
                   stream: bool = False) -> tuple[_ModelSections, str]:
        """One answer, parsed. Malformed output is asked for once more, then a 502."""
        if stream and self.on_event is not None and hasattr(self.client, "stream"):
            completion = await self.client.stream(messages, models=models, on_text=self._partial)
        else:
            completion = await self.client.complete(messages, models=models)
        self.calls.append(completion)
        try:
            return _parse(completion.text), completion.model
        except (ValueError, ValidationError) as first:
            log.warning("model %s returned malformed output: %s", completion.model, str(first)[:200])
            retry = messages + [{"role": "assistant", "content": completion.text[:4000]},
                                {"role": "user", "content": RETRY_ASK}]
            again = await self.client.complete(retry, models=[completion.model])
            self.calls.append(again)
            try:
                return _parse(again.text), again.model
            except (ValueError, ValidationError) as second:
                raise ModelError(f"model {again.model} did not return a valid draft twice: "
                                 f"{str(second)[:300]}") from None

    def _consider(self, m: _ModelSections) -> None:
        """The model's reading of the ticket joins the local triage, which it may only raise
        (triage_opinion.py). The first answer's reading counts; a repair is about wording."""
        merged = with_opinion(self.t, read_opinion(m.triage), self.playbook, self.req.message)
        if merged is not self.t:
            log.info("the model's reading raised the triage: %s", ", ".join(merged.from_model))
            self.t = merged
            self.emergency = emergency_line(self.playbook, self.t, self.lang)

    def _sections(self, m: _ModelSections) -> tuple[Sections, list[Finding], dict[str, list[Finding]]]:
        """The draft from the model's answer: its words checked for what only the service may
        write (findings with offsets into each section: the third value), the remedy and
        questions rendered from the catalogue, the contact from the policy."""
        lang, p = self.lang, self.policy
        facts = self._slot_facts()
        local: dict[str, list[Finding]] = {}
        general: list[Finding] = []
        words = {}
        for key in ("apology", "restatement", "close", "subject"):
            value = getattr(m, key)
            if key == "subject" and self.req.channel != "email":
                value = None
            if not value:
                words[key] = value
                continue
            filled, placed = _fill(_in_script(value.strip(), lang), facts)
            words[key] = filled
            local[key] = free_text(filled, lang, placed=placed)
        rendered = []
        for kind, ids, find in (("remedy", m.remedies, p.remedy), ("ask", m.asks, p.ask)):
            for item_id in dict.fromkeys(ids):
                item = find(item_id)
                if item is None:
                    general.append(unknown_choice(kind, item_id, lang))
                    continue
                rendered.append(p.render(item.text(lang), tier=self.t.severity, facts=catalogue_facts(self.t)))
        for item_id in self._topic_answers():  # a question the policy answers gets its answer,
            if item_id not in m.remedies:  # whichever remedies the model chose
                rendered.append(p.render(p.remedy(item_id).text(lang), tier=self.t.severity,
                                         facts=catalogue_facts(self.t)))
        join = "" if lang.startswith("zh") else " "
        sections = Sections(apology=words["apology"], restatement=words["restatement"],
                            remedy=join.join(rendered),
                            close=join.join(x for x in (words["close"], contact_line(
                                self.playbook, self.t, lang=lang, channel=self.req.channel,
                                tone=self.req.tone)) if x),
                            subject=words["subject"],
                            emergency=self.emergency,  # the policy's numbers first, whatever the model said
                            greeting=greeting_for(self.root, lang, self.req.tone,
                                                  self.req.customer_name or self.t.entities.customer_name))
        return sections, general, local

    # ------------------------------------------------------------ checking

    def check(self, sections: Sections, general: list[Finding] = (),
              local: dict[str, list[Finding]] | None = None) -> tuple[str, dict, list]:
        """The draft's text and its review. `general`: findings with no place in the text (an
        unknown id); `local`: findings in the model's words, by section, offsets into it."""
        p = self.policy
        signature = f"{p.contact.name(self.lang)}\n{p.company.name(self.lang)}"
        text = compose_text(sections, channel=self.req.channel, lang=self.lang, signature=signature)
        extra = list(general)
        local = local or {}
        cursor = 0
        for key in ("apology", "restatement", "close"):
            part = getattr(sections, key)
            at = text.find(part, cursor) if part else -1
            if at < 0:
                continue
            cursor = at
            for f in local.get(key, ()):
                # the close is the model's words then the contact: the words come first
                extra.append(Finding(f.rule, f.category, f.severity, at + f.start, at + f.end, f.text,
                                     f.message, f.suggestion))
        for f in local.get("subject", ()):
            extra.append(Finding(f.rule, f.category, f.severity, None, None, f.text,
                                 f"Subject: {f.message}", f.suggestion))
        if sections.subject:  # the subject is sent too: checked the same way, found without offsets
            subject = check_reply(self.playbook, sections.subject, lang=self.lang, triage=self.t)
            for f in subject.findings:
                if f.start is not None:
                    f.start = f.end = None
                    f.message = f"Subject: {f.message}"
                    extra.append(f)
        # a thank-you for praise, or the question what a customer needs who has not said yet,
        # holds no apology, restatement or remedy: only its close is asked for
        # ...and an answer to a question or a request from the policy's own answers (its
        # `offline_topics`: "能开专票吗", "优惠券用不了") is information, not a fix with a deadline
        required = (frozenset({"close"}) if self.t.praise or self.t.opening or self.t.shared
                    else ALL_PARTS - {"remedy"} if self._topic_answers() else ALL_PARTS)
        result = check_reply(self.playbook, text, complaint=self.req.message, lang=self.lang,
                             triage=self.t, also=extra, rendered=[sections.remedy] if sections.remedy else [],
                             required=required)
        body = result.to_dict()
        return text, body, result.findings

    async def run(self) -> dict:
        started = time.perf_counter()
        deadline = started + self.settings.draft_deadline_s  # no request waits on a model longer

        def left() -> float:
            return max(0.0, deadline - time.perf_counter())

        model_id, fallback, repaired, reason = "offline", False, False, None
        general: list[Finding] = []
        local: dict[str, list[Finding]] = {}
        if self.on_event is not None:
            self.on_event("triage", self.t.model_dump())
        if self.client is None:
            sections = self.offline()
        else:
            try:
                try:
                    answer, model_id = await asyncio.wait_for(self._ask(self._messages(), stream=True), left())
                except TimeoutError:
                    raise ModelUnavailable(f"no model answered within the deadline of "
                                           f"{self.settings.draft_deadline_s:g} s") from None
                self._consider(answer)
                sections, general, local = self._sections(answer)
                first = answer
            except ModelUnavailable as e:
                if self.req.require_model:
                    raise
                log.warning("every model failed, using the offline drafter: %s", e.message)
                sections, model_id, fallback = self.offline(), "offline", True
                reason = "no model answered"
        text, body, findings = self.check(sections, general, local)
        if not body["passed"] and model_id != "offline":
            repaired = True
            # what goes back to the model is masked like the ticket: an answer that echoed
            # personal data does not send it out again
            errors = [Finding(f.rule, f.category, f.severity, f.start, f.end, self._outbound(f.text) if f.text else f.text,
                              f.message if not f.text else f.message.replace(f.text, self._outbound(f.text)),
                              f.suggestion) for f in findings if f.severity == "error"]
            previous = self._outbound(json.dumps(first.model_dump(exclude_none=True, exclude={"triage"}),
                                                 ensure_ascii=False))
            repair, _ = render(self.root, "repair.j2", findings=errors, previous=previous)
            messages = self._messages() + [{"role": "assistant", "content": previous},
                                           {"role": "user", "content": repair}]
            try:
                answer, model_id = await asyncio.wait_for(self._ask(messages, models=[model_id]), left())
                sections, general, local = self._sections(answer)
                text, body, findings = self.check(sections, general, local)
            except (ModelUnavailable, ModelError) as e:
                log.warning("repair round failed, keeping the first draft: %s", e.message)
            except TimeoutError:
                log.warning("repair round ran past the deadline, keeping the first draft")
            broken = sorted({f.rule for f in findings if f.category == "ungrounded" and f.severity == "error"})
            if broken:  # words the service did not put there never go out: the offline draft does
                log.warning("model %s still wrote what only the service may write (%s): offline draft",
                            model_id, ", ".join(broken))
                sections, model_id, fallback = self.offline(), "offline", True
                reason = "the model's draft still held " + ", ".join(broken) + " after one repair"
                text, body, findings = self.check(sections)
        usage = _usage(self.calls, started)
        return {
            "id": uuid.uuid4().hex,
            "created_at": store.now(),
            "text": text,
            "sections": {k: getattr(sections, k) for k in ("apology", "restatement", "remedy", "close")}
                        | ({"emergency": sections.emergency} if sections.emergency else {}),
            "subject": sections.subject,
            "lang": self.lang,
            "channel": self.req.channel,
            "model": model_id,
            "fallback": fallback,
            "fallback_reason": reason,
            "repaired": repaired,
            "prompt_hash": self.prompt_hash,
            "triage": self.t.model_dump(),
            "review": body,
            "usage": usage,
        }


async def draft_reply(req: DraftRequest, settings: Settings, playbook: Playbook,
                      client: ModelClient | None, on_event=None) -> dict:
    """A checked draft, not stored (the eval suite uses this). `on_event(kind, data)` hears the
    triage at once and the sections as a streaming model writes them."""
    return await _Drafter(req, settings, playbook, client, on_event).run()


async def create_draft(req: DraftRequest, settings: Settings, playbook: Playbook,
                       client: ModelClient | None, on_event=None, owner: str | None = None,
                       ticket_url: str | None = None) -> dict:
    """A checked draft, stored with personal data masked, owned by `owner` (the calling API
    key's id; None with auth off). `ticket_url`: the helpdesk ticket it answers, when a
    connector asked for it (service/connectors)."""
    draft = await draft_reply(req, settings, playbook, client, on_event)
    # SQLite off the event loop
    await asyncio.to_thread(_save, settings, playbook.policy, req, draft, owner, ticket_url)
    return draft


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _save(settings: Settings, policy: Policy, req: DraftRequest, d: dict, owner: str | None = None,
          ticket_url: str | None = None) -> None:
    """Store the draft with personal data masked in everything that came from the customer."""
    keep = tuple(x for x in (req.order_id, d["triage"]["entities"].get("order_id"), policy.contact.email,
                             policy.contact.hotline) if x)
    request = req.model_dump()
    request["message"] = mask(request["message"], keep)
    request["thread"] = [{"role": m["role"], "text": mask(m["text"], keep)} for m in request["thread"]]
    # JSON columns: each string masked as it reads in the text it was cut from (the triage's
    # facts from the message, each issue's clause from the message as the classifier reads it:
    # folded, simplified; sections and review from the draft), then dumped
    triage_ = {**d["triage"], "entities": mask_facts(req.message, d["triage"]["entities"], keep),
               "issues": mask_tree(d["triage"].get("issues") or [], prepare(req.message), keep)}
    store.save_draft(settings.db_path, {
        "id": d["id"], "created_at": d["created_at"], "request": request, "lang": d["lang"],
        "channel": d["channel"], "tone": req.tone, "scenario": d["triage"]["scenario"],
        "severity": d["triage"]["severity"], "triage": _dumps(triage_), "model": d["model"],
        "fallback": int(d["fallback"]), "prompt_hash": d["prompt_hash"],
        "text": mask(d["text"], keep), "sections": _dumps(mask_tree(d["sections"], d["text"], keep)),
        "subject": d["subject"], "review": _dumps(mask_tree(d["review"], d["text"], keep)),
        "passed": int(d["review"]["passed"]), "score": d["review"]["score"],
        "repaired": int(d["repaired"]), "usage": d["usage"], "latency_ms": d["usage"]["latency_ms"],
        "owner": owner, "ticket_url": ticket_url,
    })
