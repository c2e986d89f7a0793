"""The model tokens an API key may spend in a UTC day (`tactful keys create --tokens-per-day`).

Every draft made for a key goes through one reservation, whoever asks for it: POST /v1/drafts
for the calling key, the connectors' worker for the key that owns the helpdesk account.

    draft = await metered(settings, key, lambda: create_draft(...))

The tokens a draft may use (`reservation`) are set aside before the model is called, in one
write transaction, so that concurrent drafts cannot all pass a check made before any of them
has spent; afterwards the reservation is replaced by what the calls used. A key with nothing
left for the day is RateLimited, with the seconds until UTC midnight.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Protocol

from . import store
from .errors import RateLimited

__all__ = ["Limited", "Allowance", "allowance_of", "reservation", "reserve", "settle", "metered", "out_of_tokens"]


class Limited(Protocol):
    """A key as far as its day's tokens go (web.auth.Key is one)."""

    id: str
    tokens_per_day: int


@dataclass(frozen=True)
class Allowance:
    id: str
    tokens_per_day: int


def allowance_of(db_path, key_id: str | None) -> Allowance | None:
    """The day's limit of the key with this id (revoked or not: what it owns was made under it);
    None without a key or for an id no key has."""
    if not key_id:
        return None
    with store.reader(db_path) as db:
        row = db.execute("select id, tokens_per_day from api_keys where id = ?", [key_id]).fetchone()
    return Allowance(row[0], row[1]) if row else None


def reservation(settings) -> int:
    """The model tokens set aside for one draft before its calls: a draft makes at most two
    (the draft and one repair round), each a prompt of about one and a half times the
    completion limit plus the completion. No model configured: the offline drafter spends
    none."""
    return 5 * settings.model_max_tokens if settings.model else 0


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def out_of_tokens(key: Limited) -> RateLimited:
    """The 429 of a key that has used its model tokens for the day, until UTC midnight."""
    now = datetime.now(timezone.utc)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return RateLimited(f"key {key.id} has used its {key.tokens_per_day} model tokens for today (UTC)",
                       retry_after=max(1, math.ceil((midnight - now).total_seconds())))


def reserve(db_path, key: Limited | None, tokens: int) -> int:
    """Set aside up to `tokens` of the key's model tokens for today before a model call, in
    one write transaction (BEGIN IMMEDIATE: one writer at a time, across processes). Returns what
    was reserved: at most what is left of the day's limit. Raises RateLimited when nothing is
    left. `settle` replaces the reservation by what the call used."""
    if key is None or tokens <= 0:
        return 0
    day = _today()
    with store.transaction(db_path) as db:
        row = db.execute("select tokens from key_usage where key_id = ? and day = ?", [key.id, day]).fetchone()
        left = key.tokens_per_day - (row[0] if row else 0)
        if left <= 0:
            raise out_of_tokens(key)
        reserved = min(tokens, left)
        db.execute("insert into key_usage (key_id, day, tokens) values (?, ?, ?) "
                   "on conflict(key_id, day) do update set tokens = tokens + excluded.tokens",
                   [key.id, day, reserved])
    return reserved


def settle(db_path, key: Limited | None, reserved: int, used: int) -> None:
    """Replace a reservation (reserve) by the tokens the call used."""
    if key is None or used == reserved:
        return
    with store.transaction(db_path) as db:
        db.execute("insert into key_usage (key_id, day, tokens) values (?, ?, max(0, ?)) "
                   "on conflict(key_id, day) do update set tokens = max(0, tokens + ?)",
                   [key.id, _today(), used - reserved, used - reserved])


async def metered(settings, key: Limited | None, make: Callable[[], Awaitable[dict]]) -> dict:
    """`make()`, a draft, its model tokens counted against `key` (None: against no one):
    reserved before, settled to the draft's usage after, also when it fails (to what it used
    before failing: nothing that is known, so 0). SQLite off the event loop."""
    db = settings.db_path
    reserved = await asyncio.to_thread(reserve, db, key, reservation(settings))
    used = 0
    try:
        draft = await make()
        usage = draft["usage"]
        used = usage["prompt_tokens"] + usage["completion_tokens"]
    finally:
        await asyncio.to_thread(settle, db, key, reserved, used)
    return draft
