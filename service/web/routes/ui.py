"""The browser UI, served by the API's own process: `/` (agents), `/review`, `/batches` (QA),
`/connectors` (the notes posted to connected helpdesks),
the static assets under `/ui/`, and `/ui/config` (categories, their colours and labels).

Everything lives in `service/ui/`: three Jinja2 pages on one base, one CSS file, plain ES
modules and one i18n table (`i18n.json`). There is no build step and nothing is loaded from
another origin, so the pages work on an offline network. None of these routes is in the
OpenAPI schema, and none needs an API key: the pages call `/v1` with the key the user enters.

Every UI response carries a Content-Security-Policy that allows only this origin and no
inline script or style; the scripts build the DOM with textContent, never innerHTML.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ... import __version__
from ...errors import NotFound
from ...batch.report_html import PALETTE
from ..deps import PlaybookDep, SettingsDep

__all__ = ["router", "UI_DIR", "SECURITY_HEADERS"]

UI_DIR = Path(__file__).resolve().parent.parent / "ui"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",  # revalidate: a new version shows up on the next load
}
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".json": "application/json; charset=utf-8", ".svg": "image/svg+xml"}
_ASSET = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(css|js|json|svg)$")
PAGES = {"agent": "agent.html", "review": "review.html", "batches": "batches.html",
         "connectors": "connectors.html"}

router = APIRouter(include_in_schema=False)


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(UI_DIR), autoescape=True,
                              undefined=jinja2.StrictUndefined, auto_reload=True)


def _page(page: str) -> HTMLResponse:
    html = _env().get_template(PAGES[page]).render(page=page, version=__version__)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"])
def agent_page() -> HTMLResponse:
    return _page("agent")


@router.api_route("/review", methods=["GET", "HEAD"])
def review_page() -> HTMLResponse:
    return _page("review")


@router.api_route("/batches", methods=["GET", "HEAD"])
def batches_page() -> HTMLResponse:
    return _page("batches")


@router.api_route("/connectors", methods=["GET", "HEAD"])
def connectors_page() -> HTMLResponse:
    return _page("connectors")


@router.get("/ui/config")
def ui_config(request: Request, settings: SettingsDep, playbook: PlaybookDep) -> JSONResponse:
    """What the pages need to know about this server: the rubric's categories in order, with
    their labels and the report's colours, and whether `/v1` requires an API key."""
    rubric = playbook.rubric
    categories = []
    for i, (cid, cat) in enumerate(rubric.spec.categories.items()):
        bg, border = PALETTE[i % len(PALETTE)]
        categories.append({"id": cid, "label": cat.label, "weight": cat.weight,
                           "bg": bg, "border": border})
    body = {"version": __version__, "rubric_version": rubric.version,
            "auth": bool(getattr(request.app.state, "auth", False)),
            "max_upload_bytes": settings.max_upload_bytes, "categories": categories}
    return JSONResponse(body, headers=SECURITY_HEADERS)


@router.api_route("/ui/{name}", methods=["GET", "HEAD"])
def ui_asset(name: str) -> Response:
    """One file of service/web/ui/ (CSS, JS, JSON, SVG; a flat folder, no path traversal)."""
    path = UI_DIR / name
    if not _ASSET.match(name) or not path.is_file():
        raise NotFound(f"no UI asset {name!r}")
    return Response(path.read_bytes(), media_type=_TYPES[path.suffix], headers=SECURITY_HEADERS)
