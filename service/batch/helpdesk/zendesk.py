"""Zendesk: tickets and their comments, one Record per comment (`--format zendesk`).

The shapes accepted, as the API and the export give them:

    {"tickets": [ticket, ...], "users": [...]}      the Tickets API (users sideloaded with
                                                    ?include=users), each ticket with its
                                                    "comments"; or the comments in a top-level
                                                    "comments" list, each with its "ticket_id"
    {"ticket": ticket, "users": [...]}              Show Ticket, likewise
    [ticket, ...]                                   a list of tickets with their comments
    {"comments": [...], "users": [...]}             the Ticket Comments API: one ticket's
    one ticket a line (JSON lines)                  Zendesk's JSON export

A ticket is {"id", "requester_id", "via": {"channel"}, "comments": [...]}; a comment
{"id", "author_id", "public", "body" | "plain_body" | "html_body", "created_at",
"via": {"channel"}}. `users` ({"id", "name", "role": end-user | agent | admin}) name the
authors and give their roles.

Roles: a private comment (`public: false`) is a note; a comment via Answer Bot or an AI agent
is a bot's; one added by a trigger or automation (via `rule`, or the system user -1) is a
system message. Otherwise the ticket's requester is the customer; other authors are customers
when `users` says they are end-users, else agents (named from `users`, else by id). The
Ticket Comments API response does not name its ticket or requester: its conversation_id is
the comments' `ticket_id` if they have one, else "#1", and its customer is the end-user of
`users`, else the author of the first comment (who opened the ticket).

Channel: the ticket's `via.channel` (else its first comment's), for all its comments: a
comment's own `via` says how the agent wrote it (`web` for the agent workspace), not the
channel of the conversation.

`line`: in JSON lines, the file line of the ticket; in a JSON document, the 1-based number of
the comment in the file (a ticket that cannot be read at all counts as one).
"""

from __future__ import annotations

import io
import itertools
from typing import Any, Callable, Iterable, Iterator

from ...errors import InputError
from ..records import BOM, Codec, Record, Source, raw_lines
from .common import (READ_ERRORS, Bad, Conversation, Message, body_text, channel_of, describe, each, ident,
                     kind, parse_document, parse_json_line, timestamp)

__all__ = ["read", "DESCRIPTION", "CHANNELS"]

DESCRIPTION = "Zendesk tickets with comments: Tickets or Ticket Comments API JSON, or the JSON export (a ticket a line)"
EXPECTED = ('a Zendesk export: {"tickets": [...]} with each ticket\'s "comments", a list of tickets, '
            '{"comments": [...]} (the Ticket Comments API) or JSON lines with one ticket a line')

CHANNELS: dict[Any, str] = {
    0: "web", 4: "email", 29: "chat",  # via ids, for exports that give numbers
    "web_form": "web", "dropbox": "web", "help_center": "web", "email": "email", "mail": "email",
    "chat": "chat", "chat_transcript": "chat", "web_widget": "chat", "native_messaging": "chat",
    "mobile_sdk": "chat", "sms": "chat", "messaging": "chat",
    "voice": "phone", "voicemail": "phone", "phone_call_inbound": "phone", "phone_call_outbound": "phone",
    "twitter": "social", "twitter_dm": "social", "twitter_favorite": "social", "facebook": "social",
    "facebook_post": "social", "facebook_message": "social", "instagram_dm": "social", "whatsapp": "social",
    "line": "social", "wechat": "social", "telegram": "social",
    "api": None, "web_service": None, "mobile": None, "closed_ticket": None, "rule": None, "any_channel": None,
}
_SYSTEM_CHANNELS = frozenset(("rule", 8))  # triggers and automations
_SYSTEM_USER = "-1"


def _is_bot(channel: Any) -> bool:
    return isinstance(channel, str) and channel.lower().startswith(("answer_bot", "ai_agent", "bot"))


def _is_ticket(value: Any) -> bool:
    """A ticket object (not a response wrapping tickets or comments)."""
    return isinstance(value, dict) and "tickets" not in value and "ticket" not in value and (
        "requester_id" in value or ("comments" in value and "id" in value) or ("id" in value and "subject" in value))


def read(src: Source) -> Iterator[Record]:
    """Records of a Zendesk export: JSON lines when the first line is a ticket on its own,
    else one JSON document (see the module)."""
    head, first = b"", None
    while True:  # the first line that is not blank
        raw = src.stream.readline()
        if not raw:
            break
        head += raw
        if raw.strip(BOM + b" \t\r\n"):
            first = raw
            break
    if first is None:
        raise InputError(f"the file is empty: expected {EXPECTED}", field="file")
    n = head.count(b"\n") if head.endswith(b"\n") else head.count(b"\n") + 1
    value, bad = parse_json_line(n, first[len(BOM):] if head.startswith(BOM) and n == 1 else first, src.codec)
    if bad is None and _is_ticket(value):
        yield from _read_lines(itertools.chain([(n, first)], raw_lines(src.stream, n + 1)), src.codec)
        return
    data = head + src.stream.read()
    try:
        doc = parse_document(data, src.codec, EXPECTED)
    except InputError:
        if not _later_line_is_ticket(data, src.codec):
            raise
        # JSON lines whose first line is broken: read them as lines, the first one an error
        yield from _read_lines(raw_lines(io.BytesIO(data)), src.codec)
        return
    yield from _read_document(doc)


def _later_line_is_ticket(data: bytes, codec: Codec) -> bool:
    lines = [(n, raw) for n, raw in raw_lines(io.BytesIO(data))][1:3]
    return bool(lines) and all(_is_ticket(parse_json_line(n, raw, codec)[0]) for n, raw in lines)


def _read_lines(lines: Iterable[tuple[int, bytes]], codec: Codec) -> Iterator[Record]:
    for n, raw in lines:
        value, bad = parse_json_line(n, raw, codec)
        if bad:
            yield Record(n, error=bad)
        elif not isinstance(value, dict):
            yield Record(n, error=f"line {n}: expected a ticket object, got {kind(value)}")
        else:
            yield from _ticket(value, n, lambda n=n: n, {}, [], prefix=f"line {n}: ")


def _read_document(doc: Any) -> Iterator[Record]:
    number = itertools.count(1).__next__
    users: dict[str, tuple[str | None, str | None]] = {}
    loose: list = []  # comments given beside the tickets, each with its ticket_id
    if isinstance(doc, list):
        tickets = doc
    elif isinstance(doc, dict):
        users = _users(doc.get("users"))
        if "tickets" in doc or "ticket" in doc:
            tickets = doc.get("tickets") if "tickets" in doc else [doc["ticket"]]
            if not isinstance(tickets, list):
                raise InputError(f'not a Zendesk export: "tickets" is {kind(tickets)}, not a list; expected {EXPECTED}',
                                 field="file")
            loose = doc.get("comments") if isinstance(doc.get("comments"), list) else []
        elif _is_ticket(doc):
            tickets = [doc]
        elif isinstance(doc.get("comments"), list):  # the Ticket Comments API: one ticket
            comments = doc["comments"]
            tid = next((ident(c.get("ticket_id")) for c in comments if isinstance(c, dict) and c.get("ticket_id")),
                       None)
            yield from _ticket({"id": tid, "comments": comments}, 1, number, users, [])
            return
        else:
            raise InputError(f"not a Zendesk export: got {describe(doc)}; expected {EXPECTED}", field="file")
    else:
        raise InputError(f"not a Zendesk export: got {describe(doc)}; expected {EXPECTED}", field="file")
    if tickets and not any(_is_ticket(t) for t in tickets):
        raise InputError(f"not a Zendesk export: got {describe(doc)}; expected {EXPECTED}", field="file")

    by_ticket: dict[str, list] = {}
    unplaced: list = []
    for c in loose:
        tid = ident(c.get("ticket_id")) if isinstance(c, dict) else None
        if tid is None and len(tickets) == 1:
            tid = ident(tickets[0].get("id")) if isinstance(tickets[0], dict) else None
        (by_ticket.setdefault(tid, []) if tid is not None else unplaced).append(c)
    for k, ticket in enumerate(tickets, 1):
        extra = by_ticket.pop(ident(ticket.get("id")), []) if isinstance(ticket, dict) else []
        yield from _ticket(ticket, k, number, users, extra)
    for tid, comments in by_ticket.items():  # comments of tickets the file does not have
        yield from _ticket({"id": tid, "comments": comments}, 0, number, users, [])
    for c in unplaced:
        yield Record(number(), {"conversation_id": None, "id": ident(c.get("id")) if isinstance(c, dict) else None},
                     error=f"comment {ident(c.get('id')) if isinstance(c, dict) else '?'}: no ticket_id "
                           "(which ticket is it on?)")


def _users(value: Any) -> dict[str, tuple[str | None, str | None]]:
    users = {}
    for _, u in each(value):
        if isinstance(u, dict) and ident(u.get("id")) is not None:
            name = u.get("name") if isinstance(u.get("name"), str) and u.get("name").strip() else None
            role = u.get("role") if isinstance(u.get("role"), str) else None
            users[ident(u["id"])] = (name.strip() if name else None, role)
    return users


def _ticket(ticket: Any, k: int, number: Callable[[], int], users: dict, extra: list,
            prefix: str = "") -> list[Record]:
    """The Records of one ticket's comments, in time order."""
    if not isinstance(ticket, dict):
        return [Record(number(), error=f"{prefix}ticket #{k}: not an object ({kind(ticket)})")]
    tid = ident(ticket.get("id"))
    conv = Conversation(tid or f"#{k}", f"ticket {tid}" if tid else f"ticket #{k}", prefix)
    comments = ticket.get("comments")
    if comments is None:
        comments = []
    if not isinstance(comments, list):
        conv.fail(number(), None, f'"comments" is {kind(comments)}, not a list')
        return conv.records()
    comments = comments + extra
    if not comments:
        conv.fail(number(), None, "no comments (export the tickets with their comments)")
        return conv.records()
    opening = _earliest(comments)
    via = ticket.get("via") if isinstance(ticket.get("via"), dict) else None
    if via is None and opening is not None and isinstance(opening.get("via"), dict):
        via = opening["via"]
    conv.channel = channel_of(via.get("channel"), CHANNELS) if via else None
    requester = ident(ticket.get("requester_id"))
    opener = None
    if requester is None and not any(role == "end-user" for _, role in users.values()) and opening is not None:
        opener = ident(opening.get("author_id"))  # no requester given: who opened the ticket
    for j, c in enumerate(comments, 1):
        line = number()
        mid = c.get("id") if isinstance(c, dict) else None
        where = f"comment {ident(mid)}" if ident(mid) else f"comment #{j}"
        try:
            conv.add(line, _comment(c, requester or opener, users))
        except READ_ERRORS as e:
            conv.fail(line, where, e, c)
    return conv.records()


def _earliest(comments: list) -> dict | None:
    best, best_when = None, None
    for c in comments:
        if not isinstance(c, dict):
            continue
        try:
            when = timestamp(c.get("created_at"))
        except Bad:
            when = None
        if best is None or (when is not None and (best_when is None or when < best_when)):
            best, best_when = c, when
    return best


def _comment(c: Any, customer: str | None, users: dict) -> Message:
    if not isinstance(c, dict):
        raise Bad(f"not an object ({kind(c)})")
    for field, html in (("body", None), ("plain_body", False), ("html_body", True)):
        if c.get(field) not in (None, ""):
            text = body_text(c[field], html=html, field=field)
            break
    else:
        files = c.get("attachments")
        raise Bad(f"no body (only {len(files)} attachment{'s' if len(files) > 1 else ''})"
                  if isinstance(files, list) and files else "no body")
    when = timestamp(c.get("created_at"))
    via = c.get("via") if isinstance(c.get("via"), dict) else {}
    author = ident(c.get("author_id"))
    msg = Message("agent", text, ident(c.get("id")), when)
    public = c.get("public", True)
    if public is False or (isinstance(public, str) and public.lower() == "false"):
        msg.role = "note"
    elif _is_bot(via.get("channel")):
        msg.role = "bot"
    elif via.get("channel") in _SYSTEM_CHANNELS or author == _SYSTEM_USER:
        msg.role = "system"
    elif author is None:
        raise Bad("no author_id")
    elif customer is not None and author == customer:
        msg.role = "customer"
    elif users.get(author, (None, None))[1] == "end-user":
        msg.role = "customer"
    else:
        msg.agent = users.get(author, (None, None))[0] or author
    return msg
