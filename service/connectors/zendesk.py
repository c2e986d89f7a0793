"""Zendesk: a webhook called by a trigger when a customer creates or updates a ticket; the draft
goes back as an internal note (a private comment).

In, the JSON body the trigger's "Notify active webhook" action sends (tactful defines it; the
README shows the trigger). Placeholders are filled in by Zendesk:

    {"ticket_id": "{{ticket.id}}", "updated_at": "{{ticket.updated_at_with_timestamp}}",
     "requester_id": "{{ticket.requester.id}}", "current_user_id": "{{current_user.id}}"}

The body names the ticket, not the comment: the worker fetches the comments. An update made by
someone other than the requester (an agent, tactful's own note, an automation) is ignored. The
delivery's key is Zendesk's `X-Zendesk-Webhook-Invocation-Id` (the same on every retry of one
invocation), else the ticket and its update time.

Signed: `X-Zendesk-Webhook-Signature` is base64(HMAC-SHA256(secret, timestamp + body)) with
`X-Zendesk-Webhook-Signature-Timestamp` (developer.zendesk.com, "Verifying webhook
authenticity"); the account's secret is the webhook's signing secret. Unsigned requests are
refused.

Out, with basic auth `{email}/token:{api_token}`:

    GET /api/v2/tickets/{id}/comments.json?include=users&sort_order=desc     the thread, newest first
    PUT /api/v2/tickets/{id}.json  {"ticket": {"comment": {"html_body": ..., "public": false}}}

Zendesk answers 409 when two updates of a ticket collide and 429 with Retry-After over its rate
limit: both are retried.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import httpx

from ..batch.helpdesk.common import channel_of
from ..batch.helpdesk.zendesk import CHANNELS
from ..errors import InputError, Unauthorized
from .cursors import Page
from .note import html_body
from .base import (Account, Connector, Inbound, Message, Note, check_timed_signature, digits, hmac_digest,
                   text_of)

__all__ = ["Zendesk", "TRIGGER_BODY"]

TRIGGER_BODY = """{
  "ticket_id": "{{ticket.id}}",
  "updated_at": "{{ticket.updated_at_with_timestamp}}",
  "requester_id": "{{ticket.requester.id}}",
  "current_user_id": "{{current_user.id}}"
}"""

_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
COMMENT_PAGES_MAX = 100  # 100 comments a page: a ticket is read 10,000 comments at most
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def _channel(value: Any) -> str | None:
    channel = channel_of(value, CHANNELS)
    return "email" if channel == "web" else channel


class Zendesk(Connector):
    name = "zendesk"
    title = "Zendesk"
    default_channel = "email"
    retry_statuses = frozenset({409})
    needs_email = True

    def check_account(self, account: Account) -> None:
        super().check_account(account)
        if not _SUBDOMAIN.match(account.account):
            raise InputError("a Zendesk account is its subdomain: lower-case letters, digits and -", field="account")

    def default_base_url(self, account: str) -> str | None:
        return f"https://{account}.zendesk.com"

    def ticket_url(self, account: Account, conversation_id: str) -> str:
        return f"{account.base_url.rstrip('/')}/agent/tickets/{conversation_id}"

    def verify(self, headers: Mapping[str, str], body: bytes, account: Account, query: Mapping[str, str]) -> None:
        signature = headers.get("x-zendesk-webhook-signature")
        timestamp = headers.get("x-zendesk-webhook-signature-timestamp")
        if not signature or not timestamp:
            raise Unauthorized("a Zendesk webhook is signed: X-Zendesk-Webhook-Signature and "
                               "X-Zendesk-Webhook-Signature-Timestamp are missing")
        check_timed_signature(
            signature, timestamp, lambda ts: hmac_digest(account.secret, ts.encode("utf-8") + body, encoding="base64"),
            stale="the Zendesk webhook's signature timestamp is not within 5 minutes of now",
            wrong=f"the X-Zendesk-Webhook-Signature is not that of {account.key}'s signing secret")

    def parse(self, event: Any, account: Account, headers: Mapping[str, str]) -> list[Inbound]:
        if not isinstance(event, dict):
            raise InputError("the trigger's body is a JSON object (see the README)", field="body")
        ticket = digits(event.get("ticket_id"), "ticket_id")
        requester, current = event.get("requester_id"), event.get("current_user_id")
        if requester not in (None, "") and current not in (None, "") and str(requester).strip() != str(current).strip():
            return []  # an agent's update, an automation's, or tactful's own note
        invocation = (headers.get("x-zendesk-webhook-invocation-id") or "").strip()
        if invocation and _KEY.match(invocation):
            key = f"invocation:{invocation}"
        else:
            updated = event.get("updated_at")
            if not isinstance(updated, str) or not _KEY.match(updated.strip()):
                raise InputError("updated_at must be the ticket's update time ({{ticket.updated_at_with_timestamp}})",
                                 field="updated_at")
            key = f"ticket:{ticket}:{updated.strip()}"
        return [Inbound(delivery_key=key, conversation_id=ticket)]

    # ------------------------------------------------------------------ the API

    def auth(self, account: Account) -> dict:
        return {"auth": (f"{account.email}/token", account.token)}

    async def _comments(self, http: httpx.AsyncClient, account: Account, ticket: str) -> tuple[list[dict], dict]:
        answer = await self.call(http, account, "GET", f"/api/v2/tickets/{ticket}/comments.json",
                                 params={"include": "users", "sort_order": "desc"})
        if not isinstance(answer, dict):
            return [], {}
        users = {str(u.get("id")): u for u in answer.get("users") or [] if isinstance(u, dict)}
        return [c for c in answer.get("comments") or [] if isinstance(c, dict)], users

    async def fetch_thread(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> list[Message]:
        comments, users = await self._comments(http, account, conversation_id)
        out = []
        for c in reversed(comments):  # newest first from the API: oldest first here
            text = text_of(c.get("plain_body")) or text_of(c.get("html_body")) or text_of(c.get("body"))
            if text is None or c.get("id") is None:
                continue
            author = users.get(str(c.get("author_id")), {})
            via = c.get("via") if isinstance(c.get("via"), dict) else {}
            if c.get("public") is False:
                role = "note"
            elif str(c.get("author_id")) == "-1" or via.get("channel") == "rule":
                role = "system"
            elif author.get("role") == "end-user":
                role = "customer"
            else:
                role = "agent"
            out.append(Message(id=str(c["id"]), role=role, text=text,
                               author=author.get("name") if isinstance(author.get("name"), str) else None,
                               channel=_channel(via.get("channel"))))
        return out

    async def find_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                        marker: str) -> str | None:
        """Newest first, page after page while Zendesk names a next_page."""
        for page in range(1, COMMENT_PAGES_MAX + 1):
            answer = await self.call(http, account, "GET", f"/api/v2/tickets/{conversation_id}/comments.json",
                                     params={"sort_order": "desc", "page": page, "per_page": 100})
            if not isinstance(answer, dict):
                return None
            for c in answer.get("comments") or []:
                if isinstance(c, dict) and c.get("public") is False and any(
                        isinstance(c.get(k), str) and marker in c[k] for k in ("body", "html_body", "plain_body")):
                    return str(c.get("id"))
            if not answer.get("next_page"):
                return None
        return None

    async def post_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str, note: Note) -> str | None:
        answer = await self.call(http, account, "PUT", f"/api/v2/tickets/{conversation_id}.json",
                                 json={"ticket": {"comment": {"html_body": html_body(note), "public": False}}})
        audit = answer.get("audit") if isinstance(answer, dict) else None
        for event in (audit or {}).get("events") or []:
            if isinstance(event, dict) and event.get("type") == "Comment" and event.get("id") is not None:
                return str(event["id"])
        return None

    # ------------------------------------------------------------------ QA imports (imports.py)

    async def pull(self, get, account: Account, cursor: dict | None, since: float):
        """Tickets updated since the cursor, through the incremental export with its cursor:

            GET /api/v2/incremental/tickets/cursor.json?start_time=UNIX | ?cursor=AFTER
                -> {"tickets": [...], "after_cursor", "end_of_stream"}, oldest update first
            GET /api/v2/tickets/{id}/comments.json?include=users&page=N   every comment

        The cursor is Zendesk's `after_cursor` of the last page imported."""

        params: dict = {"cursor": cursor["cursor"]} if cursor and cursor.get("cursor") else {"start_time": int(since)}
        while True:
            answer = await get("GET", "/api/v2/incremental/tickets/cursor.json", params=params | {"per_page": 100})
            if not isinstance(answer, dict):
                return
            docs, users = [], []
            for ticket in answer.get("tickets") or []:
                if not isinstance(ticket, dict) or ticket.get("status") == "deleted" or ticket.get("id") is None:
                    continue
                comments, people = await self._all_comments(get, digits(ticket["id"], "ticket.id"))
                docs.append(ticket | {"comments": comments})
                users += people
            after = answer.get("after_cursor")
            yield Page(docs, {"cursor": after} if after else (cursor or {}), {"users": users})
            if answer.get("end_of_stream") is not False or not after:
                return
            cursor, params = {"cursor": after}, {"cursor": after}

    async def _all_comments(self, get, ticket: str) -> tuple[list[dict], list[dict]]:
        comments, users = [], []
        for page in range(1, COMMENT_PAGES_MAX + 1):
            answer = await get("GET", f"/api/v2/tickets/{ticket}/comments.json",
                               params={"include": "users", "page": page, "per_page": 100})
            if not isinstance(answer, dict):
                break
            comments += [c for c in answer.get("comments") or [] if isinstance(c, dict)]
            users += [u for u in answer.get("users") or [] if isinstance(u, dict)]
            if not answer.get("next_page"):
                break
        return comments, users

    def document(self, docs: list[dict], extras: dict) -> dict:
        """The Tickets API shape the Zendesk batch reader reads: tickets with their comments, users."""
        users = {str(u.get("id")): u for u in extras.get("users", [])}
        return {"tickets": docs, "users": list(users.values())}
