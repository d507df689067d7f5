"""Media made at test time with ffmpeg's lavfi sources (no binary media in the repository)."""

from __future__ import annotations

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
