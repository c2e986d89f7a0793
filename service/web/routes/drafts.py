"""POST /v1/drafts, GET /v1/drafts/{id}, POST /v1/drafts/{id}/feedback."""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ... import store
from ..auth import CallerDep
from ...drafting.pipeline import create_draft
from ...errors import TactfulError
from ...privacy.masking import mask
from ...quota import metered
from ...schemas import DraftOut, DraftRequest, FeedbackOut, FeedbackRequest, error_responses

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])
log = logging.getLogger("tactful.drafts")


@router.post("", response_model=DraftOut, summary="Draft a reply to a ticket", responses=error_responses(502, 503))
async def post_draft(body: DraftRequest, request: Request, who: CallerDep) -> dict:
    return await _draft(body, request, who.owner)


async def _draft(body: DraftRequest, request: Request, owner: str | None, on_event=None) -> dict:
    """A stored draft, owned by the caller's key, its model tokens counted against that key
    (quota.metered: reserved before the model is called, settled after)."""
    state = request.app.state
    return await metered(state.settings, getattr(request.state, "api_key", None),
                         lambda: create_draft(body, state.settings, state.playbook, state.models,
                                              on_event=on_event, owner=owner))


@router.post("/stream", summary="Draft a reply, streamed as server-sent events",
             response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {"schema": {
                 "type": "object", "required": ["event", "data"],
                 "properties": {"event": {"enum": ["triage", "sections", "draft", "error"]},
                                "data": {"type": "string", "contentMediaType": "application/json"}}}}},
                              "description": "`event: triage` at once; `event: sections` (the four parts "
                                             "so far) while a model writes; then `event: draft` (the "
                                             "checked draft, as POST /v1/drafts returns it) or `event: "
                                             "error` (the one error body)."}})
async def post_draft_stream(body: DraftRequest, request: Request, who: CallerDep) -> StreamingResponse:
    queue: asyncio.Queue = asyncio.Queue()

    async def work() -> None:
        try:
            draft = await _draft(body, request, who.owner, on_event=lambda kind, data: queue.put_nowait((kind, data)))
            queue.put_nowait(("draft", DraftOut.model_validate(draft).model_dump(mode="json")))
        except TactfulError as e:
            queue.put_nowait(("error", e.body()))
        except Exception:  # noqa: BLE001 - the stream ends with the one error body, never a trace
            log.exception("draft stream failed")
            queue.put_nowait(("error", TactfulError("internal error; the server log has the details").body()))
        finally:
            queue.put_nowait(None)

    task = asyncio.create_task(work())

    async def events():
        try:
            while (item := await queue.get()) is not None:
                kind, data = item
                yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        finally:
            if not task.done():  # the client went away: stop drafting
                task.cancel()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/{draft_id}", summary="One stored draft (personal data masked)", responses=error_responses(404))
def get_draft(draft_id: str, request: Request, who: CallerDep) -> dict:
    """The calling key's own draft (`admin`: any); another key's is a 404."""
    return store.get_draft(request.app.state.settings.db_path, draft_id, owner=who.sees)


@router.post("/{draft_id}/feedback", response_model=FeedbackOut, responses=error_responses(404),
             summary="Record what the agent did with a draft")
async def post_feedback(draft_id: str, body: FeedbackRequest, request: Request, who: CallerDep) -> dict:
    """Only on the calling key's own draft (`admin`: any); another key's is a 404."""
    path = request.app.state.settings.db_path
    return await run_in_threadpool(store.save_feedback, path, draft_id, body.action,
                                   mask(body.final_text), body.agent, who.sees)
