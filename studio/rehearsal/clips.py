"""Clips of a rehearsal: one per product card window, cut from its synthetic recording."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from studio.config import Settings
from studio.errors import StudioError

TEMPLATE = "rehearsal"  # the default look, rendered fast (studio/video/template_files)
# a card window becomes a clip of 6–15 s: enough to see the banner and hear a sentence or two
RULES = {"pad_before": 0.5, "pad_after": 0.5, "min_length": 6.0, "max_length": 15.0}


class ClipsFailed(StudioError):
    code = "clips_failed"


def render_clips(settings: Settings, session_factory: sessionmaker[Session], show_id: str, *,
                 jobs: int = 1, progress: Callable[[object], None] | None = None) -> list[Path]:
    """Plan the cut list from the event log, save it where the clips page reads it (so an
    editor can review and render again there), render it, and return the clips written."""
    from studio.video import batch as batch_mod
    from studio.video.cuts import CutRules, write_cut_list
    from studio.video.service import show_cuts
    from studio.video.workspace import ClipSettings, build_batch, probe_recording, workspace

    space = workspace(settings, show_id)
    chosen = space.settings()
    recording = space.recording_path(chosen)
    if recording is None:
        raise ClipsFailed(f"no recording for {show_id!r}: write it first (write_recording)")
    info = probe_recording(recording)
    with session_factory() as session:
        cuts, _ = show_cuts(session, show_id, recording_duration=info.duration,
                            rules=CutRules(**RULES))
    write_cut_list(cuts, space.cuts_file)
    space.save_settings(ClipSettings(template=TEMPLATE, jobs=jobs))
    with session_factory() as session:
        job = build_batch(session, settings, show_id)
    result = batch_mod.render_batch(job, progress)
    failed = [c for c in result.clips if c.status == "failed"]
    if failed:
        first = failed[0]
        raise ClipsFailed(f"{len(failed)} of {len(result.clips)} clips failed; {first.name}: "
                          f"{first.error}")
    return [result.out_dir / c.files["video"] for c in result.clips if c.files.get("video")]
