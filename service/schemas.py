"""Request and response bodies of the HTTP API (pydantic). Field names are the API contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class ThreadMessage(_In):
    role: Literal["customer", "agent"]
    text: str = Field(max_length=20_000)


class DraftRequest(_In):
    message: str = Field(min_length=1, max_length=20_000, description="The customer's message.")
    customer_name: str | None = Field(None, max_length=100)
    order_id: str | None = Field(None, max_length=64)
    channel: Channel = "chat"
    lang: Lang | None = Field(None, description="Reply language; the message's when absent.")
    thread: list[ThreadMessage] = Field([], max_length=50, description="Earlier messages, oldest first.")
    tone: Tone = "warm"
    require_model: bool = Field(False, description="Answer 503 instead of falling back to the offline drafter.")


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
    fallback: bool = Field(description="true when every configured model failed and the offline drafter answered")
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


_ERROR_TEXT = {404: "No such resource", 409: "The resource's state does not allow this",
               502: "The model answered, but not with a usable draft",
               503: "No model could be reached (only when the caller required a model)"}


def error_responses(*codes: int) -> dict:
    """OpenAPI `responses` for a route's own error statuses (the common ones are app-wide)."""
    return {c: {"model": ErrorBody, "description": _ERROR_TEXT[c]} for c in codes}
