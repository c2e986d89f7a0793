"""POST /v1/drafts, GET /v1/drafts/{id}, POST /v1/drafts/{id}/feedback."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from .. import store
from ..auth import record_tokens
from ..drafting import create_draft
from ..masking import mask
from ..schemas import DraftOut, DraftRequest, FeedbackOut, FeedbackRequest, error_responses

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])


@router.post("", response_model=DraftOut, summary="Draft a reply to a ticket", responses=error_responses(502, 503))
async def post_draft(body: DraftRequest, request: Request) -> dict:
    state = request.app.state
    draft = await create_draft(body, state.settings, state.policy, state.models)
    usage = draft["usage"]
    await run_in_threadpool(record_tokens, state.settings.db_path, getattr(request.state, "api_key", None),
                            usage["prompt_tokens"] + usage["completion_tokens"])
    return draft


@router.get("/{draft_id}", summary="One stored draft (personal data masked)", responses=error_responses(404))
def get_draft(draft_id: str, request: Request) -> dict:
    return store.get_draft(request.app.state.settings.db_path, draft_id)


@router.post("/{draft_id}/feedback", response_model=FeedbackOut, responses=error_responses(404),
             summary="Record what the agent did with a draft")
async def post_feedback(draft_id: str, body: FeedbackRequest, request: Request) -> dict:
    path = request.app.state.settings.db_path
    return await run_in_threadpool(store.save_feedback, path, draft_id, body.action,
                                   mask(body.final_text), body.agent)
