"""Benchmark: a batch of 10 clips through `studio clip render`, with 1 and with 2 jobs.

    python benchmarks/clip_batch.py [--clips 10] [--seconds 12] [--record]

Makes a 1080p30 recording with a voice-like tone and a Chinese transcript (ffmpeg lavfi, at run
time), a cut list of ``--clips`` cuts, and renders the batch twice into fresh folders with the
default template (1080×1920, subtitles, banner, −14 LUFS) — once with ``--jobs 1``, once with
``--jobs 2`` — then a third time into the 2-job folder to time the resume (everything skipped).
Every clip is probed before a figure is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._record import record  # noqa: E402

LINES = ["家人们看过来，这款烟酰胺精华液今天直播价只要159元！", "原价259元，今天直播间下单再送小样三件套。",
         "每日坚果礼盒750克，三十天的量，一天一包刚刚好。", "库存只有最后两百单，拍完就恢复原价了哦。"]


def make_inputs(folder: Path, clips: int, seconds: float) -> tuple[Path, Path, Path]:
    import imageio_ffmpeg

    length = clips * (seconds + 3) + 5
    recording = folder / "show.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi",
                    "-i", "sine=frequency=220:sample_rate=48000,volume='0.3+0.25*sin(6*t)':eval=frame",
                    "-t", str(length), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", str(recording)], check=True)
    srt, cue, t = [], 1, 0.0
    while t < length:
        start, end = t, t + 3.5
        srt.append(f"{cue}\n{_ts(start)} --> {_ts(end)}\n{LINES[cue % len(LINES)]}\n")
        cue, t = cue + 1, t + 4.0
    transcript = folder / "show.srt"
    transcript.write_text("\n".join(srt), encoding="utf-8")
    cuts = folder / "cuts.csv"
    rows = ["start,end,sku,title,price,original_price"]
    for index in range(clips):
        start = 2 + index * (seconds + 3)
        rows.append(f"{start:.3f},{start + seconds:.3f},SKU-{index:02d},烟酰胺精华液 {index} 号,159,259")
    cuts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return recording, transcript, cuts


def _ts(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d},{int(seconds % 1 * 1000):03d}"


def render(recording: Path, transcript: Path, cuts: Path, out: Path, jobs: int) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio", "clip", "render", "--recording",
                    str(recording), "--cuts", str(cuts), "--transcript", str(transcript), "--out",
                    str(out), "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "STUDIO_HOME": str(out.parent / "home")})
    return time.perf_counter() - began


def check(out: Path, clips: int, seconds: float) -> None:
    from studio.video.probe import probe

    videos = sorted(out.glob("*.mp4"))
    assert len(videos) == clips, videos
    for video in videos:
        info = probe(video)
        assert (info.video.width, info.video.height) == (1080, 1920), video
        assert abs(info.duration - seconds) < 0.1 and info.audio is not None, video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        recording, transcript, cuts = make_inputs(Path(folder), args.clips, args.seconds)
        one = render(recording, transcript, cuts, Path(folder) / "jobs1", 1)
        check(Path(folder) / "jobs1", args.clips, args.seconds)
        two = render(recording, transcript, cuts, Path(folder) / "jobs2", 2)
        check(Path(folder) / "jobs2", args.clips, args.seconds)
        resume = render(recording, transcript, cuts, Path(folder) / "jobs2", 2)
    output = args.clips * args.seconds
    text = "\n".join([
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()} with {os.cpu_count()} "
        f"cores: {args.clips} clips of {args.seconds:g} s from a 1080p30 recording, default "
        "template (1080×1920, subtitles, banner, −14 LUFS), `studio clip render` end to end.",
        "",
        "| run | wall time | output seconds per wall second |",
        "|---|---|---|",
        f"| `--jobs 1` | {one:.1f} s | {output / one:.2f} |",
        f"| `--jobs 2` | {two:.1f} s | {output / two:.2f} |",
        f"| again, nothing changed (resume: all skipped) | {resume:.1f} s | – |",
        "",
        f"Two jobs take {two / one:.2f}× the time of one: libx264 already spreads one clip over "
        "both cores, so on two cores a second job mostly fills the gaps (the loudness pass, "
        "the cover, process start). More cores give more.",
    ])
    print(text)
    if args.record:
        record(text, "clip-batch")


if __name__ == "__main__":
    main()
