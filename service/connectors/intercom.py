"""Intercom: a webhook subscription to `conversation.user.created` and
`conversation.user.replied`; the draft goes back as a note on the conversation.

In, Intercom's notification (developers.intercom.com, "Webhooks"):

    {"type": "notification_event", "app_id": "ecahpwf5", "id": "notif_…",
     "topic": "conversation.user.replied", "delivery_attempts": 1, "created_at": 1700000000,
     "data": {"type": "notification_event_data", "item": {
        "type": "conversation", "id": "123456789", "created_at": …, "updated_at": …,
        "source": {"type": "conversation", "id": "403918320", "delivered_as": "customer_initiated",
                   "body": "<p>…</p>", "author": {"type": "user", "id": "…", "name": "…"}},
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
            {"type": "conversation_part", "id": "9900001", "part_type": "comment", "body": "<p>…</p>",
             "created_at": …, "author": {"type": "user", "id": "…", "name": "…"}}], "total_count": 1}}}}

`conversation.user.created`: the customer's opening message, the conversation's `source`.
`conversation.user.replied`: the customer's new parts (a comment, or the reply that reopened a
closed conversation). Only a user's, a lead's or a contact's words are drafted for; other
topics are ignored (a note, tactful's own among them, is an admin's and sends no user topic).
The delivery's key is the message's id (the source's or the part's), the same on every retry.
A notification for another workspace (`app_id`) than the URL's account is refused.

Signed: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body with the app's *client
secret* (the account's secret). Unsigned requests are refused.

Out, with `Authorization: Bearer {access_token}` and `Intercom-Version`:

    GET  /conversations/{id}                                           the thread (parts in HTML)
    POST /conversations/{id}/reply {"message_type": "note", "type": "admin",
                                    "admin_id": "…", "body": html}     the note, as that admin

The account is the workspace (app) id; `--admin-id` names the admin the notes are written as.
The thread is read by the Intercom reader of the QA batches (service/batch/helpdesk/intercom.py).
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

import httpx

from ..batch.helpdesk.intercom import records_of
from ..errors import InputError, Unauthorized
from .base import Account, Connector, Inbound, Message, Note, check_hub_signature, digits, text_of, thread_of
from .cursors import TimeCursor, paged_import, seconds_of
from .note import html_body

__all__ = ["Intercom", "API_VERSION", "TOPICS"]

API_VERSION = "2.11"
TOPICS = ("conversation.user.created", "conversation.user.replied")
_CUSTOMER = ("user", "lead", "contact")
_REPLIES = ("comment", "open")  # a user's reply; the reply that reopened a closed conversation
# where the inbox is, for each of Intercom's API hosts (US, Europe, Australia)
_APP_HOSTS = {"api.intercom.io": "https://app.intercom.com", "api.eu.intercom.io": "https://app.eu.intercom.com",
              "api.au.intercom.io": "https://app.au.intercom.com"}


def _author(item: dict) -> dict:
    return item.get("author") if isinstance(item.get("author"), dict) else {}


def _is_customer(item: dict) -> bool:
    kind = _author(item).get("type")
    return isinstance(kind, str) and kind.lower() in _CUSTOMER


def _name(item: dict) -> str | None:
    name = _author(item).get("name")
    return name.strip() or None if isinstance(name, str) else None


def _parts(conversation: dict) -> list[dict]:
    parts = conversation.get("conversation_parts")
    if isinstance(parts, dict):
        parts = parts.get("conversation_parts")
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


class Intercom(Connector):
    name = "intercom"
    title = "Intercom"
    default_channel = "chat"

    def check_account(self, account: Account) -> None:
        super().check_account(account)
        if not account.admin_id:
            raise InputError("Intercom writes a note as an admin: give --admin-id (Settings > Teammates, the "
                             "number in the teammate's address)", field="admin_id")
        digits(account.admin_id, "admin_id")

    def default_base_url(self, account: str) -> str | None:
        return "https://api.intercom.io"

    def ticket_url(self, account: Account, conversation_id: str) -> str:
        base = account.base_url.rstrip("/")
        app = _APP_HOSTS.get(urlsplit(base).hostname or "", base)
        return f"{app}/a/inbox/{account.account}/inbox/conversation/{conversation_id}"

    def verify(self, headers: Mapping[str, str], body: bytes, account: Account, query: Mapping[str, str]) -> None:
        signature = headers.get("x-hub-signature")
        if not signature:
            raise Unauthorized("an Intercom webhook is signed: X-Hub-Signature is missing")
        check_hub_signature(signature, body, account.secret,
                            wrong=f"the X-Hub-Signature is not that of {account.key}'s client secret")

    def parse(self, event: Any, account: Account, headers: Mapping[str, str]) -> list[Inbound]:
        if not isinstance(event, dict):
            raise InputError("an Intercom notification is a JSON object", field="body")
        topic = event.get("topic")
        if topic not in TOPICS:
            return []  # ping, and every topic not subscribed for
        app = event.get("app_id")
        if app is not None and str(app).strip() != account.account:
            raise InputError(f"the notification is for Intercom workspace {str(app)[:20]!r}; this URL is for "
                             f"{account.account}", field="app_id")
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        item = data.get("item")
        if not isinstance(item, dict):
            raise InputError("a conversation notification has data.item, the conversation", field="data.item")
        conversation = digits(item.get("id"), "data.item.id")
        if topic == "conversation.user.created":
            source = item.get("source") if isinstance(item.get("source"), dict) else None
            if source is None:
                raise InputError("conversation.user.created has the conversation's source", field="data.item.source")
            messages = [("source", source)] if _is_customer(source) else []
        else:
            messages = [("part", p) for p in _parts(item)
                        if p.get("part_type") in _REPLIES and _is_customer(p)]
        out = []
        for kind, m in messages:
            mid = digits(m.get("id"), f"data.item.{'source' if kind == 'source' else 'conversation_parts'}.id")
            text = text_of(m.get("body"))
            if text is None:
                continue  # an attachment alone
            out.append(Inbound(delivery_key=f"{kind}:{mid}", conversation_id=conversation, message_id=mid,
                               text=text, customer_name=_name(m)))
        return out

    # ------------------------------------------------------------------ the API

    def auth(self, account: Account) -> dict:
        return {"headers": {"Authorization": f"Bearer {account.token}", "Intercom-Version": API_VERSION,
                            "Accept": "application/json"}}

    async def conversation(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> dict:
        answer = await self.call(http, account, "GET", f"/conversations/{conversation_id}")
        return answer if isinstance(answer, dict) else {"id": conversation_id}

    async def fetch_thread(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> list[Message]:
        conv = await self.conversation(http, account, conversation_id)
        source = conv.get("source") if isinstance(conv.get("source"), dict) else {}
        names = {str(m.get("id")): _name(m) for m in [source, *_parts(conv)]
                 if m.get("id") is not None and _is_customer(m) and _name(m)}
        return thread_of(records_of(conv), names)

    async def find_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                        marker: str) -> str | None:
        return _note_in(await self.conversation(http, account, conversation_id), marker)

    async def post_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str, note: Note) -> str | None:
        answer = await self.call(http, account, "POST", f"/conversations/{conversation_id}/reply",
                                 json={"message_type": "note", "type": "admin", "admin_id": account.admin_id,
                                       "body": html_body(note)})
        return _note_in(answer, note.marker) if isinstance(answer, dict) else None


    # ------------------------------------------------------------------ QA imports (imports.py)

    async def pull(self, get, account: Account, cursor: dict | None, since: float):
        """Conversations updated since the cursor, oldest update first, each fetched whole:

            POST /conversations/search {"query": {"field": "updated_at", "operator": ">", "value": T - 1},
                                        "sort": {"field": "updated_at", "order": "ascending"},
                                        "pagination": {"per_page": 50, "starting_after": …}}
                 -> {"conversations": [...], "pages": {"next": {"starting_after": …}}}
            GET  /conversations/{id}       the conversation with its parts (at most 500)

        The cursor is the last update time imported, with the ids seen at it."""

        at = TimeCursor(cursor, since)
        query = {"field": "updated_at", "operator": ">", "value": at.since - 1}

        async def list_page(after):
            pagination = {"per_page": SEARCH_PAGE} | ({"starting_after": after} if after else {})
            answer = await get("POST", "/conversations/search", json={
                "query": query, "sort": {"field": "updated_at", "order": "ascending"}, "pagination": pagination})
            if not isinstance(answer, dict):
                return [], None
            pages = answer.get("pages") if isinstance(answer.get("pages"), dict) else {}
            nxt = pages.get("next") if isinstance(pages.get("next"), dict) else {}
            after = nxt.get("starting_after")
            return ([c for c in answer.get("conversations") or [] if isinstance(c, dict)],
                    after if after and isinstance(after, str) else None)

        async def fetch(conv):
            return await get("GET", f"/conversations/{digits(conv.get('id'), 'conversation.id')}")

        async for page in paged_import(at, _updated, list_page, fetch, pages_max=SEARCH_PAGES_MAX):
            yield page

    def document(self, docs: list[dict], extras: dict) -> dict:
        """{"conversations": [...]}, as the Intercom batch reader reads them."""
        return {"conversations": docs}


def _note_in(conversation: dict, marker: str) -> str | None:
    for p in reversed(_parts(conversation)):
        if p.get("part_type") == "note" and isinstance(p.get("body"), str) and marker in p["body"]:
            return str(p.get("id"))
    return None


SEARCH_PAGE = 50
SEARCH_PAGES_MAX = 200


def _updated(conversation: dict) -> float | None:
    return seconds_of(conversation.get("updated_at"))
