"""Request and response bodies of the HTTP API (pydantic). Field names are the API contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["zh-Hans", "zh-Hant", "en"]
Severity = Literal["error", "warning", "info"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewRequest(_In):
    reply: str = Field(description="The agent's reply, as sent.", max_length=20_000)
    complaint: str | None = Field(None, description="The customer's message it answers.",
                                  max_length=20_000)
    lang: Lang | None = Field(None, description="Force the language; detected when absent.")


class FindingOut(BaseModel):
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
    lang: Lang
    score: int = Field(ge=0, le=100)
    passed: bool
    sections: Sections
    findings: list[FindingOut]
    rubric_version: str


class BatchReviewRequest(_In):
    items: list[ReviewRequest] = Field(min_length=1, max_length=1000,
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
