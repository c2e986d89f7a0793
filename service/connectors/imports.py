"""QA imports: a helpdesk's conversations pulled through its API into a batch job, scored like
an uploaded export (`tactful import NAME --account ACCOUNT`, and `tactful serve` every
TACTFUL_IMPORT_INTERVAL_S when set).

    result = run_import(settings, "zendesk", "acme")        # {"conversations", "job", "cursor"}

Each connector that imports has `pull(get, account, cursor, since)`: an async iterator of
Pages, each some conversations **as that helpdesk's API gives them** (a ticket with its
comments, a conversation with its parts...) and the cursor to resume from once they are
imported; and `document(docs, extras)`, the JSON document the helpdesk's batch reader
(service/batch/helpdesk) reads. The import writes that document as the job's upload, with the
helpdesk's format, and the job scores it as any uploaded export: the same readers map the same
JSON to conversation rows, so private notes, bots and system messages are never scored as an
agent's words.

The cursor is stored per account in `import_cursors` (store.m011) after the job is created: a
run that fails or is killed before that leaves the cursor where it was, and the next run pulls
the same conversations again (at least once; a conversation updated since is pulled again,
whole, as it should be for QA). Time cursors keep the ids already seen at their last second,
so that a resumed run neither skips nor repeats conversations updated in the same second.

Every call goes through `Connector.call` (the error tree): 429 and 5xx are retried after the
Retry-After the helpdesk asked for (else full-jitter backoff), at most
TACTFUL_CONNECTOR_ATTEMPTS times a call; then the run stops with the error and stores nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

from .. import store
from ..errors import HelpdeskError, HelpdeskUnavailable, InputError, TactfulError
from . import CONNECTORS, get_connector
from .accounts import get_account
from .base import Account
from .cursors import Page, TimeCursor, iso, seconds_of

__all__ = ["Page", "run_import", "get_cursor", "parse_since", "TimeCursor", "ImportScheduler", "importers",
           "iso", "seconds_of", "DEFAULT_SINCE_DAYS", "RETRY_AFTER_MAX_S"]

log = logging.getLogger("tactful.imports")

DEFAULT_SINCE_DAYS = 30  # a first import without --since pulls the last 30 days
RETRY_AFTER_MAX_S = 300.0  # a longer Retry-After stops the run: the next run goes on from the cursor

Get = Callable[..., Awaitable[Any]]  # get(method, path, params=..., json=...) -> the JSON answer


def importers() -> list[str]:
    return sorted(name for name, c in CONNECTORS.items() if hasattr(c, "pull"))


# ---------------------------------------------------------------------- the cursor table

def get_cursor(db_path, connector: str, account: str) -> dict | None:
    with store.reader(db_path) as db:
        row = db.execute("select cursor from import_cursors where connector = ? and account = ?",
                         [connector, account]).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def _save_cursor(db_path, connector: str, account: str, cursor: dict, job_id: str | None, n: int) -> None:
    with store.transaction(db_path) as db:
        db.execute("insert into import_cursors (connector, account, cursor, last_job, imported, updated_at) "
                   "values (?, ?, ?, ?, ?, ?) on conflict (connector, account) do update set "
                   "cursor = excluded.cursor, last_job = coalesce(excluded.last_job, last_job), "
                   "imported = imported + excluded.imported, updated_at = excluded.updated_at",
                   [connector, account, json.dumps(cursor), job_id, n, store.now()])


def parse_since(value: str | None) -> float | None:
    """--since: an ISO 8601 date or time (UTC unless it says), unix seconds, or Nd / Nh ago."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("d", "h") and text[:-1].isdigit():
        return time.time() - int(text[:-1]) * (86400 if text[-1] == "d" else 3600)
    seconds = seconds_of(int(text) if text.isdigit() else text)
    if seconds is None:
        raise InputError(f"--since must be a date (2026-11-01), a time (2026-11-01T08:00:00Z), unix seconds, "
                         f"or 7d / 12h, not {value!r}", field="since")
    return seconds


# ---------------------------------------------------------------------- one run

def _retrying(settings, connector, account: Account, http: httpx.AsyncClient) -> Get:
    async def get(method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        for attempt in range(1, settings.connector_attempts + 1):
            try:
                return await connector.call(http, account, method, path, params=params, json=json)
            except HelpdeskUnavailable as e:
                if attempt >= settings.connector_attempts:
                    raise HelpdeskError(f"gave up after {attempt} calls: {e.message}", status_code=e.status_code) from None
                wait = e.retry_after if e.retry_after is not None else random.uniform(
                    0, min(settings.connector_backoff_cap_s, settings.connector_backoff_s * 2 ** (attempt - 1)))
                if wait > RETRY_AFTER_MAX_S:
                    raise HelpdeskError(f"{e.message}: asked to wait {wait:.0f} s; the next run goes on from the "
                                        f"cursor", status_code=e.status_code) from None
                log.info("import %s: %s; again in %.1f s", account.key, e.message, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    return get


async def _pull(settings, connector, account: Account, cursor: dict | None, since: float,
                limit: int) -> tuple[list[dict], dict, dict | None]:
    docs: list[dict] = []
    extras: dict = {}
    last = cursor
    async with httpx.AsyncClient(timeout=settings.connector_timeout_s, follow_redirects=False,
                                 headers={"User-Agent": "tactful-import"}) as http:
        get = _retrying(settings, connector, account, http)
        pages = connector.pull(get, account, cursor, since)
        try:
            async for page in pages:
                docs += page.docs
                for k, v in page.extras.items():
                    extras.setdefault(k, []).extend(v)
                last = page.cursor
                if len(docs) >= limit:
                    break
        finally:
            await pages.aclose()
    return docs, extras, last


def run_import(settings, name: str, account_name: str, *, since: float | None = None, limit: int = 1000,
               run_job: bool = True) -> dict:
    """Pull what changed since the account's cursor (or `since`, which wins over it) into a
    new batch job, then store the cursor. `run_job`: score the job here and now when no
    server is running jobs (the jobs lock is free), else leave it queued for the server."""
    from ..batch.jobs import JobRunner, create_job, job_status

    connector = get_connector(name)
    if not hasattr(connector, "pull"):
        raise InputError(f"{connector.title} has no import (known: {', '.join(importers())})", field="name")
    if limit < 1:
        raise InputError("--limit must be at least 1", field="limit")
    account = get_account(settings.db_path, connector.name, account_name)
    cursor = None if since is not None else get_cursor(settings.db_path, connector.name, account.account)
    start = since if since is not None else time.time() - DEFAULT_SINCE_DAYS * 86400
    docs, extras, after = asyncio.run(_pull(settings, connector, account, cursor, start, limit))
    if not docs:
        if after is not None:
            _save_cursor(settings.db_path, connector.name, account.account, after, None, 0)
        return {"connector": connector.name, "account": account.account, "conversations": 0, "job": None,
                "cursor": after}
    uploads = Path(settings.data_dir) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    upload = uploads / f"import-{secrets.token_hex(8)}.json"
    upload.write_text(json.dumps(connector.document(docs, extras), ensure_ascii=False), encoding="utf-8")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        job = create_job(settings, upload, f"{connector.name}-{account.account}-{stamp}.json", format=connector.name,
                         owner=account.owner)
    finally:
        upload.unlink(missing_ok=True)  # moved into the job's place, unless create_job refused it
    _save_cursor(settings.db_path, connector.name, account.account, after or {}, job["id"], len(docs))
    if run_job:
        runner = JobRunner(settings)
        if runner._elect():  # no server is running jobs on this database: score it here
            try:
                runner.run(job["id"])
                runner._discard_upload(job["id"])
            finally:
                runner.stop()
            job = job_status(settings, job["id"])
    return {"connector": connector.name, "account": account.account, "conversations": len(docs), "job": job,
            "cursor": after}


# ---------------------------------------------------------------------- in tactful serve

class ImportScheduler:
    """`tactful serve` with TACTFUL_IMPORT_INTERVAL_S > 0: every account of a helpdesk that
    imports is imported every interval, by the process that runs the batch jobs (`jobs`, a
    JobRunner) only, and its jobs go to that runner."""

    def __init__(self, settings, jobs):
        self.settings, self.jobs = settings, jobs
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="tactful-imports", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout)

    def run_once(self) -> list[dict]:
        from .accounts import list_accounts

        done = []
        for a in list_accounts(self.settings.db_path):
            if a["connector"] not in importers():
                continue
            try:
                result = run_import(self.settings, a["connector"], a["account"], run_job=False)
            except TactfulError as e:
                log.warning("scheduled import of %s/%s: %s", a["connector"], a["account"], e.message)
                continue
            if result["job"]:
                self.jobs.submit(result["job"]["id"])
            done.append(result)
        return done

    def _loop(self) -> None:
        while not self.stopping.wait(self.settings.import_interval_s):
            if not self.jobs.leading:
                continue
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - one bad run must not stop the schedule
                log.exception("scheduled import failed")
