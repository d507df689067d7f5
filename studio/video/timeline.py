"""Timeline export: a cut list as an edit an editor finishes in Premiere, Resolve or Final Cut Pro.

Each cut becomes one event (EDL) or one clip (FCPXML) taken from the one recording, laid end to end
from the timeline's start. Source and record positions are whole frames at the recording's rate,
so the editor's NLE lands on exactly the frames the cut list names.

* ``.edl`` — CMX 3600, the one format every NLE imports (Premiere Pro's route: it does not read
  FCPXML). Clip names go in ``* FROM CLIP NAME:`` comments; the reel is the recording's name, so
  relinking one offline clip relinks every event.
* ``.fcpxml`` — FCPXML 1.8 (DaVinci Resolve 16+ and Final Cut Pro 10.4+). It carries the
  recording's file URL, picture size and audio, so it opens linked; UTF-8, CJK titles intact.

Frame rates: the recording's rate is snapped to the standard rate it is (23.976, 25, 29.97, 30,
59.94 …); 29.97 and 59.94 get drop-frame timecode by default, because a multi-hour livestream
in non-drop timecode drifts 3.6 s an hour from the clock. ``drop_frame=False`` chooses
non-drop. A source timecode is the time from the recording's first frame (00:00:00:00), which
is what a screen or OBS recording without a timecode track reads as in the NLE.

The formats are written here rather than through OpenTimelineIO: its CMX adapter writes the video
track only (no audio channels, no FCM line) and its FCPXML adapter fails at 29.97 fps and on clip
names with an apostrophe, and writes no picture size. Both formats are small and fixed.
"""

from __future__ import annotations

import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from studio.errors import ValidationFailed
from studio.tabular import write_atomic
from studio.video.cuts import Cut
from studio.video.probe import MediaInfo

FORMATS = {".edl": "CMX 3600 EDL", ".fcpxml": "FCPXML"}
FCPXML_VERSION = "1.8"
MAX_EDL_EVENTS = 999  # event numbers are three digits
_NTSC = tuple(Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120))
DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
_AUDIO_RATES = {32000: "32k", 44100: "44.1k", 48000: "48k", 88200: "88.2k", 96000: "96k"}


@dataclass(frozen=True, slots=True)
class TimelineClip:
    """One cut placed on the timeline; positions in frames, ``*_out`` exclusive."""

    name: str
    source_in: int
    source_out: int
    record_in: int

    @property
    def frames(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_out(self) -> int:
        return self.record_in + self.frames


@dataclass(frozen=True, slots=True)
class Timeline:
    """The edit both writers render: one recording, its clips end to end, at one frame rate."""

    title: str
    recording: Path
    rate: Fraction  # frames per second: 25, 30000/1001, …
    drop_frame: bool
    width: int
    height: int
    recording_frames: int
    audio_channels: int  # 0 when the recording has no audio
    audio_rate: int
    clips: tuple[TimelineClip, ...]

    @property
    def timebase(self) -> int:
        """Frames per timecode second: 30 for 29.97."""
        return round(self.rate)

    @property
    def frames(self) -> int:
        return self.clips[-1].record_out if self.clips else 0


def clip_name(cut: Cut) -> str:
    """``SKU title`` on one line: what the editor sees on the clip."""
    return _one_line(" ".join(part for part in (cut.sku, cut.title) if part)) or f"Clip {cut.index}"


def timeline_rate(rate: Fraction | float) -> Fraction:
    """The standard rate a recording runs at: NTSC rates exactly, others as whole frames."""
    rate = Fraction(rate)
    if rate <= 0:
        raise ValueError(f"frame rate {float(rate):g} is not positive")
    ntsc = min(_NTSC, key=lambda r: abs(r - rate))
    if abs(ntsc - rate) / ntsc < Fraction(1, 1000):
        return ntsc
    whole = Fraction(max(1, round(rate)))
    if abs(whole - rate) / whole <= Fraction(2, 100):
        return whole
    raise ValueError(f"frame rate {float(rate):.3f} fps is not a standard rate; "
                     "render a constant-frame-rate copy first")


def to_frames(seconds: float, rate: Fraction) -> int:
    """The frame at ``seconds`` (rounded to the nearest, halves up)."""
    return math.floor(Fraction(round(seconds * 1000), 1000) * rate + Fraction(1, 2))


def timecode(frames: int, rate: Fraction, *, drop_frame: bool = False) -> str:
    """``HH:MM:SS:FF``, or ``HH:MM:SS;FF`` in drop-frame (frame numbers 0 and 1 skipped each
    minute except every tenth at 29.97; 0–3 at 59.94)."""
    base = round(rate)
    if drop_frame:
        dropped = base // 15  # 2 at 29.97, 4 at 59.94
        per_ten_minutes = base * 600 - dropped * 9
        per_minute = base * 60 - dropped
        tens, rest = divmod(frames, per_ten_minutes)
        skipped = dropped * 9 * tens
        if rest > dropped:
            skipped += dropped * ((rest - dropped) // per_minute)
        frames += skipped
    seconds, ff = divmod(frames, base)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop_frame else ':'}{ff:02d}"


def build_timeline(cuts: Iterable[Cut], info: MediaInfo, *, title: str | None = None,
                   drop_frame: bool | None = None) -> Timeline:
    """Place ``cuts`` end to end at the recording's frame rate; ValidationFailed names a bad cut."""
    cuts = list(cuts)
    name = info.path.name
    if info.video is None:
        raise ValidationFailed(f"{name}: has no video stream to build a timeline on")
    if not cuts:
        raise ValidationFailed(f"{name}: the cut list is empty; nothing to export")
    try:
        rate = timeline_rate(info.video.frame_rate)
    except ValueError as exc:
        raise ValidationFailed(f"{name}: {exc}") from None
    if drop_frame and rate not in DROP_FRAME_RATES:
        raise ValidationFailed(f"{name}: drop-frame timecode exists only at 29.97 and 59.94 fps "
                               f"(the recording runs at {float(rate):.3f})")
    recording_frames = to_frames(info.duration, rate)
    clips: list[TimelineClip] = []
    for cut in cuts:
        source_in, source_out = to_frames(cut.start, rate), to_frames(cut.end, rate)
        where = f"{name}: cut {cut.index} ({clip_name(cut)})"
        if source_out > recording_frames + 1:  # a frame of slack for a duration rounded down
            raise ValidationFailed(f"{where} ends at {cut.end:.3f} s, after the recording "
                                   f"({info.duration:.3f} s)")
        source_out = min(source_out, recording_frames)
        if source_out <= source_in:
            raise ValidationFailed(f"{where} is shorter than one frame at {float(rate):g} fps")
        record_in = clips[-1].record_out if clips else 0
        clips.append(TimelineClip(clip_name(cut), source_in, source_out, record_in))
    width, height = info.video.display_size
    return Timeline(
        title=_one_line(title or "") or info.path.stem, recording=info.path.resolve(), rate=rate,
        drop_frame=rate in DROP_FRAME_RATES and drop_frame is not False,
        width=width, height=height, recording_frames=recording_frames,
        audio_channels=info.audio.channels if info.audio else 0,
        audio_rate=info.audio.sample_rate if info.audio else 0, clips=tuple(clips))


def edl_text(timeline: Timeline) -> str:
    """The timeline as a CMX 3600 EDL (UTF-8; clip names in ``* FROM CLIP NAME:`` comments)."""
    if len(timeline.clips) > MAX_EDL_EVENTS:
        raise ValidationFailed(f"{timeline.recording.name}: {len(timeline.clips)} cuts; an EDL holds "
                               f"at most {MAX_EDL_EVENTS} events (export FCPXML instead)")
    def tc(frames: int) -> str:
        return timecode(frames, timeline.rate, drop_frame=timeline.drop_frame)

    if int(tc(max(timeline.recording_frames, timeline.frames)).split(":")[0]) >= 24:
        raise ValidationFailed(f"{timeline.recording.name}: EDL timecode stops at 24 hours "
                               "(export FCPXML instead)")
    channels = {0: "V", 1: "B"}.get(timeline.audio_channels, "AA/V")  # B: picture and audio 1
    reel = re.sub(r"[^A-Za-z0-9_]", "", timeline.recording.stem)[:8] or "REC"
    lines = [f"TITLE: {timeline.title}",
             f"FCM: {'DROP FRAME' if timeline.drop_frame else 'NON-DROP FRAME'}", ""]
    for number, clip in enumerate(timeline.clips, start=1):
        lines += [
            f"{number:03d}  {reel:<8} {channels:<5} C        {tc(clip.source_in)} {tc(clip.source_out)} "
            f"{tc(clip.record_in)} {tc(clip.record_out)}",
            f"* FROM CLIP NAME: {clip.name}",
            f"* SOURCE FILE: {timeline.recording.name}",
            "",
        ]
    return "\n".join(lines)


def fcpxml_text(timeline: Timeline) -> str:
    """The timeline as FCPXML 1.8: one asset (the recording), one asset-clip per cut in the spine."""
    frame = 1 / timeline.rate

    def at(frames: int) -> str:  # rational seconds on the frame grid, as Final Cut writes them
        return f"{frames * frame.numerator}/{frame.denominator}s" if frames else "0s"

    tc_format = "DF" if timeline.drop_frame else "NDF"
    has_audio = timeline.audio_channels > 0
    root = ET.Element("fcpxml", version=FCPXML_VERSION)
    resources = ET.SubElement(root, "resources")
    ET.SubElement(resources, "format", id="r1", frameDuration=at(1),
                  width=str(timeline.width), height=str(timeline.height))
    asset = ET.SubElement(resources, "asset", id="r2", name=timeline.recording.stem,
                          src=timeline.recording.as_uri(), start="0s",
                          duration=at(timeline.recording_frames), hasVideo="1", format="r1",
                          hasAudio="1" if has_audio else "0")
    sequence_audio: dict[str, str] = {}
    if has_audio:
        asset.attrib.update(audioSources="1", audioChannels=str(timeline.audio_channels),
                            audioRate=str(timeline.audio_rate))
        sequence_audio = {"audioLayout": "mono" if timeline.audio_channels == 1 else "stereo",
                          "audioRate": _AUDIO_RATES.get(timeline.audio_rate, "48k")}
    event = ET.SubElement(ET.SubElement(root, "library"), "event", name=timeline.title)
    project = ET.SubElement(event, "project", name=timeline.title)
    sequence = ET.SubElement(project, "sequence", format="r1", duration=at(timeline.frames),
                             tcStart="0s", tcFormat=tc_format, **sequence_audio)
    spine = ET.SubElement(sequence, "spine")
    for clip in timeline.clips:
        element = ET.SubElement(spine, "asset-clip", name=clip.name, ref="r2",
                                offset=at(clip.record_in), start=at(clip.source_in),
                                duration=at(clip.frames), format="r1", tcFormat=tc_format)
        if has_audio:
            element.set("audioRole", "dialogue")
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n{body}\n'


def write_edl(cuts: Sequence[Cut], info: MediaInfo, path: Path, *, title: str | None = None,
              drop_frame: bool | None = None) -> Path:
    """Write the cuts as a CMX 3600 EDL, atomically; returns the path."""
    text = edl_text(build_timeline(cuts, info, title=title, drop_frame=drop_frame))
    return _write(Path(path), text)


def write_fcpxml(cuts: Sequence[Cut], info: MediaInfo, path: Path, *, title: str | None = None,
                 drop_frame: bool | None = None) -> Path:
    """Write the cuts as FCPXML 1.8, atomically; returns the path."""
    text = fcpxml_text(build_timeline(cuts, info, title=title, drop_frame=drop_frame))
    return _write(Path(path), text)


def export_timeline(cuts: Sequence[Cut], info: MediaInfo, path: Path, *, title: str | None = None,
                    drop_frame: bool | None = None) -> Path:
    """Write an EDL or FCPXML, chosen by ``path``'s extension (.edl or .fcpxml)."""
    path = Path(path)
    writers = {".edl": write_edl, ".fcpxml": write_fcpxml}
    writer = writers.get(path.suffix.lower())
    if writer is None:
        known = ", ".join(f"{suffix} ({label})" for suffix, label in FORMATS.items())
        raise ValidationFailed(f"{path.name}: unknown timeline format {path.suffix or '(no extension)'!r}; "
                               f"use {known}")
    return writer(cuts, info, path, title=title, drop_frame=drop_frame)


def _one_line(text: str) -> str:
    """Whitespace collapsed, control characters dropped: an EDL line or XML attribute stays valid."""
    return "".join(c for c in " ".join(text.split()) if unicodedata.category(c) not in ("Cc", "Cs"))


def _write(path: Path, text: str) -> Path:
    write_atomic(path, lambda temp: temp.write_text(text, encoding="utf-8", newline="\n"))
    return path
