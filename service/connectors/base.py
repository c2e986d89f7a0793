"""The one interface every helpdesk connector implements, and what the connectors share.

    connector = get_connector("chatwoot")                    # the registry (__init__.py)
    connector.verify(headers, body, account, query)          # Unauthorized unless the helpdesk sent it
    inbound = connector.parse(event, account, headers)       # [Inbound]; [] for an event to ignore
    thread = await connector.fetch_thread(http, account, conversation_id)     # [Message], oldest first
    remote = await connector.find_note(http, account, conversation_id, marker)  # an earlier post of this note?
    remote = await connector.post_note(http, account, conversation_id, note)    # the private note, posted

A connector is stateless: one instance per helpdesk serves every account of that helpdesk.
Everything in an event body is data from outside: ids are checked for their shape before they
go into a URL, a link is never taken from an event (the ticket URL is built from the account's
configured base URL), and a shape a connector does not expect is an InputError naming the
field, never a crash. What the helpdesk's API answers is classified into the error tree: a
call worth retrying (429, 5xx, a timeout, a refused connection) is HelpdeskUnavailable with the
Retry-After it asked for, anything else HelpdeskError.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, ClassVar, Mapping

import httpx

from ..errors import HelpdeskError, HelpdeskUnavailable, InputError, Unauthorized
from ..privacy.masking import mask

__all__ = ["Account", "Inbound", "Message", "Note", "Connector", "SIGNATURE_TOLERANCE_S", "SECRET_HEADER",
           "hmac_digest", "same", "check_timed_signature", "check_hub_signature", "retry_after", "digits",
           "text_of", "thread_of", "ROLES"]

# A signed webhook older (or newer) than this is refused: a captured request cannot be replayed later.
SIGNATURE_TOLERANCE_S = 300
# Where a helpdesk that cannot sign its webhooks sends the account's secret (or ?secret= in the URL).
SECRET_HEADER = "x-tactful-secret"
ROLES = ("customer", "agent", "note", "bot", "system")


@dataclass(frozen=True)
class Account:
    """One helpdesk account tactful answers for (`tactful connector add`). `account` is the
    helpdesk's own name or id for it (Chatwoot's account id, Zendesk's subdomain), the last part
    of the webhook URL. The token and secret never appear in a repr, a log or an API answer."""

    connector: str
    account: str
    base_url: str
    token: str = field(repr=False)
    secret: str = field(repr=False)
    email: str | None = None
    inboxes: tuple[str, ...] = ()  # only these inboxes (Chatwoot); empty: all
    owner: str | None = None  # the API key whose drafts and deliveries these are
    admin_id: str | None = None  # the helpdesk's id of the agent notes are written as (Intercom)

    @property
    def key(self) -> str:
        return f"{self.connector}/{self.account}"


@dataclass(frozen=True)
class Inbound:
    """One customer message an event brought. `delivery_key` is the helpdesk's own id of the
    delivery or message, unique per account: the same key again is a redelivery, ignored.
    `text` is None when the event does not carry it (the worker fetches the thread)."""

    delivery_key: str
    conversation_id: str
    message_id: str | None = None
    text: str | None = None
    customer_name: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Message:
    """One message of a conversation as the helpdesk's API gives it, oldest first. `role`: one of
    ROLES; a note (private or internal) never goes to the drafter."""

    id: str
    role: str
    text: str
    author: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Note:
    """The private note, in the draft's language: built by note.py from the stored (masked)
    draft, rendered by each connector as its helpdesk shows notes (markdown, HTML)."""

    lang: str
    title: str
    text: str
    facts: tuple[tuple[str, str], ...]  # (label, value): the triage
    verdict: str
    findings: tuple[str, ...]
    footer: str  # the last line, before the marker
    marker: str  # letters, digits and dashes: every rendering ends with it as is; find_note looks for it

    def to_dict(self) -> dict:
        return {"lang": self.lang, "title": self.title, "text": self.text, "facts": [list(f) for f in self.facts],
                "verdict": self.verdict, "findings": list(self.findings), "footer": self.footer,
                "marker": self.marker}

    @classmethod
    def from_dict(cls, d: dict) -> "Note":
        return cls(d["lang"], d["title"], d["text"], tuple(tuple(f) for f in d["facts"]), d["verdict"],
                   tuple(d["findings"]), d["footer"], d["marker"])


_DIGITS = re.compile(r"^[0-9]{1,20}$")


def digits(value: Any, field: str) -> str:
    """An id that goes into a helpdesk URL: 1-20 ASCII digits (given as a number or as text)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(f"{field} must be a number, not {type(value).__name__}", field=field)
    text = str(value).strip()
    if not _DIGITS.match(text):
        raise InputError(f"{field} must be a number of up to 20 digits", field=field)
    return text


def text_of(value: Any) -> str | None:
    """A message body as plain text (HTML stripped, lines trimmed); None when there is none."""
    from ..batch.helpdesk.common import Bad, body_text

    try:
        return body_text(value, html=None)
    except Bad:
        return None


def thread_of(records: list, names: Mapping[str, str] | None = None) -> list[Message]:
    """The Messages of one conversation as its helpdesk's batch reader (service/batch/helpdesk)
    reads it: the same roles for a live draft as for a QA import of the same conversation.
    `records` are that reader's Records, in time order; a message it cannot read, or one with
    no id, is left out. `names`: message id -> the author's name, for the customer's messages
    (the readers name agents only)."""
    out = []
    for r in records:
        data = r.data or {}
        if r.error or not data.get("text") or data.get("id") is None:
            continue
        mid = str(data["id"])
        author = data.get("agent") if data.get("role") == "agent" else (names or {}).get(mid)
        out.append(Message(id=mid, role=data["role"], text=data["text"], author=author,
                           channel=_draft_channel(data.get("channel"))))
    return out


def _draft_channel(channel: str | None) -> str | None:
    """A batch channel as a DraftRequest channel (a web form is answered like an email)."""
    return "email" if channel == "web" else channel


def hmac_digest(secret: str, message: bytes, algorithm: str = "sha256", *, encoding: str = "hex") -> str:
    mac = hmac.new(secret.encode("utf-8"), message, getattr(hashlib, algorithm))
    return base64.b64encode(mac.digest()).decode("ascii") if encoding == "base64" else mac.hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two secrets or signatures (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _seconds(value: str) -> float | None:
    """A webhook timestamp as unix seconds: unix seconds or milliseconds, or ISO 8601."""
    value = value.strip()
    try:
        number = float(value)
        return number / 1000 if number > 1e11 else number
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def fresh(timestamp: str | None, now: float | None = None) -> bool:
    """Whether a signed webhook's timestamp is within SIGNATURE_TOLERANCE_S of now."""
    seconds = _seconds(timestamp) if timestamp else None
    return seconds is not None and abs((now or time.time()) - seconds) <= SIGNATURE_TOLERANCE_S


def check_timed_signature(signature: str, timestamp: str | None, expected: Callable[[str], str], *,
                          stale: str, wrong: str) -> None:
    """A webhook signed over a time and its body (Chatwoot, Zendesk): Unauthorized (`stale`)
    unless the timestamp is within SIGNATURE_TOLERANCE_S of now, and (`wrong`) unless the
    signature is `expected(timestamp)`, the helpdesk's HMAC computed with the account's secret."""
    if not fresh(timestamp):
        raise Unauthorized(stale)
    if not same(signature.strip(), expected(timestamp.strip())):
        raise Unauthorized(wrong)


def check_hub_signature(signature: str, body: bytes, secret: str, *, wrong: str) -> None:
    """`X-Hub-Signature: sha1=<hex>`, the HMAC-SHA1 of the raw body (Zammad, Intercom): they sign
    no time. Unauthorized (`wrong`) unless it is that of `secret`."""
    if not same(signature.strip(), "sha1=" + hmac_digest(secret, body, "sha1")):
        raise Unauthorized(wrong)


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a Retry-After header asks for (a number, or an HTTP date); None without one."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())


class Connector:
    """One helpdesk. Subclasses set the class attributes and implement parse, fetch_thread,
    find_note, post_note and (when the helpdesk signs its webhooks) verify."""

    name: ClassVar[str]  # the registry's name and the URL's: /v1/connectors/{name}/{account}/events
    title: ClassVar[str]  # as people write it
    default_channel: ClassVar[str] = "chat"  # a DraftRequest channel, when the helpdesk does not say
    # statuses besides 429 and 5xx that mean "try again" for this helpdesk (Zendesk: 409, a
    # concurrent update of the ticket)
    retry_statuses: ClassVar[frozenset[int]] = frozenset()
    needs_email: ClassVar[bool] = False  # whether the API credentials include an email

    # ------------------------------------------------------------------ configuration

    def check_account(self, account: Account) -> None:
        """Refuse (InputError) an account this helpdesk cannot use as configured."""
        if self.needs_email and not account.email:
            raise InputError(f"{self.title} needs the email of the API user (--email)", field="email")

    def default_base_url(self, account: str) -> str | None:
        return None

    def ticket_url(self, account: Account, conversation_id: str) -> str:
        """Where an agent opens the conversation: built from the configured base URL only."""
        raise NotImplementedError

    # ------------------------------------------------------------------ webhooks in

    def verify(self, headers: Mapping[str, str], body: bytes, account: Account,
               query: Mapping[str, str]) -> None:
        """Raise Unauthorized unless the request carries the account's secret. The default, for
        helpdesks that do not sign: the secret itself, in the X-Tactful-Secret header or the
        `secret` query parameter."""
        presented = headers.get(SECRET_HEADER) or query.get("secret")
        if not same(presented, account.secret):
            raise Unauthorized(f"the webhook does not carry the secret of {account.key} "
                               f"(the {SECRET_HEADER} header or ?secret=)")

    def parse(self, event: Any, account: Account, headers: Mapping[str, str]) -> list[Inbound]:
        """The customer messages an event (the webhook's parsed JSON) brings; [] for an event
        that asks for no draft (an agent's message, a note, another event type). InputError
        for an event of the right kind whose shape is wrong."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the helpdesk's API

    async def fetch_thread(self, http: httpx.AsyncClient, account: Account, conversation_id: str) -> list[Message]:
        raise NotImplementedError

    async def find_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str,
                        marker: str) -> str | None:
        """The id of a note already in the conversation that carries `marker`, else None."""
        raise NotImplementedError

    async def post_note(self, http: httpx.AsyncClient, account: Account, conversation_id: str, note: Note) -> str | None:
        """Post `note` as a private note; the helpdesk's id of it (None when it does not say)."""
        raise NotImplementedError

    def auth(self, account: Account) -> dict:
        """httpx arguments that authenticate a call: headers, or basic auth."""
        return {}

    async def call(self, http: httpx.AsyncClient, account: Account, method: str, path: str, *,
                   json: Any = None, params: dict | None = None) -> Any:
        """One call to the helpdesk's API: its JSON answer, or an error of the error tree."""
        return _json(await self._send(http, account, method, path, json=json, params=params),
                     f"{self.title} {method} {path.split('?')[0]}")

    async def call_page(self, http: httpx.AsyncClient, account: Account, path: str, *,
                        params: dict | None = None) -> tuple[Any, bool]:
        """One page of a list (GET): its JSON answer, and whether the helpdesk says another page
        follows (a `Link: <...>; rel="next"` header, RFC 8288). The next page's URL is never
        taken from the answer: the caller asks for the next page number itself."""
        response = await self._send(http, account, "GET", path, params=params)
        return _json(response, f"{self.title} GET {path.split('?')[0]}"), "next" in response.links

    async def _send(self, http: httpx.AsyncClient, account: Account, method: str, path: str, *,
                    json: Any = None, params: dict | None = None) -> httpx.Response:
        """The answer to one call, when it is a success; else an error of the error tree."""
        url = account.base_url.rstrip("/") + path
        what = f"{self.title} {method} {path.split('?')[0]}"
        try:
            response = await http.request(method, url, json=json, params=params, **self.auth(account))
        except httpx.TimeoutException:
            raise HelpdeskUnavailable(f"{what}: no answer in time") from None
        except httpx.TransportError as e:
            raise HelpdeskUnavailable(f"{what}: {type(e).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500 or status in self.retry_statuses:
            raise HelpdeskUnavailable(f"{what}: {status} {_reason(response)}", status_code=status,
                                      retry_after=retry_after(response))
        if status in (401, 403):
            raise HelpdeskError(f"{what}: {status}: {self.title} refused the credentials of {account.key} "
                                f"(tactful connector add ... --token)", status_code=status)
        if status >= 400:
            raise HelpdeskError(f"{what}: {status} {_reason(response)}", status_code=status)
        return response


def _json(response: httpx.Response, what: str) -> Any:
    """A successful answer's JSON (None for an empty body)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise HelpdeskError(f"{what}: {response.status_code} with a body that is not JSON",
                            status_code=response.status_code) from None


def _reason(response: httpx.Response) -> str:
    """A short, masked reason from an error answer (it may quote the ticket)."""
    text = " ".join(response.text.split())[:200] if response.content else ""
    return mask(text) or response.reason_phrase or ""
