"""Storage in SQLite with sqlite-utils: numbered migrations, WAL, a busy timeout, one
connection per operation (a sqlite3 connection belongs to one thread) and writers that take
the write lock up front (BEGIN IMMEDIATE), so nothing half-written is ever left behind.

Everything stored here has already been masked (masking.py)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils
from sqlite_utils.migrations import Migrations

from .errors import NotFound

__all__ = ["connect", "migrate", "transaction", "save_draft", "get_draft", "save_feedback",
           "migrations", "reader", "owned"]

migrations = Migrations("tactful")


@migrations()
def m001_drafts(db: sqlite_utils.Database) -> None:
    db["drafts"].create({
        "id": str, "created_at": str, "request": str, "lang": str, "channel": str, "tone": str,
        "scenario": str, "severity": str, "triage": str, "model": str, "fallback": int,
        "prompt_hash": str, "text": str, "sections": str, "subject": str, "review": str,
        "passed": int, "score": int, "repaired": int, "usage": str, "latency_ms": float,
    }, pk="id")
    db["drafts"].create_index(["created_at"])


@migrations()
def m002_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].create({
        "id": int, "draft_id": str, "created_at": str, "action": str, "final_text": str,
        "agent": str,
    }, pk="id", foreign_keys=[("draft_id", "drafts", "id")])
    db["feedback"].create_index(["draft_id"])


@migrations()
def m003_batches(db: sqlite_utils.Database) -> None:
    db["jobs"].create({
        "id": str, "created_at": str, "filename": str, "path": str, "format": str,
        "encoding": str, "state": str, "rows_total": int, "rows_done": int, "errors": int,
        "bytes_total": int, "started_at": str, "finished_at": str, "run_started_at": str,
        "run_rows_start": int, "error": str, "judge": str, "rubric_version": str, "report": str,
    }, pk="id")
    db["jobs"].create_index(["created_at"])
    # One row per input record, in input order (seq). `row` is the output line as JSON;
    # `reply` is the reply with personal data masked, for the report's examples.
    db["results"].create({
        "job_id": str, "seq": int, "line": int, "rid": str, "agent": str, "channel": str,
        "created_at": str, "passed": int, "score": int, "error": str, "duplicate": int,
        "row": str, "reply": str,
    }, pk=("job_id", "seq"))
    db["results"].create_index(["job_id", "rid"])


@migrations()
def m004_judge_cache(db: sqlite_utils.Database) -> None:
    db["judge_cache"].create({"key": str, "model": str, "result": str, "created_at": str}, pk="key")


@migrations()
def m005_api_keys(db: sqlite_utils.Database) -> None:
    # The secret is never stored: only its SHA-256 (see auth.py).
    db["api_keys"].create({
        "id": str, "name": str, "scopes": str, "hash": str, "rpm": int, "tokens_per_day": int,
        "created_at": str, "revoked_at": str, "last_used_at": str,
    }, pk="id")
    db["key_usage"].create({"key_id": str, "day": str, "tokens": int}, pk=("key_id", "day"))


@migrations()
def m006_rate_buckets(db: sqlite_utils.Database) -> None:
    # Request buckets per key, shared by the processes of `tactful serve --workers N`.
    db["rate_buckets"].create({"key_id": str, "tokens": float, "at": float}, pk="key_id")


@migrations()
def m007_conversation_jobs(db: sqlite_utils.Database) -> None:
    # A file of conversations gives rows per agent turn and per conversation, not per record:
    # `units_done` (records, or whole conversations) is where a job resumes; `rows_done` stays
    # the records read, for progress; `conversations` says which kind of file the job holds.
    db["jobs"].add_column("units_done", int, not_null_default=0)
    db["jobs"].add_column("conversations", int, not_null_default=0)
    db.execute("update jobs set units_done = rows_done")


@migrations()
def m008_owners(db: sqlite_utils.Database) -> None:
    # The API key (its id) that made a batch or a draft; feedback belongs to its draft's owner.
    # Rows from before (and everything made with auth off) have none: with auth on, only an
    # `admin` key sees those. Keys have no team, so the owner is the key alone.
    for table in ("jobs", "drafts"):
        db[table].add_column("owner", str)
        db[table].create_index(["owner", "created_at"])


@migrations()
def m009_connectors(db: sqlite_utils.Database) -> None:
    # Helpdesk connectors (service/connectors). An account is one helpdesk account tactful
    # answers for: where its API is, its credentials and the secret its webhooks are signed with
    # (kept here because both are needed in the clear: never logged, never shown by the API).
    db["connector_accounts"].create({
        "connector": str, "account": str, "base_url": str, "email": str, "token": str, "secret": str,
        "inboxes": str, "owner": str, "created_at": str,
    }, pk=("connector", "account"))
    # The outbox. One row per note to post: a burst of messages in one conversation is one
    # delivery, drafted once. `due_at`, `lease_until`: unix seconds. `uid` is the marker the note
    # carries, so that a worker that may have posted it already can find it before posting again.
    db["connector_deliveries"].create({
        "id": int, "uid": str, "connector": str, "account": str, "conversation_id": str,
        "ticket_url": str, "owner": str, "state": str, "attempts": int, "posts": int,
        "first_at": float, "due_at": float, "lease_until": float, "lease_owner": str,
        "last_error": str, "draft_id": str, "note": str, "remote_id": str, "message_ids": str,
        "created_at": str, "updated_at": str, "posted_at": str,
    }, pk="id", not_null={"uid", "connector", "account", "conversation_id", "state"},
       defaults={"attempts": 0, "posts": 0})
    db["connector_deliveries"].create_index(["state", "due_at"])
    db["connector_deliveries"].create_index(["connector", "account", "conversation_id", "state"])
    db["connector_deliveries"].create_index(["owner", "created_at"])
    # What the webhooks brought, one row per inbound message, UNIQUE by the helpdesk's own
    # delivery or message id: a redelivered event is the same row, and is ignored. `text` is
    # the customer's words as sent until the draft is made, then masked like a stored draft.
    db["connector_events"].create({
        "id": int, "connector": str, "account": str, "delivery_key": str, "conversation_id": str,
        "message_id": str, "text": str, "customer_name": str, "channel": str, "received_at": str,
        "delivery": int,
    }, pk="id", not_null={"connector", "account", "delivery_key", "conversation_id"},
       foreign_keys=[("delivery", "connector_deliveries", "id")])
    db["connector_events"].create_index(["connector", "account", "delivery_key"], unique=True)
    db["connector_events"].create_index(["delivery"])
    # The helpdesk ticket a draft answers, so that a page can link back to it.
    db["drafts"].add_column("ticket_url", str)


@migrations()
def m010_connector_admin(db: sqlite_utils.Database) -> None:
    # The helpdesk's id of the agent notes are written as, for helpdesks whose note call names
    # one (Intercom's admin_id).
    db["connector_accounts"].add_column("admin_id", str)


@migrations()
def m011_import_cursors(db: sqlite_utils.Database) -> None:
    # QA imports (connectors/imports.py): where the next import of a helpdesk account resumes
    # (the helpdesk's own cursor, or a time and the ids seen at it, as JSON), its last batch job
    # and how many conversations it has imported in all.
    db["import_cursors"].create({
        "connector": str, "account": str, "cursor": str, "last_job": str, "imported": int, "updated_at": str,
    }, pk=("connector", "account"), defaults={"imported": 0})


def connect(path: Path | str, *, shared: bool = False) -> sqlite_utils.Database:
    """A connection with WAL and a busy timeout. `shared` connections may be used from more
    than one thread, and only ever under the writer lock."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=not shared)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return sqlite_utils.Database(conn)


def migrate(path: Path | str) -> None:
    db = connect(path)
    try:
        migrations.apply(db)
    finally:
        db.conn.close()


class _Writer:
    """The process's one writer for a database file: a long-lived connection behind a lock.
    Opening a connection costs ten times the insert itself, and SQLite serialises writers
    anyway; readers open their own connections and run alongside it under WAL."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.db: sqlite_utils.Database | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        with self.lock:
            if self.db is None:
                self.db = connect(self.path, shared=True)
            db = self.db
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
            db.conn.execute("COMMIT")


_writers: dict[Path, _Writer] = {}
_writers_lock = threading.Lock()


_writer_of: dict[Path | str, _Writer] = {}  # the path as callers give it: no resolve() per write


def _writer(path: Path | str) -> _Writer:
    writer = _writer_of.get(path)
    if writer is not None:
        return writer
    key = Path(path).resolve()
    with _writers_lock:
        if key not in _writers:
            _writers[key] = _Writer(key)
        writer = _writer_of[path] = _writers[key]
        return writer


def transaction(path: Path | str):
    """A write transaction: BEGIN IMMEDIATE, then commit, or roll back on any error, so
    nothing half-written is left behind."""
    return _writer(path).transaction()


@contextlib.contextmanager
def reader(path: Path | str) -> Iterator[sqlite_utils.Database]:
    """A read connection of its own (WAL lets readers run beside the writer)."""
    db = connect(path)
    try:
        yield db
    finally:
        db.conn.close()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def owned(owner: str | None, column: str = "owner") -> tuple[str, list]:
    """The SQL condition (to AND onto a WHERE) that keeps only `owner`'s rows, and its
    parameters. `owner` None: no condition (auth off, or an admin key: every row). Which owner a
    request gets is decided in one place, web/auth.py (`Caller`)."""
    if owner is None:
        return "", []
    return f" and {column} = ?", [owner]


def save_draft(path: Path | str, row: dict) -> None:
    row = {k: _dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()}
    columns = ", ".join(f"[{k}]" for k in row)
    with transaction(path) as db:
        # a plain INSERT: Table.insert() introspects the table on every call (half the cost)
        db.execute(f"insert into drafts ({columns}) values ({', '.join('?' * len(row))})", list(row.values()))


_JSON_FIELDS = ("request", "triage", "sections", "review", "usage")


def get_draft(path: Path | str, draft_id: str, owner: str | None = None) -> dict:
    """A stored draft with its feedback; NotFound when there is none, or it is not `owner`'s
    (given an owner: the same 404, so ids do not tell whose drafts exist)."""
    db = connect(path)
    try:
        cond, params = owned(owner)
        rows = list(db["drafts"].rows_where("id = ?" + cond, [draft_id, *params]))
        if not rows:
            raise NotFound(f"no draft with id {draft_id!r}")
        row = rows[0]
        for key in _JSON_FIELDS:
            if row.get(key):
                row[key] = json.loads(row[key])
        row["feedback"] = list(db["feedback"].rows_where("draft_id = ?", [draft_id], order_by="id"))
        return row
    finally:
        db.conn.close()


def save_feedback(path: Path | str, draft_id: str, action: str, final_text: str | None,
                  agent: str | None, owner: str | None = None) -> dict:
    """Feedback on a draft; NotFound when there is no such draft, or it is not `owner`'s."""
    cond, params = owned(owner)
    with transaction(path) as db:
        if not db.execute("SELECT 1 FROM drafts WHERE id = ?" + cond, [draft_id, *params]).fetchone():
            raise NotFound(f"no draft with id {draft_id!r}")
        row = {"draft_id": draft_id, "created_at": now(), "action": action,
               "final_text": final_text, "agent": agent}
        row["id"] = db["feedback"].insert(row).last_pk
    return row
