"""What a connector's QA import (`pull`, imports.py) gives and keeps: a Page of conversations
with the cursor after them, and the time cursor most helpdesks need. Below the connectors and
imports.py, so that both use it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable

__all__ = ["Page", "TimeCursor", "iso", "seconds_of", "paged_import"]


@dataclass
class Page:
    docs: list[dict]  # conversations as the helpdesk's API gives them, each with its messages
    cursor: dict  # where the next run resumes once these are imported
    extras: dict = field(default_factory=dict)  # what the document needs besides (Zendesk: users)


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_of(value: Any) -> float | None:
    """A time an API gives (unix seconds or milliseconds, or ISO 8601) as unix seconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value / 1000 if value > 1e11 else float(value)
    if isinstance(value, str) and value.strip():
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()
    return None


class TimeCursor:
    """A cursor on the time a conversation was last updated: `since` (unix seconds, whole),
    and the ids already imported at exactly that second. Queries ask for >= since; `fresh`
    leaves out what was seen."""

    def __init__(self, cursor: dict | None, since: float):
        cursor = cursor or {}
        self.since = int(cursor.get("since", since))
        self.seen = {str(i) for i in cursor.get("seen", [])}

    def fresh(self, items: list[dict], when: Callable[[dict], float | None]) -> list[dict]:
        """The items updated at or after `since` and not seen, oldest first."""
        out = []
        for item in items:
            t = when(item)
            if t is None or int(t) < self.since or (int(t) == self.since and str(item.get("id")) in self.seen):
                continue
            out.append(item)
        return sorted(out, key=lambda i: (int(when(i)), str(i.get("id"))))

    def advance(self, items: list[dict], when: Callable[[dict], float | None]) -> dict:
        """The cursor once `items` (oldest first) are imported."""
        for item in items:
            t = int(when(item))
            if t > self.since:
                self.since, self.seen = t, set()
            if t == self.since:
                self.seen.add(str(item.get("id")))
        return self.to_dict()

    def to_dict(self) -> dict:
        return {"since": self.since, "seen": sorted(self.seen)}


Lister = Callable[[Any], Awaitable[tuple[list[dict], Any]]]


async def paged_import(at: TimeCursor, when: Callable[[dict], float | None], list_page: Lister,
                       fetch: Callable[[dict], Awaitable[Any]], *, pages_max: int) -> AsyncIterator[Page]:
    """The import of a helpdesk whose list endpoint pages through conversations updated since a
    time cursor, oldest update first:

        list_page(token) -> (items, next token)    token: None for the first page; next None: the last
        fetch(item)      -> the conversation with its messages, as the batch reader reads it

    Each page's items not seen yet (`at.fresh`) are fetched one by one and given as a Page with
    the cursor after them; a fetch that is not a JSON object is left out. At most `pages_max`
    pages. `list_page` builds its query from where the run started, not from the cursor as it
    advances: paging by number through a query that moved under it would skip conversations."""
    token = None
    for _ in range(pages_max):
        items, token = await list_page(token)
        fresh = at.fresh(items, when)
        docs = [doc for doc in [await fetch(item) for item in fresh] if isinstance(doc, dict)]
        if docs:
            yield Page(docs, at.advance(fresh, when))
        if token is None:
            return
