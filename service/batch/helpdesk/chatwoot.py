"""Chatwoot: conversations and their messages, one Record per message (`--format chatwoot`).

The shapes accepted:

    {"meta": {...}, "payload": [message, ...]}      the messages API (GET .../conversations/
                                                    {id}/messages); grouped by conversation_id
    [conversation, ...]                             conversations, each with its "messages"
    {"payload": [conversation, ...]}, {"data": {"payload": [...]}}   the conversations API
    conversation                                    one conversation with its "messages"

A message is {"id", "content", "message_type", "private", "created_at" (unix seconds, or ISO
text in webhooks), "sender": {"id", "name", "type"}, "conversation_id"}; a conversation
{"id", "messages", "meta": {"channel"}} (or "channel", or "inbox": {"channel_type"}), the
channel an inbox type such as Channel::Email or Channel::WebWidget.

Roles: a private message is a note; message_type 2 / "activity" is a system message, 3 /
"template" a bot's; 0 / "incoming" the customer's; 1 / "outgoing" an agent's when its sender
is a user (named by sender.name, else available_name, else id), else a bot's (an agent bot,
Captain, or an automation with no sender).

Channel: the conversation's inbox type; the messages API response does not say it, so there it
is the meta's channel when present, else email when a message came in by email, else None.

`line`: the 1-based number of the message in the file.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

from ...errors import InputError
from ..records import Record, Source
from .common import (READ_ERRORS, Bad, Conversation, Message, body_text, channel_of, describe, each, ident,
                     kind, load_document, timestamp)

__all__ = ["read", "DESCRIPTION", "CHANNELS"]

DESCRIPTION = "Chatwoot conversations: the messages API JSON ({\"payload\": [...]}) or conversations with messages"
EXPECTED = ('a Chatwoot export: the messages API response {"payload": [message, ...]}, '
            'or a list of conversations each with its "messages"')

_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template",
          "incoming": "incoming", "outgoing": "outgoing", "activity": "activity", "template": "template"}
CHANNELS = {
    "channel::webwidget": "chat", "channel::email": "email", "channel::api": "chat",
    "channel::facebookpage": "social", "channel::twitterprofile": "social", "channel::twitter": "social",
    "channel::instagram": "social", "channel::whatsapp": "social", "channel::line": "social",
    "channel::telegram": "social", "channel::tiktok": "social", "channel::twiliosms": "chat", "channel::sms": "chat",
    "channel::voice": "phone",
}


def read(src: Source) -> Iterator[Record]:
    doc = load_document(src, EXPECTED)
    number = itertools.count(1).__next__
    meta = None
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        doc = doc["data"]
    if isinstance(doc, dict) and "payload" in doc:
        meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else None
        doc = doc["payload"]
    elif isinstance(doc, dict) and "messages" in doc:
        doc = [doc]
    if not isinstance(doc, list) or (doc and not any(isinstance(x, dict) and ("messages" in x or "message_type" in x)
                                                     for x in doc)):
        raise InputError(f"not a Chatwoot export: got {describe(doc)}; expected {EXPECTED}", field="file")
    if any(isinstance(x, dict) and "messages" in x for x in doc):
        for k, conv in enumerate(doc, 1):
            yield from _conversation(conv, k, number)
    else:
        yield from _messages(doc, meta, number)


def _channel(conv: dict) -> str | None:
    for value in ((conv.get("meta") or {}).get("channel") if isinstance(conv.get("meta"), dict) else None,
                  conv.get("channel"),
                  (conv.get("inbox") or {}).get("channel_type") if isinstance(conv.get("inbox"), dict) else None):
        if value:
            return channel_of(value, CHANNELS)
    return None


def _conversation(conv: Any, k: int, number) -> list[Record]:
    if not isinstance(conv, dict):
        return [Record(number(), error=f"conversation #{k}: not an object ({kind(conv)})")]
    cid = ident(conv.get("id")) or ident(conv.get("display_id"))
    c = Conversation(cid or f"#{k}", f"conversation {cid}" if cid else f"conversation #{k}")
    c.channel = _channel(conv)
    messages = conv.get("messages")
    if not isinstance(messages, list):
        c.fail(number(), None, f'"messages" is {kind(messages)}, not a list')
    elif not messages:
        c.fail(number(), None, "no messages")
    for j, m in each(messages):
        _add(c, m, j, number())
    return c.records()


def _messages(messages: list, meta: dict | None, number) -> Iterator[Record]:
    """The messages API response: messages of one conversation (or several, by conversation_id)."""
    convs: dict[str, Conversation] = {}
    channel = channel_of(meta.get("channel"), CHANNELS) if meta and meta.get("channel") else None
    for j, m in enumerate(messages, 1):
        cid = (ident(m.get("conversation_id")) if isinstance(m, dict) else None) or "#1"
        c = convs.get(cid)
        if c is None:
            c = convs[cid] = Conversation(cid, f"conversation {cid}")
            c.channel = channel
        if c.channel is None and isinstance(m, dict) and _by_email(m):
            c.channel = "email"
        _add(c, m, j, number())
    for c in convs.values():
        yield from c.records()


def _by_email(m: dict) -> bool:
    attrs = m.get("content_attributes")
    return m.get("content_type") == "incoming_email" or (isinstance(attrs, dict) and isinstance(attrs.get("email"), dict))


def _add(c: Conversation, m: Any, j: int, line: int) -> None:
    mid = m.get("id") if isinstance(m, dict) else None
    where = f"message {ident(mid)}" if ident(mid) else f"message #{j}"
    try:
        c.add(line, _message(m))
    except READ_ERRORS as e:
        c.fail(line, where, e, m)


def _message(m: Any) -> Message:
    if not isinstance(m, dict):
        raise Bad(f"not an object ({kind(m)})")
    given = m.get("message_type")
    mtype = _TYPES.get(given.lower() if isinstance(given, str) else given) if isinstance(given, (str, int)) else None
    if mtype is None:
        raise Bad(f"unknown message_type {given!r} (expected 0-3 or incoming, outgoing, activity, template)")
    content = m.get("content")
    files = m.get("attachments")
    if content in (None, "") and isinstance(files, list) and files:
        raise Bad(f"no content (only {len(files)} attachment{'s' if len(files) > 1 else ''})")
    msg = Message("agent", body_text(content, html=None, field="content"), ident(m.get("id")),
                  timestamp(m.get("created_at")))
    sender = m.get("sender") if isinstance(m.get("sender"), dict) else None
    stype = (sender.get("type") if sender else None) or m.get("sender_type")
    stype = stype.lower() if isinstance(stype, str) else None
    if m.get("private") is True:
        msg.role = "note"
    elif mtype == "activity":
        msg.role = "system"
    elif mtype == "template":
        msg.role = "bot"
    elif mtype == "incoming":
        msg.role = "customer"
    elif stype in ("user", "agent") and sender is not None:
        for key in ("name", "available_name"):
            if isinstance(sender.get(key), str) and sender[key].strip():
                msg.agent = sender[key].strip()
                break
        else:
            msg.agent = ident(sender.get("id")) or ident(m.get("sender_id"))
    elif stype in ("user", "agent"):  # sender_type "User" without the sender object
        msg.agent = ident(m.get("sender_id"))
    elif stype in ("contact",):
        msg.role = "customer"
    else:  # an agent bot, Captain, or an automation (no sender)
        msg.role = "bot"
    return msg
