"""Render one clip with one ffmpeg process from a filter graph built with ffmpeg-python.

No Python touches a frame: the graph cuts (accurate seek), lays the picture out for vertical
video, burns an ASS file (subtitles and the price banner, so strike-through 原价 and CJK fonts go
through libass), resamples to a constant frame rate with audio resampled to match (no drift on
long VFR recordings), and normalises loudness with the values a first, audio-only pass measured.
The output is written to a temp file and renamed; a cover image is taken from the result.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ffmpeg

from studio.errors import StudioError, ValidationFailed
from studio.video.probe import MediaInfo

Layout = Literal["crop", "blur", "square", "landscape"]
SIZES = {"crop": (1080, 1920), "blur": (1080, 1920), "square": (1080, 1080),
         "landscape": (1920, 1080)}


class RenderFailed(StudioError):
    """ffmpeg refused; the message carries its last stderr lines."""

    code = "render_failed"


@dataclass(frozen=True, slots=True)
class RenderSettings:
    layout: Layout = "crop"
    focus_x: float = 0.5  # where the crop centres, 0 = left edge, 1 = right edge
    fps: int = 30
    crf: int = 20
    preset: str = "veryfast"
    audio_bitrate: str = "128k"
    loudness: float = -14.0  # integrated LUFS
    true_peak: float = -1.0  # dBTP
    loudness_range: float = 11.0


def _tail(stderr: bytes, lines: int = 8) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return "\n".join(text[-lines:])


def measure_loudness(ffmpeg_bin: str, source: Path, start: float, duration: float,
                     settings: RenderSettings) -> dict[str, str] | None:
    """First pass of two-pass loudnorm: analyse the clip's audio only (fast, no video decode)."""
    stream = ffmpeg.input(str(source), ss=start, t=duration).audio.filter(
        "loudnorm", I=settings.loudness, TP=settings.true_peak, LRA=settings.loudness_range,
        print_format="json")
    args = ffmpeg.output(stream, "-", format="null").global_args("-hide_banner", "-nostats") \
        .compile(cmd=ffmpeg_bin)
    result = subprocess.run(args, capture_output=True, timeout=3600)
    if result.returncode != 0:
        raise RenderFailed(f"{source.name}: loudness analysis failed:\n{_tail(result.stderr)}")
    found = re.search(rb"\{[^{}]*\"input_i\"[^{}]*\}", result.stderr)
    if not found:
        return None
    measured = json.loads(found.group(0))
    if measured.get("input_i") in ("-inf", None):
        return None  # silence: nothing to normalise
    return measured


def _layout(video, info: MediaInfo, settings: RenderSettings):
    width, height = SIZES[settings.layout]
    if settings.layout == "crop":
        # the tallest 9:16 window of the source, centred on focus_x
        crop_w = "min(iw,ih*9/16)"
        x = f"max(0,min(iw-{crop_w},iw*{settings.focus_x}-{crop_w}/2))"
        return video.filter("crop", crop_w, "ih", x, 0).filter("scale", width, height)
    if settings.layout == "square":
        return video.filter("crop", "min(iw,ih)", "min(iw,ih)").filter("scale", width, height)
    if settings.layout == "landscape":
        return video.filter("scale", width, height, force_original_aspect_ratio="decrease") \
            .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2")
    # blur: the whole picture fitted over a blurred, filled copy of itself
    split = video.filter_multi_output("split")
    background = split[0].filter("scale", width, height, force_original_aspect_ratio="increase") \
        .filter("crop", width, height).filter("boxblur", 20, 2)
    foreground = split[1].filter("scale", width, height, force_original_aspect_ratio="decrease")
    return ffmpeg.overlay(background, foreground, x="(W-w)/2", y="(H-h)/2")


def render_clip(*, ffmpeg_bin: str, info: MediaInfo, start: float, end: float, out: Path,
                settings: RenderSettings | None = None, ass: Path | None = None,
                fonts_dir: Path | None = None) -> Path:
    """Render ``[start, end)`` of the recording to ``out`` (MP4, H.264/AAC, faststart)."""
    settings = settings or RenderSettings()
    if start < 0 or end <= start:
        raise ValidationFailed(f"clip {out.name}: end must be after start")
    if start >= info.duration:
        raise ValidationFailed(f"clip {out.name}: starts at {start:.3f} s, after the recording's "
                               f"end ({info.duration:.3f} s)")
    end = min(end, info.duration)
    duration = round(end - start, 3)
    source = ffmpeg.input(str(info.path), ss=start, t=duration)
    video = _layout(source.video, info, settings).filter("fps", settings.fps).filter("setsar", 1)
    if ass is not None:
        options = {"fontsdir": str(fonts_dir)} if fonts_dir else {}
        video = video.filter("subtitles", str(ass), **options)
    streams = [video]
    output_args: dict[str, object] = {
        "vcodec": "libx264", "preset": settings.preset, "crf": settings.crf, "pix_fmt": "yuv420p",
        "movflags": "+faststart", "r": settings.fps, "t": duration}
    if info.audio is not None:
        audio = source.audio.filter("aresample", 48000, **{"async": 1, "first_pts": 0})
        measured = measure_loudness(ffmpeg_bin, info.path, start, duration, settings)
        if measured:
            audio = audio.filter(
                "loudnorm", I=settings.loudness, TP=settings.true_peak,
                LRA=settings.loudness_range, measured_I=measured["input_i"],
                measured_TP=measured["input_tp"], measured_LRA=measured["input_lra"],
                measured_thresh=measured["input_thresh"], offset=measured["target_offset"],
                linear="true").filter("aresample", 48000)
        streams.append(audio)
        output_args.update(acodec="aac", audio_bitrate=settings.audio_bitrate, ar=48000)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".mp4", dir=out.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        args = ffmpeg.output(*streams, str(temp), **output_args) \
            .global_args("-hide_banner", "-nostats", "-y").compile(cmd=ffmpeg_bin)
        result = subprocess.run(args, capture_output=True, timeout=6 * 3600)
        if result.returncode != 0:
            raise RenderFailed(f"{out.name}: ffmpeg failed:\n{_tail(result.stderr)}")
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return out


def write_cover(ffmpeg_bin: str, clip: Path, out: Path, at: float) -> Path:
    """A JPEG cover from the rendered clip (the banner and subtitles are in it), atomically."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".jpg", dir=out.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        args = ffmpeg.input(str(clip), ss=at).output(str(temp), vframes=1, **{"q:v": 3}) \
            .global_args("-hide_banner", "-loglevel", "error", "-y").compile(cmd=ffmpeg_bin)
        result = subprocess.run(args, capture_output=True, timeout=120)
        if result.returncode != 0:
            raise RenderFailed(f"{out.name}: cover failed:\n{_tail(result.stderr)}")
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return out
