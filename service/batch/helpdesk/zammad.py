"""Zammad: ticket articles, one Record per article (`--format zammad`).

The shapes accepted:

    [article, ...]                      GET /api/v1/ticket_articles/by_ticket/{id}; grouped by
                                        ticket_id
    ticket                              a ticket with its "articles"
    [ticket, ...]                       a list of such tickets

An article is {"id", "ticket_id", "sender" (Customer | Agent | System; or "sender_id" 2 | 1
| 3), "internal", "type" (email, phone, web, chat, sms, twitter status, facebook feed post,
note...; or "type_id"), "body", "content_type" (text/html or text/plain), "from",
"created_by", "created_at"}; a ticket {"id", "create_article_type", "articles"}.

Roles: an internal article is a note; otherwise the sender says: Customer, Agent or System.
An agent is named by the article's `from` (its display name, without the address), else by
`created_by` (the login, with ?expand=true), else by created_by_id.

Channel: each article's own type (email, phone, web, chat, social for Twitter, Facebook,
Telegram and WhatsApp); notes and articles of other types take the ticket's (its
create_article_type, else its first article's).

`line`: the 1-based number of the article in the file.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterator

from ...errors import InputError
from ..records import Record, Source
from .common import (READ_ERRORS, Bad, Conversation, Message, body_text, channel_of, describe, ident, kind,
                     load_document, timestamp)

__all__ = ["read", "DESCRIPTION", "records_of"]

DESCRIPTION = "Zammad ticket articles: the articles API JSON, or tickets with their articles"
EXPECTED = ('a Zammad export: a list of ticket articles (GET /api/v1/ticket_articles/by_ticket/{id}), '
            'a ticket with its "articles", or a list of such tickets')

_SENDERS = {"customer": "customer", "agent": "agent", "system": "system", 1: "agent", 2: "customer", 3: "system"}
# the article types Zammad creates with fixed ids
_TYPE_IDS = {1: "email", 2: "sms", 3: "chat", 4: "fax", 5: "phone", 6: "twitter status",
             7: "twitter direct-message", 8: "facebook feed post", 9: "facebook feed comment", 10: "note", 11: "web"}
_ADDRESS = re.compile(r"\s*<[^<>]*>\s*$")
_VIA = re.compile(r"\s+via\s+\S.*$")  # Zammad's sender format for agents: "{name} via {group}"


def _channel(atype: Any) -> str | None:
    if not isinstance(atype, str):
        return None
    name = atype.strip().lower()
    if name.startswith(("twitter", "facebook", "telegram", "whatsapp", "instagram")):
        return "social"
    return {"email": "email", "phone": "phone", "web": "web", "chat": "chat", "sms": "chat"}.get(name)


def _type(item: dict) -> str | None:
    atype = item.get("type")
    if isinstance(atype, str):
        return atype
    tid = item.get("type_id")
    return _TYPE_IDS.get(tid) if isinstance(tid, int) else None


def _is_ticket(value: Any) -> bool:
    return isinstance(value, dict) and "articles" in value


def _is_article(value: Any) -> bool:
    return isinstance(value, dict) and any(k in value for k in ("sender", "sender_id", "internal", "body"))


def records_of(doc: dict) -> list[Record]:
    """The Records of one conversation as the API gives it (a ticket with its "articles").
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
    elif isinstance(doc, list) and (not doc or any(_is_article(x) for x in doc)):
        convs: dict[str, Conversation] = {}
        for j, item in enumerate(doc, 1):
            tid = (ident(item.get("ticket_id")) if isinstance(item, dict) else None) or "#1"
            c = convs.get(tid)
            if c is None:
                c = convs[tid] = Conversation(tid, f"ticket {tid}")
            if c.channel is None and isinstance(item, dict) and item.get("internal") is not True:
                c.channel = _channel(_type(item))
            _add(c, item, j, number())
        for c in convs.values():
            yield from c.records()
    else:
        raise InputError(f"not a Zammad export: got {describe(doc)}; expected {EXPECTED}", field="file")


def _ticket(ticket: Any, k: int, number) -> list[Record]:
    if not isinstance(ticket, dict):
        return [Record(number(), error=f"ticket #{k}: not an object ({kind(ticket)})")]
    tid = ident(ticket.get("id"))
    c = Conversation(tid or f"#{k}", f"ticket {tid}" if tid else f"ticket #{k}")
    created = ticket.get("create_article_type")
    if not isinstance(created, str) and isinstance(ticket.get("create_article_type_id"), int):
        created = _TYPE_IDS.get(ticket["create_article_type_id"])
    c.channel = _channel(created)
    articles = ticket.get("articles")
    if not isinstance(articles, list):
        c.fail(number(), None, f'"articles" is {kind(articles)}, not a list')
        return c.records()
    if not articles:
        c.fail(number(), None, "no articles")
    for j, item in enumerate(articles, 1):
        if c.channel is None and isinstance(item, dict) and item.get("internal") is not True:
            c.channel = _channel(_type(item))
        _add(c, item, j, number())
    return c.records()


def _add(c: Conversation, item: Any, j: int, line: int) -> None:
    aid = item.get("id") if isinstance(item, dict) else None
    try:
        c.add(line, _article(item))
    except READ_ERRORS as e:
        c.fail(line, f"article {ident(aid)}" if ident(aid) else f"article #{j}", e, item)


def _article(item: Any) -> Message:
    if not isinstance(item, dict):
        raise Bad(f"not an object ({kind(item)})")
    ctype = item.get("content_type")
    html = None if not isinstance(ctype, str) else ctype.strip().lower() == "text/html"
    msg = Message("agent", body_text(item.get("body"), html=html), ident(item.get("id")),
                  timestamp(item.get("created_at")), channel=_channel(_type(item)))
    sender = item.get("sender") if item.get("sender") is not None else item.get("sender_id")
    role = _SENDERS.get(sender.strip().lower() if isinstance(sender, str) else sender)
    if item.get("internal") is True:
        msg.role = "note"
    elif role is None:
        raise Bad("no sender" if sender is None else f"unknown sender {sender!r} (expected Customer, Agent or System)")
    else:
        msg.role = role
    if msg.role == "agent":
        msg.agent = _name(item.get("from")) or _name(item.get("created_by")) or ident(item.get("created_by_id"))
    return msg


def _name(sender: Any) -> str | None:
    """The display name of a `from` ("Li Ming via Support <support@example.com>": "Li Ming")."""
    if not isinstance(sender, str):
        return None
    name = _ADDRESS.sub("", sender).strip().strip('"').strip()
    return _VIA.sub("", name).strip() or None
