"""The HTTP protocol `tactful serve` runs: uvicorn's h11 protocol with timeouts for slow
clients. uvicorn times out an idle keep-alive connection, but a client that opens a
connection and sends its request head a byte at a time (or never finishes its body) holds
the connection for as long as it likes; a few thousand such clients hold the server.

- `header_timeout_s`: a request head must arrive whole within this many seconds of the
  connection opening (or of the first byte of the next request on a kept-alive one).
- `body_idle_timeout_s`: while a request body is arriving, at most this many seconds may pass
  without a byte of it.
Either way the connection is closed. Once the body is in, the app takes as long as it needs
(a draft waits on a model). The number of connections is capped by uvicorn's
`limit_concurrency` (TACTFUL_MAX_CONNECTIONS): beyond it, new requests get 503.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from ..settings import get_settings

__all__ = ["TimedH11Protocol"]


class TimedH11Protocol(H11Protocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._head_s = settings.header_timeout_s
        self._idle_s = settings.body_idle_timeout_s
        self._timer: asyncio.TimerHandle | None = None
        self._awaiting_head = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._head_s)
        self._awaiting_head = True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is None or cycle.response_complete:  # between requests: a (new) head is coming
            if not self._awaiting_head:  # the first byte of the next request: its head has head_s
                self._arm(self._head_s)
                self._awaiting_head = True
        elif cycle.more_body:  # the body is arriving: each piece must come within idle_s
            self._awaiting_head = False
            self._arm(self._idle_s)
        else:  # head and body are in: the app works as long as it needs
            self._awaiting_head = False
            self._cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._cancel()  # uvicorn's keep-alive timeout takes over until the next request
        self._awaiting_head = False

    def connection_lost(self, exc) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._cancel()
        if seconds > 0:
            self._timer = self.loop.call_later(seconds, self._too_slow)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()
