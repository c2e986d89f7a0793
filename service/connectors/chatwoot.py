"""Chatwoot: an account webhook (or an agent bot) subscribed to `message_created`; the draft goes
back as a private note.

In, the documented webhook payload (developers.chatwoot.com, "Webhook events"):

    {"event": "message_created", "id": 118, "content": "hi", "message_type": "incoming",
     "content_type": "text", "private": false, "created_at": "2021-07-23T18:02:48.000Z",
     "sender": {"id": 14, "name": "…", "type": "contact"},
     "inbox": {"id": 1, "name": "Acme Support"},
     "conversation": {"id": 10, "display_id": 10?, "channel": "Channel::WebWidget", "inbox_id": 1, …},
     "account": {"id": 1, "name": "Acme Inc"}}

Only a customer's message is drafted for: `message_type` incoming (or 0), not private, a
sender of type contact (an agent's, a bot's, an activity or a note is ignored; so is tactful's
own note when it comes back as an event), with text. The conversation's id in the API's URLs is
the one the dashboard shows (`display_id`, which the webhook sends as `conversation.id`).

Signed: Chatwoot versions that sign webhooks send `X-Chatwoot-Signature: sha256=<hex>`, the
HMAC-SHA256 of "{X-Chatwoot-Timestamp}.{body}" with the webhook's secret; the account's secret
is that one. Older versions and agent bots do not sign: then the webhook URL carries the
account's secret (?secret=...).

Out, with the `api_access_token` header of an agent (or an agent bot's token):

    GET  /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages   the thread
    POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages
         {"content": markdown, "message_type": "outgoing", "private": true}       the note
"""

from __future__ import annotations

from typing import Any, Mapping

import httpx

from ..batch.helpdesk.chatwoot import CHANNELS
from ..batch.helpdesk.common import channel_of
from ..errors import InputError
from .cursors import Page, TimeCursor, seconds_of
from .note import markdown
from .base import Account, Connector, Inbound, Message, Note, check_timed_signature, digits, hmac_digest, text_of

__all__ = ["Chatwoot"]

_INCOMING = ("incoming", 0)
_ROLES = {0: "customer", "incoming": "customer", 1: "agent", "outgoing": "agent",
          2: "system", "activity": "system", 3: "bot", "template": "bot"}


def _channel(value: Any) -> str | None:
    channel = channel_of(value, CHANNELS)
    return "email" if channel == "web" else channel


class Chatwoot(Connector):
    name = "chatwoot"
    title = "Chatwoot"
    default_channel = "chat"

    def check_account(self, account: Account) -> None:
        super().check_account(account)
        digits(account.account, "account")  # Chatwoot's account id, in every API path

    def ticket_url(self, account: Account, conversation_id: str) -> str:
        return f"{account.base_url.rstrip('/')}/app/accounts/{account.account}/conversations/{conversation_id}"

    def verify(self, headers: Mapping[str, str], body: bytes, account: Account, query: Mapping[str, str]) -> None:
        signature = headers.get("x-chatwoot-signature")
        if signature is None:
            return super().verify(headers, body, account, query)
        check_timed_signature(
            signature, headers.get("x-chatwoot-timestamp"),
            lambda ts: "sha256=" + hmac_digest(account.secret, f"{ts}.".encode("utf-8") + body),
            stale="the Chatwoot webhook's X-Chatwoot-Timestamp is missing or not within 5 minutes of now",
            wrong=f"the X-Chatwoot-Signature is not that of {account.key}'s secret")

    def parse(self, event: Any, account: Account, headers: Mapping[str, str]) -> list[Inbound]:
        if not isinstance(event, dict):
            raise InputError("a Chatwoot webhook body is a JSON object", field="body")
        if event.get("event") != "message_created":
            return []
        if event.get("message_type") not in _INCOMING or event.get("private") is True:
            return []
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        if sender.get("type", "contact") != "contact":
            return []
        conversation = event.get("conversation")
        if not isinstance(conversation, dict):
            raise InputError("a message_created event has a conversation object", field="conversation")
        who = event.get("account") if isinstance(event.get("account"), dict) else {}
        if "id" in who and str(who["id"]).strip() != account.account:
            raise InputError(f"the event is for Chatwoot account {str(who['id'])[:20]!r}; this URL is for "
                             f"account {account.account}", field="account.id")
        inbox = event.get("inbox") if isinstance(event.get("inbox"), dict) else {}
        inbox_id = inbox.get("id", conversation.get("inbox_id"))
        if account.inboxes and str(inbox_id) not in account.inboxes:
            return []
        message_id = digits(event.get("id"), "id")
        conversation_id = digits(conversation.get("display_id", conversation.get("id")), "conversation.id")
        text = text_of(event.get("content"))
        if text is None:  # an attachment alone: nothing to answer in words
            return []
        name = sender.get("name") if isinstance(sender.get("name"), str) else None
        return [Inbound(delivery_key=f"message:{message_id}", conversation_id=conversation_id,
                        message_id=message_id, text=text, customer_name=name,
                        channel=_channel(conversation.get("channel")))]

    # ------------------------------------------------------------------ the API

    def auth(self, account: Account) -> dict:
        return {"headers": {"api_access_token": account.token}}

    def _messages_path(self, account: Account, conversation_id: str) -> str:
        return f"/api/v1/accounts/{account.account}/conversations/{conversation_id}/messages"

    async def _payload(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                       before: int | None = None) -> list[dict]:
        """The latest 20 messages, or the 20 before the message `before`."""
        answer = await self.call(http, account, "GET", self._messages_path(account, conversation_id),
                                 params={"before": before} if before else None)
        payload = answer.get("payload") if isinstance(answer, dict) else answer
        return [m for m in payload or [] if isinstance(m, dict)] if isinstance(payload, list) else []

    async def fetch_thread(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> list[Message]:
        out = []
        for m in sorted(await self._payload(http, account, conversation_id), key=lambda m: _order(m)):
            text = text_of(m.get("content"))
            if text is None or m.get("id") is None:
                continue
            role = "note" if m.get("private") is True else _ROLES.get(m.get("message_type"), "system")
            sender = m.get("sender") if isinstance(m.get("sender"), dict) else {}
            kind = str(sender.get("type") or m.get("sender_type") or "").lower()
            if role == "agent" and kind not in ("user", ""):
                role = "bot"  # an agent bot's or an automation's message
            if role == "customer" and kind not in ("contact", ""):
                role = "system"
            out.append(Message(id=str(m["id"]), role=role, text=text,
                               author=sender.get("name") if isinstance(sender.get("name"), str) else None))
        return out

    async def find_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                        marker: str) -> str | None:
        """From the latest page back (`before=` the oldest message of each) to the first message."""
        before = None
        for _ in range(MESSAGE_PAGES_MAX):
            page = await self._payload(http, account, conversation_id, before)
            for m in page:
                if m.get("private") is True and isinstance(m.get("content"), str) and marker in m["content"]:
                    return str(m.get("id"))
            older = [int(m["id"]) for m in page if str(m.get("id", "")).isdigit()
                     and (before is None or int(m["id"]) < before)]
            if not older:
                return None
            before = min(older)
        return None

    async def post_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str, note: Note) -> str | None:
        answer = await self.call(http, account, "POST", self._messages_path(account, conversation_id),
                                 json={"content": markdown(note), "message_type": "outgoing",
                                       "private": True, "content_type": "text"})
        return str(answer["id"]) if isinstance(answer, dict) and answer.get("id") is not None else None


    # ------------------------------------------------------------------ QA imports (imports.py)

    async def pull(self, get, account: Account, cursor: dict | None, since: float):
        """Conversations active since the cursor:

            GET /api/v1/accounts/{id}/conversations?status=all&assignee_type=all&sort_by=last_activity_at_desc&page=N
                -> {"data": {"meta": {...}, "payload": [conversation, ...]}}, 25 a page, latest first
            GET /api/v1/accounts/{id}/conversations/{id}/messages[?before=ID]    20 at a time, back to the first

        The list is read latest first until it reaches the cursor's time, then imported oldest
        first, so that a run stopped at --limit resumes where it stopped. The cursor is the last
        activity time imported, with the ids seen at it."""

        at = TimeCursor(cursor, since)
        found: list[dict] = []
        for page in range(1, LIST_PAGES_MAX + 1):
            answer = await get("GET", f"/api/v1/accounts/{account.account}/conversations",
                               params={"status": "all", "assignee_type": "all", "sort_by": "last_activity_at_desc",
                                       "page": page})
            data = answer.get("data") if isinstance(answer, dict) else None
            payload = data.get("payload") if isinstance(data, dict) else None
            items = [c for c in payload if isinstance(c, dict)] if isinstance(payload, list) else []
            found += items
            if not items or all((_activity(c) or 0) < at.since for c in items):
                break
        fresh = at.fresh(found, _activity)
        for i in range(0, len(fresh), CHUNK):
            chunk = fresh[i:i + CHUNK]
            docs = []
            for conv in chunk:
                cid = digits(conv.get("id"), "conversation.id")
                docs.append(conv | {"messages": await self._all_messages(get, account, cid)})
            yield Page(docs, at.advance(chunk, _activity))

    async def _all_messages(self, get, account: Account, conversation_id: str) -> list[dict]:
        out: list[dict] = []
        before = None
        for _ in range(MESSAGE_PAGES_MAX):
            answer = await get("GET", self._messages_path(account, conversation_id),
                               params={"before": before} if before else None)
            payload = answer.get("payload") if isinstance(answer, dict) else None
            items = [m for m in payload if isinstance(m, dict) and str(m.get("id", "")).isdigit()] \
                if isinstance(payload, list) else []
            items = [m for m in items if before is None or int(m["id"]) < before]
            if not items:
                break
            out = items + out
            before = min(int(m["id"]) for m in items)
        return sorted(out, key=_order)

    def document(self, docs: list[dict], extras: dict) -> list[dict]:
        """Conversations with their "messages", as the Chatwoot batch reader reads them."""
        return docs


def _order(m: dict) -> tuple:
    created = m.get("created_at")
    return (created if isinstance(created, (int, float)) else 0, int(m["id"]) if str(m.get("id", "")).isdigit() else 0)



LIST_PAGES_MAX = 400  # 25 conversations a page: 10,000 conversations a run at most
MESSAGE_PAGES_MAX = 100  # 20 messages a page: a conversation is read back 2,000 messages at most
CHUNK = 25  # conversations imported between two cursors


def _activity(conv: dict) -> float | None:
    return seconds_of(conv.get("last_activity_at", conv.get("timestamp")))
