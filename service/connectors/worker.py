"""The connector worker: takes due deliveries from the outbox, drafts each through the drafting
pipeline (the same triage, policy, review, masking and storage as POST /v1/drafts) and posts
the note back to the helpdesk.

It runs in `tactful serve` (a thread, WorkerThread) and as `tactful connector work` (a
process of its own); any number of them may work one database: each delivery is leased to one
worker at a time (outbox.claim).

One delivery, step by step:

1. **Thread.** The conversation is fetched from the helpdesk. The burst is the customer's
   messages since the agent's last reply (and any message of the delivery's events the
   fetch did not show yet); what came before is the draft's thread. A burst with nothing the
   conversation's earlier notes did not cover is skipped.
2. **Draft.** `create_draft` with the burst as the message, stored with the ticket's URL, its
   model tokens counted against the account owner's key as POST /v1/drafts counts them
   (quota.metered); a key with none left for the day gets the delivery back, due at UTC midnight.
3. **Note.** Built from the draft as stored (masked), recorded in the delivery (state posting).
4. **Post.** If a post was ever begun for this delivery, the conversation is searched for the
   note's marker first, and the note is posted only when it is not there.

Every call to the helpdesk is counted in the delivery before it is made. A call worth retrying
(429, 5xx, a timeout) is retried with full-jitter exponential backoff, or after the Retry-After
the helpdesk asked for, while the waits fit well inside the lease; a longer wait gives the
delivery back to the outbox, due after it. After `connector_attempts` calls the delivery is
parked as failed; so it is at once on an answer that retrying cannot change (401, 404...).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import threading
import time

import httpx
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type

from .. import quota, store
from ..errors import HelpdeskError, HelpdeskUnavailable, NotFound, RateLimited, TactfulError
from ..schemas import THREAD_MAX_CHARS, DraftRequest, WHITE_SPACE, name_problem
from . import get_connector, outbox
from .accounts import get_account
from .base import Account, Connector, Message
from .note import build_note

__all__ = ["Worker", "WorkerThread", "burst_of", "draft_request"]

log = logging.getLogger("tactful.connectors")

MESSAGE_MAX = 20_000  # DraftRequest.message
THREAD_MAX = 50  # DraftRequest.thread
RETRY_AFTER_MAX_S = 24 * 3600.0  # a Retry-After beyond a day is read as a day


class _Later(Exception):
    """The delivery went back to the outbox, due again later."""


def burst_of(thread: list[Message], events: list[dict]) -> tuple[list[Message], list[Message]]:
    """(the burst to answer, the thread before it). The burst: the customer's messages after
    the last reply of an agent (notes, bots and system messages do not end it), then the
    events' messages the fetched thread does not hold yet."""
    known = {m.id for m in thread}
    start = len(thread)
    for i in range(len(thread) - 1, -1, -1):
        if thread[i].role == "agent":
            break
        if thread[i].role == "customer":
            start = i
    tail = [m for m in thread[start:] if m.role == "customer"]
    extra = [Message(id=e["message_id"] or f"event-{e['id']}", role="customer", text=e["text"],
                     author=e.get("customer_name"), channel=e.get("channel"))
             for e in events if e.get("text") and (e.get("message_id") is None or e["message_id"] not in known)]
    earlier = [m for m in thread[:start] if m.role in ("customer", "agent")]
    return tail + extra, earlier


def draft_request(burst: list[Message], earlier: list[Message], channel: str) -> DraftRequest:
    """The DraftRequest for a burst, within the request's limits: the latest words are kept."""
    message = "\n\n".join(m.text for m in burst)
    if len(message) > MESSAGE_MAX:
        message = message[-MESSAGE_MAX:]
    thread, total = [], 0
    for m in reversed(earlier[-THREAD_MAX:]):
        text = m.text.strip(WHITE_SPACE)[:MESSAGE_MAX]
        if not text or total + len(text) > THREAD_MAX_CHARS:
            break
        thread.append({"role": m.role, "text": text})
        total += len(text)
    thread.reverse()
    name = next((m.author for m in reversed(burst) if m.author), None)
    name = " ".join(name.strip(WHITE_SPACE).split()) if name else None
    body = {"message": message, "channel": channel, "thread": thread}
    if name and name_problem(name) is None:  # a name that is not one (a handle, digits) is left out
        body["customer_name"] = name
    try:
        return DraftRequest.model_validate(body)
    except ValidationError:
        body.pop("customer_name", None)
        return DraftRequest.model_validate(body)


class Worker:
    def __init__(self, settings, playbook, models=None, *, name: str | None = None):
        self.settings, self.playbook, self.models = settings, playbook, models
        self.db = settings.db_path
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.http: httpx.AsyncClient | None = None

    async def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; between deliveries, poll every connector_poll_s."""
        async with httpx.AsyncClient(timeout=self.settings.connector_timeout_s, follow_redirects=False,
                                     headers={"User-Agent": "tactful-connector"}) as http:
            self.http = http
            while not stop.is_set():
                try:
                    worked = await self.run_once()
                except Exception:  # noqa: BLE001 - a broken delivery or database hiccup must not stop the worker
                    log.exception("connector worker %s: unexpected error", self.name)
                    worked = False
                if not worked and stop.wait(self.settings.connector_poll_s):
                    break  # blocks this worker's own event loop only: nothing else runs on it

    async def run_once(self) -> bool:
        """Claim and work one due delivery; False when none is due."""
        d = outbox.claim(self.db, self.name, self.settings.connector_lease_s)
        if d is None:
            return False
        await self.process(d)
        return True

    async def process(self, d: outbox.Delivery) -> None:
        try:
            connector = get_connector(d.connector)
            account = get_account(self.db, d.connector, d.account)
        except NotFound as e:
            outbox.fail(self.db, d, e.message)
            return
        try:
            if d.state == "drafting" and not await self._draft(d, connector, account):
                return
            if d.state == "posting":
                await self._post(d, connector, account)
        except outbox.LeaseLost as e:
            log.warning("%s: %s", self.name, e)
        except _Later:
            pass
        except TactfulError as e:  # HelpdeskError (not retryable, or out of attempts), a bad request...
            log.warning("delivery %s to %s/%s parked as failed: %s", d.id, d.connector, d.account, e.message)
            self._fail(d, e.message)
        except Exception as e:  # noqa: BLE001 - parked with the reason; the server log has the trace
            log.exception("delivery %s failed", d.id)
            self._fail(d, f"internal error ({type(e).__name__}); the server log has the details")

    def _fail(self, d: outbox.Delivery, reason: str) -> None:
        try:
            outbox.fail(self.db, d, reason)
        except outbox.LeaseLost:
            pass

    # ------------------------------------------------------------------ the steps

    async def _draft(self, d: outbox.Delivery, connector: Connector, account: Account) -> bool:
        """Make the draft and record its note (True), or skip the delivery (False)."""
        from ..drafting.pipeline import create_draft

        async def fetch():
            outbox.begin_attempt(self.db, d, self.settings.connector_lease_s)
            return await connector.fetch_thread(self.http, account, d.conversation_id)

        thread = await self._retried(d, fetch)
        burst, earlier = burst_of(thread, outbox.events_of(self.db, d))
        ids = [m.id for m in burst]
        if not burst:
            outbox.skipped(self.db, d, "no message from the customer since the last reply")
            return False
        if set(ids) <= outbox.covered(self.db, d):
            outbox.skipped(self.db, d, "an earlier note already answers these messages", ids)
            return False
        channel = next((m.channel for m in reversed(burst) if m.channel), None) or connector.default_channel
        req = draft_request(burst, earlier, channel if channel in ("chat", "email", "social", "phone") else "chat")
        owner = quota.allowance_of(self.db, d.owner)  # the account owner's day of model tokens
        try:
            draft = await quota.metered(self.settings, owner, lambda: create_draft(
                req, self.settings, self.playbook, self.models, owner=d.owner, ticket_url=d.ticket_url))
        except RateLimited as e:  # the key's day is spent: drafted when it has tokens again
            outbox.reschedule(self.db, d, e.retry_after, e.message)
            log.info("delivery %s: %s; again in %d s", d.id, e.message, e.retry_after)
            raise _Later() from None
        note = build_note(store.get_draft(self.db, draft["id"]), d.uid)  # as stored: masked
        outbox.record_note(self.db, d, draft["id"], note, ids)
        log.info("delivery %s: drafted %s for %s/%s conversation %s", d.id, draft["id"], d.connector, d.account,
                 d.conversation_id)
        return True

    async def _post(self, d: outbox.Delivery, connector: Connector, account: Account) -> None:
        note = d.the_note
        lease = self.settings.connector_lease_s

        async def post():
            if d.posts > 0:  # a post was begun before: it may have landed without our knowing
                outbox.begin_attempt(self.db, d, lease)
                found = await connector.find_note(self.http, account, d.conversation_id, note.marker)
                if found is not None:
                    log.info("delivery %s: its note is already in the conversation (%s)", d.id, found)
                    return found
            outbox.begin_attempt(self.db, d, lease, post=True)
            return await connector.post_note(self.http, account, d.conversation_id, note)

        remote = await self._retried(d, post)
        outbox.posted(self.db, d, remote)
        log.info("delivery %s: note posted to %s/%s conversation %s", d.id, d.connector, d.account, d.conversation_id)

    async def _retried(self, d: outbox.Delivery, call):
        """`call()` with bounded retries on HelpdeskUnavailable (see the module's docstring)."""
        s = self.settings
        if d.attempts >= s.connector_attempts:  # a worker died during the last one
            raise HelpdeskError(f"gave up after {d.attempts} calls to the helpdesk")
        started = time.monotonic()
        budget = s.connector_lease_s / 2  # waits and calls end well inside the lease
        planned = [0.0]

        def wait(state) -> float:
            exc = state.outcome.exception()
            hinted = getattr(exc, "retry_after", None)
            if hinted is not None:
                planned[0] = min(float(hinted), RETRY_AFTER_MAX_S)
            else:
                planned[0] = random.uniform(0, min(s.connector_backoff_cap_s,
                                                   s.connector_backoff_s * 2 ** max(0, d.attempts - 1)))
            return planned[0]

        def stop(state) -> bool:
            spent = time.monotonic() - started
            return d.attempts >= s.connector_attempts or spent + state.upcoming_sleep + s.connector_timeout_s > budget

        try:
            async for attempt in AsyncRetrying(stop=stop, wait=wait, retry=retry_if_exception_type(HelpdeskUnavailable),
                                               reraise=True):
                with attempt:
                    return await call()
        except HelpdeskUnavailable as e:
            if d.attempts >= s.connector_attempts:
                raise HelpdeskError(f"gave up after {d.attempts} calls: {e.message}", status_code=e.status_code) from None
            outbox.reschedule(self.db, d, planned[0], e.message)
            log.info("delivery %s: %s; again in %.1f s", d.id, e.message, planned[0])
            raise _Later() from None
        raise AssertionError("unreachable")  # pragma: no cover


class WorkerThread:
    """The worker inside `tactful serve`: one thread with its own event loop, so drafting and
    SQLite never hold up the server's requests."""

    def __init__(self, settings, playbook, models=None):
        self.worker = Worker(settings, playbook, models)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="tactful-connectors", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.run(self.worker.run(self.stopping))

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout)
