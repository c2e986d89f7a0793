"""Helpdesk connectors: POST /v1/connectors/{name}/{account}/events (a helpdesk's webhook),
GET /v1/connectors/deliveries[/{id}], POST /v1/connectors/deliveries/{id}/retry.

The webhook route takes no API key: the helpdesk signs its webhooks with the account's secret
(or, where it cannot sign, sends that secret), and the connector checks it before reading the
body. It answers 202 as soon as the event's messages are in the outbox, in one transaction;
drafting and posting happen in the worker (service/connectors/worker.py). Its answers:

- 202: stored (or a redelivery, ignored; or an event that asks for no draft);
- 401: not signed with the account's secret; 404: no such connector or account;
- 422: not JSON, or an event of the right kind with a shape the connector cannot read
  (nothing is stored).

The deliveries belong to the key that owns the account (`tactful connector add --owner`);
like batches and drafts, another key gets 404 for them, and `admin` sees them all.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ...connectors import get_connector, outbox
from ...connectors.accounts import get_account
from ...errors import InputError
from ...schemas import ConnectorEventOut, DeliveryOut, DeliveryState, error_responses
from ..auth import CallerDep

__all__ = ["events", "router"]

events = APIRouter(prefix="/v1/connectors", tags=["connectors"])  # the helpdesk's signature, no key
router = APIRouter(prefix="/v1/connectors", tags=["connectors"])  # an API key with the draft scope

# a row id: SQLite's integers are 64-bit, a larger number would not even reach the query
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A delivery's id")]

_EVENT_BODY = {"requestBody": {"required": True, "description": "The helpdesk's own webhook body, as it sends it.",
                               "content": {"application/json": {"schema": {"type": "object"}}}}}


@events.post("/{name}/{account}/events", status_code=202, response_model=ConnectorEventOut,
             summary="A helpdesk's webhook: store the event, draft a private note later",
             responses=error_responses(401, 404), openapi_extra=_EVENT_BODY)
async def receive_event(request: Request,
                        name: str = Path(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="chatwoot, zendesk, zammad, freshdesk or intercom"),
                        account: str = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                                            description="The helpdesk account as configured "
                                                        "(`tactful connector add --account`)")) -> dict:
    settings = request.app.state.settings
    connector = get_connector(name)
    acct = await run_in_threadpool(get_account, settings.db_path, connector.name, account)
    body = await request.body()
    connector.verify(request.headers, body, acct, request.query_params)
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InputError("the webhook's body is not JSON", field="body") from None
    inbound = connector.parse(event, acct, request.headers)
    if not inbound:
        return {"accepted": 0, "duplicates": 0, "ignored": 1}
    stored = await run_in_threadpool(outbox.receive, settings.db_path, connector, acct, inbound,
                                     quiet_s=settings.connector_quiet_s, quiet_max_s=settings.connector_quiet_max_s)
    return stored | {"ignored": 0}


@router.get("/deliveries", response_model=list[DeliveryOut],
            summary="Notes to post back to helpdesks, newest first (the key's own; `admin`: all)")
def list_deliveries(request: Request, who: CallerDep, state: DeliveryState | None = None,
                    limit: int = Query(50, ge=1, le=500)) -> list[dict]:
    """`?state=failed`: the parked ones, to retry by hand."""
    return outbox.list_deliveries(request.app.state.settings.db_path, state=state, owner=who.sees, limit=limit)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, responses=error_responses(404),
            summary="One delivery")
def get_delivery(delivery_id: DeliveryId, request: Request, who: CallerDep) -> dict:
    return outbox.get_delivery(request.app.state.settings.db_path, delivery_id, owner=who.sees)


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut, responses=error_responses(404, 409),
             summary="Retry a failed delivery now")
def retry_delivery(delivery_id: DeliveryId, request: Request, who: CallerDep) -> dict:
    """Only a failed delivery (409 otherwise). Its note is posted if it was made (after looking
    for it in the conversation, so that it is never posted twice), else it is drafted again."""
    return outbox.retry(request.app.state.settings.db_path, delivery_id, owner=who.sees)
