"""Request and response bodies of the HTTP API (pydantic). Field names are the API contract."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from .checker.languages import LANGS
from .drafting.triage import Triage  # the triage model is the response schema too

Lang = Literal[LANGS]  # checker/languages.py
Channel = Literal["chat", "email", "social", "phone"]
Severity = Literal["error", "warning", "info"]


# Unicode White_Space (what \s means to pydantic's pattern engine): the name and order fields
# are trimmed of it. Patterns spell white space out, never as \s: JSON Schema engines read \s
# as ECMA-262 does (U+FEFF in, U+0085 out), so the schema would not say what the service does.
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_WHITE_SPACE = r"\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A text that must not be blank holds a character str.strip() keeps: one not in White_Space
# nor U+001C-U+001F (Python's str.isspace() has those too), as the review checks it.
NOT_BLANK = rf"[^{_WHITE_SPACE}\u001c-\u001f]"


class _In(BaseModel):
    # strict: 0 is not false and 1 is not "1"; a request means exactly what the schema says
    model_config = ConfigDict(extra="forbid", strict=True)


class ReviewItem(_In):
    """One reply of a batch: an empty one gets an item error, the others are still reviewed."""

    reply: str = Field(description="The agent's reply, as sent.", max_length=20_000)
    complaint: str | None = Field(None, description="The customer's message it answers.",
                                  max_length=20_000)
    lang: Lang | None = Field(None, description="Force the language; detected when absent.")
    channel: Channel | None = Field(
        None, description="Where the reply was sent. Email and phone replies (and replies with no "
                          "channel) must hold all four parts; a chat or social turn is asked for an "
                          "apology and a restatement only when it answers a complaint.")


class ReviewRequest(ReviewItem):
    reply: str = Field(description="The agent's reply, as sent (not blank).", max_length=20_000,
                       pattern=NOT_BLANK)
    policy: bool = Field(False, description="Also check every time, amount and link against the company "
                                            "policy, as drafts are (findings of category `ungrounded`).")


class FindingOut(BaseModel):
    """`category` is one of the rubric's categories; drafts may also carry `ungrounded`
    (a time, amount or link the policy does not hold)."""

    rule: str
    category: str
    severity: Severity
    start: int | None = Field(description="Character offset into the reply (Python str index).")
    end: int | None
    text: str | None
    message: str
    suggestion: str


class Sections(BaseModel):
    apology: tuple[int, int] | None
    restatement: tuple[int, int] | None
    remedy: tuple[int, int] | None
    close: tuple[int, int] | None


class ReviewOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    lang: Lang
    score: int = Field(ge=0, le=100)
    passed: bool
    sections: Sections
    structure: dict[str, Literal["present", "missing", "n/a"]] = Field(
        description="Each part: present, missing (asked of this reply and absent) or n/a (not asked).")
    findings: list[FindingOut]
    rubric_version: str


class BatchReviewRequest(_In):
    items: list[ReviewItem] = Field(min_length=1, max_length=1000,
                                       description="Up to 1,000 replies.")


class ItemError(BaseModel):
    code: str
    message: str
    field: str | None = None


class BatchItemOut(BaseModel):
    index: int
    review: ReviewOut | None = None
    error: ItemError | None = None


class BatchReviewOut(BaseModel):
    results: list[BatchItemOut]
    summary: dict


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    ok: Literal[False] = False
    status: int
    error: ErrorDetail


# ---------------------------------------------------------------- drafts

Tone = Literal["warm", "formal", "brief"]


# The customer's name and the order number are data a client fills in, and the drafters put
# them into the reply (the greeting, the restatement): each must have the shape of what it
# claims to be, so that an instruction, a link or a line break cannot ride in on one. A value
# of the wrong shape is refused (422), never cleaned up. The checks are written out in Python
# (name_problem, order_id_problem) and, for the OpenAPI schema, as patterns that accept exactly
# the same strings (tests/test_request_fields.py holds the two to each other).

# Besides letters and combining marks, a name may hold these: initials and honorifics (Mr.),
# O'Brien and O’Brien, Anne-Marie, and the name dots of Chinese and Japanese transliterations
# (· U+00B7, ・ U+30FB, and ‧ U+2027, the one Taiwan's Big5 text uses).
NAME_MARKS = ".'\u2019-\u00b7\u30fb\u2027"
_MARK_CHARS = r".'\u2019\-\u00b7\u30fb\u2027"
NAME_MAX, NAME_WORDS = 40, 5
NAME_SHAPE = (f"a personal name: letters of any script, at most {NAME_WORDS} words separated by spaces, "
              f"and . ' ’ - · ・ ‧ in words; 1-{NAME_MAX} characters, no digits")
ORDER_ID_CHARS = "_/#.-"  # besides ASCII letters and digits
ORDER_ID_MIN, ORDER_ID_MAX = 3, 40
ORDER_ID_SHAPE = (f"an order reference: {ORDER_ID_MIN}-{ORDER_ID_MAX} ASCII letters, digits and - _ / # ., "
                  f"with at least one digit")

# JSON Schema patterns (ECMA-262 with Unicode properties) that accept exactly what the checks
# below accept. A value must match both of a field's patterns: the shape, and the length once
# trimmed (JSON Schema's maxLength would count the whitespace that is trimmed). \p{L} is what
# str.isalpha() calls a letter, \p{M} a combining mark; the service reads both from this
# Python's Unicode tables, so a letter added to Unicode since then is refused.
_T, _NOT_T = f"[{_WHITE_SPACE}]", f"[^{_WHITE_SPACE}]"
_WORD = rf"[{_MARK_CHARS}]*\p{{L}}[\p{{L}}\p{{M}}{_MARK_CHARS}]*"
NAME_PATTERN = rf"^{_T}*{_WORD}(?: +{_WORD}){{0,{NAME_WORDS - 1}}}{_T}*$"
NAME_LENGTH_PATTERN = rf"^{_T}*{_NOT_T}(?:[\s\S]{{0,{NAME_MAX - 2}}}{_NOT_T})?{_T}*$"
ORDER_ID_PATTERN = rf"^{_T}*[A-Za-z0-9_/#.\-]{{{ORDER_ID_MIN},{ORDER_ID_MAX}}}{_T}*$"
ORDER_ID_DIGIT_PATTERN = "[0-9]"


def _char(ch: str) -> str:
    return f"U+{ord(ch):04X}" if not ch.isprintable() or ch.isspace() else f"'{ch}' (U+{ord(ch):04X})"


def name_problem(value: str) -> str | None:
    """What keeps a trimmed value from being a customer's name (None: it is one)."""
    if not value:
        return "is empty (leave the field out when the name is not known)"
    for ch in value:
        category = unicodedata.category(ch)
        if ch.isalpha() or category[0] == "M" or ch == " " or ch in NAME_MARKS:
            continue
        if category == "Cn":  # unassigned in this Python's tables: a newer letter or mark (the
            continue          # schema's \p{L}/\p{M} may read newer tables), never a control
        if category[0] == "N":
            return f"has a digit, {_char(ch)}"
        if category[0] == "C" or category in ("Zl", "Zp"):
            return f"has a line break, a control or an invisible character, {_char(ch)}"
        if ch.isspace():
            return f"has a space other than ' ' between words, {_char(ch)}"
        return f"has the character {_char(ch)}"
    if len(value) > NAME_MAX:
        return f"is {len(value)} characters long; the limit is {NAME_MAX}"
    words = value.split()  # at runs of ' ', the only space left
    if len(words) > NAME_WORDS:
        return f"has {len(words)} words; the limit is {NAME_WORDS}"
    for word in words:  # a letter first, after any of . ' ’ - · ・ ‧ ("'t Hooft")
        if not word.lstrip(NAME_MARKS)[:1].isalpha():
            return f"has a word with no letter, or a combining mark before its first letter: '{word}'"
    return None


def order_id_problem(value: str) -> str | None:
    """What keeps a trimmed value from being an order reference (None: it is one)."""
    for ch in value:
        if not (ch.isascii() and (ch.isalnum() or ch in ORDER_ID_CHARS)):
            if unicodedata.category(ch)[0] == "C" or ch.isspace():
                return f"has a space, a line break, a control or an invisible character, {_char(ch)}"
            return f"has the character {_char(ch)}"
    if not ORDER_ID_MIN <= len(value) <= ORDER_ID_MAX:
        return f"is {len(value)} characters long"
    if not any(ch.isdigit() for ch in value):
        return "has no digit"
    return None


def _field(kind: str, check, shape: str):
    def validate(value: str) -> str:
        value = value.strip(WHITE_SPACE)
        problem = check(value)
        if problem:
            raise PydanticCustomError(kind, "{problem}; expected {shape}", {"problem": problem, "shape": shape})
        return " ".join(value.split()) if kind == "customer_name" else value
    return AfterValidator(validate)


CustomerName = Annotated[str, _field("customer_name", name_problem, NAME_SHAPE), WithJsonSchema({
    "type": "string", "pattern": NAME_PATTERN, "allOf": [{"pattern": NAME_LENGTH_PATTERN}]})]
OrderId = Annotated[str, _field("order_id", order_id_problem, ORDER_ID_SHAPE), WithJsonSchema({
    "type": "string", "pattern": ORDER_ID_PATTERN, "allOf": [{"pattern": ORDER_ID_DIGIT_PATTERN}]})]

THREAD_MAX_CHARS = 50_000


class ThreadMessage(_In):
    role: Literal["customer", "agent"]
    text: str = Field(max_length=20_000, pattern=NOT_BLANK, description="The message (not blank).")


class DraftRequest(_In):
    message: str = Field(min_length=1, max_length=20_000, description="The customer's message.")
    customer_name: CustomerName | None = Field(
        None, description=f"The customer's name, for the greeting: {NAME_SHAPE}. Leading and trailing "
                          f"whitespace is trimmed and runs of spaces become one. Anything else (a digit, "
                          f"a line break, an invisible or bidi character, brackets, a colon) is a 422.")
    order_id: OrderId | None = Field(
        None, description=f"The order number, restated in the reply: {ORDER_ID_SHAPE}. Leading and "
                          f"trailing whitespace is trimmed; anything else is a 422.")
    channel: Channel = "chat"
    lang: Lang | None = Field(None, description="Reply language; the message's when absent.")
    thread: list[ThreadMessage] = Field([], max_length=50, description=(
        f"Earlier messages, oldest first: at most 50, none blank, and at most {THREAD_MAX_CHARS:,} "
        f"characters of text in all (a longer thread is a 422)."))
    tone: Tone = "warm"
    require_model: bool = Field(False, description="Answer 503 instead of falling back to the offline drafter.")

    @field_validator("thread")
    @classmethod
    def _thread_size(cls, thread: list[ThreadMessage]) -> list[ThreadMessage]:
        total = sum(len(m.text) for m in thread)
        if total > THREAD_MAX_CHARS:
            raise PydanticCustomError(
                "thread_too_long", f"the thread's messages hold {total:,} characters in all; the limit is "
                                   f"{THREAD_MAX_CHARS:,} (leave out the oldest messages)")
        return thread


class DraftSections(BaseModel):
    apology: str
    restatement: str
    remedy: str
    close: str
    emergency: str | None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    model_calls: int = 0


class DraftOut(BaseModel):
    id: str
    created_at: str
    text: str
    sections: DraftSections
    subject: str | None
    lang: Lang
    channel: Channel
    model: str = Field(description="offline, or the litellm model id that wrote the draft")
    fallback: bool = Field(description="true when the offline drafter answered for a configured model: "
                                       "every model failed, or the model's words still held what only the "
                                       "service may write after one repair")
    fallback_reason: str | None = Field(None, description="why the offline draft was used, when it was")
    repaired: bool
    prompt_hash: str
    triage: Triage
    review: ReviewOut
    usage: Usage


class FeedbackRequest(_In):
    action: Literal["sent_as_is", "edited", "discarded"]
    final_text: str | None = Field(None, max_length=20_000, description="The text actually sent.")
    agent: str | None = Field(None, max_length=100)


class FeedbackOut(BaseModel):
    id: int
    draft_id: str
    created_at: str
    action: str
    final_text: str | None
    agent: str | None


# ---------------------------------------------------------------- connectors

DeliveryState = Literal["pending", "drafting", "posting", "posted", "skipped", "failed"]


class ConnectorEventOut(BaseModel):
    ok: Literal[True] = True
    accepted: int = Field(description="Customer messages stored, each to be drafted for after its conversation's "
                                      "quiet period.")
    duplicates: int = Field(description="Messages stored before (a redelivery): ignored.")
    ignored: int = Field(description="1 when the event asks for no draft (an agent's message, a note, a bot's, "
                                     "another event type), else 0.")


class DeliveryOut(BaseModel):
    """One note to post back to a helpdesk: a burst of customer messages in one conversation."""

    id: int
    connector: str
    account: str
    conversation_id: str
    ticket_url: str | None = Field(description="Where an agent opens the conversation in the helpdesk.")
    state: DeliveryState = Field(description="pending (waiting for the conversation to go quiet), drafting, "
                                             "posting, posted, skipped (nothing new to answer), failed (parked: "
                                             "retry it by hand).")
    attempts: int = Field(description="Calls to the helpdesk made for it since it was last retried.")
    last_error: str | None
    draft_id: str | None = Field(description="The stored draft the note carries (GET /v1/drafts/{id}).")
    remote_id: str | None = Field(description="The helpdesk's id of the posted note.")
    events: int = Field(description="The customer messages it answers.")
    next_attempt_at: str | None = Field(description="When a worker takes it up next (open deliveries only).")
    created_at: str
    updated_at: str
    posted_at: str | None
    owner: str | None


_ERROR_TEXT = {401: "The webhook is not signed with the account's secret", 404: "No such resource",
               409: "The resource's state does not allow this",
               502: "The model answered, but not with a usable draft",
               503: "No model could be reached (only when the caller required a model)"}


def error_responses(*codes: int) -> dict:
    """OpenAPI `responses` for a route's own error statuses (the common ones are app-wide)."""
    return {c: {"model": ErrorBody, "description": _ERROR_TEXT[c]} for c in codes}
