"""A show's clip workspace on disk, ``<STUDIO_HOME>/clips/<show>/``: settings, cut list, outputs.

    clips.json   the page's settings: recording, transcript, recording start, template, jobs
    cuts.csv     the reviewed cut list (the CLI reads it too: ``studio clip render --cuts``)
    out/         the rendered clips and manifest.json

The recording and transcript are files on the server: a path the editor types, or by default
``<STUDIO_HOME>/recordings/<show>.mp4`` (.mkv, .mov, .flv) and ``<show>.srt`` (.vtt, .ass, .json).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from studio.config import Settings
from studio.errors import ErrorDetail, NotFound, ValidationFailed
from studio.tabular import read_table, write_atomic
from studio.video import batch as batch_mod
from studio.video.cuts import Cut, read_cut_list
from studio.video.probe import MediaInfo, probe
from studio.video.timecode import format_time, parse_time

RECORDING_SUFFIXES = (".mp4", ".mkv", ".mov", ".flv")
TRANSCRIPT_SUFFIXES = (".srt", ".vtt", ".ass", ".json")
MAX_CUTS = 500


# ---- the workspace on disk ------------------------------------------------------------------------

class ClipSettings(BaseModel):
    """What the editor chose for a show's clips; empty paths mean the default locations."""

    model_config = ConfigDict(extra="forbid")

    recording: str | None = Field(None, description="recording on the server; empty: "
                                  "<STUDIO_HOME>/recordings/<show>.mp4 (.mkv, .mov, .flv)")
    transcript: str | None = Field(None, description="subtitles for the recording (SRT, VTT, ASS, "
                                   "word JSON); empty: <STUDIO_HOME>/recordings/<show>.srt …")
    recording_start: str | None = Field(None, description="ISO 8601 moment the recording began; "
                                        "empty: when the show went live")
    template: str = "default"
    jobs: int = Field(1, ge=1, le=8, description="clips rendered at once")

    @field_validator("recording", "transcript", "recording_start", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Workspace:
    """The folder of one show's clips."""

    home: Path
    show_id: str

    @property
    def folder(self) -> Path:
        return self.home / "clips" / self.show_id

    @property
    def settings_file(self) -> Path:
        return self.folder / "clips.json"

    @property
    def cuts_file(self) -> Path:
        return self.folder / "cuts.csv"

    @property
    def out_dir(self) -> Path:
        return self.folder / "out"

    def settings(self) -> ClipSettings:
        try:
            data = json.loads(self.settings_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return ClipSettings()
        except (OSError, ValueError) as exc:
            raise ValidationFailed(f"{self.settings_file}: not readable ({exc}); fix or delete "
                                   "it") from None
        data.pop("updated_at", None)
        return ClipSettings.model_validate(data)

    def save_settings(self, chosen: ClipSettings) -> None:
        data = chosen.model_dump() | {"updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
        text = json.dumps(data, ensure_ascii=False, indent=2)
        write_atomic(self.settings_file, lambda temp: temp.write_text(text, encoding="utf-8"))

    def recording_path(self, chosen: ClipSettings) -> Path | None:
        return self._file(chosen.recording, RECORDING_SUFFIXES)

    def transcript_path(self, chosen: ClipSettings) -> Path | None:
        return self._file(chosen.transcript, TRANSCRIPT_SUFFIXES)

    def _file(self, typed: str | None, suffixes: tuple[str, ...]) -> Path | None:
        if typed:
            return server_path(typed, self.home)
        for suffix in suffixes:
            candidate = self.home / "recordings" / f"{self.show_id}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    def saved_cuts(self) -> list[Cut] | None:
        """The reviewed cut list; None when none was saved, [] when it was saved empty."""
        if not self.cuts_file.is_file():
            return None
        if not read_table(self.cuts_file).rows:
            return []
        return read_cut_list(self.cuts_file)

    def manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.out_dir / batch_mod.MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("clips"), list) else None

    def output_file(self, name: str) -> Path | None:
        """A file the manifest lists, inside out/; None for anything else."""
        manifest = self.manifest()
        if manifest is None or not _plain_name(name):
            return None
        listed = {value for clip in manifest["clips"] if isinstance(clip, dict)
                  for value in (clip.get("files") or {}).values()}
        listed |= set((manifest.get("timelines") or {}).values())
        if name not in listed:
            return None
        path = (self.out_dir / name).resolve()
        if path.parent != self.out_dir.resolve() or not path.is_file():
            return None
        return path


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and Path(name).name == name and "\\" not in name


def server_path(typed: str, home: Path) -> Path:
    """A path as the editor typed it: ``~`` expanded, relative ones inside STUDIO_HOME."""
    path = Path(typed).expanduser()
    return (path if path.is_absolute() else home / path).resolve()


def workspace(settings: Settings, show_id: str) -> Workspace:
    if not _plain_name(show_id):
        raise NotFound(f"no show {show_id!r}")
    return Workspace(Path(settings.home), show_id)


@functools.lru_cache(maxsize=32)
def _probe_once(path: str, mtime_ns: int, size: int) -> MediaInfo:
    return probe(Path(path))


def probe_recording(path: Path) -> MediaInfo:
    """Probe a recording, once per version of the file (the page asks on every load)."""
    try:
        stat = path.stat()
    except OSError:
        raise ValidationFailed(f"{path}: no such recording") from None
    return _probe_once(str(path), stat.st_mtime_ns, stat.st_size)


def recording_json(show_id: str, info: MediaInfo) -> dict[str, Any]:
    video = info.video
    width, height = video.display_size if video else (None, None)
    return {"path": str(info.path), "name": info.path.name, "size": info.path.stat().st_size,
            "duration": info.duration, "format": info.format,
            "fps": round(float(video.frame_rate), 3) if video else None,
            "frame_duration": round(info.frame_duration, 6), "width": width, "height": height,
            "audio": info.audio is not None, "url": f"/clips/{show_id}/recording"}


def cut_json(cut: Cut) -> dict[str, Any]:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    return {"index": cut.index, "name": cut.name, "start": cut.start, "end": cut.end,
            "length": cut.duration, "sku": cut.sku, "title": cut.title, "price": money(cut.price),
            "original_price": money(cut.original_price)}


# ---- checking cut rows --------------------------------------------------------------------------

ROW_FIELDS = ("start", "end", "sku", "title", "price", "original_price")
ECHOED_FIELDS = ("index", "name", "length")  # what GET sends back; ignored when a client returns it
TEXT_LIMITS = {"sku": 80, "title": 200}


def parse_cut_rows(rows: list[Any], duration: float | None, frame: float = 0.0) -> list[Cut]:
    """Cuts from the page's rows (numbered from 1); ValidationFailed naming each row and field."""
    from studio.catalog.values import parse_money

    if len(rows) > MAX_CUTS:
        raise ValidationFailed(f"{len(rows)} cuts is more than {MAX_CUTS}; split the show")
    cuts: list[Cut] = []
    errors: list[ErrorDetail] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors.append(ErrorDetail("a cut is an object with start and end", row=number))
            continue
        problems = [ErrorDetail(f"unknown field {key!r} (fields: {', '.join(ROW_FIELDS)})",
                                field=key, row=number)
                    for key in row if key not in ROW_FIELDS + ECHOED_FIELDS]
        times: dict[str, float] = {}
        for name in ("start", "end"):
            value = row.get(name)
            try:
                if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
                    raise ValueError("give a time such as 75.5 or 00:01:15.500")
                times[name] = parse_time(value)
            except ValueError as exc:
                problems.append(ErrorDetail(str(exc), field=name, row=number))
        texts: dict[str, str | None] = {}
        for name, limit in TEXT_LIMITS.items():
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                problems.append(ErrorDetail("must be text", field=name, row=number))
            elif value is not None and len(value.strip()) > limit:
                problems.append(ErrorDetail(f"longer than {limit} characters", field=name,
                                            row=number))
            else:
                texts[name] = (value or "").strip() or None
        prices: dict[str, Decimal | None] = {}
        for name in ("price", "original_price"):
            value = row.get(name)
            try:
                if isinstance(value, float | bool) or not isinstance(value, str | int | None):
                    raise ValueError('write money as text such as "159.00", never a float')
                text = "" if value is None else str(value).strip()
                prices[name] = parse_money(text) if text else None
            except ValueError as exc:
                problems.append(ErrorDetail(str(exc), field=name, row=number))
        if {"start", "end"} <= times.keys():
            problems += time_problems(times["start"], times["end"], duration, frame, number)
        if not problems and None not in (prices["price"], prices["original_price"]) \
                and prices["original_price"] < prices["price"]:
            problems.append(ErrorDetail(
                f"原价 original price {prices['original_price']} is below the live price "
                f"{prices['price']}; the banner would strike out the lower price",
                field="original_price", row=number))
        if problems:
            errors += problems
            continue
        cuts.append(Cut(times["start"], times["end"], texts["sku"], texts["title"],
                        index=len(cuts) + 1, **prices))
    if errors:
        rows_bad = len({e.row for e in errors})
        raise ValidationFailed(f"{rows_bad} bad row(s) in the cut list; nothing was saved",
                               details=errors)
    return cuts


def time_problems(start: float, end: float, duration: float | None, frame: float,
                   number: int) -> list[ErrorDetail]:
    if end <= start:
        return [ErrorDetail(f"end {format_time(end)} is not after start {format_time(start)}",
                            field="end", row=number)]
    if end - start < frame:
        return [ErrorDetail("shorter than one frame", field="end", row=number)]
    if duration is None:
        return []
    if start >= duration:
        return [ErrorDetail(f"start {format_time(start)} is after the recording's end "
                            f"({format_time(duration)})", field="start", row=number)]
    if end > duration + frame / 2:
        return [ErrorDetail(f"end {format_time(end)} is after the recording's end "
                            f"({format_time(duration)})", field="end", row=number)]
    return []


def build_batch(session: Any, settings: Settings, show_id: str, *, force: bool = False,
                ) -> batch_mod.Batch:
    """The show's saved cut list as a render batch, checked against its recording: what the
    clips page renders, here or on a render worker (which rebuilds it from the same files)."""
    from studio.shows import service as show_service
    from studio.video import templates
    from studio.video.service import catalogue_banners
    from studio.video.subtitles import load_transcript

    show = show_service.get_show(session=session, show_id=show_id)
    space = workspace(settings, show.id)
    chosen = space.settings()
    path = space.recording_path(chosen)
    if path is None:
        raise ValidationFailed(f"no recording for show {show.id!r}: put it at "
                               f"{space.home / 'recordings'}/{show.id}.mp4 or set its path")
    info = probe_recording(path)
    cuts = space.saved_cuts()
    if not cuts:
        raise ValidationFailed("save a cut list with at least one clip before rendering")
    problems = [p for c in cuts for p in time_problems(c.start, c.end, info.duration,
                                                         info.frame_duration, c.index)]
    if problems:
        raise ValidationFailed(f"the saved cut list does not fit {path.name}; fix the rows and save",
                               details=problems)
    template = templates.load_template(chosen.template, home=space.home)
    transcript = space.transcript_path(chosen)
    cues = load_transcript(transcript) if transcript is not None else []
    skus = [c.sku for c in cuts if c.sku and (c.price is None or c.title is None)]
    banners = catalogue_banners(session, skus) if skus else {}
    fonts_dir = settings.font_path.parent if settings.font_path else None
    return batch_mod.Batch(recording=info, clips=batch_mod.specs_for(cuts, banners),
                           out_dir=space.out_dir, template=template, cues=cues,
                           ffmpeg_bin=settings.ffmpeg_binary(), fonts_dir=fonts_dir,
                           jobs=chosen.jobs, force=force)
