"""Loopback mode's guard against other sites: with auth off (the service bound to loopback,
no key needed), a web page anywhere could otherwise reach it through the user's browser.

- DNS rebinding: a page on evil.example whose name is re-pointed at 127.0.0.1 sends
  `Host: evil.example`. Only loopback names and addresses are served (400 otherwise).
- Cross-site requests: a form on another site can POST here without JavaScript. A request
  that changes state (POST, PUT, PATCH, DELETE) whose `Origin` is not a loopback one, or that
  the browser marks `Sec-Fetch-Site: cross-site`, is refused (403). Requests with neither
  header (curl, scripts, the CLI) are not browsers' and go through.

With auth on, keys protect every route and the guard is not installed.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

from ..errors import BadHost, CrossOrigin, TactfulError

__all__ = ["LoopbackGuard", "LOCAL_NAMES", "is_local_host"]

LOCAL_NAMES = {"localhost"}  # names besides loopback addresses (and *.localhost)
_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_local_host(value: str) -> bool:
    """Whether a Host header value (name or address, with an optional port) is loopback."""
    host = value.strip().lower()
    if host.startswith("["):  # [::1]:8000
        host = host[1:host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if not host:
        return False
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(error: TactfulError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


class LoopbackGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())
                   if k in (b"host", b"origin", b"sec-fetch-site")}
        if not is_local_host(headers.get("host", "")):
            response = _refuse(BadHost("this service answers on loopback names only (127.0.0.1, localhost); "
                                       "bind it elsewhere with keys on"))
            return await response(scope, receive, send)
        if scope["method"] in _CHANGES:
            origin = headers.get("origin")
            cross = headers.get("sec-fetch-site") == "cross-site"
            if cross or (origin is not None and (origin == "null" or not is_local_host(urlsplit(origin).netloc))):
                response = _refuse(CrossOrigin("requests from another site are refused"))
                return await response(scope, receive, send)
        await self.app(scope, receive, send)
