"""The questions a draft asks the customer: for each issue of the ticket, the policy's
`offline_asks`, those whose fact the ticket lacks, one question per fact.

    order_id  no order number in the request, none found in the message (nor one the export
              anonymised: "订单号:[订单x]")
    photo     the customer does not say they sent a photo, screenshot or video
    account   the ticket names no email address or phone number

A danger asks nothing (the emergency line and the callback come first), and neither does a
public reply: its close moves the details to a private message. The words are the policy's
(`asks:`), so no draft asks for an ID, a card, a password, a code or a full address."""

from __future__ import annotations

from .policy import Ask, Policy
from .triage import Triage

__all__ = ["needed_asks", "missing"]


def missing(fact: str, t: Triage, order_id: str | None = None) -> bool:
    """Whether the ticket lacks `fact` (an Ask's `fact`)."""
    e = t.entities
    if fact == "order_id":
        return not (order_id or e.order_id or e.order_given)
    if fact == "photo":
        return not e.photo
    if fact == "account":
        return not e.account_contact
    return False


def needed_asks(policy: Policy, t: Triage, *, channel: str, order_id: str | None = None) -> list[Ask]:
    """The questions to ask, in the order of the ticket's issues, at most one per fact."""
    if t.safety or channel == "social":
        return []
    out: list[Ask] = []
    asked: set[str] = set()
    for scenario in dict.fromkeys([t.scenario, *(i.scenario for i in t.issues)]):
        for ask_id in policy.offline_questions(scenario):  # a company scenario's, else its kind's
            ask = policy.ask(ask_id)
            if ask is None or ask.fact in asked or not missing(ask.fact, t, order_id):
                continue
            asked.add(ask.fact)
            out.append(ask)
    return out
