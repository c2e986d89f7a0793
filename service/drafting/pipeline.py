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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import store
from ..checker.check import check_reply
from ..checker.languages import LANGUAGES
from ..checker.text import to_script, to_simplified
from ..errors import ModelError, ModelUnavailable
from ..playbook import Playbook
from ..privacy.masking import mask
from ..schemas import DraftRequest
from ..settings import Settings
from .models import Completion, ModelClient
from . import fields
from .offline import Sections, compose, emergency_line, greeting_for
from .policy import Policy
from .prompts import render
from .triage import Triage, triage

__all__ = ["create_draft", "draft_reply", "compose_text"]

log = logging.getLogger("tactful.drafts")

RETRY_ASK = "That was not the JSON object asked for. Answer with the JSON object only."


class _ModelSections(BaseModel):
    """What the model must answer: the four parts (and a subject for email)."""

    model_config = ConfigDict(extra="ignore")
    apology: str = Field(min_length=1, max_length=3000)
    restatement: str = Field(min_length=1, max_length=3000)
    remedy: str = Field(min_length=1, max_length=3000)
    close: str = Field(min_length=1, max_length=3000)
    subject: str | None = Field(None, max_length=300)


def _parse(text: str) -> _ModelSections:
    body = text.strip()
    if body.startswith("```"):  # a fenced block despite JSON mode
        body = body.strip("`")
        body = body[body.find("{"):]
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    return _ModelSections.model_validate(json.loads(body[start:end + 1]))


_KEYS = ("apology", "restatement", "remedy", "close", "subject")
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
    if lang == "zh-Hant":
        return to_script(value, lang)
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


def _facts(policy: Policy, lang: str) -> list[str]:
    p = policy
    c = p.currency.symbol
    return [
        f"Replacement or missing item ships within {p.shipping.resend_hours} hours; lost-parcel trace result within {p.shipping.lost_parcel_trace_hours} hours",
        f"Returns for any reason within {p.returns.no_reason_days} days of delivery; defects within {p.returns.defective_days} days",
        f"Refunds reach the original payment method within {p.refunds.processing_business_days} business days; a duplicate charge is reversed within {p.refunds.duplicate_charge_hours} hours",
        f"Account freeze takes effect within {p.account_security.freeze_minutes} minutes; security investigation within {p.account_security.investigation_hours} hours",
        f"During an outage, updates every {p.outage.update_every_minutes} minutes at {p.links.get('status_page', '')}",
        f"A supervisor calls back within {p.service.supervisor_callback_hours} hours; a full answer to a question within {p.service.answer_hours} hours",
        f"A safety officer calls within {p.safety.callback_minutes} minutes",
        "Compensation vouchers by severity: " + ", ".join(
            f"{t} {c}{v.coupon:g} (cap {c}{v.cap:g})" for t, v in p.compensation.items()),
        f"Contact hours: {p.contact.hours(lang)}",
    ]


class _Drafter:
    def __init__(self, req: DraftRequest, settings: Settings, playbook: Playbook,
                 client: ModelClient | None, on_event=None):
        self.req, self.settings, self.playbook, self.client = req, settings, playbook, client
        self.policy = playbook.policy
        self.on_event = on_event  # on_event(kind, data): "triage", then "sections" as they are generated
        self._shown: dict[str, str] = {}
        self.root = playbook.prompt_dir
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
                                   customer_name=self.req.customer_name, order_id=self.req.order_id)
        self.prompt_hash = digest
        return sections

    # ------------------------------------------------------------ model

    def _messages(self) -> list[dict]:
        """The system and draft prompts, rendered once per draft (the repair round reuses them)."""
        if self._prompt is None:
            self._prompt = self._render_prompt()
        return list(self._prompt)

    def _render_prompt(self) -> list[dict]:
        p, lang = self.policy, self.lang
        language = LANGUAGES[lang].name
        system, h1 = render(self.root, "system.j2", company=p.company.name(lang), language=language,
                            lang=lang, channel=self.req.channel, contact_name=p.contact.name(lang),
                            hotline=p.contact.hotline, email=p.contact.email,
                            facts=_facts(p, lang), links=list(p.links.values()))
        e = self.t.entities.model_dump(exclude_none=True, exclude={"keyword", "clause", "customer_name", "order_id"})
        # the name and the order number, checked once more, as one line of JSON data
        customer = {k: v for k, v in (
            ("name", fields.customer_name(self.req.customer_name or self.t.entities.customer_name)),
            ("order_number", fields.order_id(self.req.order_id or self.t.entities.order_id))) if v}
        tier = p.compensation[self.t.severity]
        user, h2 = render(self.root, "draft.j2", channel=self.req.channel, tone=self.req.tone,
                          triage=self.t, customer=fields.data_line(customer) if customer else "",
                          entities=fields.data_line(e) if e else "",
                          compensation=f"a voucher of {p.currency.symbol}{tier.coupon:g}, cap {p.currency.symbol}{tier.cap:g}",
                          emergency=self.emergency, thread=self._outbound_thread(),
                          private_channel=p.contact.private_channel(lang),
                          message=self._outbound(self.req.message), nonce=secrets.token_hex(6))
        self.prompt_hash = f"{h1}+{h2}"
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _outbound(self, text: str) -> str:
        """Customer text as it may leave for an external model: personal data masked unless
        TACTFUL_MODEL_INPUT=allow (the order number is kept: the reply must name it)."""
        if self.settings.model_input == "allow":
            return text
        keep = tuple(x for x in (self.req.order_id, self.t.entities.order_id) if x)
        return mask(text, keep) or text

    def _outbound_thread(self) -> list:
        return [m.model_copy(update={"text": self._outbound(m.text)}) for m in self.req.thread]

    def _partial(self, text: str) -> None:
        sections = {k: _in_script(v, self.lang) for k, v in partial_sections(text).items()}
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

    def _sections(self, m: _ModelSections) -> Sections:
        lang = self.lang
        return Sections(apology=_in_script(m.apology, lang), restatement=_in_script(m.restatement, lang),
                        remedy=_in_script(m.remedy, lang), close=_in_script(m.close, lang),
                        subject=_in_script(m.subject, lang) if self.req.channel == "email" else None,
                        emergency=self.emergency,  # the policy's numbers first, whatever the model said
                        greeting=greeting_for(self.root, lang, self.req.tone,
                                              self.req.customer_name or self.t.entities.customer_name))

    # ------------------------------------------------------------ checking

    def check(self, sections: Sections) -> tuple[str, dict, list]:
        p = self.policy
        signature = f"{p.contact.name(self.lang)}\n{p.company.name(self.lang)}"
        text = compose_text(sections, channel=self.req.channel, lang=self.lang, signature=signature)
        extra = []
        if sections.subject:  # the subject is sent too: checked the same way, found without offsets
            subject = check_reply(self.playbook, sections.subject, lang=self.lang, triage=self.t)
            for f in subject.findings:
                if f.start is not None:
                    f.start = f.end = None
                    f.message = f"Subject: {f.message}"
                    extra.append(f)
        result = check_reply(self.playbook, text, complaint=self.req.message, lang=self.lang,
                             triage=self.t, also=extra)
        body = result.to_dict()
        return text, body, result.findings

    async def run(self) -> dict:
        started = time.perf_counter()
        deadline = started + self.settings.draft_deadline_s  # no request waits on a model longer

        def left() -> float:
            return max(0.0, deadline - time.perf_counter())

        model_id, fallback, repaired = "offline", False, False
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
                sections = self._sections(answer)
            except ModelUnavailable as e:
                if self.req.require_model:
                    raise
                log.warning("every model failed, using the offline drafter: %s", e.message)
                sections, model_id, fallback = self.offline(), "offline", True
        text, body, findings = self.check(sections)
        if not body["passed"] and model_id != "offline":
            repaired = True
            errors = [f for f in findings if f.severity == "error"]
            repair, _ = render(self.root, "repair.j2", findings=errors,
                               previous=json.dumps(sections.model_dump(include={"apology", "restatement", "remedy", "close", "subject"}),
                                                   ensure_ascii=False))
            messages = self._messages() + [{"role": "assistant", "content": json.dumps(
                sections.model_dump(include={"apology", "restatement", "remedy", "close", "subject"}),
                ensure_ascii=False)}, {"role": "user", "content": repair}]
            try:
                answer, model_id = await asyncio.wait_for(self._ask(messages, models=[model_id]), left())
                sections = self._sections(answer)
                text, body, findings = self.check(sections)
            except (ModelUnavailable, ModelError) as e:
                log.warning("repair round failed, keeping the first draft: %s", e.message)
            except TimeoutError:
                log.warning("repair round ran past the deadline, keeping the first draft")
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
                       client: ModelClient | None, on_event=None, owner: str | None = None) -> dict:
    """A checked draft, stored with personal data masked, owned by `owner` (the calling API
    key's id; None with auth off)."""
    draft = await draft_reply(req, settings, playbook, client, on_event)
    await asyncio.to_thread(_save, settings, playbook.policy, req, draft, owner)  # SQLite off the event loop
    return draft


def _save(settings: Settings, policy: Policy, req: DraftRequest, d: dict, owner: str | None = None) -> None:
    """Store the draft with personal data masked in everything that came from the customer."""
    keep = tuple(x for x in (req.order_id, d["triage"]["entities"].get("order_id"), policy.contact.email,
                             policy.contact.hotline) if x)
    request = req.model_dump()
    request["message"] = mask(request["message"], keep)
    request["thread"] = [{"role": m["role"], "text": mask(m["text"], keep)} for m in request["thread"]]
    # JSON columns are masked as JSON text and stored as that text (no parse and re-dump)
    triage_ = mask(json.dumps(d["triage"], ensure_ascii=False), keep)
    store.save_draft(settings.db_path, {
        "id": d["id"], "created_at": d["created_at"], "request": request, "lang": d["lang"],
        "channel": d["channel"], "tone": req.tone, "scenario": d["triage"]["scenario"],
        "severity": d["triage"]["severity"], "triage": triage_, "model": d["model"],
        "fallback": int(d["fallback"]), "prompt_hash": d["prompt_hash"],
        "text": mask(d["text"], keep), "sections": mask(json.dumps(d["sections"], ensure_ascii=False), keep),
        "subject": d["subject"], "review": mask(json.dumps(d["review"], ensure_ascii=False), keep),
        "passed": int(d["review"]["passed"]), "score": d["review"]["score"],
        "repaired": int(d["repaired"]), "usage": d["usage"], "latency_ms": d["usage"]["latency_ms"],
        "owner": owner,
    })
