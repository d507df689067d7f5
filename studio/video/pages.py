"""HTML pages of clips 切片: the shows with their clip workspaces, one show's clips page, downloads."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from studio.deps import DbSession
from studio.errors import NotFound, ValidationFailed
from studio.shows import service as show_service
from studio.video.router import get_jobs
from studio.video.workspace import Workspace, workspace
from studio.web import render

router = APIRouter(include_in_schema=False)

MEDIA_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime",
               ".mkv": "video/x-matroska", ".flv": "video/x-flv", ".webm": "video/webm",
               ".jpg": "image/jpeg", ".srt": "application/x-subrip", ".ass": "text/x-ssa"}
INLINE = {".mp4", ".jpg"}  # shown in the page (<video>, <img>); the rest download


@router.get("/clips", response_class=HTMLResponse)
def clips_index(request: Request, session: DbSession) -> HTMLResponse:
    """Every show with the state of its clip workspace: recording, cut list, rendered clips."""
    shows, total = show_service.list_shows(session=session, limit=200)
    jobs = get_jobs(request)
    rows = [_summary(s, workspace(request.app.state.settings, s.id), jobs.snapshot(s.id))
            for s in shows]
    return render(request, "clips/index.html", {"rows": rows, "total": total})


def _summary(show, space: Workspace, job: dict[str, Any] | None) -> dict[str, Any]:
    try:
        chosen = space.settings()
        recording = space.recording_path(chosen)
        cuts = space.saved_cuts()
    except ValidationFailed:
        chosen, recording, cuts = None, None, None
    manifest = space.manifest() or {"clips": []}
    made = [c for c in manifest["clips"] if isinstance(c, dict)]
    return {"show": show, "recording": recording.name if recording and recording.is_file() else None,
            "template": chosen.template if chosen else None,
            "cuts": None if cuts is None else len(cuts),
            "made": sum(1 for c in made if c.get("status") in ("rendered", "skipped")),
            "failed": sum(1 for c in made if c.get("status") == "failed"),
            "job": job["state"] if job else None}


@router.get("/clips/{show_id}", response_class=HTMLResponse)
def clips_page(request: Request, show_id: str, session: DbSession) -> HTMLResponse:
    """The editors' page: cut list with a preview player, render with live progress, downloads."""
    show = show_service.get_show(session=session, show_id=show_id)
    return render(request, "clips/page.html", {"show": show})


@router.get("/clips/{show_id}/recording")
def recording_file(request: Request, show_id: str, session: DbSession) -> FileResponse:
    """The show's recording for the preview player; byte ranges let the browser seek."""
    show = show_service.get_show(session=session, show_id=show_id)
    space = workspace(request.app.state.settings, show.id)
    path = space.recording_path(space.settings())
    if path is None or not path.is_file():
        raise NotFound(f"show {show.id!r} has no recording")
    return FileResponse(path, media_type=_media_type(path), filename=path.name,
                        content_disposition_type="inline")


@router.get("/clips/{show_id}/files/{name}")
def output_file(request: Request, show_id: str, name: str) -> FileResponse:
    """A rendered clip, cover or subtitle file: only what the manifest lists, from out/."""
    space = workspace(request.app.state.settings, show_id)
    path = space.output_file(name)
    if path is None:
        raise NotFound(f"no output {name!r} for show {show_id!r}")
    return FileResponse(path, media_type=_media_type(path), filename=path.name,
                        content_disposition_type="inline" if path.suffix in INLINE else "attachment",
                        headers={"Cache-Control": "no-cache"})


def _media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
