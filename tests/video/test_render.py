"""One clip, one ffmpeg process: checked by probing the output, never by trusting the command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from studio.config import Settings
from studio.errors import ValidationFailed
from studio.video.probe import probe
from studio.video.render import RenderFailed, RenderSettings, render_clip, write_cover

ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 1080
PlayResY: 1920

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Noto Sans CJK SC,96,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,1,0,0,0,100,\
100,0,0,1,4,0,2,60,60,200,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:09.00,Default,,0,0,0,,烟酰胺精华 {\\s1}¥259{\\s0} 直播价 ¥159
"""


@pytest.fixture(scope="module")
def ffmpeg_bin() -> str:
    return Settings().ffmpeg_binary()


def loudness(ffmpeg_bin: str, path: Path) -> float:
    result = subprocess.run([ffmpeg_bin, "-hide_banner", "-nostats", "-i", str(path), "-af",
                             "ebur128", "-f", "null", "-"], capture_output=True, text=True,
                            timeout=120)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", result.stderr)[-1])


def frame_bytes(ffmpeg_bin: str, path: Path, at: float) -> bytes:
    """The frame at ``at`` as raw grey pixels, bottom quarter only (where subtitles go)."""
    result = subprocess.run([ffmpeg_bin, "-hide_banner", "-loglevel", "error", "-ss", str(at),
                             "-i", str(path), "-frames:v", "1", "-vf",
                             "crop=iw:ih/4:0:ih*3/4,format=gray", "-f", "rawvideo", "-"],
                            capture_output=True, timeout=60, check=True)
    return result.stdout


def test_a_vertical_clip_with_burned_subtitles_and_normalised_loudness(media, tmp_path,
                                                                        ffmpeg_bin):
    info = probe(media["plain"])
    ass = tmp_path / "subs.ass"
    ass.write_text(ASS, encoding="utf-8")
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=0.5, end=3.5,
                      out=tmp_path / "clip.mp4", ass=ass)
    plain = render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=0.5, end=3.5,
                        out=tmp_path / "plain.mp4")
    result = probe(out)
    assert (result.video.width, result.video.height) == (1080, 1920)
    assert abs(result.duration - 3.0) <= result.frame_duration + 0.03  # one frame (+ AAC priming)
    assert result.audio is not None and result.audio.sample_rate == 48000
    assert abs(loudness(ffmpeg_bin, out) - (-14.0)) <= 1.0
    assert frame_bytes(ffmpeg_bin, out, 1.0) != frame_bytes(ffmpeg_bin, plain, 1.0)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    cover = write_cover(ffmpeg_bin, out, tmp_path / "clip.jpg", 1.0)
    assert cover.stat().st_size > 1000


@pytest.mark.parametrize(("layout", "size"), [("blur", (1080, 1920)), ("square", (1080, 1080)),
                                              ("landscape", (1920, 1080))])
def test_layouts(media, tmp_path, ffmpeg_bin, layout, size):
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=probe(media["plain"]), start=0, end=1,
                      out=tmp_path / f"{layout}.mp4", settings=RenderSettings(layout=layout))
    video = probe(out).video
    assert (video.width, video.height) == size


def test_a_recording_without_audio_renders_video_only(media, tmp_path, ffmpeg_bin):
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=probe(media["silent"]), start=0, end=1.5,
                      out=tmp_path / "silent.mp4")
    result = probe(out)
    assert result.audio is None and (result.video.width, result.video.height) == (1080, 1920)


def test_bad_cuts_and_ffmpeg_failures_leave_nothing_behind(media, tmp_path, ffmpeg_bin):
    info = probe(media["plain"])
    with pytest.raises(ValidationFailed, match="after the recording's end"):
        render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=30, end=40, out=tmp_path / "x.mp4")
    with pytest.raises(ValidationFailed, match="end must be after start"):
        render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=2, end=2, out=tmp_path / "x.mp4")
    broken = tmp_path / "broken.ass"
    with pytest.raises(RenderFailed) as caught:  # an ASS file that is not there: ffmpeg refuses
        render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=0, end=1, out=tmp_path / "y.mp4",
                    ass=broken)
    assert "ffmpeg failed" in caught.value.message
    assert list(tmp_path.iterdir()) == []
