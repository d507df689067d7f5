"""HTML page of the show registry."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from studio.deps import DbSession
from studio.shows import service
from studio.web import render

router = APIRouter(include_in_schema=False)


@router.get("/shows", response_class=HTMLResponse)
def shows_page(request: Request, session: DbSession) -> HTMLResponse:
    """Every show, newest first, with its local start time and status."""
    shows, total = service.list_shows(session=session, limit=200)
    return render(request, "shows/list.html",
                  {"shows": [service.show_out(s) for s in shows], "total": total})
