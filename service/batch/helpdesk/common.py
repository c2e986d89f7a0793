"""What the helpdesk readers share: loading the JSON, reading times, ids and bodies, and putting
the messages of a conversation in order as Records of the message contract:

    {"conversation_id": str, "id": str | None,
     "role": "customer" | "agent" | "bot" | "system" | "note", "text": str,
     "created_at": ISO 8601 UTC | None, "agent": str | None (agent messages only),
     "channel": "email" | "chat" | "social" | "phone" | "web" | None}

A message that cannot be read raises Bad in its reader, which the reader turns into an error
Record naming where it is ("ticket 123, comment 4: no body") and goes on; only a file that is
unusable as a whole raises InputError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import orjson

from ...errors import InputError
from ..records import BOM, Codec, Record, Source
from .markup import html_to_text, looks_like_html

__all__ = ["Bad", "READ_ERRORS", "problem", "Message", "Conversation", "load_document", "parse_document",
           "parse_json_line",
           "kind", "describe", "ident", "timestamp", "iso", "body_text", "channel_of", "each", "ROLES", "CHANNELS"]

ROLES = ("customer", "agent", "bot", "system", "note")
CHANNELS = ("email", "chat", "social", "phone", "web")

# Names the helpdesks give their channels, as the five channels; each reader adds its own.
COMMON_CHANNELS = {
    "email": "email", "mail": "email", "e-mail": "email",
    "chat": "chat", "live_chat": "chat", "webchat": "chat", "web_widget": "chat", "messenger": "chat",
    "messaging": "chat", "native_messaging": "chat", "sms": "chat", "text": "chat", "mobile_sdk": "chat",
    "twitter": "social", "facebook": "social", "instagram": "social", "whatsapp": "social",
    "line": "social", "wechat": "social", "telegram": "social", "viber": "social", "tiktok": "social",
    "phone": "phone", "voice": "phone", "call": "phone", "phone_call": "phone",
    "web": "web", "web_form": "web", "form": "web", "portal": "web", "help_center": "web",
}

_EPOCH_MS = 10 ** 11  # a unix time above this is in milliseconds (10**11 s is the year 5138)


class Bad(ValueError):
    """Why one message (or ticket) cannot be read."""


# What reading one item may raise besides Bad, when a field has a shape no reader expects: it
# becomes that item's error, never the whole file's.
READ_ERRORS = (Bad, TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)


def problem(e: Exception) -> str:
    return str(e) if isinstance(e, Bad) else f"cannot be read ({type(e).__name__}: {e})"


@dataclass(slots=True)
class Message:
    role: str
    text: str
    id: str | None = None
    when: datetime | None = None
    agent: str | None = None  # kept for agent messages only
    channel: str | None = None  # None: the conversation's


class Conversation:
    """The messages of one conversation as they are read (`add`, `fail`), given out in time
    order by `records()`. `label` names it in errors ("ticket 123"); `prefix` goes before
    every error ("line 4: " in JSON lines)."""

    def __init__(self, cid: str, label: str, prefix: str = ""):
        self.cid = cid
        self.label = label
        self.prefix = prefix
        self.channel: str | None = None
        self._items: list[tuple[datetime | None, int, Message | str, str | None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, line: int, msg: Message) -> None:
        if msg.role not in ROLES:
            raise AssertionError(msg.role)
        self._items.append((msg.when, line, msg, msg.id))

    def fail(self, line: int, where: str | None, why: Exception | str, item: Any = None,
             mid: Any = None) -> None:
        """An error Record for an item of this conversation (`where`: "comment 4"; None: the
        conversation itself). What `item` still says (its id, its time: it stays in its place
        in time) goes with it."""
        why = problem(why) if isinstance(why, Exception) else why
        when = None
        if isinstance(item, dict):
            mid = item.get("id") if mid is None else mid
            try:
                when = timestamp(item.get("created_at"))
            except Bad:
                pass
        place = f"{self.label}, {where}" if where else self.label
        self._items.append((when, line, f"{self.prefix}{place}: {why}", ident(mid)))

    def records(self) -> list[Record]:
        """The messages in time order (stable: messages of the same time, or with no time, stay
        where they were in the file, after the message before them)."""
        keys = []
        last = datetime.min.replace(tzinfo=timezone.utc)
        for when, *_ in self._items:
            if when is not None:
                last = when
            keys.append(last)
        out = []
        for _, (_, line, item, mid) in sorted(zip(keys, self._items), key=lambda pair: pair[0]):
            if isinstance(item, str):
                out.append(Record(line, {"conversation_id": self.cid, "id": mid}, error=item))
                continue
            out.append(Record(line, {
                "conversation_id": self.cid, "id": item.id, "role": item.role, "text": item.text,
                "created_at": iso(item.when), "agent": item.agent if item.role == "agent" else None,
                "channel": item.channel or self.channel}))
        return out


# ---------------------------------------------------------------- JSON in

def load_document(src: Source, expected: str) -> Any:
    """The whole file as one JSON document. InputError when it is empty, does not decode or
    is not JSON (with the line and column), saying what was `expected`."""
    return parse_document(src.stream.read(), src.codec, expected)


def parse_document(raw: bytes, codec: Codec, expected: str) -> Any:
    """`raw`, the bytes of a file, as one JSON document (see load_document)."""
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    if not raw.strip():
        raise InputError(f"the file is empty: expected {expected}", field="file")
    if codec.utf8:
        try:  # the fast path; anything it rejects is parsed again below for a clear error
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        text = raw.decode(codec.encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - raw.rfind(b"\n", 0, e.start)
        where = f"line {line}, column {col}" if codec.label == codec.encoding else f"line {line}"
        raise InputError(f"{where}: not valid {codec.label}: is the encoding right?", field="encoding") from None
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON at line {e.lineno}, column {e.colno} ({e.msg}): expected {expected}",
                         field="file") from None
    except RecursionError:
        raise InputError(f"the JSON is nested too deeply: expected {expected}", field="file") from None


def parse_json_line(n: int, raw: bytes, codec: Codec) -> tuple[Any, str | None]:
    """One line of JSON lines: (its value, None) or (None, an error naming the line)."""
    raw = raw.rstrip(b"\r\n")  # (an error at the end of the line is at its last column, not the next line's)
    if codec.utf8:
        try:
            return orjson.loads(raw), None
        except orjson.JSONDecodeError:
            pass
    text, bad = codec.decode(raw, n)
    if bad:
        return None, bad
    try:
        return json.loads(text.lstrip("\ufeff") if n == 1 else text), None
    except json.JSONDecodeError as e:
        return None, f"line {n}: not valid JSON (column {e.colno}: {e.msg})"
    except RecursionError:
        return None, f"line {n}: the JSON is nested too deeply"


def kind(value: Any) -> str:
    """The JSON type of a value, for messages: "an object", "a list", "text", ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else type(value).__name__


def describe(doc: Any) -> str:
    """What a document is, for an InputError: "a JSON object with keys 'a', 'b'"."""
    if isinstance(doc, dict):
        keys = ", ".join(repr(k) for k in list(doc)[:8]) + (", ..." if len(doc) > 8 else "")
        return f"a JSON object with keys {keys}" if doc else "an empty JSON object"
    if isinstance(doc, list):
        first = next((kind(x) for x in doc), None)
        return f"a list whose first item is {first}" if first else "an empty list"
    return f"JSON {kind(doc)}"


# ---------------------------------------------------------------- fields

def ident(value: Any) -> str | None:
    """An id as text (ids are numbers in some APIs and text in others); None when missing."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def timestamp(value: Any, field: str = "created_at") -> datetime | None:
    """A time as given (unix seconds, or ISO 8601 text; a time with no zone is taken as UTC),
    in UTC; None when missing; Bad when it is not a time."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, (int, float)):
            seconds = value / 1000 if abs(value) >= _EPOCH_MS else value
            return datetime.fromtimestamp(seconds, timezone.utc)
        if isinstance(value, str):
            when = datetime.fromisoformat(value.strip())
            return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise Bad(f"{field} {shown} is not a time (expected unix seconds or ISO 8601)")


def iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z: 2026-11-03T02:15:00Z (milliseconds when there are any)."""
    if when is None:
        return None
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond // 1000:03d}"
    return text + "Z"


def body_text(value: Any, *, html: bool | None, field: str = "body") -> str:
    """The plain text of a body: `html` True strips it as HTML, False keeps it as it is, None
    (the helpdesk does not say) strips it when it looks like HTML. Bad when it is missing, not
    text, or has no text once stripped."""
    if value is None or value == "":
        raise Bad(f"no {field}")
    if not isinstance(value, str):
        raise Bad(f"{field} is {kind(value)}, not text")
    if html or (html is None and looks_like_html(value)):
        text = html_to_text(value)
    else:
        text = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        text = text.strip()
    if not text:
        raise Bad(f"{field} has no text" if html else f"no {field}")
    return text


def channel_of(name: Any, table: dict[Any, str] | None = None) -> str | None:
    """One of CHANNELS for a helpdesk's name (or number) of a channel; None when unknown."""
    if not isinstance(name, (str, int)) or isinstance(name, bool):
        return None
    if table and name in table:
        return table[name]
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if table and key in table:
        return table[key]
    return COMMON_CHANNELS.get(key)


def each(items: Any) -> Iterator[tuple[int, Any]]:
    """(1-based position, item) of a list; nothing for anything else."""
    if isinstance(items, list):
        yield from enumerate(items, 1)
