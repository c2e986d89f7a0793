"""Intercom: conversations, one Record for the opening message and one per conversation part
(`--format intercom`).

The shapes accepted: one conversation object (GET /conversations/{id}), a list of them, or
{"conversations": [...]} (the list and search APIs). A conversation is {"id", "created_at",
"source": {"type", "id", "body", "author", "delivered_as"}, "conversation_parts":
{"conversation_parts": [part, ...]}}; a part {"id", "part_type", "body" (HTML), "created_at"
(unix seconds), "author": {"type", "id", "name"}}. (The older API's "conversation_message"
is read as the source.)

Roles, by the author's type: user, lead and contact are the customer; admin an agent (by name,
else id); bot a bot, and so is team (Intercom writes bots' and workflows' messages on behalf of
a team), and any part `from_ai_agent` or `is_ai_answer` (Fin). An opening message delivered
as `automated`, `campaigns_initiated` or `operator_initiated` is a bot's. Parts of type note
are notes. Event parts with no body (assignment, close, open, snoozed...) are system messages
whose text names the event ("[close by Amy]"); an event part with a body (an admin's reply
sent while closing) is read by its author like a comment.

Channel: the source's type (conversation = the Messenger chat, email, phone_call, whatsapp...).

`line`: the 1-based number of the message in the file (the opening message counts as one).
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

from ...errors import InputError
from ..records import Record, Source
from .common import (READ_ERRORS, Bad, Conversation, Message, body_text, channel_of, describe, ident, kind,
                     load_document, timestamp)

__all__ = ["read", "DESCRIPTION", "records_of"]

DESCRIPTION = "Intercom conversations with their conversation_parts (one, a list, or {\"conversations\": [...]})"
EXPECTED = ('an Intercom export: a conversation object with "source" and "conversation_parts", a list of them, '
            'or {"conversations": [...]}')

_CHANNELS = {"conversation": "chat", "push": "chat", "sms": "chat", "email": "email",
             "facebook": "social", "instagram": "social", "twitter": "social", "whatsapp": "social",
             "phone_call": "phone", "phone_switch": "phone"}
_CUSTOMER = frozenset(("user", "lead", "contact"))
_BOT = frozenset(("bot", "team"))
_AUTOMATED = frozenset(("automated", "campaigns_initiated", "operator_initiated"))
_NOTE = frozenset(("note", "note_and_reopen"))


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and any(k in value for k in ("conversation_parts", "source", "conversation_message"))


def records_of(doc: dict) -> list[Record]:
    """The Records of one conversation as the API gives it (with its "source" and
    "conversation_parts").
    The connectors read live threads with it: a draft and a QA import see the same roles."""
    return _conversation(doc, 1, itertools.count(1).__next__)


def read(src: Source) -> Iterator[Record]:
    doc = load_document(src, EXPECTED)
    if isinstance(doc, dict) and "conversations" in doc:
        convs = doc["conversations"]
        if not isinstance(convs, list):
            raise InputError(f'not an Intercom export: "conversations" is {kind(convs)}, not a list; '
                             f'expected {EXPECTED}', field="file")
    elif _is_conversation(doc):
        convs = [doc]
    elif isinstance(doc, list) and (not doc or any(_is_conversation(x) for x in doc)):
        convs = doc
    else:
        raise InputError(f"not an Intercom export: got {describe(doc)}; expected {EXPECTED}", field="file")
    number = itertools.count(1).__next__
    for k, conv in enumerate(convs, 1):
        yield from _conversation(conv, k, number)


def _conversation(conv: Any, k: int, number) -> list[Record]:
    if not isinstance(conv, dict):
        return [Record(number(), error=f"conversation #{k}: not an object ({kind(conv)})")]
    cid = ident(conv.get("id"))
    c = Conversation(cid or f"#{k}", f"conversation {cid}" if cid else f"conversation #{k}")
    source = conv.get("source") if conv.get("source") is not None else conv.get("conversation_message")
    if isinstance(source, dict):
        c.channel = channel_of(source.get("type"), _CHANNELS)
    if source is not None:
        line = number()
        try:
            c.add(line, _source(source, conv))
        except READ_ERRORS as e:
            c.fail(line, "opening message", e, mid=source.get("id") if isinstance(source, dict) else None)
    parts = conv.get("conversation_parts")
    if isinstance(parts, dict):
        parts = parts.get("conversation_parts")
    if parts is None:
        parts = []
    if not isinstance(parts, list):
        c.fail(number(), None, f'"conversation_parts" is {kind(parts)}, not a list')
        parts = []
    for j, part in enumerate(parts, 1):
        line = number()
        pid = part.get("id") if isinstance(part, dict) else None
        try:
            c.add(line, _part(part))
        except READ_ERRORS as e:
            c.fail(line, f"part {ident(pid)}" if ident(pid) else f"part #{j}", e, part)
    if not len(c):
        c.fail(number(), None, "no messages (no source and no conversation_parts)")
    return c.records()


def _author(author: Any, msg: Message, ai: bool = False) -> None:
    """Set the role (and the agent) of `msg` from an author object."""
    if not isinstance(author, dict):
        raise Bad("no author")
    atype = author.get("type").lower() if isinstance(author.get("type"), str) else None
    if ai or author.get("from_ai_agent") is True or author.get("is_ai_answer") is True or atype in _BOT:
        msg.role = "bot"
    elif atype in _CUSTOMER:
        msg.role = "customer"
    elif atype == "admin":
        msg.role = "agent"
        name = author.get("name")
        msg.agent = name.strip() if isinstance(name, str) and name.strip() else ident(author.get("id"))
    else:
        raise Bad(f"unknown author type {author.get('type')!r}")


def _source(source: Any, conv: dict) -> Message:
    if not isinstance(source, dict):
        raise Bad(f"not an object ({kind(source)})")
    msg = Message("customer", body_text(source.get("body"), html=True), ident(source.get("id")),
                  timestamp(source.get("created_at", conv.get("created_at"))))
    _author(source.get("author"), msg, ai=source.get("delivered_as") in _AUTOMATED)
    return msg


def _part(part: Any) -> Message:
    if not isinstance(part, dict):
        raise Bad(f"not an object ({kind(part)})")
    ptype = part.get("part_type")
    if not isinstance(ptype, str) or not ptype:
        raise Bad("no part_type")
    when = timestamp(part.get("created_at"))
    pid = ident(part.get("id"))
    body = part.get("body")
    if ptype in _NOTE:
        return Message("note", body_text(body, html=True), pid, when)
    if ptype == "comment" or body not in (None, ""):
        msg = Message("customer", body_text(body, html=True), pid, when)
        _author(part.get("author"), msg, ai=part.get("from_ai_agent") is True or part.get("is_ai_answer") is True)
        return msg
    author = part.get("author") if isinstance(part.get("author"), dict) else {}
    name = author.get("name") if isinstance(author.get("name"), str) and author.get("name").strip() else None
    event = ptype.replace("_", " ")
    return Message("system", f"[{event} by {name.strip()}]" if name else f"[{event}]", pid, when)
