"""Benchmark: render a 60-s vertical clip with burned subtitles and a price banner, three ways.

    python benchmarks/clip_render.py [--runs 3] [--seconds 60] [--start 15] [--moviepy-seconds N]
                                     [--quiet-wait 300] [--media-dir DIR] [--part single] [--record]

A 90-s 1920x1080 30 fps recording (testsrc2 with grain, a voice-like track near -22 LUFS) and a
Chinese transcript are generated first (``_media.py``). The clip's ASS — subtitles re-broken for
9:16 with the product name and prices highlighted, plus the default template's banner: title,
直播价 live price, 原价 struck through, on a drawn box — is built once. Then the clip
``[start, start + seconds)`` is rendered by each side, ``--runs`` times, taking turns:

- **Studio**: ``render_clip`` with default settings: accurate seek, 9:16 crop to 1080x1920, 30 fps,
  the ASS burned by libass, two-pass loudnorm to -14 LUFS (an audio-only measuring pass first),
  libx264 veryfast CRF 20, AAC 128k 48 kHz, faststart; written to a temp file and renamed.
- **hand-written** (the baseline): the same work as two literal ffmpeg command lines, as a person
  would type them: the audio-only loudnorm measurement, then one render with the measured values.
- **moviepy**: the clip composed in Python: subclip, crop and resize, the subtitles and banner as
  TextClips (the CJK font file) composited over every frame, the audio scaled by a gain measured
  with the same ffmpeg pass, written with the same codec settings. moviepy has no loudnorm: one
  linear gain reaches -14 LUFS integrated but limits no peaks. Keyword colours and the ASS outline
  style are not reproduced (a TextClip has one colour), so moviepy does a little less drawing.

Every output is checked before its time counts: probed with PyAV (1080x1920 H.264 yuv420p,
48 kHz AAC, the expected duration) and one frame read back for the banner's colour and the
subtitle's white text. A wrong output stops the run instead of reporting a figure. Each run
waits (up to ``--quiet-wait`` s) for a quiet machine; the table says how much CPU other processes
took anyway, and gives CPU seconds next to wall-clock ones, which contention moves far less.
``--record`` rewrites this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import _media  # noqa: E402
from benchmarks._record import DOCS, record  # noqa: E402
from studio.video import templates  # noqa: E402
from studio.video.probe import MediaInfo, probe  # noqa: E402
from studio.video.render import RenderSettings, render_clip  # noqa: E402
from studio.video.subtitles import Cue, clip_cues, highlight, resegment  # noqa: E402

SECTION = "clip-render"
OUT_SIZE = (1080, 1920)
BANNER = templates.BannerText(title=f"{_media.PRODUCT} 冬季保暖款", price=Decimal("199"),
                              original_price=Decimal("299"))
DURATION_SLACK = 0.1  # seconds: three frames; AAC priming and frame rounding stay well inside it


@dataclass(frozen=True, slots=True)
class Rig:
    """What every side shares: the ffmpeg binary, the probed recording, fonts, a scratch folder."""

    ffmpeg: str
    info: MediaInfo
    font: Path  # Noto Sans CJK, regular
    bold_font: Path
    folder: Path
    template: templates.Template

    @property
    def fonts_dir(self) -> Path:
        return self.font.parent


@dataclass(frozen=True, slots=True)
class Clip:
    """One clip of the recording and its subtitles, in clip time, as burned."""

    start: float
    seconds: float
    cues: tuple[Cue, ...]
    ass: Path


@dataclass(frozen=True, slots=True)
class Output:
    """What the checks read off a rendered file."""

    seconds: float
    lufs: float
    true_peak: float
    mbit_s: float


@dataclass(frozen=True, slots=True)
class Runs:
    """One side's timed runs: wall-clock and CPU seconds (ours and our children's) of each."""

    wall: tuple[float, ...]
    cpu: tuple[float, ...]
    output: Output  # the last run's, checked like every other

    def scaled(self, factor: float) -> Runs:
        return Runs(tuple(t * factor for t in self.wall), tuple(t * factor for t in self.cpu),
                    self.output)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def best(self) -> float:
        return min(self.wall)


# -- the clip ----------------------------------------------------------------------------------

def build_clip(rig: Rig, transcript: list[Cue], start: float, seconds: float) -> Clip:
    """Subtitles cut to the clip, re-broken and highlighted, plus the banner: one ASS file."""
    style = rig.template.subtitles
    cues = resegment(clip_cues(transcript, start, start + seconds), max_cjk=style.max_cjk,
                     max_latin=style.max_latin, max_lines=style.max_lines)
    marked = highlight(cues, [_media.PRODUCT, *style.keywords], prices=style.highlight_prices)
    ass = rig.folder / "clip.ass"
    ass.write_text(templates.clip_ass(rig.template, marked, BANNER, seconds), encoding="utf-8")
    return Clip(start, seconds, tuple(cues), ass)


# -- side 1: Studio ----------------------------------------------------------------------------

def render_with_studio(rig: Rig, clip: Clip, out: Path) -> None:
    render_clip(ffmpeg_bin=rig.ffmpeg, info=rig.info, start=clip.start, end=clip.start + clip.seconds,
                out=out, settings=RenderSettings(), ass=clip.ass, fonts_dir=rig.fonts_dir)


# -- side 2: ffmpeg by hand --------------------------------------------------------------------

def measure_by_hand(rig: Rig, path: Path, start: float | None = None,
                    seconds: float | None = None) -> dict[str, str]:
    """loudnorm's first pass, audio only: ``ffmpeg -ss S -t T -i IN -vn -af loudnorm=… -f null -``."""
    cut = ["-ss", f"{start:g}", "-t", f"{seconds:g}"] if start is not None and seconds else []
    args = [rig.ffmpeg, "-hide_banner", "-nostats", *cut, "-i", str(path), "-vn",
            "-af", "loudnorm=I=-14:TP=-1:LRA=11:print_format=json", "-f", "null", "-"]
    stderr = _run(args)
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if found is None:
        raise SystemExit(f"{path.name}: loudnorm printed no measurement")
    return json.loads(found.group(0))


def render_by_hand(rig: Rig, clip: Clip, out: Path) -> None:
    """Two command lines; the render runs in the ASS file's folder so the filter names it bare."""
    m = measure_by_hand(rig, rig.info.path, clip.start, clip.seconds)
    video = (f"crop=ih*9/16:ih,scale=1080:1920,fps=30,"
             f"subtitles={clip.ass.name}:fontsdir={rig.fonts_dir}")
    audio = (f"loudnorm=I=-14:TP=-1:LRA=11:measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
             f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
             f"offset={m['target_offset']}:linear=true")
    _run([rig.ffmpeg, "-hide_banner", "-nostats", "-y",
          "-ss", f"{clip.start:g}", "-t", f"{clip.seconds:g}", "-i", str(rig.info.path),
          "-vf", video, "-af", audio,
          "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
          "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", str(out)],
         cwd=clip.ass.parent)


def _run(args: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(args, capture_output=True, cwd=cwd, timeout=3600)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise SystemExit(f"ffmpeg failed ({result.returncode}):\n" + "\n".join(stderr.splitlines()[-8:]))
    return stderr


# -- side 3: moviepy ---------------------------------------------------------------------------

def render_with_moviepy(rig: Rig, clip: Clip, out: Path, seconds: float) -> None:
    """The first ``seconds`` of the clip, composed frame by frame in Python."""
    from moviepy import CompositeVideoClip, VideoFileClip, vfx

    measured = measure_by_hand(rig, rig.info.path, clip.start, seconds)
    gain = 10 ** ((RenderSettings().loudness - float(measured["input_i"])) / 20)
    width, height = OUT_SIZE
    source = VideoFileClip(str(rig.info.path)).subclipped(clip.start, clip.start + seconds)
    try:
        crop_w = round(min(source.w, source.h * width / height) / 2) * 2
        picture = source.with_effects([vfx.Crop(x_center=source.w / 2, width=crop_w, height=source.h),
                                       vfx.Resize(OUT_SIZE)])
        layers = [picture, *_banner_clips(rig, seconds), *_subtitle_clips(rig, clip.cues, seconds)]
        composed = CompositeVideoClip(layers, size=OUT_SIZE).with_duration(seconds) \
            .with_audio(source.audio.with_volume_scaled(gain))
        composed.write_videofile(
            str(out), fps=30, codec="libx264", preset="veryfast", audio_codec="aac",
            audio_bitrate="128k", audio_fps=48000, temp_audiofile_path=str(out.parent), logger=None,
            ffmpeg_params=["-crf", "20", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    finally:
        source.close()


def _text(rig: Rig, text: str, ass_size: int, colour: str, **options: object):
    """A TextClip as big as libass draws ``\\fs<ass_size>``; its first baseline is ``ascent`` below its top.

    libass sizes a font by its line height (ascent + descent), Pillow by its em: Noto CJK's line
    is 1.45 em, so ``\\fs72`` is a 50-px Pillow font. moviepy 2 sizes the image from the text's
    bounding box but draws from the font's ascent, cutting the bottom of CJK lines off: a
    transparent bottom margin gives it back.
    """
    from moviepy import TextClip

    ascent, descent = _line_em(rig.bold_font)
    return TextClip(font=str(rig.bold_font), text=text, font_size=round(ass_size / (ascent + descent)),
                    color=colour, margin=(0, 0, 0, ass_size // 2), **options)


def _line_em(font: Path) -> tuple[float, float]:
    """The font's ascent and descent in em."""
    from PIL import ImageFont

    ascent, descent = ImageFont.truetype(str(font), 1000).getmetrics()
    return ascent / 1000, descent / 1000


def _line_shares(font: Path) -> tuple[float, float]:
    """The font's ascent and descent as shares of its line height (libass's font size)."""
    ascent, descent = _line_em(font)
    return ascent / (ascent + descent), descent / (ascent + descent)


def _subtitle_clips(rig: Rig, cues: tuple[Cue, ...], seconds: float) -> list:
    """One TextClip per cue, bottom-centred above the platform's buttons like the ASS style."""
    style, bottom = rig.template.subtitles, OUT_SIZE[1] - rig.template.safe_area.bottom
    outline = max(2, round(style.size / 18))  # to_ass's outline width
    # Pillow steps lines by ascent + 2 outlines + interline; libass by the font size
    interline = max(0, round(style.size * _line_shares(rig.bold_font)[1]) - 2 * outline)
    clips = []
    for cue in cues:
        if cue.start >= seconds:
            continue
        text = _text(rig, cue.text, style.size, style.colour, stroke_color=style.outline,
                     stroke_width=outline, text_align="center", interline=interline)
        lines = cue.text.count("\n") + 1
        clips.append(text.with_start(cue.start).with_end(min(cue.end, seconds))
                     .with_position(("center", bottom - lines * style.size - outline)))
    return clips


def _banner_clips(rig: Rig, seconds: float) -> list:
    """The template's banner rebuilt from clips: box, title, then 直播价 ¥199 原价 ¥299 on one line."""
    from moviepy import ColorClip

    template, banner = rig.template, rig.template.banner
    ascent, descent = _line_shares(rig.bold_font)
    left, top, pad = template.safe_area.left, template.safe_area.top + banner.offset, banner.padding
    box_w = OUT_SIZE[0] - left - template.safe_area.right
    box = ColorClip((box_w, banner.height), color=_rgb(banner.background)) \
        .with_opacity(banner.opacity).with_position((left, top))
    title = _text(rig, BANNER.title, banner.title_size, banner.text).with_position((left + pad, top + pad))
    # the ASS line is bottom-anchored: one baseline, the biggest part's descent above the anchor
    baseline = top + banner.height - pad // 2 - round(banner.price_size * descent)
    x, line = left + pad, []
    for text, size, colour in ((f"{banner.label} ", banner.title_size, banner.text),
                               (templates.format_price(BANNER.price), banner.price_size, banner.price),
                               (f"  {banner.original_label}", banner.original_size, banner.text),
                               (templates.format_price(BANNER.original_price), banner.original_size,
                                banner.text)):
        part = _text(rig, text, size, colour)
        line.append(part.with_position((x, baseline - round(size * ascent))))
        x += part.w
    struck, size = line[-1], banner.original_size
    strike = ColorClip((struck.w, max(2, size // 16)), color=_rgb(banner.text)) \
        .with_position((x - struck.w, baseline - round(size / 4)))  # through the digits' middle
    return [c.with_duration(seconds) for c in (box, title, *line, strike)]


def _rgb(hex_rgb: str) -> tuple[int, int, int]:
    return int(hex_rgb[1:3], 16), int(hex_rgb[3:5], 16), int(hex_rgb[5:7], 16)


# -- checking an output --------------------------------------------------------------------------

def check_output(rig: Rig, side: str, path: Path, seconds: float, cue: Cue) -> Output:
    """Probe and look at the file; SystemExit naming what is wrong, so no figure is reported for it."""
    import av

    problems = []
    info = probe(path)
    if info.video.display_size != OUT_SIZE or info.video.codec != "h264":
        problems.append(f"video is {info.video.codec} {info.video.width}x{info.video.height}, "
                        f"not h264 {OUT_SIZE[0]}x{OUT_SIZE[1]}")
    if abs(info.duration - seconds) > DURATION_SLACK:
        problems.append(f"lasts {info.duration:.3f} s, not {seconds:g} s")
    if info.audio is None:
        problems.append("has no audio")
    elif info.audio.codec != "aac" or info.audio.sample_rate != 48000:
        problems.append(f"audio is {info.audio.codec} at {info.audio.sample_rate} Hz, not AAC 48 kHz")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.codec_context.pix_fmt != "yuv420p":
            problems.append(f"pixel format {stream.codec_context.pix_fmt}, not yuv420p")
    at = (cue.start + min(cue.end, seconds)) / 2  # while the clip's first cue is up
    looks = _looks(rig, path, at)
    if looks is None:
        problems.append(f"no frame at {at:.2f} s")
    elif not looks[0]:
        problems.append("no banner colour where the banner's box is")
    elif not looks[1]:
        problems.append(f"no white subtitle text at {at:.2f} s")
    if problems:
        raise SystemExit(f"{side}: refusing to report a figure, {path.name} is wrong: "
                         + "; ".join(problems))
    loudness = measure_by_hand(rig, path)
    return Output(info.duration, float(loudness["input_i"]), float(loudness["input_tp"]),
                  path.stat().st_size * 8 / info.duration / 1e6)


def _looks(rig: Rig, path: Path, at: float) -> tuple[bool, bool] | None:
    """(the banner box has its colour in a corner free of text, the subtitle band has white text)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(max(at - 1, 0) / stream.time_base), stream=stream)
        frame = next((f for f in container.decode(stream) if f.time is not None and f.time >= at), None)
        if frame is None:
            return None
        pixels = frame.to_ndarray(format="rgb24")
    template = rig.template
    x = OUT_SIZE[0] - template.safe_area.right - 12
    y = template.safe_area.top + template.banner.offset + 12
    corner = pixels[y - 4:y + 4, x - 4:x + 4].reshape(-1, 3).mean(axis=0)
    # the box is 92% opaque: the picture under it moves the colour a little, never this far
    banner = all(abs(c - e) < 48 for c, e in zip(corner, _rgb(template.banner.background), strict=True))
    bottom = OUT_SIZE[1] - template.safe_area.bottom
    band = pixels[bottom - 2 * template.subtitles.size - 40:bottom]
    white = int(((band > 225).all(axis=2)).sum())  # testsrc2's crop has yellow, blue, cyan: no white
    return banner, white > 2000


# -- timing --------------------------------------------------------------------------------------

def time_sides(sides: dict[str, Callable[[Path], None]], runs: int, folder: Path,
               check: Callable[[str, Path], Output], quiet_wait: float) -> tuple[dict[str, Runs], float]:
    """Each side ``runs`` times, taking turns so a busy moment of the machine hits all of them.

    Before each run, waits up to ``quiet_wait`` seconds for other processes to leave the CPU
    alone. Also returns the share of the machine's CPU that they took while we were timing.
    """
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    outputs: dict[str, Output] = {}
    others = 0.0
    for run in range(1, runs + 1):
        for number, (name, render) in enumerate(sides.items()):
            out = folder / f"side{number}.mp4"
            out.unlink(missing_ok=True)
            _wait_for_quiet(quiet_wait)
            machine_before, cpu_before, began = _machine_busy(), _cpu_seconds(), time.perf_counter()
            render(out)
            wall[name].append(time.perf_counter() - began)
            cpu[name].append(_cpu_seconds() - cpu_before)
            others += _machine_busy() - machine_before - cpu[name][-1]
            outputs[name] = check(name, out)
            print(f"  run {run}/{runs} {name}: {wall[name][-1]:.2f} s, {cpu[name][-1]:.2f} CPU s, "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
            out.unlink()
    timed = sum(sum(w) for w in wall.values()) * _cores()
    return ({name: Runs(tuple(wall[name]), tuple(cpu[name]), outputs[name]) for name in sides},
            max(others, 0.0) / timed)


def _wait_for_quiet(limit: float, window: float = 3.0, idle_share: float = 0.1) -> None:
    """Sleep until a ``window`` passes with the machine under ``idle_share`` busy, or ``limit`` passes."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = _machine_busy()
        time.sleep(window)
        if (_machine_busy() - before) / (window * _cores()) < idle_share:
            return
    if limit > 0:
        print(f"  (the machine stayed busy for {limit:g} s; timing anyway)", file=sys.stderr, flush=True)


def _machine_busy() -> float:
    """CPU seconds all processes have used since boot (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds() -> float:
    """User + system time of this process and of its finished children (the ffmpeg processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def single_clip(rig: Rig, transcript: list[Cue], args: argparse.Namespace) -> list[str]:
    """Part "single": one clip, three sides."""
    clip = build_clip(rig, transcript, args.start, args.seconds)
    slice_seconds = args.moviepy_seconds or args.seconds
    scale = args.seconds / slice_seconds
    first_cue = clip.cues[0]
    sides: dict[str, Callable[[Path], None]] = {
        "studio": lambda out: render_with_studio(rig, clip, out),
        "hand": lambda out: render_by_hand(rig, clip, out),
    }
    if not args.skip_moviepy:
        sides["moviepy"] = lambda out: render_with_moviepy(rig, clip, out, slice_seconds)

    def check(name: str, out: Path) -> Output:
        seconds = slice_seconds if name == "moviepy" else args.seconds
        return check_output(rig, name, out, seconds, first_cue)

    measured, others = time_sides(sides, args.runs, rig.folder, check, args.quiet_wait)
    sliced = f", timed on its first {slice_seconds:g} s × {scale:g}" if scale != 1 else ""
    labels = {
        "studio": ("Studio `render_clip`", "loudnorm pass + one ffmpeg graph (ffmpeg-python)"),
        "hand": ("hand-written ffmpeg (baseline)", "the same 2 command lines, typed out"),
        "moviepy": (f"moviepy {_moviepy_version()}{sliced}",
                    "TextClips composited per frame in Python, 1 linear gain"),
    }
    if "moviepy" in measured:
        measured["moviepy"] = measured["moviepy"].scaled(scale)
    studio, hand = measured["studio"], measured["hand"]
    lines = [
        f"A {args.seconds:g}-s clip from {args.start:g} s of a {rig.info.duration:g}-s "
        f"{rig.info.video.width}x{rig.info.video.height} {float(rig.info.video.frame_rate):g} fps "
        f"recording → {OUT_SIZE[0]}x{OUT_SIZE[1]}, {len(clip.cues)} subtitle cues + price banner, "
        f"−14 LUFS, libx264 veryfast CRF 20, AAC 128k; best and median of {args.runs} runs, "
        f"taking turns. Other processes used {others:.0%} of the machine's CPU while they ran.",
        "",
        "| side | median s | best s | CPU s | × real time | output LUFS / dBTP | Mbit/s | what it does |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, runs in measured.items():
        label, what = labels[name]
        lines.append(f"| {label} | {runs.median:.2f} | {runs.best:.2f} | "
                     f"{statistics.median(runs.cpu):.1f} | {args.seconds / runs.median:.2f} | "
                     f"{runs.output.lufs:.1f} / {runs.output.true_peak:.1f} | "
                     f"{runs.output.mbit_s:.1f} | {what} |")
    lines += ["", _verdict("Studio / hand-written", studio, hand, "≤", 1.15)]
    if "moviepy" in measured:
        lines.append(_verdict("moviepy / Studio", measured["moviepy"], studio, "≥", 5))
        lines += ["", "moviepy has no loudnorm: its side measures the clip with the same ffmpeg pass "
                  "and applies one linear gain, which reaches the integrated target but limits no "
                  "true peaks and leaves the loudness range as it was."
                  + (" moviepy's figures are its slice's times scaled linearly to the clip."
                     if scale != 1 else "")]
    return lines


def _verdict(name: str, side: Runs, other: Runs, sign: str, target: float) -> str:
    """The target is judged on median wall-clock; CPU seconds say what contention did to it."""
    ratio = side.median / other.median
    ok = ratio <= target if sign == "≤" else ratio >= target
    cpu = statistics.median(side.cpu) / statistics.median(other.cpu)
    return (f"{name}: {ratio:.2f}× wall-clock (medians; target {sign} {target:g}×) — "
            f"{'meets' if ok else 'misses'} it; {cpu:.2f}× in CPU seconds.")


PARTS: dict[str, Callable[[Rig, list[Cue], argparse.Namespace], list[str]]] = {
    "single": single_clip,
}


# -- setting up ----------------------------------------------------------------------------------

def recording(folder: Path, seconds: float) -> Path:
    """The synthetic recording, generated unless ``folder`` already holds one of that length."""
    path = folder / f"recording-{seconds:g}s.mp4"
    if path.is_file() and abs(probe(path).duration - seconds) < 0.5:
        return path
    print(f"generating a {seconds:g}-s 1080p recording in {folder} …", file=sys.stderr, flush=True)
    _media.write_recording(path, seconds=seconds)
    return path


def _check_studio_defaults() -> None:
    """The hand-written command spells Studio's defaults out; stop if they have moved since."""
    settings = RenderSettings()
    expected = (-14.0, -1.0, 11.0, 20, "veryfast", 30, "128k", "crop")
    found = (settings.loudness, settings.true_peak, settings.loudness_range, settings.crf,
             settings.preset, settings.fps, settings.audio_bitrate, settings.layout)
    if found != expected:
        raise SystemExit(f"RenderSettings defaults changed to {found}: update the hand-written side")


def _check_markers() -> None:
    if f"<!-- {SECTION}:begin -->" not in DOCS.read_text(encoding="utf-8"):
        raise SystemExit(f"{DOCS} has no <!-- {SECTION}:begin --> … <!-- {SECTION}:end --> markers; "
                         "add them or run without --record")


def _ffmpeg_version(ffmpeg: str) -> str:
    first = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    found = re.search(r"version (\S+)", first)
    return found.group(1) if found else "unknown"


def _moviepy_version() -> str:
    from importlib.metadata import version  # moviepy.__version__ lags its releases (2.2.1 says 2.1.2)

    return version("moviepy")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _machine() -> str:
    return f"{platform.machine()} ({_cores()} cores, Python {platform.python_version()})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument("--seconds", type=float, default=60, help="clip length (default 60)")
    parser.add_argument("--start", type=float, default=15, help="clip start in the recording")
    parser.add_argument("--recording-seconds", type=float, default=90)
    parser.add_argument("--moviepy-seconds", type=float, default=None,
                        help="time moviepy on the clip's first N s and scale (default: whole clip)")
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--media-dir", type=Path, default=None,
                        help="keep the generated recording here and reuse it (default: a temp dir)")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="before each run, wait up to this many seconds for an idle machine")
    parser.add_argument("--part", choices=sorted(PARTS), action="append",
                        help="which part to run (repeatable; default: all)")
    parser.add_argument("--record", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if args.start + args.seconds > args.recording_seconds:
        parser.error("the clip must end inside the recording")
    if args.moviepy_seconds is not None and not 0 < args.moviepy_seconds <= args.seconds:
        parser.error("--moviepy-seconds must be in (0, --seconds]")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    _check_studio_defaults()
    if args.record:
        _check_markers()

    ffmpeg = _media.ffmpeg_bin()
    if not args.skip_moviepy:
        from moviepy.config import FFMPEG_BINARY

        if Path(FFMPEG_BINARY).resolve() != Path(ffmpeg).resolve():
            print(f"note: moviepy uses {FFMPEG_BINARY}, Studio {ffmpeg}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="clip-render-") as tmp:
        media = args.media_dir or Path(tmp)
        media.mkdir(parents=True, exist_ok=True)
        rig = Rig(ffmpeg=ffmpeg, info=probe(recording(media, args.recording_seconds)),
                  font=_media.cjk_font_file(), bold_font=_media.cjk_font_file(bold=True),
                  folder=Path(tmp), template=templates.load_template("default"))
        transcript = _media.transcript(args.recording_seconds)
        body: list[str] = []
        for name in args.part or list(PARTS):
            body += ["", *PARTS[name](rig, transcript, args)]

    text = "\n".join([
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {_machine()}, ffmpeg {_ffmpeg_version(ffmpeg)} "
        f"(imageio-ffmpeg), libass via the `subtitles` filter.",
        *body,
    ])
    print(text)
    if args.record:
        record(text, SECTION)


if __name__ == "__main__":
    main()
