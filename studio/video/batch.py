"""Render a cut list into a folder of clips: parallel, resumable, atomic, with a manifest.

Each clip gets ``NN-SKU.mp4`` (H.264/AAC, faststart), ``NN-SKU.jpg`` (cover), ``NN-SKU.srt`` and
``NN-SKU.ass`` (its subtitles in clip time, for editors), all written to a temp file then renamed.
``manifest.json`` and ``manifest.csv`` list every clip with its SKU, title, times, files and the
key of its inputs; the manifest is rewritten after each clip, so a batch cut short by a crash or a
Ctrl-C resumes where it stopped: a clip whose key (recording content, cut, template, subtitles,
banner, pipeline version) is unchanged and whose files are all there is skipped.

A clip that fails is recorded with ffmpeg's last stderr lines and the batch goes on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from studio.errors import StudioError, ValidationFailed
from studio.tabular import write_atomic
from studio.video import render as render_mod
from studio.video.cuts import Cut
from studio.video.probe import MediaInfo
from studio.video.subtitles import Cue, clip_cues, export, highlight, resegment
from studio.video.templates import BannerText, Template, card_ass, clip_ass, with_overrides
from studio.video.timecode import format_time

PIPELINE_VERSION = 3  # bump when a change to rendering should invalidate finished clips
MANIFEST = "manifest.json"
Status = Literal["rendered", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """One clip to make: its cut, what its banner says, and its template overrides."""

    cut: Cut
    banner: BannerText | None = None
    overrides: Mapping[str, Any] | None = None


def specs_for(cuts: Sequence[Cut], catalogue: Mapping[str, BannerText] | None = None,
              ) -> list[ClipSpec]:
    """Each cut with its banner: the cut list's own prices first, then the catalogue's."""
    specs = []
    for cut in cuts:
        known = (catalogue or {}).get(cut.sku or "")
        banner = BannerText(
            title=cut.title or (known.title if known else None),
            price=cut.price if cut.price is not None else (known.price if known else None),
            original_price=(cut.original_price if cut.original_price is not None
                            else (known.original_price if known else None)),
            sku=cut.sku)
        specs.append(ClipSpec(cut, banner))
    return specs


@dataclass(slots=True)
class ClipOutcome:
    index: int
    name: str
    sku: str | None
    title: str | None
    start: float
    end: float
    duration: float
    status: Status
    files: dict[str, str] = field(default_factory=dict)
    key: str = ""
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class BatchResult:
    out_dir: Path
    clips: list[ClipOutcome]

    @property
    def ok(self) -> bool:
        return all(c.status != "failed" for c in self.clips)

    def count(self, status: Status) -> int:
        return sum(1 for c in self.clips if c.status == status)


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """What the batch reports: a clip started, advanced (seconds done of ``total``) or ended."""

    kind: Literal["start", "progress", "done"]
    name: str
    done: float
    total: float
    outcome: ClipOutcome | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    recording: MediaInfo
    clips: Sequence[ClipSpec]
    out_dir: Path
    template: Template
    cues: Sequence[Cue] = ()
    ffmpeg_bin: str = "ffmpeg"
    fonts_dir: Path | None = None
    jobs: int = 1
    force: bool = False
    timelines: bool = True


def fingerprint(path: Path) -> str:
    """A cheap content key for a large media file: its size and its first and last MiB."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        if size > 2 << 20:
            handle.seek(-(1 << 20), 2)
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def _file_key(path: Path | None) -> str | None:
    return fingerprint(path) if path is not None and Path(path).is_file() else None


def clip_duration(template: Template, cut: Cut, recording: MediaInfo) -> float:
    """Seconds of the finished clip: the cut (held to the recording) plus any cards."""
    body = max(0.0, min(cut.end, recording.duration) - cut.start)
    return round(body + template.intro.seconds + template.outro.seconds, 3)


def render_batch(batch: Batch, on_event: Callable[[ProgressEvent], None] | None = None,
                 ) -> BatchResult:
    out_dir = batch.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out_dir, [spec.cut.name for spec in batch.clips])
    previous = {} if batch.force else _previous(out_dir)
    recording_key = fingerprint(batch.recording.path)
    outcomes: dict[int, ClipOutcome] = {}
    lock = threading.Lock()
    emit = on_event or (lambda event: None)

    full: list[str] = []  # set once a clip meets a full disk: the rest would only fail too

    def one(spec: ClipSpec) -> ClipOutcome:
        if full:
            cut = spec.cut
            outcome = ClipOutcome(cut.index, cut.name, cut.sku, cut.title, cut.start, cut.end,
                                  cut.duration, "failed", error=full[0])
        else:
            outcome = _render_one(batch, spec, recording_key, previous.get(spec.cut.name), emit)
            if outcome.error and "No space left on device" in outcome.error:
                full.append(f"not rendered: {out_dir} is full (no space left on device); free "
                            "some space and render again (finished clips are kept)")
        with lock:
            outcomes[spec.cut.index] = outcome
            _write_manifest(batch, [outcomes[k] for k in sorted(outcomes)])
        emit(ProgressEvent("done", outcome.name, outcome.duration, outcome.duration, outcome))
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, batch.jobs), thread_name_prefix="clip") as pool:
        list(pool.map(one, batch.clips))
    clips = [outcomes[k] for k in sorted(outcomes)]
    timelines = _write_timelines(batch, clips) if batch.timelines else {}
    _write_manifest(batch, clips, timelines)
    return BatchResult(out_dir, clips)


def _remove_leftovers(out_dir: Path, names: list[str]) -> None:
    """Temp files and work folders a killed render left (``.<clip>.*``): a clip is only ever
    half-written under such a name, and one batch of a show runs at a time."""
    import shutil

    prefixes = tuple(f".{name}." for name in names)
    for entry in out_dir.iterdir():
        if entry.name.startswith(prefixes):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _write_timelines(batch: Batch, clips: list[ClipOutcome]) -> dict[str, str]:
    """EDL and FCPXML of the clips that exist, held to the recording's end, for Premiere/Resolve."""
    from dataclasses import replace

    from studio.video import timeline

    made = {c.name for c in clips if c.status != "failed"}
    cuts = [replace(s.cut, end=min(s.cut.end, batch.recording.duration)) for s in batch.clips
            if s.cut.name in made]
    if not cuts:
        return {}
    written = {}
    for kind, name in (("edl", "timeline.edl"), ("fcpxml", "timeline.fcpxml")):
        try:
            timeline.export_timeline(cuts, batch.recording, batch.out_dir / name)
            written[kind] = name
        except StudioError:  # e.g. an unusual frame rate: the clips are still good
            (batch.out_dir / name).unlink(missing_ok=True)
    return written


def _render_one(batch: Batch, spec: ClipSpec, recording_key: str,
                before: Mapping[str, Any] | None, emit: Callable[[ProgressEvent], None],
                ) -> ClipOutcome:
    cut = spec.cut
    began = time.monotonic()
    outcome = ClipOutcome(cut.index, cut.name, cut.sku, cut.title, cut.start, cut.end,
                          cut.duration, "failed")
    try:
        if cut.start >= batch.recording.duration:
            raise ValidationFailed(f"{cut.name}: starts at {format_time(cut.start)}, after the "
                                   f"recording's end ({format_time(batch.recording.duration)})")
        template = with_overrides(batch.template, {**cut.overrides, **(spec.overrides or {})})
        outcome.duration = clip_duration(template, cut, batch.recording)
        style = template.subtitles
        keywords = [*style.keywords, *([spec.banner.title] if spec.banner and spec.banner.title
                                       else [])]
        cues = resegment(clip_cues(batch.cues, cut.start, min(cut.end, batch.recording.duration)),
                         max_cjk=style.max_cjk, max_latin=style.max_latin,
                         max_lines=style.max_lines)
        marked = highlight(cues, keywords, prices=style.highlight_prices)
        key = _key(template, cut, spec.banner, cues, recording_key)
        outcome.key = key
        files = {"video": f"{cut.name}.mp4", "cover": f"{cut.name}.jpg"}
        if cues:
            files |= {"srt": f"{cut.name}.srt", "ass": f"{cut.name}.ass"}
        outcome.files = files
        if (before and before.get("key") == key and before.get("status") in ("rendered", "skipped")
                and all((batch.out_dir / f).is_file() for f in files.values())):
            outcome.status = "skipped"
            return outcome
        emit(ProgressEvent("start", cut.name, 0.0, outcome.duration))
        _render_files(batch, spec, template, cues, marked, outcome, emit)
        outcome.status = "rendered"
    except StudioError as exc:
        outcome.error = str(exc)
    except Exception as exc:  # one clip's surprise must not stop the batch
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        outcome.seconds = round(time.monotonic() - began, 3)
    return outcome


def _render_files(batch: Batch, spec: ClipSpec, template: Template, cues: list[Cue],
                  marked: list, outcome: ClipOutcome, emit: Callable[[ProgressEvent], None]) -> None:
    cut, out_dir = spec.cut, batch.out_dir
    body = round(min(cut.end, batch.recording.duration) - cut.start, 3)
    fields = (spec.banner or BannerText(title=cut.title, sku=cut.sku)).fields(cut.index, template)
    with tempfile.TemporaryDirectory(prefix=f".{cut.name}.", dir=out_dir) as work:
        work_dir = Path(work)
        ass = work_dir / "burn.ass"
        ass.write_text(clip_ass(template, marked, spec.banner, body, cut.index), encoding="utf-8")
        extras = render_mod.Extras(
            intro=_card(template, "intro", fields, work_dir),
            outro=_card(template, "outro", fields, work_dir),
            logo=(render_mod.Logo(template.logo.path, template.logo.width, template.logo.corner,
                                  template.safe_area.left, template.safe_area.top)
                  if template.logo.path else None),
            music=(render_mod.Music(template.music.path, template.music.volume_db,
                                    template.music.duck, template.music.duck_ratio,
                                    template.music.fade)
                   if template.music.path else None))
        settings = render_mod.RenderSettings(
            layout=template.layout, focus_x=template.focus_x, fps=template.fps, crf=template.crf,
            preset=template.preset, loudness=template.loudness, true_peak=template.true_peak)
        total = outcome.duration

        def progress(done: float) -> None:
            emit(ProgressEvent("progress", cut.name, min(done, total), total))

        video = out_dir / outcome.files["video"]
        render_mod.render_clip(ffmpeg_bin=batch.ffmpeg_bin, info=batch.recording, start=cut.start,
                               end=cut.end, out=video, settings=settings, ass=ass,
                               fonts_dir=batch.fonts_dir, extras=extras, progress=progress)
        cover_at = template.intro.seconds + min(2.0, body / 3)
        render_mod.write_cover(batch.ffmpeg_bin, video, out_dir / outcome.files["cover"], cover_at)
        if cues:
            export(cues, out_dir / outcome.files["srt"])
            style = template.subtitles
            export(marked, out_dir / outcome.files["ass"], font=style.font, size=style.size,
                   play_res=template.size, margin_v=template.safe_area.bottom,
                   primary=style.colour, highlight=style.highlight, unsung=style.unsung,
                   outline=style.outline)


def _card(template: Template, which: str, fields: Mapping[str, str], work: Path,
          ) -> render_mod.Card | None:
    style = getattr(template, which)
    text = card_ass(template, style, fields)
    if style.seconds <= 0:
        return None
    path = None
    if text is not None:
        path = work / f"{which}.ass"
        path.write_text(text, encoding="utf-8")
    return render_mod.Card(style.seconds, style.background, path)


def _key(template: Template, cut: Cut, banner: BannerText | None, cues: list[Cue],
         recording_key: str) -> str:
    payload = {
        "pipeline": PIPELINE_VERSION, "recording": recording_key,
        "cut": [cut.start, cut.end, cut.sku, cut.title, cut.index],
        "template": template.model_dump(mode="json"),
        "logo": _file_key(template.logo.path), "music": _file_key(template.music.path),
        "banner": None if banner is None else [banner.title, str(banner.price),
                                               str(banner.original_price), banner.sku],
        "cues": [[c.start, c.end, c.text, [[w.start, w.end, w.text] for w in c.words]]
                 for c in cues],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _previous(out_dir: Path) -> dict[str, Mapping[str, Any]]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return {clip["name"]: clip for clip in data.get("clips", []) if isinstance(clip, dict)}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}  # no manifest, or one we cannot read: render everything


MANIFEST_COLUMNS = ("index", "name", "sku", "title", "start", "end", "duration", "status",
                    "video", "cover", "srt", "ass", "error")


def _write_manifest(batch: Batch, clips: list[ClipOutcome],
                    timelines: Mapping[str, str] | None = None) -> None:
    data = {
        "recording": str(batch.recording.path), "template": batch.template.name,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline": PIPELINE_VERSION, "clips": [c.as_dict() for c in clips],
        "timelines": dict(timelines or {}),
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    write_atomic(batch.out_dir / MANIFEST, lambda temp: temp.write_text(text, encoding="utf-8"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for c in clips:
        writer.writerow([c.index, c.name, c.sku or "", c.title or "", format_time(c.start),
                         format_time(c.end), f"{c.duration:.3f}", c.status,
                         *(c.files.get(k, "") for k in ("video", "cover", "srt", "ass")),
                         (c.error or "").splitlines()[0] if c.error else ""])
    csv_text = "\ufeff" + buffer.getvalue()  # a BOM so Excel reads the Chinese titles
    write_atomic(batch.out_dir / "manifest.csv",
                 lambda temp: temp.write_text(csv_text, encoding="utf-8", newline=""))
