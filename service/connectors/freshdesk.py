"""Freshdesk: a webhook called by an automation rule when a customer creates a ticket or replies
to one; the draft goes back as a private note.

In, the JSON body the rule's "Trigger webhook" action sends (tactful defines it; the README
shows the rules). Placeholders are filled in by Freshdesk:

    {"ticket_id": "{{ticket.id}}", "latest_public_comment": "{{ticket.latest_public_comment}}"}

The body names the ticket: the worker fetches the ticket (its description is the customer's
first message) and its conversations. `latest_public_comment` is there only to tell one
update from the next: Freshdesk sends no delivery id, so the delivery's key is the ticket and
a digest of the body. A retried webhook (the same body) is ignored; a second reply to the
ticket makes another body, another delivery. The rules' conditions (performed by the
requester) keep agents' updates out; a delivery for messages a note already answered is
skipped anyway.

Not signed: Freshdesk cannot sign a webhook, so the rule sends the account's secret in the
`X-Tactful-Secret` header (the action's custom headers), or in the URL as ?secret=.

Out, with basic auth `{api_key}:X`:

    GET  /api/v2/tickets/{id}?include=requester                      the ticket, its description
    GET  /api/v2/tickets/{id}/conversations?per_page=100&page=N      replies and notes, oldest first
    POST /api/v2/tickets/{id}/notes  {"body": html, "private": true} the note

Freshdesk answers 429 with Retry-After over its rate limit (per minute, per account). The
thread is read by the Freshdesk reader of the QA batches (service/batch/helpdesk/freshdesk.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping

import httpx

from ..batch.helpdesk.freshdesk import records_of
from ..errors import InputError
from .base import Account, Connector, Inbound, Message, Note, digits, thread_of
from .cursors import TimeCursor, iso, paged_import, seconds_of
from .note import html_body

__all__ = ["Freshdesk", "WEBHOOK_BODY"]

WEBHOOK_BODY = """{
  "ticket_id": "{{ticket.id}}",
  "latest_public_comment": "{{ticket.latest_public_comment}}"
}"""

_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PAGE = 100  # conversations per page (Freshdesk's most)
PAGES_MAX = 10  # a thread of more than 1,000 replies is read up to there


class Freshdesk(Connector):
    name = "freshdesk"
    title = "Freshdesk"
    default_channel = "email"

    def check_account(self, account: Account) -> None:
        super().check_account(account)
        if not _SUBDOMAIN.match(account.account):
            raise InputError("a Freshdesk account is its subdomain: lower-case letters, digits and -", field="account")

    def default_base_url(self, account: str) -> str | None:
        return f"https://{account}.freshdesk.com"

    def ticket_url(self, account: Account, conversation_id: str) -> str:
        return f"{account.base_url.rstrip('/')}/a/tickets/{conversation_id}"

    # verify: the inherited check of the account's secret (X-Tactful-Secret, or ?secret=)

    def parse(self, event: Any, account: Account, headers: Mapping[str, str]) -> list[Inbound]:
        if not isinstance(event, dict):
            raise InputError("the rule's body is a JSON object (see the README)", field="body")
        ticket = digits(event.get("ticket_id"), "ticket_id")
        digest = hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
        return [Inbound(delivery_key=f"ticket:{ticket}:{digest[:32]}", conversation_id=ticket)]

    # ------------------------------------------------------------------ the API

    def auth(self, account: Account) -> dict:
        return {"auth": (account.token, "X")}

    async def _conversations(self, http: httpx.AsyncClient, account: Account, ticket: str) -> list[dict]:
        out: list[dict] = []
        for page in range(1, PAGES_MAX + 1):
            answer, more = await self.call_page(http, account, f"/api/v2/tickets/{ticket}/conversations",
                                                params={"per_page": PAGE, "page": page})
            items = [c for c in answer if isinstance(c, dict)] if isinstance(answer, list) else []
            out += items
            if not more or not items:  # Freshdesk's Link header names the next page while there is one
                break
        return out

    async def ticket(self, http: httpx.AsyncClient, account: Account, ticket: str) -> dict:
        """The ticket with its requester and its conversations, as the batch reader reads one."""
        answer = await self.call(http, account, "GET", f"/api/v2/tickets/{ticket}", params={"include": "requester"})
        doc = dict(answer) if isinstance(answer, dict) else {"id": ticket}
        doc["conversations"] = await self._conversations(http, account, ticket)
        return doc

    async def fetch_thread(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> list[Message]:
        doc = await self.ticket(http, account, conversation_id)
        records = records_of(doc)
        for r in records:  # the description has no id of its own: it is the ticket's
            if r.data and not r.error and r.data.get("id") is None:
                r.data["id"] = f"ticket-{conversation_id}"
        requester = doc.get("requester") if isinstance(doc.get("requester"), dict) else {}
        name = requester.get("name") if isinstance(requester.get("name"), str) else None
        names = {str(r.data["id"]): name for r in records
                 if name and r.data and r.data.get("role") == "customer" and r.data.get("id") is not None}
        return thread_of(records, names)

    async def find_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                        marker: str) -> str | None:
        for c in await self._conversations(http, account, conversation_id):
            if c.get("private") is True and any(isinstance(c.get(k), str) and marker in c[k]
                                                for k in ("body", "body_text")):
                return str(c.get("id"))
        return None

    async def post_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str, note: Note) -> str | None:
        answer = await self.call(http, account, "POST", f"/api/v2/tickets/{conversation_id}/notes",
                                 json={"body": html_body(note), "private": True})
        return str(answer["id"]) if isinstance(answer, dict) and answer.get("id") is not None else None

    # ------------------------------------------------------------------ QA imports (imports.py)

    async def pull(self, get, account: Account, cursor: dict | None, since: float):
        """Tickets updated since the cursor, oldest update first, with their conversations:

            GET /api/v2/tickets?updated_since=ISO&order_by=updated_at&order_type=asc
                &include=requester,description&per_page=100&page=N     -> [ticket, ...]
            GET /api/v2/tickets/{id}/conversations?per_page=100&page=N -> [conversation, ...]

        Freshdesk lists at most 300 pages; a run that gets there stops, and the next one goes on
        from its cursor: the last update time imported, with the ids seen at it."""

        at = TimeCursor(cursor, since)
        start = iso(at.since)

        async def list_page(page):
            page = page or 1
            answer = await get("GET", "/api/v2/tickets",
                               params={"updated_since": start, "order_by": "updated_at", "order_type": "asc",
                                       "include": "requester,description", "per_page": PAGE, "page": page})
            items = [t for t in answer if isinstance(t, dict)] if isinstance(answer, list) else []
            # the end is an empty page (one shorter than asked for is not: a helpdesk may cap per_page)
            return items, page + 1 if items else None

        async def fetch(ticket):
            return ticket | {"conversations": await self._pages(get, digits(ticket.get("id"), "ticket.id"))}

        async for page in paged_import(at, _updated, list_page, fetch, pages_max=LIST_PAGES_MAX):
            yield page

    async def _pages(self, get, ticket: str) -> list[dict]:
        out: list[dict] = []
        for page in range(1, PAGES_MAX + 1):
            answer = await get("GET", f"/api/v2/tickets/{ticket}/conversations", params={"per_page": PAGE, "page": page})
            items = [c for c in answer if isinstance(c, dict)] if isinstance(answer, list) else []
            out += items
            if not items:
                break
        return out

    def document(self, docs: list[dict], extras: dict) -> list[dict]:
        """Tickets with their description and "conversations", as the Freshdesk batch reader reads them."""
        return docs


LIST_PAGES_MAX = 300  # Freshdesk's own limit on the ticket list


def _updated(ticket: dict) -> float | None:
    return seconds_of(ticket.get("updated_at"))
