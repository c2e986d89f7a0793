"""Helpdesk connectors: a helpdesk's webhook in, a checked draft out as a private note that only
agents see. ONE registry, used by the webhook route, the worker and `tactful connector`:

    connector = get_connector("chatwoot")     # NotFound for a name not registered here

One module per helpdesk, each one class implementing the interface of base.py (verify the
webhook, parse the event, fetch the thread, find and post the note). What they share:

    base.py      the interface; accounts, inbound messages, thread messages, notes; the HTTP call
    note.py      the note: the stored (masked) draft, its triage and failing findings, a marker
    accounts.py  the helpdesk accounts tactful answers for (connector_accounts)
    outbox.py    events in (UNIQUE by delivery id), deliveries out: states, leases, retries
    worker.py    claims due deliveries, drafts through the pipeline, posts with bounded retries

A new helpdesk is one module here plus one line below.
"""

from __future__ import annotations

from ..errors import NotFound
from .base import Connector
from .chatwoot import Chatwoot
from .freshdesk import Freshdesk
from .intercom import Intercom
from .zammad import Zammad
from .zendesk import Zendesk

__all__ = ["CONNECTORS", "get_connector", "Connector"]

CONNECTORS: dict[str, Connector] = {c.name: c() for c in (Chatwoot, Zendesk, Zammad, Freshdesk, Intercom)}


def get_connector(name: str) -> Connector:
    connector = CONNECTORS.get(name)
    if connector is None:
        raise NotFound(f"no connector {name!r} (known: {', '.join(sorted(CONNECTORS))})")
    return connector
