"""Fake helpdesks for the connector tests: each a real HTTP server on 127.0.0.1 (a free port), in a
thread of the test process, written from the helpdesk's documented API and webhook payloads:
ids, nesting, HTML bodies, its authentication and its error answers (401, 404, 429 with
Retry-After, 5xx). Nothing here reaches beyond loopback.

    with FakeChatwoot(token="t0ken") as cw:
        event = cw.customer_says(10, "耳机坏了")          # the message, and Chatwoot's webhook body
        headers = cw.sign(body, secret)                  # the webhook's signature headers
        cw.fault("post", 429, retry_after=1)             # the next note post answers 429 (then as usual)
        cw.stall("post")                                 # store notes, then hold the answers until released
        cw.notes(10)                                     # the private notes in conversation 10

A new helpdesk's fake is a subclass of FakeHelpdesk: its routes, the shape of its objects, and
`sign`. Faults, stalls, the request log, paging (`page`) and the server's life are shared here.
A Desk (DESKS, one per connector of the registry) is what the tests that run for every
connector need of a helpdesk: `desk_for(name)` fails for a connector that has none.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["FakeHelpdesk", "FakeChatwoot", "FakeZendesk", "FakeZammad", "FakeFreshdesk", "FakeIntercom", "wait_for",
           "fast_settings", "Webhooks", "SECRET", "Paged", "Desk", "DESKS", "desk_for"]

SECRET = "whsec-0123456789abcdef"  # the accounts' webhook secret in these tests


def fast_settings(tmp_path, **overrides):
    """Settings for connector tests: a quiet period of 0.1 s, quick polls and short backoffs."""
    from service.settings import Settings

    values = dict(db_path=tmp_path / "tactful.db", data_dir=tmp_path, model="", connector_quiet_s=0.1,
                  connector_quiet_max_s=1.0, connector_poll_s=0.02, connector_timeout_s=2.0, connector_lease_s=5.0,
                  connector_backoff_s=0.02, connector_backoff_cap_s=0.2, connector_attempts=4)
    return Settings(**(values | overrides))


class Webhooks:
    """A helpdesk's side of the app: signed events in, deliveries watched through the API."""

    def __init__(self, client, fake, connector: str, account: str, headers: dict | None = None):
        self.client, self.fake, self.connector, self.account = client, fake, connector, account
        self.key_headers = headers or {}

    def send(self, event, *, headers: dict | None = None, raw: bytes | None = None, query: str = "", **sign):
        body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
        signed = self.fake.sign(body, SECRET, **sign) if headers is None else headers
        return self.client.post(f"/v1/connectors/{self.connector}/{self.account}/events{query}",
                                content=body, headers=signed)

    def deliveries(self, **params) -> list[dict]:
        r = self.client.get("/v1/connectors/deliveries", params=params, headers=self.key_headers)
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, state: str, n: int = 1, timeout: float = 15) -> list[dict]:
        return wait_for(lambda: (lambda d: d if len(d) >= n else None)(self.deliveries(state=state)),
                        timeout, what=f"{n} delivery(ies) {state}")


def wait_for(predicate, timeout: float = 15.0, every: float = 0.02, what: str = "condition"):
    """Poll until `predicate()` is truthy; its value. AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Paged:
    """One page of a list endpoint: its items, its number (from 1), its size, and whether more follow."""

    items: list
    number: int
    size: int
    more: bool


class FakeHelpdesk:
    """The shared part: a Starlette app under uvicorn on port 0, a log of every request, scripted
    faults per operation, and stalled answers."""

    def __init__(self):
        self.requests: list[dict] = []  # {"op", "method", "path", "headers", "json"}
        self._faults: dict[str, deque] = {}
        self._lock = threading.Lock()
        self._stalling: set[str] = set()  # ops whose answers are held (a post: after it is stored)
        self._release = threading.Event()
        self.stalled = threading.Event()  # an answer is being held now
        self._ids = itertools.count(1000)
        self.page_size = 100  # the most a list endpoint gives a page (tests make it small to page)
        self._clock = itertools.count(1)  # an update sequence, for incremental exports
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------ life

    def routes(self) -> list[Route]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeHelpdesk":
        config = uvicorn.Config(Starlette(routes=self.routes()), host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # a thread, not the main one
        self.thread = threading.Thread(target=self.server.run, name=type(self).__name__, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, 10, what=f"{type(self).__name__} to start")
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._release.set()
        if self.server:
            self.server.should_exit = True
        if self.thread:
            self.thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ scripting

    def fault(self, op: str, status: int, *, times: int = 1, retry_after: str | float | None = None,
              body: dict | None = None) -> None:
        """The next `times` calls of `op` ("post", "get") answer `status` instead."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._faults.setdefault(op, deque()).extend([(status, headers, body)] * times)

    def fail_forever(self, op: str, status: int = 503) -> None:
        self.fault(op, status, times=10_000)

    def heal(self) -> None:
        with self._lock:
            self._faults.clear()

    def stall(self, op: str = "post") -> None:
        """Answers to `op` are held until `release()`: a post is stored as usual first, so the
        helpdesk has the note and the caller never hears so; a get is held before it is read."""
        self._release.clear()
        self.stalled.clear()
        self._stalling.add(op)

    def release(self) -> None:
        self._stalling.clear()
        self._release.set()

    def calls(self, op: str) -> list[dict]:
        return [r for r in self.requests if r["op"] == op]

    async def _enter(self, request: Request, op: str) -> tuple[Response | None, object]:
        """Log the request; the scripted fault's answer if one is due (else None), and the body."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append({"op": op, "at": time.monotonic(), "method": request.method, "path": request.url.path,
                              "query": dict(request.query_params), "headers": dict(request.headers), "json": body})
        with self._lock:
            due = self._faults.get(op)
            fault = due.popleft() if due else None
        if fault:
            status, headers, fault_body = fault
            return JSONResponse(fault_body or {"error": f"fake {status}"}, status_code=status, headers=headers), body
        return None, body

    async def _held(self, op: str, response: Response | None = None) -> Response | None:
        """An answer to `op`, held while `op` is stalled."""
        if op in self._stalling:
            self.stalled.set()
            while not self._release.is_set():
                await asyncio.sleep(0.02)
        return response

    def next_id(self) -> int:
        return next(self._ids)

    def per_page(self, request: Request, default: int) -> int:
        return max(1, min(int(request.query_params.get("per_page", default)), self.page_size))

    def page(self, request: Request, items: list, default: int, *, sized: bool = True) -> Paged:
        """Page `?page=N` (from 1) of `items`: `?per_page=` of them (`default` without it; always
        `default` when the API takes no per_page, `sized=False`), never more than page_size."""
        size = self.per_page(request, default) if sized else max(1, min(default, self.page_size))
        number = int(request.query_params.get("page", 1))
        return Paged(items[(number - 1) * size: number * size], number, size, number * size < len(items))


# ---------------------------------------------------------------------- Chatwoot

class FakeChatwoot(FakeHelpdesk):
    """Chatwoot's Application API for messages (api_access_token), and its webhook bodies.

    GET  /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages
         -> {"meta": {...}, "payload": [message, ...]}, the latest 20, oldest first
    POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages
         {"content", "message_type": "outgoing", "private": true} -> the message
    401 {"errors": ["You need to sign in or sign up before continuing."]} without the token;
    404 {"error": "Resource could not be found"} for a conversation that does not exist.
    """

    def __init__(self, *, token: str = "cw-token", account_id: int = 1, inbox_id: int = 3):
        super().__init__()
        self.token, self.account_id, self.inbox_id = token, account_id, inbox_id
        self.conversations: dict[int, list[dict]] = {}

    def routes(self) -> list[Route]:
        path = "/api/v1/accounts/{account_id:int}/conversations/{conversation_id:int}/messages"
        return [Route(path, self._messages, methods=["GET", "POST"]),
                Route("/api/v1/accounts/{account_id:int}/conversations", self._list, methods=["GET"])]

    def conversation_of(self, conversation_id: int) -> dict:
        """A conversation as the list API gives it: id (the display id), inbox_id, status,
        meta {"sender", "channel", "assignee"}, last_activity_at (unix seconds), timestamp."""
        messages = self.conversations[conversation_id]
        last = max(m["created_at"] for m in messages)
        return {"id": conversation_id, "account_id": self.account_id, "inbox_id": self.inbox_id, "status": "open",
                "meta": {"sender": {"id": 14, "name": "王小明", "type": "contact"}, "channel": "Channel::WebWidget",
                         "assignee": {"id": 1, "name": "John", "type": "user"}},
                "messages": messages[-1:], "unread_count": 0, "last_activity_at": last, "timestamp": last,
                "created_at": messages[0]["created_at"]}

    async def _list(self, request: Request) -> Response:
        """GET /api/v1/accounts/{id}/conversations?status=all&page=N: 25 a page, latest activity first."""
        fault, _ = await self._enter(request, "list")
        if request.headers.get("api_access_token") != self.token:
            return JSONResponse({"errors": ["You need to sign in or sign up before continuing."]}, status_code=401)
        if fault is not None:
            return fault
        if request.path_params["account_id"] != self.account_id:
            return JSONResponse({"error": "Resource could not be found"}, status_code=404)
        convs = sorted((self.conversation_of(c) for c in self.conversations if self.conversations[c]),
                       key=lambda c: (c["last_activity_at"], c["id"]), reverse=True)
        return JSONResponse({"data": {"meta": {"mine_count": 0, "unassigned_count": 0, "all_count": len(convs)},
                                      "payload": self.page(request, convs, 25, sized=False).items}})

    def _message(self, conversation_id: int, content: str, message_type: int, *, private: bool = False,
                 sender: dict | None = None) -> dict:
        return {"id": self.next_id(), "content": content, "account_id": self.account_id, "inbox_id": self.inbox_id,
                "conversation_id": conversation_id, "message_type": message_type, "created_at": int(time.time()),
                "updated_at": datetime.now(timezone.utc).isoformat(), "private": private, "status": "sent",
                "source_id": None, "content_type": "text", "content_attributes": {},
                "sender_type": (sender or {}).get("type", "contact").capitalize() if sender else None,
                "sender_id": (sender or {}).get("id"), "external_source_ids": {}, "sender": sender}

    def customer_says(self, conversation_id: int, content: str, *, name: str = "王小明",
                      channel: str = "Channel::WebWidget", account_id: int | None = None) -> dict:
        """A customer's message in a conversation, and the message_created webhook body for it
        (the documented payload: id, content, message_type "incoming", sender of type contact,
        inbox, conversation with its id and channel, account)."""
        sender = {"id": 14, "name": name, "avatar": "", "type": "contact"}
        m = self._message(conversation_id, content, 0, sender=sender)
        self.conversations.setdefault(conversation_id, []).append(m)
        return {
            "event": "message_created", "id": m["id"], "content": content,
            "created_at": datetime.now(timezone.utc).isoformat(), "message_type": "incoming",
            "content_type": "text", "private": False, "content_attributes": {}, "source_id": None,
            "sender": sender, "inbox": {"id": self.inbox_id, "name": "Acme Support"},
            "conversation": {
                "additional_attributes": {"browser": {"browser_name": "Chrome"}, "referer": "http://localhost/"},
                "can_reply": True, "channel": channel, "id": conversation_id, "inbox_id": self.inbox_id,
                "contact_inbox": {"id": 12, "contact_id": 14, "inbox_id": self.inbox_id, "source_id": "405f1d30"},
                "messages": [m], "meta": {"sender": sender | {"email": None, "phone_number": None},
                                          "assignee": {"id": 1, "name": "John", "type": "user"}},
                "status": "open", "unread_count": 1, "timestamp": m["created_at"]},
            "account": {"id": self.account_id if account_id is None else account_id, "name": "Acme Inc"},
        }

    def agent_says(self, conversation_id: int, content: str) -> dict:
        m = self._message(conversation_id, content, 1, sender={"id": 1, "name": "John", "type": "user"})
        self.conversations.setdefault(conversation_id, []).append(m)
        return m

    def event_of(self, message: dict, event: str = "message_created") -> dict:
        """The webhook body Chatwoot sends for a message it stored (an agent's, a note)."""
        kinds = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
        return {"event": event, "id": message["id"], "content": message["content"],
                "message_type": kinds[message["message_type"]], "private": message["private"],
                "sender": message["sender"], "inbox": {"id": self.inbox_id, "name": "Acme Support"},
                "conversation": {"id": message["conversation_id"], "inbox_id": self.inbox_id,
                                 "channel": "Channel::WebWidget"},
                "account": {"id": self.account_id, "name": "Acme Inc"}}

    @staticmethod
    def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict:
        """The headers of a signed Chatwoot webhook: sha256=HMAC(secret, "{timestamp}.{body}")."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-Chatwoot-Signature": f"sha256={digest}",
                "X-Chatwoot-Timestamp": ts, "X-Chatwoot-Delivery": f"delivery-{ts}-{len(body)}"}

    def notes(self, conversation_id: int) -> list[dict]:
        return [m for m in self.conversations.get(conversation_id, []) if m["private"]]

    async def _messages(self, request: Request) -> Response:
        op = "post" if request.method == "POST" else "get"
        fault, body = await self._enter(request, op)
        if request.headers.get("api_access_token") != self.token:
            return JSONResponse({"errors": ["You need to sign in or sign up before continuing."]}, status_code=401)
        if fault is not None:
            return fault
        if request.path_params["account_id"] != self.account_id:
            return JSONResponse({"error": "Resource could not be found"}, status_code=404)
        conversation_id = request.path_params["conversation_id"]
        if conversation_id not in self.conversations:
            return JSONResponse({"error": "Resource could not be found"}, status_code=404)
        messages = self.conversations[conversation_id]
        if op == "get":
            await self._held("get")
            before = request.query_params.get("before")
            older = [m for m in messages if before is None or m["id"] < int(before)]
            return JSONResponse({"meta": {"labels": [], "additional_attributes": {},
                                          "contact": {"id": 14, "name": "王小明"}, "assignee": None},
                                 "payload": older[-min(20, self.page_size):]})
        if not isinstance(body, dict) or not body.get("content"):
            return JSONResponse({"error": "content is missing"}, status_code=422)
        kind = {"outgoing": 1, "incoming": 0}.get(body.get("message_type", "outgoing"), 1)
        m = self._message(conversation_id, body["content"], kind, private=bool(body.get("private")),
                          sender={"id": 7, "name": "tactful bot", "type": "user"})
        messages.append(m)
        return await self._held("post", JSONResponse(m))


# ---------------------------------------------------------------------- Zendesk

class FakeZendesk(FakeHelpdesk):
    """Zendesk's Tickets and Ticket Comments APIs (basic auth `{email}/token:{api_token}`).

    GET /api/v2/tickets/{id}/comments.json[?include=users&sort_order=desc]
        -> {"comments": [...], "users": [...] (with include=users), "next_page": null,
            "previous_page": null, "count": n}; a comment: id, type "Comment", author_id, body,
            html_body, plain_body, public, attachments, audit_id, via {"channel", "source"},
            created_at, metadata
    PUT /api/v2/tickets/{id}.json {"ticket": {"comment": {"html_body"|"body", "public"}}}
        -> {"ticket": {...}, "audit": {"id", "ticket_id", "events": [{"id", "type": "Comment", ...}]}}
    401 {"error": "Couldn't authenticate you"}; 404 {"error": "RecordNotFound", "description": "Not found"}.
    """

    REQUESTER, AGENT, API_USER = 9001, 42, 77

    def __init__(self, *, email: str = "bot@acme.example", token: str = "zd-token"):
        super().__init__()
        self.email, self.token = email, token
        self.tickets: dict[int, list[dict]] = {}
        self.meta: dict[int, dict] = {}  # the ticket objects: id, requester_id, via, status, updated_at
        self.users = {self.REQUESTER: {"id": self.REQUESTER, "name": "王小明", "role": "end-user"},
                      self.AGENT: {"id": self.AGENT, "name": "Li Na", "role": "agent"},
                      self.API_USER: {"id": self.API_USER, "name": "tactful", "role": "agent"}}

    def routes(self) -> list[Route]:
        return [Route("/api/v2/tickets/{ticket_id:int}/comments.json", self._comments, methods=["GET"]),
                Route("/api/v2/tickets/{ticket_id:int}.json", self._update, methods=["PUT"]),
                Route("/api/v2/incremental/tickets/cursor.json", self._incremental, methods=["GET"])]

    def add(self, ticket_id: int, comment: dict) -> dict:
        """Add a comment to a ticket (made when it is new) and mark the ticket updated."""
        self.tickets.setdefault(ticket_id, []).append(comment)
        now = datetime.now(timezone.utc)
        meta = self.meta.setdefault(ticket_id, {
            "id": ticket_id, "url": f"{self.url}/api/v2/tickets/{ticket_id}.json", "subject": "耳机问题",
            "requester_id": self.REQUESTER, "submitter_id": self.REQUESTER, "assignee_id": self.AGENT,
            "status": "open", "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "tags": []})
        meta.update(updated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"), generated_timestamp=int(now.timestamp()),
                    _seq=next(self._clock))
        return comment

    async def _incremental(self, request: Request) -> Response:
        """GET /api/v2/incremental/tickets/cursor.json?start_time=UNIX | ?cursor=C: the tickets
        updated after the cursor, oldest update first; after_cursor, end_of_stream."""
        fault, _ = await self._enter(request, "list")
        if not self._authorized(request):
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        if fault is not None:
            return fault
        q = request.query_params
        if "cursor" in q:
            try:
                after = json.loads(base64.urlsafe_b64decode(q["cursor"].encode()))["seq"]
            except (ValueError, KeyError):
                return JSONResponse({"error": "InvalidPaginationParameter", "description": "bad cursor"},
                                    status_code=400)
            todo = [m for m in self.meta.values() if m["_seq"] > after]
        elif "start_time" in q:
            todo = [m for m in self.meta.values() if m["generated_timestamp"] >= int(q["start_time"])]
            after = 0
        else:
            return JSONResponse({"error": "InvalidPaginationParameter", "description": "start_time or cursor"},
                                status_code=400)
        todo.sort(key=lambda m: m["_seq"])
        page = todo[:self.per_page(request, 1000)]
        last = page[-1]["_seq"] if page else after
        cursor = base64.urlsafe_b64encode(json.dumps({"seq": last}).encode()).decode()
        return JSONResponse({"tickets": [{k: v for k, v in m.items() if k != "_seq"} for m in page],
                             "after_cursor": cursor, "before_cursor": None,
                             "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
                             "end_of_stream": len(page) == len(todo)})

    def _comment(self, author_id: int, html: str, plain: str, public: bool, channel: str = "web") -> dict:
        """`body` as typed; `plain_body` as Zendesk derives it from the HTML (paragraphs apart)."""
        cid = self.next_id()
        return {"id": cid, "type": "Comment", "author_id": author_id, "body": plain, "html_body": html,
                "plain_body": "\n\n".join(line for line in plain.split("\n") if line.strip()), "public": public, "attachments": [], "audit_id": cid + 1,
                "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
                "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "metadata": {"system": {}}}

    def customer_comments(self, ticket_id: int, text: str, *, channel: str = "web") -> dict:
        """A public comment by the requester (its html_body as Zendesk renders one), and the body
        the README's trigger sends for the update."""
        paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n"))
        html = f'<div class="zd-comment" dir="auto">{paragraphs}</div>'
        self.add(ticket_id, self._comment(self.REQUESTER, html, text, True, channel))
        return self.trigger_body(ticket_id, self.REQUESTER)

    def agent_replies(self, ticket_id: int, text: str) -> dict:
        html = f'<div class="zd-comment" dir="auto"><p>{text}</p></div>'
        self.add(ticket_id, self._comment(self.AGENT, html, text, True))
        return self.trigger_body(ticket_id, self.AGENT)

    def trigger_body(self, ticket_id: int, current_user: int) -> dict:
        return {"ticket_id": str(ticket_id), "updated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "requester_id": str(self.REQUESTER), "current_user_id": str(current_user)}

    @staticmethod
    def sign(body: bytes, secret: str, timestamp: str | None = None, invocation: str | None = None) -> dict:
        """The headers of a Zendesk webhook: base64(HMAC-SHA256(secret, timestamp + body))."""
        ts = timestamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = base64.b64encode(hmac.new(secret.encode(), ts.encode() + body, hashlib.sha256).digest()).decode()
        headers = {"Content-Type": "application/json", "X-Zendesk-Webhook-Signature": digest,
                   "X-Zendesk-Webhook-Signature-Timestamp": ts, "X-Zendesk-Webhook-Id": "01HWEBHOOK"}
        if invocation:
            headers["X-Zendesk-Webhook-Invocation-Id"] = invocation
        return headers

    def notes(self, ticket_id: int) -> list[dict]:
        return [c for c in self.tickets.get(ticket_id, []) if not c["public"]]

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    async def _comments(self, request: Request) -> Response:
        fault, _ = await self._enter(request, "get")
        if not self._authorized(request):
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        if fault is not None:
            return fault
        await self._held("get")
        comments = self.tickets.get(request.path_params["ticket_id"])
        if comments is None:
            return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)
        ordered = list(reversed(comments)) if request.query_params.get("sort_order") == "desc" else list(comments)
        page = self.page(request, ordered, 100)
        body = {"comments": page.items, "previous_page": None, "count": len(comments),
                "next_page": f"{self.url}{request.url.path}?page={page.number + 1}&per_page={page.size}"
                if page.more else None}
        if "users" in request.query_params.get("include", ""):
            body["users"] = [self.users[i] for i in sorted({c["author_id"] for c in page.items}) if i in self.users]
        return JSONResponse(body)

    async def _update(self, request: Request) -> Response:
        fault, body = await self._enter(request, "post")
        if not self._authorized(request):
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        if fault is not None:
            return fault
        ticket_id = request.path_params["ticket_id"]
        if ticket_id not in self.tickets:
            return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)
        comment = ((body or {}).get("ticket") or {}).get("comment") if isinstance(body, dict) else None
        if not isinstance(comment, dict) or not (comment.get("html_body") or comment.get("body")):
            return JSONResponse({"error": "RecordInvalid", "description": "Record validation errors",
                                 "details": {"base": [{"description": "Comment: cannot be blank"}]}}, status_code=422)
        html = comment.get("html_body") or f"<p>{comment['body']}</p>"
        plain = comment.get("body") or _strip_tags(html)
        c = self.add(ticket_id, self._comment(self.API_USER, html, plain, bool(comment.get("public", True)),
                                              channel="api"))
        audit = {"id": c["audit_id"], "ticket_id": ticket_id, "created_at": c["created_at"], "author_id": self.API_USER,
                 "events": [{"id": c["id"], "type": "Comment", "author_id": self.API_USER, "body": plain,
                             "html_body": html, "public": c["public"], "attachments": [], "audit_id": c["audit_id"]}]}
        return await self._held("post", JSONResponse({"ticket": {"id": ticket_id, "status": "open",
                                                                "updated_at": c["created_at"]}, "audit": audit}))


def _strip_tags(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", html).strip()


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{line}</p>" for line in text.split("\n"))


def _hub_signature(body: bytes, secret: str) -> str:
    """X-Hub-Signature, as Zammad and Intercom send it: sha1= HMAC-SHA1 of the body."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _iso_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------------- Zammad

class FakeZammad(FakeHelpdesk):
    """Zammad's REST API for ticket articles (`Authorization: Token token=...`) and its webhook.

    GET  /api/v1/ticket_articles/by_ticket/{ticket_id}
         -> [article, ...], oldest first; an article: id, ticket_id, type_id, sender_id, type
            ("email", "web", "note", ...), sender ("Customer", "Agent", "System"), from, to,
            subject, content_type ("text/html"), body, internal, created_by_id, created_by
            (the login), created_at, updated_at, attachments, preferences
    POST /api/v1/ticket_articles {"ticket_id", "body", "content_type", "type", "internal"} -> 201 the article
    401 {"error": "Authentication required"}; 404 {"error": "Couldn't find Ticket with 'id'=N"};
    422 {"error": "Need body"} for an article with no body.

    The webhook body (a trigger's "Webhook" action, default payload): {"ticket": {...}, "article": {...}},
    with X-Hub-Signature (sha1= HMAC-SHA1 of the body with the Signature Token), X-Zammad-Trigger
    and X-Zammad-Delivery.
    """

    CUSTOMER, AGENT, API_USER = 5, 3, 9
    _TYPES = {"email": 1, "phone": 5, "note": 10, "web": 11}
    _SENDERS = {"Agent": 1, "Customer": 2, "System": 3}

    def __init__(self, *, token: str = "zm-token"):
        super().__init__()
        self.token = token
        self.tickets: dict[int, dict] = {}  # id -> {"ticket": {...}, "articles": [...]}
        self.users = {self.CUSTOMER: {"id": self.CUSTOMER, "login": "wang@example.com", "firstname": "王",
                                      "lastname": "小明", "email": "wang@example.com"},
                      self.AGENT: {"id": self.AGENT, "login": "li.na@acme.example", "firstname": "Li",
                                   "lastname": "Na", "email": "li.na@acme.example"},
                      self.API_USER: {"id": self.API_USER, "login": "tactful", "firstname": "tactful",
                                      "lastname": "", "email": "tactful@acme.example"}}

    def routes(self) -> list[Route]:
        return [Route("/api/v1/ticket_articles/by_ticket/{ticket_id:int}", self._by_ticket, methods=["GET"]),
                Route("/api/v1/ticket_articles", self._create, methods=["POST"]),
                Route("/api/v1/tickets/search", self._search, methods=["GET"])]

    async def _search(self, request: Request) -> Response:
        """GET /api/v1/tickets/search?query=updated_at:>=ISO&sort_by=updated_at&order_by=asc&expand=true
        &page=N&per_page=M: with expand=true, the tickets themselves."""
        fault, _ = await self._enter(request, "list")
        if not self._authorized(request):
            return JSONResponse({"error": "Authentication required"}, status_code=401)
        if fault is not None:
            return fault
        query = request.query_params.get("query", "")
        since = query.split("updated_at:>=", 1)[1] if "updated_at:>=" in query else "1970-01-01T00:00:00Z"
        start = datetime.fromisoformat(since.replace("Z", "+00:00"))
        found = sorted((t["ticket"] for t in self.tickets.values()
                        if datetime.fromisoformat(t["ticket"]["updated_at"].replace("Z", "+00:00")) >= start),
                       key=lambda t: (t["updated_at"], t["id"]))
        return JSONResponse(self.page(request, found, 50).items)

    def _ticket(self, ticket_id: int) -> dict:
        if ticket_id not in self.tickets:
            now = _iso_now()
            self.tickets[ticket_id] = {"ticket": {
                "id": ticket_id, "number": str(31000 + ticket_id), "title": "耳机问题", "group_id": 1,
                "group": "Users", "state": "open", "priority": "2 normal", "customer_id": self.CUSTOMER,
                "owner_id": 1, "create_article_type_id": 11, "created_at": now, "updated_at": now,
                "customer": self.users[self.CUSTOMER]}, "articles": []}
        return self.tickets[ticket_id]

    def _article(self, ticket_id: int, body: str, sender: str, atype: str, *, internal: bool = False,
                 by: int | None = None) -> dict:
        by = by or (self.CUSTOMER if sender == "Customer" else self.AGENT)
        user = self.users[by]
        now = _iso_now()
        article = {"id": self.next_id(), "ticket_id": ticket_id, "type_id": self._TYPES[atype],
                   "sender_id": self._SENDERS[sender], "type": atype, "sender": sender,
                   "from": f"{user['firstname']} {user['lastname']}".strip() + f" <{user['email']}>",
                   "to": "support@acme.example", "subject": "耳机问题", "reply_to": None, "message_id": None,
                   "content_type": "text/html", "body": body, "internal": internal, "preferences": {},
                   "created_by_id": by, "updated_by_id": by, "origin_by_id": None, "created_by": user["login"],
                   "updated_by": user["login"], "created_at": now, "updated_at": now, "attachments": []}
        t = self._ticket(ticket_id)
        t["articles"].append(article)
        t["ticket"]["updated_at"] = now
        return article

    def customer_writes(self, ticket_id: int, text: str, *, atype: str = "web") -> dict:
        """A customer's article (HTML, as the web form and email store it) and the webhook body for it."""
        return self.event_of(self._article(ticket_id, f"<div>{_paragraphs(text)}</div>", "Customer", atype))

    def agent_writes(self, ticket_id: int, text: str, *, internal: bool = False) -> dict:
        return self.event_of(self._article(ticket_id, f"<div>{text}</div>", "Agent", "note" if internal else "email",
                                           internal=internal))

    def event_of(self, article: dict) -> dict:
        ticket = dict(self.tickets[article["ticket_id"]]["ticket"])
        return {"ticket": ticket, "article": dict(article)}

    @staticmethod
    def sign(body: bytes, secret: str, delivery: str | None = None) -> dict:
        return {"Content-Type": "application/json", "User-Agent": "Zammad User Agent",
                "X-Zammad-Trigger": "tactful drafts", "X-Zammad-Delivery": delivery or f"d-{len(body)}-{time.time()}",
                "X-Hub-Signature": _hub_signature(body, secret)}

    def notes(self, ticket_id: int) -> list[dict]:
        return [a for a in self.tickets.get(ticket_id, {}).get("articles", []) if a["internal"]]

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Token token={self.token}"

    async def _by_ticket(self, request: Request) -> Response:
        fault, _ = await self._enter(request, "get")
        if not self._authorized(request):
            return JSONResponse({"error": "Authentication required"}, status_code=401)
        if fault is not None:
            return fault
        await self._held("get")
        ticket_id = request.path_params["ticket_id"]
        if ticket_id not in self.tickets:
            return JSONResponse({"error": f"Couldn't find Ticket with 'id'={ticket_id}"}, status_code=404)
        return JSONResponse(self.tickets[ticket_id]["articles"])

    async def _create(self, request: Request) -> Response:
        fault, body = await self._enter(request, "post")
        if not self._authorized(request):
            return JSONResponse({"error": "Authentication required"}, status_code=401)
        if fault is not None:
            return fault
        body = body if isinstance(body, dict) else {}
        ticket_id = body.get("ticket_id")
        if ticket_id not in self.tickets:
            return JSONResponse({"error": f"Couldn't find Ticket with 'id'={ticket_id}"}, status_code=404)
        if not body.get("body"):
            return JSONResponse({"error": "Need body"}, status_code=422)
        article = self._article(ticket_id, body["body"], "Agent", body.get("type", "note"),
                                internal=bool(body.get("internal")), by=self.API_USER)
        article["content_type"] = body.get("content_type", "text/plain")
        return await self._held("post", JSONResponse(article, status_code=201))


# ---------------------------------------------------------------------- Freshdesk

class FakeFreshdesk(FakeHelpdesk):
    """Freshdesk's API v2 for tickets, conversations and notes (basic auth `{api_key}:X`).

    GET  /api/v2/tickets/{id}[?include=requester]
         -> the ticket: id, subject, description (HTML), description_text, requester_id,
            responder_id, source (1 email, 2 portal, 7 chat...), status, priority, created_at,
            updated_at, and with include=requester "requester": {"id", "name", "email", ...}
    GET  /api/v2/tickets/{id}/conversations[?per_page=N&page=P]
         -> [conversation, ...], oldest first, 30 a page unless per_page (at most 100), with a
            Link: <...&page=P+1>; rel="next" header while there are more; a conversation: id,
            ticket_id, user_id, body (HTML), body_text, incoming, private, source, from_email,
            to_emails, support_email, created_at, updated_at, attachments
    POST /api/v2/tickets/{id}/notes {"body": html, "private": true} -> 201 the note
    401 {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."};
    404 {"code": "not_found"... }: an empty body for an unknown ticket, as Freshdesk answers.

    The webhook body is the one tactful's rule defines (service/connectors/freshdesk.py); the
    rule sends the account's secret in the X-Tactful-Secret header.
    """

    REQUESTER, AGENT, API_USER = 8001, 43, 78

    def __init__(self, *, api_key: str = "fd-key"):
        super().__init__()
        self.api_key = api_key
        self.tickets: dict[int, dict] = {}
        self.conversations: dict[int, list[dict]] = {}

    def routes(self) -> list[Route]:
        return [Route("/api/v2/tickets", self._tickets, methods=["GET"]),
                Route("/api/v2/tickets/{ticket_id:int}", self._show, methods=["GET"]),
                Route("/api/v2/tickets/{ticket_id:int}/conversations", self._list, methods=["GET"]),
                Route("/api/v2/tickets/{ticket_id:int}/notes", self._note, methods=["POST"])]

    def customer_creates(self, ticket_id: int, text: str, *, source: int = 2) -> dict:
        """A new ticket from the portal (its description) and the rule's webhook body."""
        now = _iso_now()
        html = f"<div>{_paragraphs(text)}</div>"
        self.tickets[ticket_id] = {
            "id": ticket_id, "subject": "耳机问题", "description": html, "description_text": text,
            "requester_id": self.REQUESTER, "responder_id": None, "source": source, "status": 2, "priority": 1,
            "type": None, "group_id": None, "created_at": now, "updated_at": now, "due_by": now, "tags": []}
        self.conversations[ticket_id] = []
        return self.webhook_body(ticket_id, "")

    def _conversation(self, ticket_id: int, html: str, text: str, *, user: int, incoming: bool,
                      private: bool = False) -> dict:
        now = _iso_now()
        c = {"id": self.next_id(), "ticket_id": ticket_id, "user_id": user, "body": html, "body_text": text,
             "incoming": incoming, "private": private, "source": 2 if private else 0,
             "from_email": None if private else ("wang@example.com" if incoming else "support@acme.example"),
             "to_emails": [], "cc_emails": [], "support_email": None, "created_at": now, "updated_at": now,
             "attachments": []}
        self.conversations[ticket_id].append(c)
        self.tickets[ticket_id]["updated_at"] = now
        return c

    def customer_replies(self, ticket_id: int, text: str) -> dict:
        html = f"<div>{_paragraphs(text)}</div>"
        self._conversation(ticket_id, html, text, user=self.REQUESTER, incoming=True)
        return self.webhook_body(ticket_id, html)

    def agent_replies(self, ticket_id: int, text: str, *, private: bool = False) -> dict:
        return self._conversation(ticket_id, f"<div>{text}</div>", text, user=self.AGENT, incoming=False,
                                  private=private)

    @staticmethod
    def webhook_body(ticket_id: int, latest: str) -> dict:
        return {"ticket_id": str(ticket_id), "latest_public_comment": latest}

    @staticmethod
    def sign(body: bytes, secret: str) -> dict:
        """What the rule's webhook action sends: JSON, and the secret as a custom header."""
        return {"Content-Type": "application/json", "X-Tactful-Secret": secret}

    def notes(self, ticket_id: int) -> list[dict]:
        return [c for c in self.conversations.get(ticket_id, []) if c["private"]]

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.api_key}:X".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _refused(self) -> Response:
        return JSONResponse({"code": "invalid_credentials",
                             "message": "You have to be logged in to perform this action."}, status_code=401)

    async def _show(self, request: Request) -> Response:
        fault, _ = await self._enter(request, "get")
        if not self._authorized(request):
            return self._refused()
        if fault is not None:
            return fault
        await self._held("get")
        ticket = self.tickets.get(request.path_params["ticket_id"])
        if ticket is None:
            return Response(status_code=404)
        out = dict(ticket)
        if "requester" in request.query_params.get("include", ""):
            out["requester"] = {"id": self.REQUESTER, "name": "王小明", "email": "wang@example.com", "mobile": None,
                                "phone": None}
        return JSONResponse(out)

    async def _tickets(self, request: Request) -> Response:
        """GET /api/v2/tickets?updated_since=ISO&order_by=updated_at&order_type=asc&include=description
        &per_page=N&page=P: updated at or after updated_since; the description only when included."""
        fault, _ = await self._enter(request, "list")
        if not self._authorized(request):
            return self._refused()
        if fault is not None:
            return fault
        since = datetime.fromisoformat(request.query_params.get("updated_since", "1970-01-01T00:00:00Z")
                                       .replace("Z", "+00:00"))
        include = request.query_params.get("include", "")
        found = sorted((t for t in self.tickets.values()
                        if datetime.fromisoformat(t["updated_at"].replace("Z", "+00:00")) >= since),
                       key=lambda t: (t["updated_at"], t["id"]))
        out = []
        for t in self.page(request, found, 30).items:
            t = dict(t)
            if "description" not in include:
                t.pop("description", None), t.pop("description_text", None)
            if "requester" in include:
                t["requester"] = {"id": self.REQUESTER, "name": "王小明", "email": "wang@example.com"}
            out.append(t)
        return JSONResponse(out)

    async def _list(self, request: Request) -> Response:
        fault, _ = await self._enter(request, "get")
        if not self._authorized(request):
            return self._refused()
        if fault is not None:
            return fault
        ticket_id = request.path_params["ticket_id"]
        if ticket_id not in self.tickets:
            return Response(status_code=404)
        page = self.page(request, self.conversations[ticket_id], 30)
        headers = {}
        if page.more:
            headers["Link"] = (f'<{self.url}/api/v2/tickets/{ticket_id}/conversations?per_page={page.size}'
                               f'&page={page.number + 1}>; rel="next"')
        return JSONResponse(page.items, headers=headers)

    async def _note(self, request: Request) -> Response:
        fault, body = await self._enter(request, "post")
        if not self._authorized(request):
            return self._refused()
        if fault is not None:
            return fault
        ticket_id = request.path_params["ticket_id"]
        if ticket_id not in self.tickets:
            return Response(status_code=404)
        if not isinstance(body, dict) or not body.get("body"):
            return JSONResponse({"description": "Validation failed", "errors": [
                {"field": "body", "message": "It should not be blank", "code": "missing_field"}]}, status_code=400)
        c = self._conversation(ticket_id, body["body"], _strip_tags(body["body"]), user=self.API_USER,
                               incoming=False, private=body.get("private", True) is not False)
        return await self._held("post", JSONResponse(c, status_code=201))


# ---------------------------------------------------------------------- Intercom

class FakeIntercom(FakeHelpdesk):
    """Intercom's Conversations API (`Authorization: Bearer`, `Intercom-Version`) and its webhooks.

    GET  /conversations/{id}
         -> {"type": "conversation", "id", "created_at", "updated_at", "state", "source": {"type",
            "id", "delivered_as", "body" (HTML), "author": {"type", "id", "name", "email"}},
            "contacts": {...}, "conversation_parts": {"type": "conversation_part.list",
            "conversation_parts": [{"type": "conversation_part", "id", "part_type" (comment, note,
            assignment, close, open...), "body" (HTML or null), "created_at", "updated_at",
            "author": {"type": user|admin|bot|team, "id", "name"}}], "total_count"}}
    POST /conversations/{id}/reply {"message_type": "note", "type": "admin", "admin_id", "body"}
         -> the conversation, the new part last
    401 {"type": "error.list", "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}]};
    404 {"type": "error.list", "errors": [{"code": "not_found", "message": "Resource Not Found"}]}.

    The webhook body: a notification_event whose data.item is the conversation, with only the
    new parts for conversation.user.replied; X-Hub-Signature, sha1= HMAC-SHA1 of the body with
    the app's client secret.
    """

    APP_ID, ADMIN, USER = "ecahpwf5", "814860", "6523d4b5a1e2b3c4d5e6f701"

    def __init__(self, *, token: str = "ic-token"):
        super().__init__()
        self.token = token
        self.conversations: dict[str, dict] = {}

    def routes(self) -> list[Route]:
        return [Route("/conversations/search", self._search, methods=["POST"]),
                Route("/conversations/{conversation_id}", self._show, methods=["GET"]),
                Route("/conversations/{conversation_id}/reply", self._reply, methods=["POST"])]

    async def _search(self, request: Request) -> Response:
        """POST /conversations/search {"query": {"field": "updated_at", "operator": ">", "value"},
        "sort": {"field": "updated_at", "order": "ascending"}, "pagination": {"per_page", "starting_after"}}
        -> {"type": "conversation.list", "conversations": [...] (without their parts), "total_count",
        "pages": {"type": "pages", "page", "per_page", "total_pages", "next": {"page", "starting_after"}}}."""
        fault, body = await self._enter(request, "list")
        if (refused := self._refused(request)) is not None:
            return refused
        if fault is not None:
            return fault
        body = body if isinstance(body, dict) else {}
        query = body.get("query") or {}
        if query.get("field") != "updated_at" or query.get("operator") != ">":
            return JSONResponse({"type": "error.list", "errors": [{"code": "parameter_invalid",
                                                                   "message": "unsupported query"}]}, status_code=400)
        found = sorted((c for c in self.conversations.values() if c["updated_at"] > int(query["value"])),
                       key=lambda c: (c["updated_at"], c["id"]))
        pagination = body.get("pagination") or {}
        size = max(1, min(int(pagination.get("per_page", 20)), self.page_size))
        start = int(base64.urlsafe_b64decode(pagination["starting_after"]).decode()) if pagination.get(
            "starting_after") else 0
        chunk = found[start:start + size]
        pages = {"type": "pages", "page": start // size + 1, "per_page": size,
                 "total_pages": max(1, -(-len(found) // size))}
        if start + size < len(found):
            pages["next"] = {"page": pages["page"] + 1,
                             "starting_after": base64.urlsafe_b64encode(str(start + size).encode()).decode()}
        listed = [{k: v for k, v in c.items() if k != "conversation_parts"} for c in chunk]
        return JSONResponse({"type": "conversation.list", "conversations": listed, "total_count": len(found),
                             "pages": pages})

    def _user(self) -> dict:
        return {"type": "user", "id": self.USER, "name": "王小明", "email": "wang@example.com"}

    def _part(self, conv: dict, part_type: str, body: str | None, author: dict) -> dict:
        now = int(time.time())
        part = {"type": "conversation_part", "id": str(self.next_id() + 9_000_000), "part_type": part_type,
                "body": body, "created_at": now, "updated_at": now, "notified_at": now, "assigned_to": None,
                "author": author, "attachments": [], "external_id": None, "redacted": False}
        conv["conversation_parts"]["conversation_parts"].append(part)
        conv["conversation_parts"]["total_count"] += 1
        conv["updated_at"] = now
        return part

    def user_starts(self, conversation_id: str, text: str) -> dict:
        """A new conversation from the Messenger, and the conversation.user.created notification."""
        now = int(time.time())
        conv = {"type": "conversation", "id": conversation_id, "created_at": now, "updated_at": now,
                "waiting_since": now, "state": "open", "open": True, "read": False, "priority": "not_priority",
                "admin_assignee_id": None, "team_assignee_id": None, "title": None,
                "source": {"type": "conversation", "id": str(self.next_id() + 400_000_000),
                           "delivered_as": "customer_initiated", "subject": "", "body": _paragraphs(text),
                           "author": self._user(), "attachments": [], "url": None, "redacted": False},
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": self.USER}]},
                "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [], "total_count": 0}}
        self.conversations[conversation_id] = conv
        return self.notification("conversation.user.created", conv, [])

    def user_replies(self, conversation_id: str, text: str) -> dict:
        conv = self.conversations[conversation_id]
        part = self._part(conv, "comment", _paragraphs(text), self._user())
        return self.notification("conversation.user.replied", conv, [part])

    def admin_replies(self, conversation_id: str, text: str, *, note: bool = False) -> dict:
        return self._part(self.conversations[conversation_id], "note" if note else "comment", f"<p>{text}</p>",
                          {"type": "admin", "id": self.ADMIN, "name": "Li Na", "email": "li.na@acme.example"})

    def bot_replies(self, conversation_id: str, text: str) -> dict:
        return self._part(self.conversations[conversation_id], "comment", f"<p>{text}</p>",
                          {"type": "bot", "id": "1", "name": "Fin"})

    def notification(self, topic: str, conv: dict, parts: list[dict], app_id: str | None = None) -> dict:
        item = {k: v for k, v in conv.items() if k != "conversation_parts"}
        item["conversation_parts"] = {"type": "conversation_part.list", "conversation_parts": list(parts),
                                      "total_count": len(parts)}
        now = int(time.time())
        return {"type": "notification_event", "app_id": app_id or self.APP_ID,
                "data": {"type": "notification_event_data", "item": item}, "links": {},
                "id": f"notif_{self.next_id()}", "topic": topic, "delivery_status": "pending",
                "delivery_attempts": 1, "delivered_at": 0, "first_sent_at": now, "created_at": now, "self": None}

    @staticmethod
    def sign(body: bytes, secret: str) -> dict:
        return {"Content-Type": "application/json", "User-Agent": "Intercom-Webhooks/1.0",
                "X-Hub-Signature": _hub_signature(body, secret)}

    def notes(self, conversation_id: str) -> list[dict]:
        conv = self.conversations.get(conversation_id)
        return [p for p in conv["conversation_parts"]["conversation_parts"] if p["part_type"] == "note"] if conv else []

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"type": "error.list", "request_id": "req-1", "errors": [
                {"code": "unauthorized", "message": "Access Token Invalid"}]}, status_code=401)
        return None

    def _missing(self) -> Response:
        return JSONResponse({"type": "error.list", "request_id": "req-2", "errors": [
            {"code": "not_found", "message": "Resource Not Found"}]}, status_code=404)

    async def _show(self, request: Request) -> Response:
        fault, _ = await self._enter(request, "get")
        if (refused := self._refused(request)) is not None:
            return refused
        if fault is not None:
            return fault
        await self._held("get")
        conv = self.conversations.get(request.path_params["conversation_id"])
        return self._missing() if conv is None else JSONResponse(conv)

    async def _reply(self, request: Request) -> Response:
        fault, body = await self._enter(request, "post")
        if (refused := self._refused(request)) is not None:
            return refused
        if fault is not None:
            return fault
        conv = self.conversations.get(request.path_params["conversation_id"])
        if conv is None:
            return self._missing()
        body = body if isinstance(body, dict) else {}
        if body.get("type") != "admin" or not body.get("admin_id") or not body.get("body"):
            return JSONResponse({"type": "error.list", "errors": [
                {"code": "parameter_invalid", "message": "admin_id, type and body are required"}]}, status_code=400)
        part_type = "note" if body.get("message_type") == "note" else "comment"
        self._part(conv, part_type, body["body"], {"type": "admin", "id": str(body["admin_id"]), "name": "tactful"})
        return await self._held("post", JSONResponse(conv))


# ---------------------------------------------------------------------- every connector's side

class Desk:
    """One helpdesk as a test that runs for every registered connector needs it: its fake, its
    account, a customer who opens a conversation, more messages that bury what came before,
    and the notes in a conversation. DESKS holds one per connector of the registry
    (service/connectors/__init__.py): a connector without one fails those tests."""

    name: str
    account: str
    pages = True  # whether its API gives a conversation's messages a page at a time (Zammad, Intercom: whole)

    def __init__(self):
        self.fake = self.make_fake()

    def make_fake(self) -> FakeHelpdesk:
        raise NotImplementedError

    def add(self, db, **options) -> None:
        """The account, as `tactful connector add` makes it, pointed at the fake."""
        from service.connectors import accounts

        accounts.add_account(db, self.name, self.account, base_url=self.fake.url, secret=SECRET,
                             **self.credentials() | options)

    def credentials(self) -> dict:
        raise NotImplementedError

    def opens(self, conversation: int, text: str) -> dict:
        """A customer's first message in a new conversation, and the webhook body for it."""
        raise NotImplementedError

    def says(self, conversation: int, text: str) -> dict:
        """The customer's next message in the conversation, and the webhook body for it."""
        raise NotImplementedError

    def bury(self, conversation: int, n: int) -> None:
        """`n` more messages (an agent's replies) after everything in the conversation."""
        raise NotImplementedError

    def notes(self, conversation: int) -> list[dict]:
        return self.fake.notes(conversation)


class ChatwootDesk(Desk):
    name, account = "chatwoot", "1"

    def make_fake(self):
        return FakeChatwoot()

    def credentials(self):
        return {"token": self.fake.token}

    def opens(self, conversation, text):
        return self.fake.customer_says(conversation, text)

    def says(self, conversation, text):
        return self.fake.customer_says(conversation, text)

    def bury(self, conversation, n):
        for i in range(n):
            self.fake.agent_says(conversation, f"跟进 {i}")


class ZendeskDesk(Desk):
    name, account = "zendesk", "acme"

    def make_fake(self):
        return FakeZendesk()

    def credentials(self):
        return {"token": self.fake.token, "email": self.fake.email}

    def opens(self, conversation, text):
        return self.fake.customer_comments(conversation, text)

    def says(self, conversation, text):
        return self.fake.customer_comments(conversation, text)

    def bury(self, conversation, n):
        for i in range(n):
            self.fake.agent_replies(conversation, f"跟进 {i}")


class ZammadDesk(Desk):
    name, account = "zammad", "acme"
    pages = False  # GET /api/v1/ticket_articles/by_ticket/{id}: every article

    def make_fake(self):
        return FakeZammad()

    def credentials(self):
        return {"token": self.fake.token}

    def opens(self, conversation, text):
        return self.fake.customer_writes(conversation, text)

    def says(self, conversation, text):
        return self.fake.customer_writes(conversation, text)

    def bury(self, conversation, n):
        for i in range(n):
            self.fake.agent_writes(conversation, f"跟进 {i}")


class FreshdeskDesk(Desk):
    name, account = "freshdesk", "acme"

    def make_fake(self):
        return FakeFreshdesk()

    def credentials(self):
        return {"token": self.fake.api_key}

    def opens(self, conversation, text):
        return self.fake.customer_creates(conversation, text)

    def says(self, conversation, text):
        return self.fake.customer_replies(conversation, text)

    def bury(self, conversation, n):
        for i in range(n):
            self.fake.agent_replies(conversation, f"跟进 {i}")


class IntercomDesk(Desk):
    name, account = "intercom", FakeIntercom.APP_ID
    pages = False  # GET /conversations/{id}: the conversation with its parts

    def make_fake(self):
        return FakeIntercom()

    def credentials(self):
        return {"token": self.fake.token, "admin_id": FakeIntercom.ADMIN}

    def opens(self, conversation, text):
        return self.fake.user_starts(str(conversation), text)

    def says(self, conversation, text):
        return self.fake.user_replies(str(conversation), text)

    def bury(self, conversation, n):
        for i in range(n):
            self.fake.admin_replies(str(conversation), f"跟进 {i}")

    def notes(self, conversation):
        return self.fake.notes(str(conversation))


DESKS: dict[str, type[Desk]] = {d.name: d for d in (ChatwootDesk, ZendeskDesk, ZammadDesk, FreshdeskDesk, IntercomDesk)}


def desk_for(name: str) -> Desk:
    """The Desk of a registered connector; a connector with none fails the test that asked."""
    if name not in DESKS:
        raise AssertionError(f"connector {name!r} has no fake helpdesk: add a Desk for it to tests/helpdesks.py")
    return DESKS[name]()
