"""The FastAPI application: create_app() wires settings, routes and the one error handler.

Every error response has one shape: {"ok": false, "status": N, "error": {"code", "message",
"field"?}}. No stack trace ever reaches a client; unexpected errors are logged and answered 500.
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..playbook import Playbook
from .auth import Limiter, auth_enabled, require
from .deps import PlaybookDep
from .guard import LoopbackGuard
from ..errors import TactfulError, TooLarge
from ..privacy.logs import install_log_masking
from .routes import batches, connectors, drafts, reviews
from .routes import ui  # the browser UI: /, /review, /batches (not in the OpenAPI schema)
from ..schemas import NOT_BLANK, ErrorBody
from ..settings import Settings, get_settings

__all__ = ["create_app"]

log = logging.getLogger("tactful")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
          422: "invalid_input", 429: "rate_limited"}


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return JSONResponse({"ok": False, "status": status, "error": error}, status_code=status)


class BodyLimit:
    """Refuse request bodies over the limit with 413, by Content-Length before reading and by
    counting while reading when the length is not declared. Batch uploads have their own,
    larger limit."""

    def __init__(self, app, limit: int, upload_limit: int):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/batches"
        limit = self.upload_limit if upload else self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    response = _error(413, "too_large",
                                      f"request body is {declared} bytes; the limit is {limit}")
                    return await response(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(f"request body is over the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _allowed(app, scope) -> list[str]:
    from starlette.routing import Match

    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_log_masking()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        from ..drafting.models import ModelClient
        from ..store import migrate

        app.state.playbook.load()  # a bad rule or policy file stops start-up with its path
        migrate(settings.db_path)
        app.state.models = ModelClient.from_settings(settings)
        if app.state.models is not None:  # import litellm now (seconds), not in the first draft
            from ..drafting.models import litellm_module

            litellm_module()
        from ..batch.jobs import JobRunner

        if app.state.auth:
            from .auth import list_keys

            if not any(k["revoked_at"] is None for k in list_keys(settings.db_path)):
                log.warning("API keys are required (binding %s) but none exists: "
                            "create one with `tactful keys create --name NAME --scopes review,draft,batch`",
                            settings.host)
        app.state.jobs = JobRunner(settings)
        app.state.jobs.start()  # resumes jobs a stopped process left running
        app.state.imports = None
        if settings.import_interval_s > 0:  # scheduled QA imports, run by the process that runs the jobs
            from ..connectors.imports import ImportScheduler

            app.state.imports = ImportScheduler(settings, app.state.jobs)
            app.state.imports.start()
        app.state.connector_worker = None
        if settings.connector_worker == "on":  # the helpdesk outbox; deliveries are leased, so any
            from ..connectors.worker import WorkerThread  # number of processes may work it

            app.state.connector_worker = WorkerThread(settings, app.state.playbook, app.state.models)
            app.state.connector_worker.start()
        log.info("tactful ready: model %s, database %s, API keys %s",
                 ", ".join(app.state.models.models) if app.state.models else "offline",
                 settings.db_path, "required" if app.state.auth else "off (loopback)")
        yield
        if app.state.connector_worker is not None:
            app.state.connector_worker.stop()
        if app.state.imports is not None:
            app.state.imports.stop()
        app.state.jobs.stop()

    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from files shipped
    # in the package, not from a CDN (the docs work on an offline network)
    app = FastAPIOffline(
        static_url="/docs-static",
        lifespan=lifespan,
        title="tactful",
        version=__version__,
        description="Drafts and reviews customer-service replies (zh-Hans, zh-Hant, en). "
                    "Every error has the body shape of `ErrorBody`.",
        responses={code: {"model": ErrorBody, "description": text} for code, text in (
            (400, "The body is not readable (not JSON, not UTF-8)"),
            (401, "No API key, or not a valid one (when keys are required)"),
            (403, "The key lacks this route's scope"),
            (413, "The body is over the size limit"),
            (422, "The request is not valid; `error.field` names the field"),
            (429, "Over the key's limits; see Retry-After"))},
    )
    app.state.settings = settings
    app.state.playbook = Playbook.from_settings(settings)

    @app.exception_handler(TactfulError)
    async def _tactful_error(request: Request, exc: TactfulError):
        if exc.status >= 500:
            log.error("%s on %s: %s", exc.code, request.url.path, exc.message)
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(x) for x in first.get("loc", ()) if x != "body"]
        field = ".".join(loc) or None
        if first.get("type") == "string_pattern_mismatch" and (first.get("ctx") or {}).get("pattern") == NOT_BLANK:
            message = f"{field} is empty"
        else:
            message = f"{field}: {first['msg']}" if field else first["msg"]
        return _error(422, "invalid_input", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        response = _error(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Allow lists every method of the path, not just one route's
            response.headers["Allow"] = ", ".join(_allowed(request.app, request.scope))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return _error(500, "internal_error", "internal error; the server log has the details")

    @app.get("/healthz", tags=["meta"], summary="Liveness and the rubric in use")
    def healthz(playbook: PlaybookDep) -> dict:
        rubric = playbook.rubric
        return {"ok": True, "version": __version__, "rubric_version": rubric.version,
                "rules": len(rubric.rules)}

    app.state.auth = auth_enabled(settings)
    # one process keeps its buckets in memory; several share them through the database
    app.state.limiter = Limiter(settings.db_path if settings.workers > 1 else None)
    app.include_router(reviews.router, dependencies=[Depends(require("review"))])
    app.include_router(drafts.router, dependencies=[Depends(require("draft"))])
    app.include_router(batches.router, dependencies=[Depends(require("batch"))])
    app.include_router(connectors.router, dependencies=[Depends(require("draft"))])
    app.include_router(connectors.events)  # no key: the helpdesk signs its webhooks (connectors/base.py)
    app.include_router(ui.router)  # pages need no key; they call /v1 with the user's key
    # pages, scripts, reports and results compress 4-10x; event streams are left alone
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes)
    if not app.state.auth:  # no key protects it: other sites must not reach it (guard.py)
        app.add_middleware(LoopbackGuard)
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process of `tactful serve --workers N` (uvicorn's factory)."""
    return create_app(get_settings())
