"""`studio clip render`: a folder of vertical clips from a 1080p recording, resumable, with a manifest."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from studio.config import Settings, get_settings
from studio.video.probe import probe
from tests.video.conftest import ffmpeg
from tests.video.test_render import frame_bytes, loudness

SRT = """1
00:00:00,200 --> 00:00:02,800
家人们看过来，这款烟酰胺精华液今天直播价只要159元！

2
00:00:03,200 --> 00:00:05,600
Daily nuts gift box, only ¥89.9 in the live room today
"""

CUTS = """start,end,sku,title,price,original_price
0.5,2.5,BT-SERUM-30,烟酰胺精华液 30ml,159,259
00:00:03.000,00:00:05.000,SN-NUTS-750,每日坚果 750g,89.90,
"""


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six seconds of 1080p30 with a tone that comes and goes, like speech."""
    path = tmp_path_factory.mktemp("rec") / "show.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi",
           "-i", "sine=frequency=220:sample_rate=48000,volume='0.3+0.25*sin(6*t)':eval=frame",
           "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", str(path))
    return path


@pytest.fixture
def clip_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`studio …` in-process with a home folder and no database (a laptop that only cuts clips)."""
    from studio import cli_support
    from studio.cli import app

    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STUDIO_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    cli_support.session_factory.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})

    yield run
    get_settings.cache_clear()
    cli_support.session_factory.cache_clear()


def files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def test_render_a_cut_list_then_resume_skips_everything(recording, tmp_path, clip_cli):
    cuts = tmp_path / "cuts.csv"
    cuts.write_text(CUTS, encoding="utf-8")
    transcript = tmp_path / "show.srt"
    transcript.write_text(SRT, encoding="utf-8")
    out = tmp_path / "clips"
    args = ("clip", "render", "--recording", str(recording), "--cuts", str(cuts),
            "--transcript", str(transcript), "--out", str(out), "--jobs", "2")
    result = clip_cli(*args)
    assert result.exit_code == 0, result.output
    assert "2 rendered, 0 skipped (unchanged), 0 failed" in result.output
    ffmpeg_bin = Settings().ffmpeg_binary()
    for name, length in (("01-BT-SERUM-30", 2.0), ("02-SN-NUTS-750", 2.0)):
        info = probe(out / f"{name}.mp4")
        assert (info.video.width, info.video.height) == (1080, 1920)
        assert abs(info.duration - length) <= info.frame_duration + 0.03
        assert info.audio is not None and abs(loudness(ffmpeg_bin, out / f"{name}.mp4") + 14) <= 1
        assert (out / f"{name}.jpg").stat().st_size > 1000
        assert (out / f"{name}.srt").read_text(encoding="utf-8").strip()
        assert "Style: Default" in (out / f"{name}.ass").read_text(encoding="utf-8")
    assert "159" in (out / "01-BT-SERUM-30.srt").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first = manifest["clips"][0]
    assert (first["sku"], first["title"], first["start"], first["end"], first["status"]) == \
        ("BT-SERUM-30", "烟酰胺精华液 30ml", 0.5, 2.5, "rendered")
    assert first["files"] == {"video": "01-BT-SERUM-30.mp4", "cover": "01-BT-SERUM-30.jpg",
                              "srt": "01-BT-SERUM-30.srt", "ass": "01-BT-SERUM-30.ass"}
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["01-BT-SERUM-30", "02-SN-NUTS-750"]
    assert rows[1]["start"] == "00:00:03.000" and rows[1]["duration"] == "2.000"
    assert manifest["timelines"] == {"edl": "timeline.edl", "fcpxml": "timeline.fcpxml"}
    assert "FROM CLIP NAME: BT-SERUM-30" in (out / "timeline.edl").read_text(encoding="utf-8")
    assert (out / "timeline.fcpxml").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp file left

    before = files(out)
    again = clip_cli(*args)
    assert again.exit_code == 0 and "0 rendered, 2 skipped (unchanged)" in again.output
    assert {k: v for k, v in files(out).items() if k.endswith((".mp4", ".jpg"))} == \
        {k: v for k, v in before.items() if k.endswith((".mp4", ".jpg"))}

    # a changed price changes that clip's banner, and only that clip is made again
    cuts.write_text(CUTS.replace("89.90", "79.90"), encoding="utf-8")
    changed = clip_cli(*args)
    assert "1 rendered, 1 skipped" in changed.output
    assert files(out)["01-BT-SERUM-30.mp4"] == before["01-BT-SERUM-30.mp4"]
    assert files(out)["02-SN-NUTS-750.mp4"] != before["02-SN-NUTS-750.mp4"]


def test_the_banner_is_burned_in(recording, tmp_path, clip_cli):
    """The banner's area differs between a clip with a price and the same clip without one."""
    for name, body in (("with", CUTS.splitlines()[1]), ("without", "0.5,2.5,BT-SERUM-30,,,")):
        (tmp_path / f"{name}.csv").write_text(f"{CUTS.splitlines()[0]}\n{body}\n", encoding="utf-8")
        result = clip_cli("clip", "render", "--recording", str(recording), "--cuts",
                          str(tmp_path / f"{name}.csv"), "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output

    def banner_area(folder: str) -> bytes:
        return subprocess.run(
            [Settings().ffmpeg_binary(), "-loglevel", "error", "-ss", "1", "-i",
             str(tmp_path / folder / "01-BT-SERUM-30.mp4"), "-frames:v", "1", "-vf",
             "crop=900:230:40:180,format=gray", "-f", "rawvideo", "-"],
            capture_output=True, check=True, timeout=60).stdout

    assert banner_area("with") != banner_area("without")


def test_a_failing_clip_is_reported_and_the_batch_goes_on(recording, tmp_path, clip_cli):
    bad_logo = tmp_path / "logo.png"
    bad_logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50)
    cuts = tmp_path / "cuts.yaml"
    cuts.write_text(f"""
- {{start: 0, end: 1.5, sku: GOOD-1, title: 好的}}
- start: 1
  end: 2
  sku: BAD-LOGO
  overrides: {{logo: {{path: "{bad_logo}"}}}}
- {{start: 7, end: 9, sku: PAST-END}}
""", encoding="utf-8")
    out = tmp_path / "clips"
    result = clip_cli("clip", "render", "--recording", str(recording), "--cuts", str(cuts),
                      "--out", str(out))
    assert result.exit_code == 1
    assert "1 rendered, 0 skipped (unchanged), 2 failed" in result.output
    assert "02-BAD-LOGO" in result.output and "ffmpeg failed" in result.output
    assert "03-PAST-END" in result.output and "after the recording's end" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = {c["name"]: (c["status"], c["error"]) for c in manifest["clips"]}
    assert status["01-GOOD-1"] == ("rendered", None)
    assert status["02-BAD-LOGO"][0] == "failed" and "logo.png" in status["02-BAD-LOGO"][1]
    assert sorted(p.name for p in out.iterdir()) == [
        "01-GOOD-1.jpg", "01-GOOD-1.mp4", "manifest.csv", "manifest.json", "timeline.edl",
        "timeline.fcpxml"]  # nothing of the failed clips, no temp files


@pytest.mark.parametrize(("args", "message"), [
    (("--cuts", "{cuts}", "--show", "x"), "either --show SHOW or --cuts FILE"),
    (("--cuts", "{missing}"), "no such file"),
    (("--cuts", "{cuts}", "--template", "nope"), "no template 'nope'"),
    (("--cuts", "{cuts}", "--transcript", "{bad}"), "bad.srt"),
])
def test_bad_input_is_one_clear_line_and_nothing_is_written(recording, tmp_path, clip_cli, args,
                                                            message):
    (tmp_path / "cuts.csv").write_text(CUTS, encoding="utf-8")
    (tmp_path / "bad.srt").write_text("1\nthis is not\na subtitle file at all\n", encoding="utf-8")
    names = {"cuts": tmp_path / "cuts.csv", "missing": tmp_path / "nope.csv",
             "bad": tmp_path / "bad.srt"}
    filled = [a.format(**names) for a in args]
    result = clip_cli("clip", "render", "--recording", str(recording), "--out",
                      str(tmp_path / "out"), *filled)
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_corrupt_or_missing_recording_is_refused(media, tmp_path, clip_cli):
    (tmp_path / "cuts.csv").write_text(CUTS, encoding="utf-8")
    for recording, message in ((media["corrupt"], "corrupt.mp4"),
                               (tmp_path / "none.mp4", "does not exist")):
        result = clip_cli("clip", "render", "--recording", str(recording), "--cuts",
                          str(tmp_path / "cuts.csv"), "--out", str(tmp_path / "out"))
        assert result.exit_code == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_templates_are_listed_and_shown(clip_cli):
    listed = clip_cli("clip", "templates")
    assert listed.exit_code == 0
    assert all(name in listed.output for name in ("default", "blur", "square", "landscape"))
    shown = clip_cli("clip", "templates", "square")
    assert json.loads(shown.output)["layout"] == "square"


def test_frame_bytes_helper_sees_subtitles(recording, tmp_path, clip_cli):
    """Subtitles from the transcript are burned: the bottom of the frame differs without them."""
    (tmp_path / "cuts.csv").write_text(CUTS, encoding="utf-8")
    (tmp_path / "show.srt").write_text(SRT, encoding="utf-8")
    for name, extra in (("subs", ("--transcript", str(tmp_path / "show.srt"))), ("bare", ())):
        result = clip_cli("clip", "render", "--recording", str(recording), "--cuts",
                          str(tmp_path / "cuts.csv"), "--out", str(tmp_path / name),
                          "--template", "square", *extra)
        assert result.exit_code == 0, result.output
    ffmpeg_bin = Settings().ffmpeg_binary()
    assert frame_bytes(ffmpeg_bin, tmp_path / "subs" / "01-BT-SERUM-30.mp4", 1.0) != \
        frame_bytes(ffmpeg_bin, tmp_path / "bare" / "01-BT-SERUM-30.mp4", 1.0)
    assert probe(tmp_path / "subs" / "01-BT-SERUM-30.mp4").video.width == 1080


@pytest.fixture
def mounted(tmp_path: Path):
    """A tmpfs of our own (root only): read-only, or a few hundred KiB that fill up."""
    import contextlib
    import os

    if os.geteuid() != 0:
        pytest.skip("mounting a test filesystem needs root")
    made: list[Path] = []

    def mount(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        made.append(point)
        return point

    yield mount
    for point in made:
        with contextlib.suppress(subprocess.SubprocessError):
            subprocess.run(["umount", "-l", str(point)], check=False, timeout=10)


def test_a_read_only_output_folder_is_refused_before_rendering(recording, tmp_path, clip_cli,
                                                               mounted):
    cuts = tmp_path / "cuts.csv"
    cuts.write_text(CUTS, encoding="utf-8")
    out = mounted("ro", "ro,size=4m")
    result = clip_cli("clip", "render", "--recording", str(recording), "--cuts", str(cuts),
                      "--out", str(out / "clips"))
    assert result.exit_code == 1
    assert "read-only" in result.stderr.lower() and str(out) in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_full_output_folder_fails_each_clip_clearly_and_leaves_no_partial_file(
        recording, tmp_path, clip_cli, mounted):
    cuts = tmp_path / "cuts.csv"
    cuts.write_text(CUTS, encoding="utf-8")
    out = mounted("full", "size=300k")  # room for the manifest, not for a clip
    result = clip_cli("clip", "render", "--recording", str(recording), "--cuts", str(cuts),
                      "--out", str(out))
    assert result.exit_code == 1
    text = result.output + result.stderr
    assert "no space left" in text.lower()
    assert "Traceback" not in text
    # the first clip meets the full disk; the next is not even tried, and says why
    assert text.count("ffmpeg failed") == 1
    assert f"not rendered: {out} is full" in " ".join(text.split())
    leftovers = [p.name for p in out.iterdir() if p.suffix in (".mp4", ".jpg")]
    assert leftovers == []  # no half-written clip, no temp file
