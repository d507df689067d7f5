"""What a template adds around the picture — cards, logo, ducked music — and sync on VFR sources."""

from __future__ import annotations

import re
import subprocess
from array import array
from pathlib import Path

import av
import pytest

from studio.config import Settings
from studio.video.probe import probe
from studio.video.render import Card, Extras, Logo, Music, render_clip
from tests.video.conftest import ffmpeg
from tests.video.test_render import loudness


@pytest.fixture(scope="module")
def ffmpeg_bin() -> str:
    return Settings().ffmpeg_binary()


def mean_volume(ffmpeg_bin: str, path: Path, start: float, end: float, band: int) -> float:
    """Mean level (dB) below ``band`` Hz between two moments of a file's audio (steep low-pass)."""
    result = subprocess.run(
        [ffmpeg_bin, "-hide_banner", "-nostats", "-i", str(path), "-af",
         f"atrim={start}:{end},{','.join([f'lowpass=f={band}'] * 4)},volumedetect", "-f", "null",
         "-"], capture_output=True, text=True, timeout=60, check=True)
    return float(re.search(r"mean_volume: (-?[\d.]+) dB", result.stderr).group(1))


def test_intro_outro_logo_and_music_ducked_under_speech(tmp_path, ffmpeg_bin):
    # "speech": a 1 kHz tone for the first two seconds, then silence; music: a 200 Hz tone
    recording = tmp_path / "talk.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi",
           "-i", "sine=frequency=1000:sample_rate=48000,volume='if(lt(t,2),0.5,0)':eval=frame",
           "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(recording))
    music = tmp_path / "bed.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=200:sample_rate=44100", "-t", "1.5", str(music))
    logo = tmp_path / "logo.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=200x100", "-frames:v", "1", str(logo))
    info = probe(recording)
    extras = Extras(intro=Card(0.5, "#112233"), outro=Card(1.0, "#445566"),
                    logo=Logo(logo, width=200, corner="top-left", margin_x=0, margin_y=0),
                    music=Music(music, volume_db=-12, duck=True, fade=0))
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=0, end=4, out=tmp_path / "c.mp4",
                      extras=extras)
    result = probe(out)
    assert abs(result.duration - 5.5) <= result.frame_duration + 0.03  # 0.5 + 4 + 1
    assert abs(loudness(ffmpeg_bin, out) + 14) <= 1
    # the music (looped past its 1.5 s) is ducked while the host speaks, back up in the pause
    during = mean_volume(ffmpeg_bin, out, 0.8, 2.3, 300)
    after = mean_volume(ffmpeg_bin, out, 2.8, 4.3, 300)
    assert after - during >= 6, (during, after)
    with av.open(str(out)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    intro, body, outro = frames[5], frames[45], frames[-5]
    assert intro.getpixel((540, 960)) == pytest.approx((17, 34, 51), abs=6)
    assert outro.getpixel((540, 960)) == pytest.approx((68, 85, 102), abs=6)
    red, green, blue = body.getpixel((50, 50))  # the logo in the top-left corner
    assert red > 200 and green < 60 and blue < 60


def test_without_ducking_the_music_stays_level(tmp_path, ffmpeg_bin):
    recording = tmp_path / "talk.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
           "-i", "sine=frequency=1000:sample_rate=48000,volume='if(lt(t,2),0.5,0)':eval=frame",
           "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(recording))
    music = tmp_path / "bed.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=200:sample_rate=48000", "-t", "4", str(music))
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=probe(recording), start=0, end=4,
                      out=tmp_path / "c.mp4", extras=Extras(music=Music(music, duck=False, fade=0)))
    during = mean_volume(ffmpeg_bin, out, 0.5, 1.8, 300)
    after = mean_volume(ffmpeg_bin, out, 2.3, 3.8, 300)
    assert abs(after - during) < 2


def test_music_alone_when_the_recording_is_silent(media, tmp_path, ffmpeg_bin):
    music = tmp_path / "bed.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000", "-t", "3", str(music))
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=probe(media["silent"]), start=0, end=2,
                      out=tmp_path / "c.mp4", extras=Extras(music=Music(music)))
    assert probe(out).audio is not None and abs(loudness(ffmpeg_bin, out) + 14) <= 1


def flash_and_beep(path: Path) -> tuple[float, float]:
    """When the white flash is on screen and when the beep sounds (seconds)."""
    with av.open(str(path)) as container:
        flash = next(float(frame.time) for frame in container.decode(video=0)
                     if sum(frame.to_image().convert("L").resize((8, 8)).tobytes()) / 64 > 200)
    # mono packed floats read with the standard library (numpy is not a test dependency)
    mono = av.AudioResampler(format="flt", layout="mono")
    with av.open(str(path)) as container:
        for decoded in container.decode(audio=0):
            for frame in mono.resample(decoded):
                samples = array("f", bytes(frame.planes[0]))[:frame.samples]
                first = next((i for i, value in enumerate(samples) if abs(value) > 0.1), None)
                if first is not None:
                    return flash, float(frame.time) + first / frame.sample_rate
    raise AssertionError("no beep")


def test_audio_stays_in_sync_on_a_variable_frame_rate_recording(tmp_path, ffmpeg_bin):
    """An OBS-like VFR source (frames dropped unevenly): the flash and the beep stay together."""
    source = tmp_path / "vfr.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=640x360:rate=60", "-f", "lavfi",
           "-i", "sine=frequency=1000:sample_rate=48000", "-t", "20",
           "-filter_complex",
           "[0:v]drawbox=c=white:t=fill:enable='between(t,15,15.5)',"
           "select='if(lt(t,12),not(eq(mod(n,7),3))*not(eq(mod(n,11),5)),1)'[v];"
           "[1:a]volume='if(between(t,15,15.5),0.8,0)':eval=frame[a]",
           "-map", "[v]", "-map", "[a]", "-fps_mode", "vfr", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", str(source))
    info = probe(source)
    assert info.video.variable_frame_rate
    out = render_clip(ffmpeg_bin=ffmpeg_bin, info=info, start=10.0, end=17.0,
                      out=tmp_path / "clip.mp4")
    flash, beep = flash_and_beep(out)
    frame = probe(out).frame_duration
    assert abs(flash - 5.0) <= frame + 0.001
    assert abs(beep - flash) <= frame, (flash, beep)
