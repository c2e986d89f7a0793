"""API keys, scopes and per-key limits.

A key looks like `tk_<id>_<secret>`. Only its id and a SHA-256 of the secret are stored (the
secret is 32 random bytes, so a plain hash is enough; nothing to brute-force), compared with
hmac.compare_digest. Clients send it as `Authorization: Bearer <key>` (or `X-API-Key`).

Scopes: `review`, `draft`, `batch`, and `admin` (all of them). A missing or unknown key is a
401, a key without the route's scope a 403, a key over its limits a 429 with Retry-After:
requests per minute (a token bucket per key) and model tokens per UTC day for drafting.

Auth is on whenever the server binds beyond loopback (TACTFUL_AUTH=auto, the default); on
127.0.0.1 it is off unless TACTFUL_AUTH=on. Keys are managed with `tactful keys`.

Each key sees only its own data: a batch or draft stores the id of the key that made it, and
`Caller` (the one place that decides) gives every route the owner to store and the owner to
filter by. Another key's item is a 404, as if it did not exist; `admin` sees everything, and
so does everyone when auth is off.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import store
from ..quota import out_of_tokens
from ..errors import Forbidden, InputError, NotFound, RateLimited, Unauthorized

__all__ = ["SCOPES", "Key", "create_key", "list_keys", "revoke_key", "auth_enabled", "require",
           "Limiter", "Caller", "caller", "CallerDep"]

SCOPES = ("review", "draft", "batch", "admin")
_PREFIX = "tk_"
_bearer = HTTPBearer(auto_error=False, description="An API key from `tactful keys create`.")


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    name: str
    scopes: frozenset[str]
    rpm: int
    tokens_per_day: int

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InputError(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}",
                         field="scopes")
    return sorted(set(scopes))


def create_key(db_path, name: str, scopes: list[str], *, rpm: int = 120,
               tokens_per_day: int = 200_000) -> tuple[str, str]:
    """A new key: (its id, the whole key). The whole key is shown once and never stored."""
    if not name.strip():
        raise InputError("a key needs a name (who or what uses it)", field="name")
    if rpm < 1 or tokens_per_day < 0:
        raise InputError("rpm must be at least 1 and tokens per day at least 0", field="rpm")
    scopes = _check_scopes(scopes)
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with store.transaction(db_path) as db:
        db["api_keys"].insert({"id": key_id, "name": name.strip(), "scopes": ",".join(scopes),
                               "hash": _digest(secret), "rpm": rpm, "tokens_per_day": tokens_per_day,
                               "created_at": store.now(), "revoked_at": None, "last_used_at": None})
    return key_id, f"{_PREFIX}{key_id}_{secret}"


def list_keys(db_path) -> list[dict]:
    with store.reader(db_path) as db:
        return [{k: r[k] for k in ("id", "name", "scopes", "rpm", "tokens_per_day", "created_at",
                                   "revoked_at", "last_used_at")}
                for r in db["api_keys"].rows_where(order_by="created_at")]


def revoke_key(db_path, key_id: str) -> dict:
    with store.transaction(db_path) as db:
        rows = list(db["api_keys"].rows_where("id = ?", [key_id]))
        if not rows:
            raise NotFound(f"no key with id {key_id!r}")
        if rows[0]["revoked_at"] is None:
            db["api_keys"].update(key_id, {"revoked_at": store.now()})
    return next(k for k in list_keys(db_path) if k["id"] == key_id)


def _lookup(db_path, presented: str) -> Key | None:
    if not presented.startswith(_PREFIX) or presented.count("_") < 2:
        return None
    key_id, _, secret = presented[len(_PREFIX):].partition("_")
    with store.reader(db_path) as db:
        row = db.execute("select id, name, scopes, hash, rpm, tokens_per_day, revoked_at from api_keys "
                         "where id = ?", [key_id]).fetchone()
    # compare even when there is no such key, so timing does not tell which ids exist
    stored = row[3] if row else _digest("no such key")
    if not hmac.compare_digest(stored, _digest(secret)) or row is None or row[6] is not None:
        return None
    return Key(row[0], row[1], frozenset(row[2].split(",")), row[4], row[5])


def auth_enabled(settings) -> bool:
    if settings.auth != "auto":
        return settings.auth == "on"
    host = settings.host.strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a host name other than localhost: assume it is reachable from outside


class Limiter:
    """Requests per minute, one token bucket per key, and model tokens per UTC day (in
    SQLite, so a restart does not reset them). The buckets live in memory for one server
    process; given a database (`tactful serve --workers N`), in SQLite, so that N processes
    together allow a key its rpm and not N times it."""

    def __init__(self, db_path=None):
        self.db_path = db_path
        self._buckets: dict[str, tuple[float, float]] = {}
        self._touched: dict[str, float] = {}
        self._failures: dict[str, tuple[float, float]] = {}  # client address -> (bucket, at)
        self._lock = threading.Lock()

    def due_touch(self, key: Key, every_s: float = 60.0) -> bool:
        """Whether to write the key's last use again (at most once a minute: no write per request)."""
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(key.id, -every_s) < every_s:
                return False
            self._touched[key.id] = now
            return True

    FAILURES_PER_MINUTE = 10  # wrong keys one client address may present

    def check_failures(self, client: str) -> None:
        """Refuse (429) a client address that presented too many wrong keys lately, before its
        key is even looked up: guessing keys costs a minute per ten tries."""
        with self._lock:
            tokens = self._failure_bucket(client)
            if tokens < 1.0:
                raise RateLimited("too many wrong API keys from this address; wait a minute",
                                  retry_after=math.ceil((1.0 - tokens) * 60.0 / self.FAILURES_PER_MINUTE))

    def failed(self, client: str) -> None:
        """Count one wrong key from `client`."""
        with self._lock:
            tokens = self._failure_bucket(client)
            self._failures[client] = (tokens - 1.0, self._failures[client][1])
            if len(self._failures) > 100_000:  # bounded memory under a spray of addresses
                self._failures.clear()

    def _failure_bucket(self, client: str) -> float:
        """The client's bucket of wrong keys, refilled to now (call with the lock held)."""
        now = time.monotonic()
        limit = float(self.FAILURES_PER_MINUTE)
        tokens, at = self._failures.get(client, (limit, now))
        tokens = min(limit, tokens + (now - at) * limit / 60.0)
        self._failures[client] = (tokens, now)
        return tokens

    def take(self, key: Key) -> None:
        if self.db_path is not None:
            return self._take_shared(key)
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key.id, (float(key.rpm), now))
            self._buckets[key.id] = _spend(key, tokens, at, now)

    def _take_shared(self, key: Key) -> None:
        now = time.time()  # a clock every process shares
        with store.transaction(self.db_path) as db:  # BEGIN IMMEDIATE: one process at a time
            row = db.execute("select tokens, at from rate_buckets where key_id = ?", [key.id]).fetchone()
            tokens, at = _spend(key, *(row if row else (float(key.rpm), now)), now)  # may refuse
            db.execute("insert into rate_buckets (key_id, tokens, at) values (?, ?, ?) on conflict(key_id) "
                       "do update set tokens = excluded.tokens, at = excluded.at", [key.id, tokens, at])

    @staticmethod
    def check_tokens(db_path, key: Key) -> None:
        day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        with store.reader(db_path) as db:
            row = db.execute("select tokens from key_usage where key_id = ? and day = ?", [key.id, day]).fetchone()
        if row and row[0] >= key.tokens_per_day:
            raise out_of_tokens(key)


def _spend(key: Key, tokens: float, at: float, now: float) -> tuple[float, float]:
    """The bucket after one request: refilled at rpm/60 per second up to rpm, less one.
    Raises RateLimited (with the seconds until a token is back) when it holds less than one."""
    rate = key.rpm / 60.0
    tokens = min(float(key.rpm), tokens + max(0.0, now - at) * rate)
    if tokens < 1.0:
        raise RateLimited(f"key {key.id} is over its limit of {key.rpm} requests per minute",
                          retry_after=math.ceil((1.0 - tokens) / rate))
    return tokens - 1.0, now


def _touch(db_path, key: Key) -> None:
    with store.transaction(db_path) as db:
        db.execute("update api_keys set last_used_at = ? where id = ?", [store.now(), key.id])


def require(scope: str):
    """A route dependency: the caller's key when auth is on (None when it is off), checked for
    `scope` and its request rate; drafting also checks the day's model tokens."""

    def dependency(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Key | None:
        app = request.app
        settings = app.state.settings
        if not app.state.auth:
            return None
        presented = credentials.credentials if credentials else request.headers.get("x-api-key")
        if not presented:
            raise Unauthorized("an API key is required: send `Authorization: Bearer <key>`")
        client = request.client.host if request.client else "-"
        app.state.limiter.check_failures(client)
        key = _lookup(settings.db_path, presented.strip())
        if key is None:
            app.state.limiter.failed(client)
            raise Unauthorized("the API key is not valid (unknown or revoked)")
        if not key.allows(scope):
            raise Forbidden(f"this key may not {scope}: its scopes are {', '.join(sorted(key.scopes))}")
        app.state.limiter.take(key)
        if scope == "draft":
            Limiter.check_tokens(settings.db_path, key)
        request.state.api_key = key
        if app.state.limiter.due_touch(key):
            _touch(settings.db_path, key)
        return key

    return dependency



@dataclass(frozen=True, slots=True)
class Caller:
    """Whose data a request may touch. `owner`: the key id stored on what it creates (None
    with auth off). `sees`: the owner filter for everything it reads, lists, exports or
    cancels; None means every row (auth off, or a key with the `admin` scope). Storage
    functions take `sees` as their `owner=` argument, so no route filters after the fact."""

    owner: str | None
    sees: str | None


def caller(request: Request) -> Caller:
    """A route dependency: the Caller of this request, from the key `require` checked (a
    router-level dependency, so it has run by now). Fails closed: with auth on and no checked
    key, the request is refused rather than shown everything."""
    if not request.app.state.auth:
        return Caller(owner=None, sees=None)
    key = getattr(request.state, "api_key", None)
    if key is None:
        raise Unauthorized("an API key is required: send `Authorization: Bearer <key>`")
    return Caller(owner=key.id, sees=None if "admin" in key.scopes else key.id)


CallerDep = Annotated[Caller, Depends(caller)]
