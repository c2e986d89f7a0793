"""Zammad: a webhook called by a trigger when a customer creates a ticket or writes in one; the
draft goes back as an internal note (an article of type note).

In, the body Zammad's webhook sends by default (docs.zammad.org, "Webhook"): the ticket and
the article that fired the trigger, with names resolved:

    {"ticket": {"id": 31, "number": "31001", "title": "…", "customer_id": 5, "group": "Users",
                "customer": {"id": 5, "firstname": "…", "lastname": "…", …}, "updated_at": …, …},
     "article": {"id": 77, "ticket_id": 31, "sender": "Customer", "type": "web",
                 "internal": false, "content_type": "text/html", "body": "<div>…</div>",
                 "from": "王小明 <wang@example.com>", "created_by_id": 5, "created_at": …}}

Only a customer's article is drafted for: sender Customer, not internal, with text. An
agent's article, a system message, an internal note (tactful's own among them: it comes back
through the same trigger unless the trigger's conditions leave it out) or an event without an
article is ignored. The delivery's key is the article id: Zammad sends the same article on
every retry of a delivery.

Signed: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body with the webhook's
*Signature Token* (the account's secret). Unsigned requests are refused. Zammad signs no
time, so a captured request could be sent again: it names the same article, and is ignored.

Out, with `Authorization: Token token={api_token}` (a token with ticket.agent):

    GET  /api/v1/ticket_articles/by_ticket/{ticket_id}              the thread, oldest first
    POST /api/v1/ticket_articles {"ticket_id", "body", "content_type": "text/html",
                                  "type": "note", "internal": true}  the note

The thread is read by the Zammad reader of the QA batches (service/batch/helpdesk/zammad.py).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import httpx

from ..batch.helpdesk.zammad import records_of
from ..errors import InputError, Unauthorized
from .base import Account, Connector, Inbound, Message, Note, check_hub_signature, digits, text_of, thread_of
from .cursors import TimeCursor, iso, paged_import, seconds_of
from .note import html_body

__all__ = ["Zammad"]

_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) +(?=[\u3400-\u9fff])")
_CHANNELS = {"email": "email", "phone": "phone", "web": "email", "chat": "chat", "sms": "chat"}


def _name(ticket: dict, article: dict) -> str | None:
    """The customer's name: the ticket's customer (firstname, lastname), else the article's
    `from` without its address. Zammad joins the two names with a space: 王 小明 is 王小明."""
    customer = ticket.get("customer") if isinstance(ticket.get("customer"), dict) else {}
    parts = [customer.get(k).strip() for k in ("firstname", "lastname") if isinstance(customer.get(k), str)]
    name = " ".join(p for p in parts if p)
    sender = article.get("from")
    if not name and isinstance(sender, str) and "<" in sender:
        name = sender.split("<", 1)[0].strip().strip('"').strip()
    return _CJK_SPACE.sub("", name) or None


class Zammad(Connector):
    name = "zammad"
    title = "Zammad"
    default_channel = "email"

    def ticket_url(self, account: Account, conversation_id: str) -> str:
        return f"{account.base_url.rstrip('/')}/#ticket/zoom/{conversation_id}"

    def verify(self, headers: Mapping[str, str], body: bytes, account: Account, query: Mapping[str, str]) -> None:
        signature = headers.get("x-hub-signature")
        if not signature:
            raise Unauthorized("a Zammad webhook is signed: X-Hub-Signature is missing (set the webhook's "
                               "Signature Token to the account's secret)")
        check_hub_signature(signature, body, account.secret,
                            wrong=f"the X-Hub-Signature is not that of {account.key}'s secret")

    def parse(self, event: Any, account: Account, headers: Mapping[str, str]) -> list[Inbound]:
        if not isinstance(event, dict):
            raise InputError("a Zammad webhook body is a JSON object", field="body")
        ticket = event.get("ticket")
        if not isinstance(ticket, dict):
            raise InputError("a Zammad webhook body has a ticket object", field="ticket")
        article = event.get("article")
        if not isinstance(article, dict) or not article:
            return []  # a trigger on a ticket change with no new article
        sender = article.get("sender")
        if article.get("internal") is True or not isinstance(sender, str) or sender.strip().lower() != "customer":
            return []
        ticket_id = digits(ticket.get("id", article.get("ticket_id")), "ticket.id")
        article_id = digits(article.get("id"), "article.id")
        text = text_of(article.get("body"))
        if text is None:
            return []
        atype = article.get("type")
        return [Inbound(delivery_key=f"article:{article_id}", conversation_id=ticket_id, message_id=article_id,
                        text=text, customer_name=_name(ticket, article),
                        channel=_CHANNELS.get(atype.strip().lower()) if isinstance(atype, str) else None)]

    # ------------------------------------------------------------------ the API

    def auth(self, account: Account) -> dict:
        return {"headers": {"Authorization": f"Token token={account.token}"}}

    async def _articles(self, http: httpx.AsyncClient, account: Account, ticket: str) -> list[dict]:
        answer = await self.call(http, account, "GET", f"/api/v1/ticket_articles/by_ticket/{ticket}")
        return [a for a in answer if isinstance(a, dict)] if isinstance(answer, list) else []

    async def fetch_thread(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> list[Message]:
        articles = await self._articles(http, account, conversation_id)
        names = {str(a.get("id")): _name({}, a) for a in articles if a.get("id") is not None}
        return thread_of(records_of({"id": conversation_id, "articles": articles}),
                         {k: v for k, v in names.items() if v})

    async def find_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                        marker: str) -> str | None:
        for a in await self._articles(http, account, conversation_id):
            if a.get("internal") is True and isinstance(a.get("body"), str) and marker in a["body"]:
                return str(a.get("id"))
        return None

    async def post_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str, note: Note) -> str | None:
        answer = await self.call(http, account, "POST", "/api/v1/ticket_articles",
                                 json={"ticket_id": int(conversation_id), "body": html_body(note),
                                       "content_type": "text/html", "type": "note", "internal": True})
        return str(answer["id"]) if isinstance(answer, dict) and answer.get("id") is not None else None

    # ------------------------------------------------------------------ QA imports (imports.py)

    async def pull(self, get, account: Account, cursor: dict | None, since: float):
        """Tickets updated since the cursor, oldest update first, and their articles:

            GET /api/v1/tickets/search?query=updated_at:>=ISO&sort_by=updated_at&order_by=asc
                &expand=true&page=N&per_page=50                    -> [ticket, ...]
            GET /api/v1/ticket_articles/by_ticket/{id}              -> [article, ...]

        The cursor is the last update time imported, with the ids seen at it."""

        at = TimeCursor(cursor, since)
        query = f"updated_at:>={iso(at.since)}"

        async def list_page(page):
            page = page or 1
            answer = await get("GET", "/api/v1/tickets/search",
                               params={"query": query, "sort_by": "updated_at", "order_by": "asc", "expand": "true",
                                       "page": page, "per_page": SEARCH_PAGE})
            items = answer.get("tickets") if isinstance(answer, dict) else answer  # without expand: ids and assets
            items = [t for t in items if isinstance(t, dict)] if isinstance(items, list) else []
            # the end is an empty page (one shorter than asked for is not: a helpdesk may cap per_page)
            return items, page + 1 if items else None

        async def fetch(ticket):
            return ticket | {"articles": await self._articles_by(get, digits(ticket.get("id"), "ticket.id"))}

        async for page in paged_import(at, _updated, list_page, fetch, pages_max=SEARCH_PAGES_MAX):
            yield page

    async def _articles_by(self, get, ticket: str) -> list[dict]:
        answer = await get("GET", f"/api/v1/ticket_articles/by_ticket/{ticket}")
        return [a for a in answer if isinstance(a, dict)] if isinstance(answer, list) else []

    def document(self, docs: list[dict], extras: dict) -> list[dict]:
        """Tickets with their "articles", as the Zammad batch reader reads them."""
        return docs


SEARCH_PAGE = 50
SEARCH_PAGES_MAX = 200


def _updated(ticket: dict) -> float | None:
    return seconds_of(ticket.get("updated_at"))
