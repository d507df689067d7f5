"""Media made at test time with ffmpeg's lavfi sources (no binary media in the repository)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    *args], check=True, timeout=120)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A few small recordings: with audio, without, rotated (a phone), and a corrupt file."""
    folder = tmp_path_factory.mktemp("media")
    files = {name: folder / f"{name}.mp4" for name in ("plain", "silent", "rotated")}
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi",
           "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", str(files["plain"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(files["silent"]))
    ffmpeg("-display_rotation", "90", "-i", str(files["plain"]), "-c", "copy",
           str(files["rotated"]))
    corrupt = folder / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 100)
    files["corrupt"] = corrupt
    return files


# ---- the clips page's show, workspace and recording (API and worker tests) ----------------------

SHOW = "clip-test-show"
FAST_TEMPLATE = """extends: square
description: small and quick, for tests
preset: ultrafast
fps: 15
"""
TRANSCRIPT = """1
00:00:00,200 --> 00:00:01,400
烟酰胺精华 直播价 159

2
00:00:01,600 --> 00:00:03,400
today only, two for one
"""
TWO_CUTS = [{"start": "0.5", "end": "1.7", "sku": "BT-SERUM-30", "title": "烟酰胺精华 <b>30ml</b>",
             "price": "159", "original_price": "259.00"},
            {"start": "00:00:02.000", "end": 3.2, "sku": "HM-CUP", "title": None, "price": None,
             "original_price": None}]


@pytest.fixture
def home(settings) -> Path:
    return Path(settings.home)


@pytest.fixture
def show_id(client) -> str:
    response = client.post("/api/v1/shows", json={
        "title": "切片测试 Clip test", "scheduled_start": "2026-12-10T20:00:00+08:00",
        "planned_duration_minutes": 60, "id": SHOW})
    assert response.status_code == 201, response.text
    return SHOW


@pytest.fixture
def recording(media, home, show_id) -> Path:
    """The 4 s 640x360 test recording (with a tone) at the default place, with a transcript."""
    folder = home / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{show_id}.mp4"
    shutil.copyfile(media["plain"], target)
    (folder / f"{show_id}.srt").write_text(TRANSCRIPT, encoding="utf-8")
    return target


@pytest.fixture
def fast_template(home) -> str:
    folder = home / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fast.yaml").write_text(FAST_TEMPLATE, encoding="utf-8")
    return "fast"


def api(show: str = SHOW) -> str:
    return f"/api/v1/clips/{show}"
