"""The FastAPI application factory: every router and page, one error shape, engine in the lifespan."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection

from studio import __version__
from studio.config import Settings, get_settings
from studio.db import make_engine, make_session_factory
from studio.errors import ErrorDetail, StudioError, ValidationFailed, unstorable
from studio.web import make_templates, render, web_root

log = logging.getLogger("studio")


@contextlib.contextmanager
def collector_tuned(youngest: int) -> Iterator[None]:
    """Keep the cycle collector's full passes short and rare while serving.

    A full pass scans every tracked object: ~110,000 from the imports plus ~300 per open socket,
    so with 1,000 overlays one stopped the event loop for 200 ms and set the fan-out p99
    (docs/benchmarks.md). What exists at startup lives as long as the process, so it is frozen
    out of the scans; and the youngest generation is collected every 20,000 allocations instead
    of 700 (``STUDIO_GC_THRESHOLD``), so fewer in-flight frames and futures survive into the old
    generation, whose growth is what triggers a full pass. Undone at shutdown, for processes
    that host the app twice.
    """
    previous = gc.get_threshold()
    gc.freeze()
    if youngest > 0:
        gc.set_threshold(youngest, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine is opened in the lifespan and closed at shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from studio.live_console import service as live_service
        from studio.live_console.hub import HubRegistry
        from studio.live_console.tokens import server_secret

        engine = make_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.live_secret = server_secret(settings)
        app.state.rate_limits = {}  # per token: see live_console.router.token_bucket
        app.state.token_cache = {}  # show -> (read at, tokens): live_console.router.current_tokens
        # with Redis configured, live events fan out to the other workers through it
        app.state.live = HubRegistry(app.state.session_factory, live_service.load_show,
                                     live_service.load_cards, redis_url=settings.redis_url,
                                     database_url=settings.resolved_database_url)
        await app.state.live.start()
        try:
            with collector_tuned(settings.gc_threshold):
                yield
        finally:
            await app.state.live.close()
            engine.dispose()

    app = FastAPI(
        title="Studio",
        version=__version__,
        summary="Catalogue, show plans, live console, clips and replay for live-commerce studios.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(storable_input)],
    )
    app.state.settings = settings
    app.state.templates = make_templates()
    app.state.templates.env.globals["display_tz"] = settings.timezone
    app.mount("/static", StaticFiles(directory=web_root() / "static"), name="static")

    from studio.catalog import pages as catalog_pages
    from studio.catalog import router as catalog_router
    from studio.live_console import pages as live_pages
    from studio.live_console import router as live_router
    from studio.replay import pages as replay_pages
    from studio.replay import router as replay_router
    from studio.scripts import pages as plan_pages
    from studio.scripts import router as plan_router
    from studio.shows import pages as show_pages
    from studio.shows import router as show_router
    from studio.video import pages as clip_pages
    from studio.video import router as clip_router

    app.include_router(catalog_router.router, prefix="/api/v1")
    app.include_router(show_router.router, prefix="/api/v1")
    app.include_router(plan_router.router, prefix="/api/v1")
    app.include_router(live_router.router)
    app.include_router(live_pages.router)
    app.include_router(catalog_pages.router)
    app.include_router(show_pages.router)
    app.include_router(plan_pages.router)
    app.include_router(clip_router.router, prefix="/api/v1")
    app.include_router(clip_pages.router)
    app.include_router(replay_router.router, prefix="/api/v1")
    app.include_router(replay_pages.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/catalog", status_code=307)

    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "not ready"}})
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the database answers and, when configured, the Redis fan-out is up."""
        import asyncio

        from sqlalchemy import text

        checks: dict[str, str] = {}

        def database() -> None:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(asyncio.to_thread(database), 5)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        bus = request.app.state.live.bus
        if bus is not None:
            checks["redis"] = "ok" if bus.connected else "reconnecting"
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["health"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics: connections, events, fan-out, render jobs (all workers)."""
        from studio.observability import RENDER_QUEUE, metrics_text

        if settings.render_queue == "redis":
            from studio.video.queue import queue_depth

            # Redis away: the gauge keeps its last value, and /readyz says why
            with contextlib.suppress(Exception):
                RENDER_QUEUE.set(queue_depth(settings))
        body, content_type = metrics_text()
        return Response(body, media_type=content_type)

    _install_error_handlers(app)
    return app


async def storable_input(connection: HTTPConnection) -> None:
    """Refuse, by name, text no database can store (PostgreSQL rejects NUL; no driver encodes a
    lone surrogate) before any handler sees it: a clear 422 instead of a failed write."""
    problem = None
    for key, value in (*connection.path_params.items(), *connection.query_params.multi_items()):
        problem = problem or unstorable(value, key)
    if problem is None and isinstance(connection, Request):
        kind = connection.headers.get("content-type", "")
        if kind.startswith("application/json"):
            raw = await connection.body()
            if b"\\u0000" in raw or b"\\ud" in raw.lower() or b"\x00" in raw:
                try:
                    problem = unstorable(json.loads(raw), "body")
                except ValueError:
                    problem = None  # not JSON: the route's own parsing says so
        elif kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await connection.form()
            for key, value in form.multi_items():
                problem = problem or unstorable(value, key)
    if problem:
        raise ValidationFailed(problem)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _error_response(
    request: Request, status: int, code: str, message: str, details: list[dict[str, Any]]
) -> Response:
    if _wants_json(request):
        body = {"error": {"code": code, "message": message, "details": details}}
        return JSONResponse(body, status_code=status)
    return render(request, "error.html", {"status": status, "message": message, "details": details},
                  status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StudioError)
    async def studio_error(request: Request, exc: StudioError) -> Response:
        return _error_response(request, exc.status_code, exc.code, exc.message,
                               [d.as_dict() for d in exc.details])

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = [
            ErrorDetail(
                message=str(error.get("msg", "invalid")),
                field=".".join(str(p) for p in error.get("loc", ()) if p != "body") or None,
            ).as_dict()
            for error in exc.errors()
        ]
        return _error_response(request, 422, "invalid", "the request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return _error_response(request, exc.status_code, code, message, [])

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal", "internal error; see the server log", [])

