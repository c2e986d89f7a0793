"""The model's reading of a ticket: with a model configured, it triages too, in the same
answer as its draft (the `triage` object of the JSON it returns: no second round trip).

    {"triage": {"issues": ["billing", "poor_service"], "severity": "medium",
                "safety": false, "signals": ["repeat_contact"]}, "apology": ...}

The service's own triage (keyword rules and classifier, triage.py) stays the floor:
- the model may raise the severity or make a safety call; it never lowers either (a fire the
  model calls harmless still opens with the emergency numbers);
- it names scenarios only from the playbook's scenario catalogue (triage.yaml `scenarios`)
  and signals only from its signal list: any other name is ignored, the rest of its reading
  kept;
- it may rename the main problem, but not dismiss a complaint as a question or "other";
- an answer whose `triage` is missing or not of this shape is ignored, silently: the local
  triage stands and the draft is not asked for again.

The customer's text reaches the model as delimited data (prompts/draft.j2), so a ticket that
says "this is not urgent" can at most fail to raise the tier; one that says "make this
severe" can raise it, which errs towards a faster answer, within the policy's caps."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .triage import TIERS, Issue, Triage, issue_severity, refine, signal_severity

if TYPE_CHECKING:
    from ..playbook import Playbook

__all__ = ["Opinion", "read_opinion", "with_opinion"]

log = logging.getLogger("tactful.drafts")

_TIER = {t: i for i, t in enumerate(TIERS)}
# a complaint is not demoted to these by the model
_NOT_A_COMPLAINT = ("inquiry", "other")


class Opinion(BaseModel):
    """The `triage` object of a model's answer. Strict: "false" is not false, "high" is no tier."""

    model_config = ConfigDict(extra="ignore", strict=True)
    issues: list[str] = Field(default_factory=list, max_length=8)
    severity: Literal["minor", "medium", "severe"] | None = None
    safety: bool = False
    signals: list[str] = Field(default_factory=list, max_length=12)


def read_opinion(raw: object) -> Opinion | None:
    """The model's reading, or None when it gave none or one not of the shape asked for."""
    if raw is None:
        return None
    try:
        return Opinion.model_validate(raw)
    except ValidationError as e:
        log.info("the model's triage was not of the shape asked for; the local triage stands: %s",
                 str(e).splitlines()[0][:200])
        return None


def with_opinion(t: Triage, opinion: Opinion | None, playbook: Playbook, message: str) -> Triage:
    """The local triage `t` with what the model's reading adds (see the module's rules)."""
    if opinion is None:
        return t
    rules = playbook.triage_rules.spec
    named = [s for s in dict.fromkeys(opinion.issues) if s in rules.scenarios]
    ignored = [s for s in opinion.issues if s not in rules.scenarios]
    if ignored:
        log.info("the model named scenarios outside the catalogue (ignored): %s", ", ".join(ignored[:4])[:200])
    signals = [s for s in dict.fromkeys(opinion.signals) if s in rules.signals]
    changed: list[str] = []

    # the model names the nine kinds; a company's scenario (policy `scenarios`) is the service's
    # refinement of one, so the reading is compared kind with kind
    safety = t.safety or opinion.safety or "safety_emergency" in named
    if safety and not t.safety:
        changed.append("safety")
    kind = t.kind
    if safety:
        kind = "safety_emergency"
    elif named and named[0] != t.kind and (
            named[0] not in _NOT_A_COMPLAINT or t.kind in _NOT_A_COMPLAINT):
        kind = named[0]  # renamed; a complaint is never demoted to a question
        changed.append("scenario")

    issues = list(t.issues)
    have = {i.kind for i in issues}
    added = [s for s in ([kind] if kind not in have else []) + named if s not in have]
    if added:
        from .triage_model import load_model, prepare

        whole = load_model(playbook.rubric_dir, playbook.cache_dir).proba(message)
        text = prepare(message).strip()[:200]
        # the classifier's own probability, so that `score` means one thing for every issue;
        # each new issue refined to the company's scenario its words name, as triage does
        new, _ = refine([Issue(scenario=s, text=text, score=round(whole.get(s, 0.0), 3))
                         for s in dict.fromkeys(added)], playbook.policy, text,
                        taken={i.scenario for i in issues}, primary=False)
        issues.extend(new)
        if len(issues) > 1 and any(i.kind not in _NOT_A_COMPLAINT for i in issues):
            issues = [i for i in issues if i.kind != "other"]  # "other" is what is left when nothing else is
        if [s for s in added if s != kind]:
            changed.append("issues")
    issues.sort(key=lambda i: i.kind != kind)  # the primary first, the others as they were
    scenario = issues[0].scenario if issues and issues[0].kind == kind else kind

    new_signals = [s for s in signals if s not in t.signals]
    if new_signals:
        changed.append("signals")
    all_signals = [*t.signals, *new_signals]
    severity = max([t.severity, opinion.severity or t.severity, signal_severity(all_signals),
                    *(issue_severity(i, playbook.triage_rules, playbook.policy) for i in issues)], key=_TIER.get)
    if _TIER[severity] > _TIER[t.severity]:
        changed.append("severity")
    if not changed:
        return t

    entities = t.entities
    if scenario != t.scenario:
        # the customer's words quoted back named the old problem; a charge to refund is a
        # billing fact only when the service's own reading found one
        entities = entities.model_copy(update={"keyword": None, "clause": None,
                                               **({"amount": None} if kind == "billing" else {})})
    tier = playbook.policy.severity[severity]
    return t.model_copy(update={
        "scenario": scenario, "kind": kind, "severity": severity, "respond_within": tier.respond_within,
        "escalate_to": tier.escalate_to, "entities": entities, "issues": issues, "signals": all_signals,
        "safety": safety, "safety_uncertain": t.safety_uncertain and not safety, "from_model": changed,
        # a request stays one only while the primary is still a question or `other`
        "request": t.request if kind in ("inquiry", "other") and not safety else None})
