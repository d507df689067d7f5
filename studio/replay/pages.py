"""HTML pages of review 复盘: the shows with review data, one show's dashboard, two shows side by
side, the report and workbook downloads, and the chart library served from its Python package."""

from __future__ import annotations

import functools
import gzip
import hashlib
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from studio.deps import DbSession
from studio.replay import report, service
from studio.replay.metrics import Review
from studio.replay.models import MinuteMetrics, OrderLine
from studio.shows import service as show_service
from studio.shows.models import Show
from studio.web import page_language, remember_language, render

router = APIRouter(include_in_schema=False)

PLOTLY_PATH = "/vendor/plotly.min.js"


def shows_with_data(session: Session) -> list[dict[str, Any]]:
    """Shows with imported orders or minute metrics, newest first, with their minute figures.

    A rehearsal copy 彩排 is listed with ``rehearsal_of`` set (and its title says so): its
    figures are simulated, never real sales.

    Order lines run to millions per show, so the list only asks whether a show has any (one index
    probe each); the minute table is small, so its count and peak are summed here.
    """
    has_orders = exists().where(OrderLine.show_id == Show.id)
    has_minutes = exists().where(MinuteMetrics.show_id == Show.id)
    rows = session.execute(select(Show, has_orders.label("orders"))
                           .where(or_(has_orders, has_minutes))
                           .order_by(Show.scheduled_start.desc(), Show.id)).all()
    if not rows:
        return []
    minutes = {row.show_id: row for row in session.execute(
        select(MinuteMetrics.show_id, func.count().label("minutes"),
               func.max(MinuteMetrics.online_viewers).label("peak"))
        .where(MinuteMetrics.show_id.in_([show.id for show, _ in rows]))
        .group_by(MinuteMetrics.show_id))}
    return [{"show": show, "orders": bool(orders), "rehearsal_of": show.rehearsal_of,
             "minutes": minutes[show.id].minutes if show.id in minutes else 0,
             "peak": minutes[show.id].peak if show.id in minutes else None} for show, orders in rows]


@router.get("/replay", response_class=HTMLResponse, response_model=None)
def replay_index(request: Request, session: DbSession, a: str | None = None,
                 b: str | None = None) -> Response:
    """Every show with review data; the compare form (``?a=…&b=…``) goes to the side-by-side page."""
    if a and b:
        return RedirectResponse(f"/replay/{quote(a, safe='')}/vs/{quote(b, safe='')}", status_code=303)
    settings = request.app.state.settings
    rows = [{**row, "recording": report.recording(settings, row["show"].id, row["show"].timezone,
                                                   None)["path"] is not None}
            for row in shows_with_data(session)]
    return render(request, "replay/index.html", {"rows": rows})


def _video(request: Request, show: Show, review: Review) -> dict[str, Any]:
    found = report.recording(request.app.state.settings, show.id, show.timezone,
                             review.recording_start, page_language(request))
    url = f"/clips/{quote(show.id, safe='')}/recording" if found["path"] else None
    return {"url": url, "offset": found["offset"], "note": found["note"], "mode": "page",
            "name": found["path"].name if found["path"] else None}


@router.get("/replay/compare", response_model=None)
def replay_compare_form(a: str, b: str) -> Response:
    """``/replay/compare?a=…&b=…``: the side-by-side page of two shows (a rehearsal and its show)."""
    return RedirectResponse(f"/replay/{quote(a, safe='')}/vs/{quote(b, safe='')}", status_code=303)


@router.get("/replay/{show_id}", response_class=HTMLResponse)
def replay_dashboard(request: Request, show_id: str, session: DbSession) -> HTMLResponse:
    """One show's review: charts with markers, the recording, findings, funnel, slots and SKUs."""
    show = show_service.get_show(session=session, show_id=show_id)
    review = service.build_review(session, show.id)
    context = report.dashboard_context(review, title=show.title, video=_video(request, show, review),
                                       language=page_language(request))
    others = [r["show"] for r in shows_with_data(session) if r["show"].id != show.id]
    return render(request, "replay/show.html", {**context, "show": show, "mode": "page",
                                                "others": others, "plotly_src": _plotly_src()})


@router.get("/replay/{show_a}/vs/{show_b}", response_class=HTMLResponse)
def replay_compare(request: Request, show_a: str, show_b: str,
                   session: DbSession) -> HTMLResponse:
    """Two shows side by side: per-minute GMV and viewers by minutes since going live, figures."""
    shows = [show_service.get_show(session=session, show_id=s) for s in (show_a, show_b)]
    reviews = [service.build_review(session, s.id) for s in shows]
    videos = [_video(request, s, r) for s, r in zip(shows, reviews, strict=True)]
    context = report.compare_context(*reviews, titles=(shows[0].title, shows[1].title),
                                     videos=(videos[0], videos[1]), language=page_language(request))
    return render(request, "replay/compare.html", {**context, "shows": shows,
                                                   "plotly_src": _plotly_src()})


@router.get("/replay/{show_id}/report.html")
def replay_report(request: Request, show_id: str, session: DbSession) -> Response:
    """The self-contained HTML report, in the page's language, as a download (as ``studio replay
    report`` writes it)."""
    show = show_service.get_show(session=session, show_id=show_id)
    review = service.build_review(session, show.id)
    html = report.render_report(review, title=show.title, language=page_language(request))
    response = Response(html, media_type="text/html; charset=utf-8",
                        headers=_attachment(f"{show.id}-replay.html"))
    return remember_language(request, response)


@router.get("/replay/{show_id}/export.xlsx")
def replay_workbook(request: Request, show_id: str, session: DbSession) -> Response:
    """The workbook: a sheet per grain (the same as ``studio replay export``)."""
    import io

    show = show_service.get_show(session=session, show_id=show_id)
    buffer = io.BytesIO()
    report.workbook(service.build_review(session, show.id), title=show.title,
                    language=page_language(request)).save(buffer)
    return Response(buffer.getvalue(), headers=_attachment(f"{show.id}-replay.xlsx"),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"}


# ---- the chart library: plotly.js from the plotly package, never a CDN ------------------------------

@functools.cache
def _plotly_bytes() -> tuple[bytes, bytes, str]:
    raw = report.plotly_js().encode("utf-8")
    return raw, gzip.compress(raw, compresslevel=6, mtime=0), hashlib.sha256(raw).hexdigest()[:16]


def _plotly_src() -> str:
    return f"{PLOTLY_PATH}?v={report.plotly_version()}"


@router.get(PLOTLY_PATH)
def plotly_script(request: Request) -> Response:
    """plotly.min.js as the installed ``plotly`` package ships it; gzipped when the browser asks."""
    raw, packed, digest = _plotly_bytes()
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript; charset=utf-8",
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type="text/javascript; charset=utf-8", headers=headers)
