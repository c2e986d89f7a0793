"""POST /v1/reviews and POST /v1/reviews/batch."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter

from ...checker.check import check_reply
from ...checker.conversation import required_parts
from ...drafting.triage import triage
from ...errors import InputError, TactfulError
from ...schemas import BatchItemOut, BatchReviewOut, BatchReviewRequest, ReviewOut, ReviewRequest
from ..deps import PlaybookDep

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.post("", response_model=ReviewOut, summary="Review one reply")
def create_review(body: ReviewRequest, playbook: PlaybookDep) -> dict:
    if not body.reply.strip():
        raise InputError("reply is empty", field="reply")
    t = None
    if body.policy:  # the check a draft gets: times, amounts and links the policy holds
        # the keyword rules only: the review path stays light, and a ticket's amount is allowed
        # as a charge only where a billing keyword says so (not a classifier's guess)
        t = triage(body.complaint or body.reply, playbook, lang=body.lang, use_model=False)
    required = required_parts(playbook, body.reply, body.complaint, body.channel, body.lang)
    return check_reply(playbook, body.reply, complaint=body.complaint, lang=body.lang, triage=t,
                       required=required).to_dict()


@router.post("/batch", response_model=BatchReviewOut, summary="Review up to 1,000 replies")
def create_reviews(body: BatchReviewRequest, playbook: PlaybookDep) -> dict:
    """Each item is reviewed on its own: a bad item gets an `error`, the others still get
    their `review`, and results keep the order of `items`."""
    results = []
    categories: Counter = Counter()
    passed = 0
    for i, item in enumerate(body.items):
        try:
            if not item.reply.strip():
                raise InputError("reply is empty", field=f"items.{i}.reply")
            required = required_parts(playbook, item.reply, item.complaint, item.channel, item.lang)
            r = check_reply(playbook, item.reply, complaint=item.complaint, lang=item.lang, required=required)
        except TactfulError as e:
            results.append({"index": i, "error": {"code": e.code, "message": e.message,
                                                  "field": e.field}})
            continue
        passed += r.passed
        categories.update(f.category for f in r.findings)
        results.append({"index": i, "review": r.to_dict()})
    reviewed = sum(1 for r in results if "review" in r)
    return {"results": results,
            "summary": {"items": len(results), "reviewed": reviewed, "passed": passed,
                        "errors": len(results) - reviewed,
                        "findings_by_category": dict(categories.most_common())}}


__all__ = ["router", "BatchItemOut"]
