"""Freshdesk: ticket conversations, one Record per conversation (reply or note), and the
ticket's description when the ticket is given (`--format freshdesk`).

The shapes accepted:

    [conversation, ...]                 the API's GET /tickets/{id}/conversations; grouped by
                                        ticket_id
    ticket                              GET /tickets/{id}?include=conversations: a ticket with
                                        its "conversations"
    [ticket, ...]                       a list of such tickets

A conversation is {"id", "ticket_id", "user_id", "incoming", "private", "body_text", "body"
(HTML), "created_at", "from_email"}; a ticket {"id", "requester_id", "responder_id", "source",
"description_text", "description", "created_at", "conversations"}.

Roles: a private conversation is a note; an incoming one (or one by the ticket's requester) the
customer's; others an agent's (Freshdesk gives the agent's user_id, not a name). The ticket's
description is the customer's first message, at the ticket's created_at, except in an outbound
email ticket (source 10), which an agent wrote (its responder, when given).

Channel: the ticket's source (1 email, 2 portal, 3 phone, 5 Twitter, 6 Facebook, 7 chat, 9
feedback widget, 10 outbound email...). Without the ticket, email when the replies carry email
addresses (from_email or support_email), else None.

`line`: the 1-based number of the message in the file (a ticket's description counts as one).
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

from ...errors import InputError
from ..records import Record, Source
from .common import (READ_ERRORS, Bad, Conversation, Message, body_text, describe, ident, kind, load_document,
                     timestamp)

__all__ = ["read", "DESCRIPTION", "records_of"]

DESCRIPTION = "Freshdesk ticket conversations: the conversations API JSON, or tickets with their conversations"
EXPECTED = ('a Freshdesk export: a list of conversations (GET /tickets/{id}/conversations), a ticket with its '
            '"conversations", or a list of such tickets')

_SOURCES = {1: "email", 2: "web", 3: "phone", 4: "web", 5: "social", 6: "social", 7: "chat", 8: "chat",
            9: "web", 10: "email", 11: "web", 12: "chat"}
_OUTBOUND = 10
_TICKET_KEYS = ("conversations", "description", "description_text", "subject", "requester_id")
_CONVERSATION_KEYS = ("incoming", "body_text", "ticket_id", "private")


def _is_ticket(value: Any) -> bool:
    return isinstance(value, dict) and any(k in value for k in _TICKET_KEYS)


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and not _is_ticket(value) and any(k in value for k in _CONVERSATION_KEYS)


def records_of(doc: dict) -> list[Record]:
    """The Records of one conversation as the API gives it (a ticket with its
    "conversations", and its description).
    The connectors read live threads with it: a draft and a QA import see the same roles."""
    return _ticket(doc, 1, itertools.count(1).__next__)


def read(src: Source) -> Iterator[Record]:
    doc = load_document(src, EXPECTED)
    number = itertools.count(1).__next__
    if _is_ticket(doc):
        yield from _ticket(doc, 1, number)
    elif isinstance(doc, list) and any(_is_ticket(x) for x in doc):
        for k, ticket in enumerate(doc, 1):
            yield from _ticket(ticket, k, number)
    elif isinstance(doc, list) and (not doc or any(_is_conversation(x) for x in doc)):
        yield from _conversations(doc, number)
    else:
        raise InputError(f"not a Freshdesk export: got {describe(doc)}; expected {EXPECTED}", field="file")


def _conversations(items: list, number) -> Iterator[Record]:
    """The conversations API response: one ticket's (or several, by ticket_id)."""
    convs: dict[str, Conversation] = {}
    for j, item in enumerate(items, 1):
        tid = (ident(item.get("ticket_id")) if isinstance(item, dict) else None) or "#1"
        c = convs.get(tid)
        if c is None:
            c = convs[tid] = Conversation(tid, f"ticket {tid}")
        if c.channel is None and isinstance(item, dict) and item.get("private") is not True and (
                item.get("from_email") or item.get("support_email")):
            c.channel = "email"
        _add(c, item, j, number(), None)
    for c in convs.values():
        yield from c.records()


def _ticket(ticket: Any, k: int, number) -> list[Record]:
    if not isinstance(ticket, dict):
        return [Record(number(), error=f"ticket #{k}: not an object ({kind(ticket)})")]
    tid = ident(ticket.get("id"))
    c = Conversation(tid or f"#{k}", f"ticket {tid}" if tid else f"ticket #{k}")
    source = ticket.get("source")
    c.channel = _SOURCES.get(source) if isinstance(source, int) and not isinstance(source, bool) else None
    requester = ident(ticket.get("requester_id"))
    if any(ticket.get(key) not in (None, "") for key in ("description_text", "description")):
        line = number()
        try:
            c.add(line, _description(ticket))
        except READ_ERRORS as e:
            c.fail(line, "description", e)
    items = ticket.get("conversations")
    if items is None:
        items = []
    if not isinstance(items, list):
        c.fail(number(), None, f'"conversations" is {kind(items)}, not a list')
        items = []
    for j, item in enumerate(items, 1):
        _add(c, item, j, number(), requester)
    if not len(c):
        c.fail(number(), None, "no description and no conversations")
    return c.records()


def _description(ticket: dict) -> Message:
    if ticket.get("description_text") not in (None, ""):
        text = body_text(ticket["description_text"], html=False, field="description_text")
    else:
        text = body_text(ticket.get("description"), html=True, field="description")
    msg = Message("customer", text, None, timestamp(ticket.get("created_at")))
    if ticket.get("source") == _OUTBOUND:
        msg.role, msg.agent = "agent", ident(ticket.get("responder_id"))
    return msg


def _add(c: Conversation, item: Any, j: int, line: int, requester: str | None) -> None:
    cid = item.get("id") if isinstance(item, dict) else None
    try:
        c.add(line, _conversation(item, requester))
    except READ_ERRORS as e:
        c.fail(line, f"conversation {ident(cid)}" if ident(cid) else f"conversation #{j}", e, item)


def _conversation(item: Any, requester: str | None) -> Message:
    if not isinstance(item, dict):
        raise Bad(f"not an object ({kind(item)})")
    if item.get("body_text") not in (None, ""):
        text = body_text(item["body_text"], html=False, field="body_text")
    else:
        text = body_text(item.get("body"), html=True, field="body")
    msg = Message("agent", text, ident(item.get("id")), timestamp(item.get("created_at")))
    user = ident(item.get("user_id"))
    if item.get("private") is True:
        msg.role = "note"
    elif item.get("incoming") is True or (requester is not None and user == requester):
        msg.role = "customer"
    else:
        msg.agent = user
    return msg
