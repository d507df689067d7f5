"""HTML pages of the live console: the operator console and the OBS overlays.

Pages receive the role token in the query string (``?token=…``) and pass it to their script,
which opens the show's WebSocket; the server checks the token there.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from studio.deps import DbSession
from studio.errors import NotFound
from studio.shows import service as show_service
from studio.web import render

router = APIRouter(include_in_schema=False)
OVERLAYS = ("card", "coupon", "comments", "featured", "stats")


@router.get("/live/{show_id}/console", response_class=HTMLResponse)
def console_page(request: Request, show_id: str, session: DbSession) -> HTMLResponse:
    """The operator console 中控台."""
    show = show_service.get_show(session=session, show_id=show_id)
    return render(request, "live/console.html", {"show": show})


@router.get("/live/{show_id}/overlay/{kind}", response_class=HTMLResponse)
def overlay_page(request: Request, show_id: str, kind: str, session: DbSession) -> HTMLResponse:
    """A transparent OBS browser source that shows the current state the moment it opens."""
    if kind not in OVERLAYS:
        raise NotFound(f"no overlay {kind!r} (overlays: {', '.join(OVERLAYS)})")
    show = show_service.get_show(session=session, show_id=show_id)
    return render(request, "live/overlay.html", {"show": show, "kind": kind})
