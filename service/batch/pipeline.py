"""The steps every batch row goes through, whichever way it came in: `tactful batch` (runner.py)
and `POST /v1/batches` (jobs.py) both read a file with formats.py, in the encoding that
encoding.py finds, and then, per record:

    row = review_record(rec, playbook)    # the output line: the review, or an error with its line
    duplicates.mark(rows)                 # a repeated id gets "duplicate": true
    report.add_record(rec, row)           # report.py; its example replies are masked there

so that the same file gives the same rows and the same report either way. The playbook is
always the caller's: nothing here loads one by itself.

A file of conversations (one record per message: conversation_id, role, text, and where known
id, agent, created_at, channel; every helpdesk export) is read in *units* instead:

    ends = conversation_ends(inp.records())     # first pass: where each conversation ends
    for unit in units(inp.records(), ends):     # a Conversation once its last message is read
        rows = review_conversation_unit(unit, playbook)

Each agent turn gives a "turn" row, reviewed with the conversation before it; then the
conversation gives its scorecard, a "conversation" row; a message that cannot be read gives a
"message" row with the error and its line. Only the conversations still open are held in
memory: one at a time when the file is in conversation order, as helpdesk exports are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ..checker.conversation import Message, required_parts, review_conversation
from ..checker.review import ALL_PARTS, review_dict
from ..checker.rubric import Rubric
from ..errors import InputError, TactfulError
from .encoding import detect_encoding
from .formats import Format, Record, get_format, read_records

if TYPE_CHECKING:
    from ..playbook import Playbook

__all__ = ["review_record", "Duplicates", "id_key", "Input", "open_input", "rubric_of", "playbook_of",
           "Conversation", "conversation_ends", "units", "review_conversation_unit", "is_conversations"]


def rubric_of(source) -> "Rubric":
    """The compiled rubric of `source`: a Rubric as it is, or Settings (their rubric_dir)."""
    from ..playbook import Playbook

    if isinstance(source, Rubric):
        return source
    if isinstance(source, Playbook):
        return source.rubric
    if getattr(source, "rubric_dir", None) is None:
        raise TypeError("give the batch a Rubric, a Playbook or Settings")
    return Playbook.from_settings(source).rubric  # the settings' rubric folder and cache


def playbook_of(source) -> "Playbook":
    """The Playbook of `source`: a Playbook as it is, Settings (theirs), or a Rubric (its
    folder, with the policy beside it)."""
    from ..playbook import Playbook

    if isinstance(source, Playbook):
        return source
    if isinstance(source, Rubric):
        folder = Path(source.path)
        book = Playbook(folder, folder / "policy.yaml", folder.parent / "prompts")
        book.rubric = source
        return book
    if getattr(source, "rubric_dir", None) is None:
        raise TypeError("give the batch a Rubric, a Playbook or Settings")
    return Playbook.from_settings(source)


def _required(playbook: "Playbook | None", data: dict, reply: str, complaint: str | None,
              lang: str | None) -> frozenset[str]:
    """The parts a reply row must hold: all four unless its channel is a chat or social one
    (conversation.required_parts), where a reply is judged as one turn of a conversation."""
    channel = data.get("channel")
    if not channel or playbook is None or not isinstance(channel, str) or not channel.strip():
        return ALL_PARTS
    return required_parts(playbook, reply, complaint, channel.strip().lower(), lang)


def review_record(rec: Record, source: "Rubric | Playbook") -> dict:
    """The output line for one record: the review plus id/agent/channel, or an error. With a
    Playbook, a row whose channel is chat or social is judged as a chat turn."""
    playbook, rubric = (None, source) if isinstance(source, Rubric) else (source, source.rubric)
    data = rec.data or {}
    out: dict = {"line": rec.line, "id": data.get("id")}
    for key in ("agent", "channel"):
        if data.get(key) not in (None, ""):
            out[key] = data[key]
    if rec.error:
        out["error"] = rec.error
        return out
    reply = data.get("reply")
    if reply is None:
        out["error"] = f"line {rec.line}: no 'reply' field"
        return out
    if not isinstance(reply, str):
        out["error"] = f"line {rec.line}: 'reply' must be text, not {type(reply).__name__}"
        return out
    complaint = data.get("complaint")
    complaint = complaint if isinstance(complaint, str) else None
    lang = data.get("lang") or None
    try:
        required = _required(playbook, data, reply, complaint, lang)
        out.update(review_dict(reply, complaint, lang, rubric, required))
    except TactfulError as e:
        out["error"] = f"line {rec.line}: {e.message}"
    return out


def id_key(value) -> str | None:
    """What makes two rows' ids the same: their text (1 and "1" are one id). A missing or
    blank id is no id, so a file without ids has no duplicates."""
    if value is None:
        return None
    key = value if isinstance(value, str) else str(value)
    return key if key.strip() else None


class Duplicates:
    """Ids seen so far. `mark` flags each row whose id an earlier row had, in input order."""

    __slots__ = ("seen",)

    def __init__(self, seen: Iterable[str] = ()):
        self.seen = set(seen)

    def mark(self, rows: list[dict]) -> bool:
        """Add `"duplicate": true` to repeated ids; True when any row was flagged."""
        seen, flagged = self.seen, False
        for row in rows:
            if row.get("kind") == "conversation":
                continue  # a scorecard, not a message: its id is the conversation's
            key = id_key(row.get("id"))
            if key is None:
                continue
            if key in seen:
                row["duplicate"] = True
                flagged = True
            else:
                seen.add(key)
        return flagged

    @staticmethod
    def keys(rows: list[dict]) -> list[str]:
        return [k for k in (id_key(r.get("id")) for r in rows if r.get("kind") != "conversation")
                if k is not None]


@dataclass(frozen=True)
class Input:
    """A batch file, checked: its format and encoding are known, its header is usable."""
    path: Path
    filename: str  # as the user named it (the upload's name, or the file's)
    format: Format
    encoding: str
    conversations: bool = False  # its records are the messages of conversations

    def records(self):
        return read_records(self.path, self.format, self.encoding)


def open_input(path: str | Path, filename: str | None = None, *, format: str | None = None,
               encoding: str | None = None) -> Input:
    """Check a batch file before any output is written or any job queued: the format (by
    name, else by the extension of `filename`), the encoding (declared, else detected), and
    the first record (a CSV's header must have a `reply` column). Raises InputError."""
    path = Path(path)
    name = filename or path.name
    fmt = get_format(format, name)
    enc = detect_encoding(path, encoding)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", field="file")
    records = read_records(path, fmt, enc)
    try:
        first = next(records, None)
    finally:
        records.close()
    if first is None and fmt.has_header:
        raise InputError(f"the {fmt.name.upper()} has a header but no rows", field="file")
    return Input(path, Path(name).name, fmt, enc, is_conversations(fmt, first))


def is_conversations(fmt: Format, first: Record | None) -> bool:
    """Whether a file holds conversations: a helpdesk export always does; a CSV or JSONL does
    when its first record has conversation_id and role, and no reply."""
    if fmt.conversations:
        return True
    data = first.data if first is not None else None
    return bool(data) and "conversation_id" in data and "role" in data and "reply" not in data


# ---------------------------------------------------------------- conversations

MESSAGE_ROLES = ("customer", "agent", "bot", "system", "note")
_ROLE_ALIASES = {"user": "customer", "client": "customer", "contact": "customer", "end-user": "customer",
                 "end_user": "customer", "requester": "customer", "visitor": "customer", "lead": "customer",
                 "staff": "agent", "admin": "agent", "operator": "agent", "human_agent": "agent",
                 "private": "note", "internal": "note"}


@dataclass(slots=True)
class Conversation:
    id: str | None  # None: a record with no conversation_id, reviewed on its own as an error
    records: list[Record]


def _conversation_id(rec: Record) -> str | None:
    value = (rec.data or {}).get("conversation_id")
    if value is None or isinstance(value, (dict, list)):
        return None
    key = value if isinstance(value, str) else str(value)
    return key.strip() or None


def conversation_ends(records: Iterable[Record]) -> dict[str, int]:
    """The position (0-based, in file order) of each conversation's last record."""
    return {cid: k for k, rec in enumerate(records) if (cid := _conversation_id(rec)) is not None}


def units(records: Iterable[Record], ends: dict[str, int]):
    """Conversations in the order they end, each once its last record is read (`ends`, from
    a first pass over the same records); a record with no conversation id is a unit of its own."""
    open_: dict[str, Conversation] = {}
    for k, rec in enumerate(records):
        cid = _conversation_id(rec)
        if cid is None:
            yield Conversation(None, [rec])
            continue
        conv = open_.get(cid)
        if conv is None:
            conv = open_[cid] = Conversation(cid, [])
        conv.records.append(rec)
        if ends.get(cid, k) <= k:
            del open_[cid]
            yield conv
    yield from open_.values()  # the file changed between the passes: nothing is dropped


def _message(rec: Record):
    """A Message of one record, or the error that says why it is not one."""
    n, data = rec.line, rec.data or {}
    if rec.error:
        return None, rec.error
    role = data.get("role")
    role = _ROLE_ALIASES.get(str(role).strip().lower(), str(role).strip().lower()) if role is not None else ""
    if role not in MESSAGE_ROLES:
        return None, (f"line {n}: role {data.get('role')!r} is not one of {', '.join(MESSAGE_ROLES)}"
                      if role else f"line {n}: no 'role' field")
    text = data.get("text")
    if text is None:
        return None, f"line {n}: no 'text' field"
    if not isinstance(text, str):
        return None, f"line {n}: 'text' must be text, not {type(text).__name__}"

    def opt(key: str) -> str | None:
        v = data.get(key)
        return None if v in (None, "") or isinstance(v, (dict, list)) else str(v)

    channel = opt("channel")
    return Message(role, text, agent=opt("agent"), created_at=opt("created_at"),
                   channel=channel.strip().lower() if channel else None, line=n, id=opt("id")), None


def review_conversation_unit(conv: Conversation, playbook: "Playbook") -> list[dict]:
    """The output rows of one conversation: a "turn" row per agent turn and a "message" row
    per record that could not be read, in input order, then its "conversation" scorecard."""
    if conv.id is None:
        rec = conv.records[0]
        data = rec.data or {}
        return [{"kind": "message", "line": rec.line, "id": data.get("id"),
                 "error": rec.error or f"line {rec.line}: no 'conversation_id' field"}]
    rows: list[dict] = []
    messages = []
    for rec in conv.records:
        msg, error = _message(rec)
        if error:
            rows.append({"kind": "message", "line": rec.line, "id": (rec.data or {}).get("id"),
                         "conversation_id": conv.id, "error": error})
        else:
            messages.append(msg)
    first = conv.records[0].line
    head = {"kind": "conversation", "line": first, "conversation_id": conv.id}
    if not any(m.role == "agent" for m in messages):
        channel = next((m.channel for m in messages if m.channel), None)
        return rows + [{**head, "channel": channel, "agents": [], "turns": 0, "reviewed": 0,
                        "errors": 0, "score": None, "passed": None, "complaint": None,
                        "structure": {}, "findings_by_category": {}, "unanswered": True}]
    lang = next((str(r.data["lang"]) for r in conv.records if r.data and r.data.get("lang")), None)
    try:
        card = review_conversation(playbook, messages, conversation_id=conv.id, lang=lang)
    except TactfulError as e:  # an unsupported language given for the whole conversation
        return rows + [{**head, "error": f"conversation {conv.id!r}: {e.message}"}]
    for t in card.pop("turn_reviews"):
        row = {"kind": "turn", "line": t.get("line"), "id": t.get("id"), "conversation_id": conv.id,
               "turn": t["index"]}
        if t.get("agent"):
            row["agent"] = t["agent"]
        row["channel"] = card["channel"]
        if "error" in t:
            row["error"] = f"line {t.get('line')}: {t['error']}"
        else:
            row.update(t["review"])
        rows.append(row)
    rows.sort(key=lambda r: r["line"] if isinstance(r.get("line"), int) else 0)
    card.pop("conversation_id", None)
    return rows + [{**head, **card}]
