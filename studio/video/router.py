"""JSON API of the clips page under /api/v1/clips/{show}: workspace, cut list, renders, progress.

Each show has a clip workspace on disk, ``<STUDIO_HOME>/clips/<show>/``:

    clips.json   the page's settings: recording, transcript, recording start, template, jobs
    cuts.csv     the reviewed cut list (the CLI reads it too: ``studio clip render --cuts``)
    out/         the rendered clips and manifest.json (what ``GET /clips/{show}/files/…`` serves)

The recording and transcript are files on the server: a path the editor types, or by default
``<STUDIO_HOME>/recordings/<show>.mp4`` (.mkv, .mov, .flv) and ``<show>.srt`` (.vtt, .ass, .json).
Progress of a render is a snapshot (studio.video.jobs) sent as Server-Sent Events.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from studio.config import Settings
from studio.deps import DbSession
from studio.errors import ErrorDetail, NotFound, ValidationFailed
from studio.shows import service as show_service
from studio.video import templates
from studio.video.cuts import Cut, write_cut_list
from studio.video.jobs import ClipJobs, LocalJobs
from studio.video.probe import MediaInfo
from studio.video.workspace import (
    ClipSettings,
    Workspace,
    build_batch,
    cut_json,
    parse_cut_rows,
    probe_recording,
    recording_json,
    server_path,
    workspace,
)

router = APIRouter(prefix="/clips", tags=["clips"])

KEEPALIVE_SECONDS = 15.0
COALESCE_SECONDS = 0.25  # at most four snapshots a second per watcher, however busy ffmpeg is


# ---- the render job registry -----------------------------------------------------------------------

_registry_lock = threading.Lock()


def get_jobs(request: Request) -> ClipJobs:
    """The app's render jobs, made on first use (one registry per app)."""
    state = request.app.state
    with _registry_lock:
        if getattr(state, "clip_jobs", None) is None:
            if state.settings.render_queue == "redis":
                from studio.video.queue import QueueJobs

                state.clip_jobs = QueueJobs(state.settings)
            else:
                state.clip_jobs = LocalJobs()
        return state.clip_jobs


Jobs = Annotated[ClipJobs, Depends(get_jobs)]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


AppSettings = Annotated[Settings, Depends(_settings)]


# ---- routes ---------------------------------------------------------------------------------------

@router.get("/{show_id}")
def read_workspace(show_id: str, session: DbSession, app_settings: AppSettings,
                   jobs: Jobs) -> dict[str, Any]:
    """Settings, recording, cut list (saved, else proposed from the event log), templates, outputs."""
    show = show_service.get_show(session=session, show_id=show_id)
    space = workspace(app_settings, show.id)
    chosen = space.settings()
    info, recording_error = None, None
    path = space.recording_path(chosen)
    if path is None:
        recording_error = (f"no recording yet: put it at {space.home / 'recordings'}/{show.id}.mp4 "
                           "(or .mkv, .mov, .flv) or type its path")
    else:
        try:
            info = probe_recording(path)
        except ValidationFailed as exc:
            recording_error = exc.message
    cuts, source, note = _cut_list(session, space, chosen, info)
    transcript = space.transcript_path(chosen)
    return {
        "show": {"id": show.id, "title": show.title, "timezone": show.timezone,
                 "status": show.status.value},
        "settings": chosen.model_dump(),
        "recording": None if info is None else recording_json(show.id, info),
        "recording_error": recording_error,
        "transcript": None if transcript is None else {"path": str(transcript),
                                                       "exists": transcript.is_file()},
        "cuts": [cut_json(c) for c in cuts], "cuts_source": source, "cuts_note": note,
        "templates": _templates(space.home),
        "max_jobs": min(8, os.cpu_count() or 1),  # clips at once that this server can usefully run
        "manifest": _manifest_json(space),
        "job": jobs.snapshot(show.id),
    }


def _cut_list(session, space: Workspace, chosen: ClipSettings, info: MediaInfo | None,
              ) -> tuple[list[Cut], str, str | None]:
    from studio.video.service import show_cuts

    try:
        saved = space.saved_cuts()
    except ValidationFailed as exc:
        return [], "none", f"the saved cut list cannot be read: {exc.message}"
    if saved is not None:
        return saved, "saved", None
    try:
        cuts, start = show_cuts(session, space.show_id, recording_start=chosen.recording_start,
                                recording_duration=info.duration if info else None)
    except ValidationFailed as exc:
        return [], "none", exc.message
    return cuts, "event_log", (f"proposed from the event log: one clip per product card, the "
                               f"recording taken to start at {start.isoformat()}; review and save")


def _templates(home: Path) -> list[dict[str, Any]]:
    found = []
    for name in templates.available(home):
        try:
            chosen = templates.load_template(name, home=home)
        except ValidationFailed as exc:
            found.append({"name": name, "error": exc.message})
            continue
        found.append({"name": name, "layout": chosen.layout, "description": chosen.description,
                      "size": list(chosen.size)})
    return found


def _manifest_json(space: Workspace) -> dict[str, Any] | None:
    manifest = space.manifest()
    if manifest is None:
        return None
    return {"written_at": manifest.get("written_at"), "template": manifest.get("template"),
            "clips": [clip for clip in manifest["clips"] if isinstance(clip, dict)]}


@router.put("/{show_id}/settings")
def save_settings(show_id: str, body: ClipSettings, session: DbSession,
                  app_settings: AppSettings) -> dict[str, Any]:
    """Choose the recording, transcript, recording start, template and parallel jobs; all checked."""
    from studio.video.service import parse_moment
    from studio.video.subtitles import load_transcript

    show = show_service.get_show(session=session, show_id=show_id)
    space = workspace(app_settings, show.id)
    errors: list[ErrorDetail] = []
    for name, typed, check in (("recording", body.recording, probe_recording),
                               ("transcript", body.transcript, load_transcript)):
        if typed:
            try:
                check(server_path(typed, space.home))
            except ValidationFailed as exc:
                errors.append(ErrorDetail(exc.message, field=name))
    if body.recording_start:
        try:
            parse_moment(body.recording_start, show.timezone)
        except ValidationFailed as exc:
            errors.append(ErrorDetail(exc.message.removeprefix("--recording-start: "),
                                      field="recording_start"))
    try:
        templates.load_template(body.template, home=space.home)
    except ValidationFailed as exc:
        errors.append(ErrorDetail(exc.message, field="template"))
    if errors:
        raise ValidationFailed("the clip settings were not saved", details=errors)
    space.save_settings(body)
    return {"settings": body.model_dump()}


class CutsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cuts: list[Any] = Field(description="rows of start, end, sku, title, price, original_price")


@router.put("/{show_id}/cuts")
def save_cuts(show_id: str, body: CutsIn, session: DbSession,
              app_settings: AppSettings) -> dict[str, Any]:
    """Check every row (times inside the recording, prices as money) and save the cut list."""
    show = show_service.get_show(session=session, show_id=show_id)
    space = workspace(app_settings, show.id)
    info = _recording_or_none(space)
    cuts = parse_cut_rows(body.cuts, info.duration if info else None,
                          info.frame_duration if info else 0.0)
    write_cut_list(cuts, space.cuts_file)
    return {"cuts": [cut_json(c) for c in cuts], "cuts_source": "saved"}


def _recording_or_none(space: Workspace) -> MediaInfo | None:
    path = space.recording_path(space.settings())
    if path is None:
        return None
    try:
        return probe_recording(path)
    except ValidationFailed:
        return None  # the cut list can be saved before the recording is in place


class RenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(False, description="render again even the clips that did not change")


@router.post("/{show_id}/render", status_code=202)
def start_render(show_id: str, session: DbSession, app_settings: AppSettings, jobs: Jobs,
                 response: Response, body: RenderIn | None = None) -> dict[str, Any]:
    """Render the saved cut list with the chosen template; follow it at …/job or …/job/events."""
    batch = build_batch(session, app_settings, show_id, force=bool(body and body.force))
    snapshot = jobs.start(show_id, batch)
    response.headers["Location"] = f"/api/v1/clips/{show_id}/job"
    return snapshot


@router.get("/{show_id}/job")
def read_job(show_id: str, jobs: Jobs) -> dict[str, Any]:
    """The show's newest render: state, overall and per-clip progress, outcomes (polling)."""
    return _snapshot_or_404(jobs, show_id)


def _snapshot_or_404(jobs: ClipJobs, show_id: str) -> dict[str, Any]:
    snapshot = jobs.snapshot(show_id)
    if snapshot is None:
        raise NotFound(f"show {show_id!r} has no render since the server started")
    return snapshot


@router.get("/{show_id}/job/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def job_events(show_id: str, jobs: Jobs) -> StreamingResponse:
    """Server-Sent Events: a ``job`` event with the whole snapshot on each change, until it ends."""
    _snapshot_or_404(jobs, show_id)

    async def stream() -> AsyncIterator[str]:
        seen = -1
        yield "retry: 2000\n\n"
        while True:
            snapshot = await jobs.wait(show_id, seen, KEEPALIVE_SECONDS)
            if snapshot is None:
                return
            if snapshot["version"] <= seen:
                yield ": rendering\n\n"  # a comment keeps proxies from closing a quiet stream
                continue
            seen = snapshot["version"]
            data = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))
            yield f"id: {seen}\nevent: job\ndata: {data}\n\n"
            if snapshot["state"] in ("done", "failed"):
                return
            await asyncio.sleep(COALESCE_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
