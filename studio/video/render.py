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
import threading
from collections.abc import Callable
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


@dataclass(frozen=True, slots=True)
class Card:
    """An intro or outro card: ``seconds`` of ``background`` with an ASS file's text burned on."""

    seconds: float
    background: str  # "#RRGGBB"
    ass: Path | None = None


@dataclass(frozen=True, slots=True)
class Logo:
    path: Path
    width: int = 160
    corner: str = "top-right"  # top-left | top-right | bottom-left | bottom-right
    margin_x: int = 40
    margin_y: int = 180


@dataclass(frozen=True, slots=True)
class Music:
    """A bed under the clip: looped, ``volume_db`` down, ducked under speech when ``duck``."""

    path: Path
    volume_db: float = -20.0
    duck: bool = True
    duck_ratio: float = 12.0
    fade: float = 1.0


@dataclass(frozen=True, slots=True)
class Extras:
    """What a brand template adds around the picture: cards, a logo, music."""

    intro: Card | None = None
    outro: Card | None = None
    logo: Logo | None = None
    music: Music | None = None


Progress = Callable[[float], None]  # seconds of output written so far


def _tail(stderr: bytes, lines: int = 8) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return "\n".join(text[-lines:])


def _audio(source, info: MediaInfo, start: float, duration: float, music: Music | None):
    """The clip's audio before loudness normalisation: the recording's, with music ducked under it.

    Built the same way for the measuring pass and the render, so the values measured are the
    values of the audio that gets normalised. None when there is nothing to hear.
    """
    voice = None
    if info.audio is not None:
        # async resampling stretches or pads the audio to its timestamps: no drift on VFR sources
        voice = source.audio.filter("aresample", 48000, **{"async": 1, "first_pts": 0}) \
            .filter("aformat", sample_rates=48000, channel_layouts="stereo")
    if music is None:
        return voice
    bed = ffmpeg.input(str(music.path), stream_loop=-1).audio \
        .filter("atrim", duration=duration).filter("asetpts", "PTS-STARTPTS") \
        .filter("aformat", sample_rates=48000, channel_layouts="stereo") \
        .filter("volume", f"{music.volume_db}dB")
    if music.fade > 0 and duration > 2 * music.fade:
        bed = bed.filter("afade", type="in", duration=music.fade) \
            .filter("afade", type="out", start_time=duration - music.fade, duration=music.fade)
    if voice is None:
        return bed
    if music.duck:
        voice_split = voice.filter_multi_output("asplit", 2)
        voice, key = voice_split[0], voice_split[1]
        # The voice, boosted 12 dB as the key, pushes the bed down by about 12 dB while anyone
        # speaks at a normal level; 5 ms attack and 300 ms release follow the gaps between phrases.
        bed = ffmpeg.filter([bed, key], "sidechaincompress", threshold=0.01,
                            ratio=music.duck_ratio, attack=5, release=300, level_sc=4)
    return ffmpeg.filter([voice, bed], "amix", inputs=2, duration="first", normalize=0)


def measure_loudness(ffmpeg_bin: str, source: Path, start: float, duration: float,
                     settings: RenderSettings, *, info: MediaInfo | None = None,
                     music: Music | None = None) -> dict[str, str] | None:
    """First pass of two-pass loudnorm: analyse the clip's audio only (fast, no video decode)."""
    if info is None:
        stream = ffmpeg.input(str(source), ss=start, t=duration).audio
    else:
        stream = _audio(ffmpeg.input(str(source), ss=start, t=duration), info, start, duration,
                        music)
    stream = stream.filter("loudnorm", I=settings.loudness, TP=settings.true_peak,
                           LRA=settings.loudness_range, print_format="json")
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


def _logo(video, logo: Logo):
    mark = ffmpeg.input(str(logo.path)).video.filter("scale", logo.width, -1)
    x = f"{logo.margin_x}" if logo.corner.endswith("left") else f"W-w-{logo.margin_x}"
    y = f"{logo.margin_y}" if logo.corner.startswith("top") else f"H-h-{logo.margin_y}"
    return ffmpeg.overlay(video, mark, x=x, y=y, eof_action="repeat")


def _card(card: Card, settings: RenderSettings, fonts_dir: Path | None, with_audio: bool):
    width, height = SIZES[settings.layout]
    colour = card.background.lstrip("#")
    video = ffmpeg.input(f"color=c=0x{colour}:s={width}x{height}:r={settings.fps}:d={card.seconds}",
                         format="lavfi").video.filter("setsar", 1)
    if card.ass is not None:
        video = video.filter("subtitles", str(card.ass), **({"fontsdir": str(fonts_dir)}
                                                            if fonts_dir else {}))
    video = video.filter("format", "yuv420p")
    if not with_audio:
        return video, None
    audio = ffmpeg.input(f"anullsrc=r=48000:cl=stereo:d={card.seconds}", format="lavfi").audio
    return video, audio


def render_clip(*, ffmpeg_bin: str, info: MediaInfo, start: float, end: float, out: Path,
                settings: RenderSettings | None = None, ass: Path | None = None,
                fonts_dir: Path | None = None, extras: Extras | None = None,
                progress: Progress | None = None, timeout: float = 6 * 3600) -> Path:
    """Render ``[start, end)`` of the recording to ``out`` (MP4, H.264/AAC, faststart).

    ``extras`` adds intro/outro cards, a logo and ducked music; ``progress`` is called with the
    seconds of output written as ffmpeg reports them.
    """
    settings = settings or RenderSettings()
    extras = extras or Extras()
    if start < 0 or end <= start:
        raise ValidationFailed(f"clip {out.name}: end must be after start")
    if start >= info.duration:
        raise ValidationFailed(f"clip {out.name}: starts at {start:.3f} s, after the recording's "
                               f"end ({info.duration:.3f} s)")
    end = min(end, info.duration)
    duration = round(end - start, 3)
    for part, path in (("logo", extras.logo and extras.logo.path),
                       ("music", extras.music and extras.music.path)):
        if path is not None and not Path(path).is_file():
            raise ValidationFailed(f"clip {out.name}: {part} file {path} does not exist")
    source = ffmpeg.input(str(info.path), ss=start, t=duration)
    video = _layout(source.video, info, settings).filter("fps", settings.fps).filter("setsar", 1)
    if extras.logo is not None:
        video = _logo(video, extras.logo)
    if ass is not None:
        options = {"fontsdir": str(fonts_dir)} if fonts_dir else {}
        video = video.filter("subtitles", str(ass), **options)
    video = video.filter("format", "yuv420p")
    audio = _audio(source, info, start, duration, extras.music)
    if audio is not None:
        measured = measure_loudness(ffmpeg_bin, info.path, start, duration, settings, info=info,
                                    music=extras.music)
        if measured:
            audio = audio.filter(
                "loudnorm", I=settings.loudness, TP=settings.true_peak,
                LRA=settings.loudness_range, measured_I=measured["input_i"],
                measured_TP=measured["input_tp"], measured_LRA=measured["input_lra"],
                measured_thresh=measured["input_thresh"], offset=measured["target_offset"],
                linear="true")
        audio = audio.filter("aresample", 48000) \
            .filter("aformat", sample_rates=48000, channel_layouts="stereo")
    total = duration
    cards = [c for c in (extras.intro, extras.outro) if c is not None and c.seconds > 0]
    if cards:
        parts = []
        if extras.intro is not None and extras.intro.seconds > 0:
            parts.append(_card(extras.intro, settings, fonts_dir, audio is not None))
        parts.append((video, audio))
        if extras.outro is not None and extras.outro.seconds > 0:
            parts.append(_card(extras.outro, settings, fonts_dir, audio is not None))
        flat = [stream for pair in parts for stream in pair if stream is not None]
        joined = ffmpeg.concat(*flat, v=1, a=1 if audio is not None else 0).node
        video, audio = joined[0], (joined[1] if audio is not None else None)
        total = round(duration + sum(c.seconds for c in cards), 3)
    streams = [video] + ([audio] if audio is not None else [])
    output_args: dict[str, object] = {
        "vcodec": "libx264", "preset": settings.preset, "crf": settings.crf, "pix_fmt": "yuv420p",
        "movflags": "+faststart", "r": settings.fps, "t": total}
    if audio is not None:
        output_args.update(acodec="aac", audio_bitrate=settings.audio_bitrate, ar=48000)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".mp4", dir=out.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        args = ffmpeg.output(*streams, str(temp), **output_args) \
            .global_args("-hide_banner", "-nostats", "-loglevel", "error", "-y",
                         "-progress", "pipe:1") \
            .compile(cmd=ffmpeg_bin)
        inputs = [info.path.name] + [Path(p).name for p in (
            extras.logo and extras.logo.path, extras.music and extras.music.path) if p]
        _run_ffmpeg(args, f"{out.name} (from {', '.join(inputs)})", progress, timeout)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return out


def _run_ffmpeg(args: list[str], name: str, progress: Progress | None, timeout: float) -> None:
    """Run ffmpeg, passing its ``-progress`` reports on; RenderFailed with stderr's tail on failure."""
    with tempfile.TemporaryFile() as stderr, subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr) as process:
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if progress is not None and line.startswith(b"out_time_us=") and \
                        line[12:].strip().isdigit():
                    progress(int(line[12:]) / 1_000_000)
            code = process.wait()
        except BaseException:
            process.kill()
            raise
        finally:
            timer.cancel()
        if code != 0:
            stderr.seek(0)
            raise RenderFailed(f"{name}: ffmpeg failed (exit {code}):\n{_tail(stderr.read())}")


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
