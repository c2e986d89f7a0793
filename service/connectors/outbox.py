"""The outbox: what the webhooks brought, and the notes still to post, in SQLite, so that a
restart or a kill -9 at any moment loses no event and posts no note twice.

Two tables (store.m009_connectors):

- connector_events: one row per inbound message, UNIQUE by (connector, account, delivery_key),
  the helpdesk's own delivery or message id. A redelivered event hits that key and is ignored.
- connector_deliveries: one row per note to post. Every new message of a conversation joins the
  conversation's pending delivery, which waits until the conversation has been quiet for
  `connector_quiet_s` (at most `connector_quiet_max_s` after its first message): a burst of
  messages is one delivery, drafted once over the whole burst.

A delivery's states:

    pending ──► drafting ──► posting ──► posted
    (quiet)       │   │        │
                  │   └──► skipped   (nothing new from the customer to answer)
                  └──────────┴──► failed ──(retry by hand)──► drafting | posting

Workers claim a due delivery in one BEGIN IMMEDIATE transaction and hold it under a lease
(`lease_until`): a worker that dies, however it dies, leaves a row another worker claims again
once the lease has run out. Every write a worker makes afterwards names its lease
(`lease_owner`): a worker that lost its lease changes nothing (LeaseLost).

The note is recorded in the row (state posting) before it is first posted, with the marker it
carries. `posts` counts the posts begun: when it is not 0, a post may have reached the
helpdesk without its answer reaching us (a crash, a timeout, a 5xx from a proxy in front of a
helpdesk that did post), so the worker first looks in the conversation for a note with the
marker and posts only when there is none.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from .. import store
from ..errors import Conflict, NotFound
from ..privacy.masking import mask
from .base import Account, Connector, Inbound, Note

__all__ = ["STATES", "OPEN", "Delivery", "LeaseLost", "receive", "claim", "events_of", "begin_attempt",
           "record_note", "posted", "skipped", "reschedule", "fail", "covered", "list_deliveries",
           "get_delivery", "retry"]

STATES = ("pending", "drafting", "posting", "posted", "skipped", "failed")
OPEN = ("pending", "drafting", "posting")
_ERROR_MAX = 500


class LeaseLost(Exception):
    """This worker's lease on a delivery ran out and another worker may hold it now."""


@dataclass
class Delivery:
    id: int
    uid: str
    connector: str
    account: str
    conversation_id: str
    ticket_url: str | None
    owner: str | None
    state: str
    attempts: int
    posts: int
    first_at: float | None
    due_at: float | None
    lease_until: float | None
    lease_owner: str | None
    last_error: str | None
    draft_id: str | None
    note: str | None
    remote_id: str | None
    message_ids: str | None
    created_at: str | None
    updated_at: str | None
    posted_at: str | None

    @classmethod
    def of(cls, row: dict) -> "Delivery":
        return cls(**{f.name: row.get(f.name) for f in fields(cls)})

    @property
    def the_note(self) -> Note | None:
        return Note.from_dict(json.loads(self.note)) if self.note else None


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------------- in: the webhook

def receive(db_path, connector: Connector, account: Account, inbound: list[Inbound], *,
            quiet_s: float, quiet_max_s: float) -> dict:
    """Store an event's messages, each in its conversation's pending delivery, in one
    transaction: when this returns, nothing the helpdesk sent can be lost. A message whose
    delivery key was stored before is a redelivery: ignored."""
    now, at = time.time(), store.now()
    accepted = duplicates = 0
    with store.transaction(db_path) as db:
        for m in inbound:
            cur = db.execute(
                "insert into connector_events (connector, account, delivery_key, conversation_id, message_id, text, "
                "customer_name, channel, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "on conflict (connector, account, delivery_key) do nothing",
                [account.connector, account.account, m.delivery_key, m.conversation_id, m.message_id, m.text,
                 m.customer_name, m.channel, at])
            if cur.rowcount == 0:
                duplicates += 1
                continue
            accepted += 1
            event_id = cur.lastrowid
            row = db.execute("select id, first_at from connector_deliveries where connector = ? and account = ? "
                             "and conversation_id = ? and state = 'pending'",
                             [account.connector, account.account, m.conversation_id]).fetchone()
            if row:  # the burst goes on: wait for quiet again, but never past quiet_max_s from its start
                delivery_id = row[0]
                db.execute("update connector_deliveries set due_at = ?, updated_at = ? where id = ?",
                           [min(row[1] + quiet_max_s, now + quiet_s), at, delivery_id])
            else:
                delivery_id = db.execute(
                    "insert into connector_deliveries (uid, connector, account, conversation_id, ticket_url, owner, "
                    "state, attempts, posts, first_at, due_at, created_at, updated_at) "
                    "values (?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?, ?)",
                    [secrets.token_hex(8), account.connector, account.account, m.conversation_id,
                     connector.ticket_url(account, m.conversation_id), account.owner, now, now + quiet_s,
                     at, at]).lastrowid
            db.execute("update connector_events set delivery = ? where id = ?", [delivery_id, event_id])
    return {"accepted": accepted, "duplicates": duplicates}


# ---------------------------------------------------------------------- out: the worker

_DUE = ("select id, state from connector_deliveries d where state in ('pending', 'drafting', 'posting') "
        "and due_at <= ? and (lease_until is null or lease_until <= ?) and not exists ("
        " select 1 from connector_deliveries e where e.connector = d.connector and e.account = d.account"
        " and e.conversation_id = d.conversation_id and e.id < d.id and e.state in ('drafting', 'posting'))"
        " order by due_at, id limit 1")


def claim(db_path, worker: str, lease_s: float) -> Delivery | None:
    """The next due delivery, leased to `worker`, or None. Due: open, its time has come, no
    live lease on it, and no earlier delivery of its conversation still in flight (notes go
    out in the order the messages came)."""
    now = time.time()
    with store.reader(db_path) as db:  # a read first: an idle worker never takes the write lock
        if db.execute(_DUE, [now, now]).fetchone() is None:
            return None
    with store.transaction(db_path) as db:
        row = db.execute(_DUE, [now, now]).fetchone()  # again under the lock: another worker may have won
        if row is None:
            return None
        state = "drafting" if row[1] == "pending" else row[1]
        db.execute("update connector_deliveries set state = ?, lease_until = ?, lease_owner = ?, updated_at = ? "
                   "where id = ?", [state, now + lease_s, worker, store.now(), row[0]])
        return Delivery.of(_rows(db, "select * from connector_deliveries where id = ?", [row[0]])[0])


def _rows(db, sql: str, params: list) -> list[dict]:
    cur = db.execute(sql, params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _mine(db, d: Delivery, sets: str, params: list) -> None:
    """An update of a delivery this worker holds; LeaseLost when it holds it no more."""
    cur = db.execute(f"update connector_deliveries set {sets}, updated_at = ? where id = ? and lease_owner = ? "
                     f"and state = ?", [*params, store.now(), d.id, d.lease_owner, d.state])
    if cur.rowcount != 1:
        raise LeaseLost(f"delivery {d.id} is no longer held by this worker")


def events_of(db_path, d: Delivery) -> list[dict]:
    with store.reader(db_path) as db:
        return list(db["connector_events"].rows_where("delivery = ?", [d.id], order_by="id"))


def begin_attempt(db_path, d: Delivery, lease_s: float, *, post: bool = False) -> None:
    """Count one call to the helpdesk (and, with `post`, one post begun) and renew the lease,
    before the call is made: a crash during the call still counts it."""
    with store.transaction(db_path) as db:
        _mine(db, d, "attempts = attempts + 1, posts = posts + ?, lease_until = ?",
              [1 if post else 0, time.time() + lease_s])
    d.attempts += 1
    d.posts += 1 if post else 0


def record_note(db_path, d: Delivery, draft_id: str, note: Note, message_ids: list[str]) -> None:
    """The note, recorded before it is first posted (state posting); and the customer's words in
    the delivery's events masked now that the draft is made."""
    with store.transaction(db_path) as db:
        _mine(db, d, "state = 'posting', draft_id = ?, note = ?, message_ids = ?",
              [draft_id, json.dumps(note.to_dict(), ensure_ascii=False), json.dumps(message_ids)])
        for event_id, text in db.execute("select id, text from connector_events where delivery = ?", [d.id]).fetchall():
            if text:
                db.execute("update connector_events set text = ? where id = ?", [mask(text), event_id])
    d.state, d.draft_id, d.note = "posting", draft_id, json.dumps(note.to_dict(), ensure_ascii=False)
    d.message_ids = json.dumps(message_ids)


def posted(db_path, d: Delivery, remote_id: str | None) -> None:
    with store.transaction(db_path) as db:
        _mine(db, d, "state = 'posted', remote_id = ?, posted_at = ?, lease_until = null, last_error = null",
              [remote_id, store.now()])
    d.state = "posted"


def skipped(db_path, d: Delivery, reason: str, message_ids: list[str] = ()) -> None:
    with store.transaction(db_path) as db:
        _mine(db, d, "state = 'skipped', last_error = ?, message_ids = ?, lease_until = null",
              [reason[:_ERROR_MAX], json.dumps(list(message_ids))])
        for event_id, text in db.execute("select id, text from connector_events where delivery = ?", [d.id]).fetchall():
            if text:
                db.execute("update connector_events set text = ? where id = ?", [mask(text), event_id])
    d.state = "skipped"


def reschedule(db_path, d: Delivery, wait_s: float, error: str) -> None:
    """Try again in `wait_s`, by whichever worker is free then (the lease is let go)."""
    with store.transaction(db_path) as db:
        _mine(db, d, "due_at = ?, lease_until = null, last_error = ?", [time.time() + wait_s, mask(error)[:_ERROR_MAX]])


def fail(db_path, d: Delivery, error: str) -> None:
    """Parked: no worker takes it again until someone retries it by hand."""
    with store.transaction(db_path) as db:
        _mine(db, d, "state = 'failed', lease_until = null, last_error = ?", [mask(error)[:_ERROR_MAX]])
    d.state = "failed"


def covered(db_path, d: Delivery) -> set[str]:
    """The ids of the messages earlier notes of this conversation were drafted for."""
    with store.reader(db_path) as db:
        rows = db.execute("select message_ids from connector_deliveries where connector = ? and account = ? and "
                          "conversation_id = ? and id != ? and state in ('posting', 'posted', 'skipped') "
                          "order by id desc limit 50",
                          [d.connector, d.account, d.conversation_id, d.id]).fetchall()
    return {str(i) for (ids,) in rows if ids for i in json.loads(ids)}


# ---------------------------------------------------------------------- the API and the page

_PUBLIC = ("id", "connector", "account", "conversation_id", "ticket_url", "state", "attempts", "last_error",
           "draft_id", "remote_id", "created_at", "updated_at", "posted_at", "owner")


_SELECT = ("select d.*, (select count(*) from connector_events e where e.delivery = d.id) as n_events "
           "from connector_deliveries d")


def _public(row: dict) -> dict:
    out = {k: row.get(k) for k in _PUBLIC}
    out["events"] = row["n_events"]
    out["next_attempt_at"] = _iso(row.get("due_at")) if row.get("state") in OPEN else None
    return out


def list_deliveries(db_path, *, state: str | None = None, owner: str | None = None, limit: int = 50) -> list[dict]:
    """Deliveries, newest first; `owner` given: only those of that key's accounts."""
    cond, params = store.owned(owner)
    if state is not None:
        cond += " and state = ?"
        params.append(state)
    with store.reader(db_path) as db:
        rows = _rows(db, _SELECT + " where 1 = 1" + cond + " order by id desc limit ?", [*params, limit])
    return [_public(r) for r in rows]


def get_delivery(db_path, delivery_id: int, owner: str | None = None) -> dict:
    cond, params = store.owned(owner)
    with store.reader(db_path) as db:
        rows = _rows(db, _SELECT + " where id = ?" + cond, [delivery_id, *params])
    if not rows:
        raise NotFound(f"no delivery with id {delivery_id}")
    return _public(rows[0])


def retry(db_path, delivery_id: int, owner: str | None = None) -> dict:
    """A failed delivery, due again now with its attempts counted from 0: posted if its note
    was made (after looking for it in the conversation, if a post was ever begun), else drafted.
    Conflict for a delivery that has not failed."""
    cond, params = store.owned(owner)
    with store.transaction(db_path) as db:
        row = db.execute("select state, note from connector_deliveries where id = ?" + cond,
                         [delivery_id, *params]).fetchone()
        if row is None:
            raise NotFound(f"no delivery with id {delivery_id}")
        if row[0] != "failed":
            raise Conflict(f"delivery {delivery_id} is {row[0]}: only a failed delivery is retried")
        db.execute("update connector_deliveries set state = ?, attempts = 0, due_at = ?, lease_until = null, "
                   "lease_owner = null, updated_at = ? where id = ?",
                   ["posting" if row[1] else "drafting", time.time(), store.now(), delivery_id])
    return get_delivery(db_path, delivery_id)
