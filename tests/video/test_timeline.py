"""Timeline export: EDL and FCPXML read back and checked frame by frame against the cut list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from studio.errors import ValidationFailed
from studio.video.cuts import Cut
from studio.video.probe import AudioStream, MediaInfo, VideoStream, probe
from studio.video.timeline import (
    build_timeline,
    edl_text,
    export_timeline,
    timecode,
    timeline_rate,
    write_edl,
    write_fcpxml,
)
from tests.video.conftest import ffmpeg

NTSC = Fraction(30000, 1001)
EVENT = re.compile(r"^(\d{3})  (\S+) +(\S+) +C +(\S+) (\S+) (\S+) (\S+)$")


@pytest.fixture(scope="module")
def ntsc_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """62 s at 29.97 fps with stereo sound: long enough to cross a drop-frame minute."""
    path = tmp_path_factory.mktemp("ntsc") / "直播 回放.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=30000/1001", "-f", "lavfi",
           "-i", "sine=frequency=440:sample_rate=48000", "-t", "62", "-ac", "2", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


def frames_of(tc: str, base: int) -> int:
    """Inverse of timecode(), written the other way round (minutes that drop frames, counted)."""
    hh, mm, ss, ff = (int(part) for part in re.split("[:;]", tc))
    frames = ((hh * 60 + mm) * 60 + ss) * base + ff
    if ";" in tc:
        minutes = hh * 60 + mm
        frames -= (base // 15) * (minutes - minutes // 10)
    return frames


def read_edl(text: str, base: int) -> tuple[list[str], list[dict[str, object]]]:
    """The header lines and each event with its positions in frames and its comments."""
    header, events = [], []
    for line in text.splitlines():
        match = EVENT.match(line)
        if match:
            number, reel, channels, *tcs = match.groups()
            src_in, src_out, rec_in, rec_out = (frames_of(tc, base) for tc in tcs)
            events.append({"number": int(number), "reel": reel, "channels": channels, "tcs": tcs,
                           "source": (src_in, src_out), "record": (rec_in, rec_out), "comments": []})
        elif line.startswith("* ") and events:
            events[-1]["comments"].append(line)
        elif line and not events:
            header.append(line)
    return header, events


def seconds_attr(value: str) -> Fraction:
    """FCPXML time (``0s``, ``10s``, ``1001/30000s``) as an exact number of seconds."""
    assert value.endswith("s")
    return Fraction(value[:-1])


def in_frames(value: str, rate: Fraction) -> int:
    frames = seconds_attr(value) * rate
    assert frames.denominator == 1, f"{value} is not on the frame grid at {rate} fps"
    return int(frames)


CUTS = [Cut(0.4, 1.2, "BT-SERUM-30", "烟酰胺精华 买一送一", 1),
        Cut(0.41, 1.96, "L'OR-02", 'Men\'s <gel> & "foam"', 2)]


def test_timecode_matches_reference_values():
    assert timecode(0, Fraction(25)) == "00:00:00:00"
    assert timecode(25 * 3661 + 24, Fraction(25)) == "01:01:01:24"
    assert timecode(1800, NTSC) == "00:01:00:00"  # non-drop: the label runs slow of the clock
    assert timecode(1799, NTSC, drop_frame=True) == "00:00:59;29"
    assert timecode(1800, NTSC, drop_frame=True) == "00:01:00;02"  # ;00 and ;01 do not exist
    assert timecode(17982, NTSC, drop_frame=True) == "00:10:00;00"  # every tenth minute keeps them
    assert timecode(107892, NTSC, drop_frame=True) == "01:00:00;00"  # an hour of frames is an hour
    assert timecode(3600, Fraction(60000, 1001), drop_frame=True) == "00:01:00;04"
    for frames in (*range(0, 40000, 37), 1798, 1799, 1800, 1801, 17981, 17982, 17983):
        assert frames_of(timecode(frames, NTSC, drop_frame=True), 30) == frames


@pytest.mark.parametrize(("rate", "expected"), [
    (Fraction(25), Fraction(25)), (NTSC, NTSC), (29.97, NTSC), (59.94, Fraction(60000, 1001)),
    (Fraction(2997, 100), NTSC), (29.9, Fraction(30)), (23.976, Fraction(24000, 1001)), (15, Fraction(15))])
def test_recording_rates_snap_to_the_standard_rate(rate, expected):
    assert timeline_rate(rate) == expected


def test_a_rate_that_is_no_standard_rate_is_refused():
    with pytest.raises(ValueError, match=r"12\.500 fps is not a standard rate"):
        timeline_rate(12.5)


def test_edl_at_25_fps_without_audio(media, tmp_path):
    info = probe(media["silent"])
    path = write_edl(CUTS, info, tmp_path / "show.edl")
    text = path.read_text(encoding="utf-8")
    header, events = read_edl(text, 25)
    assert header == ["TITLE: silent", "FCM: NON-DROP FRAME"]
    assert [e["source"] for e in events] == [(10, 30), (10, 49)]  # 0.41 s is frame 10.25 → 10
    assert [e["record"] for e in events] == [(0, 20), (20, 59)]
    assert {e["channels"] for e in events} == {"V"}  # no audio track in the recording
    assert {e["reel"] for e in events} == {"silent"}
    assert events[0]["comments"] == ["* FROM CLIP NAME: BT-SERUM-30 烟酰胺精华 买一送一",
                                     "* SOURCE FILE: silent.mp4"]
    assert events[1]["comments"][0] == '* FROM CLIP NAME: L\'OR-02 Men\'s <gel> & "foam"'


def test_edl_at_30_fps_carries_the_audio_channel(media, tmp_path):
    info = probe(media["plain"])
    cuts = [Cut(1.0, 2.5, "A1", None, 1), Cut(0.0, 0.5, None, "开场", 2), Cut(3.0, 4.0, None, None, 3)]
    header, events = read_edl(edl_text(build_timeline(cuts, info, title="Demo")), 30)
    assert header[0] == "TITLE: Demo"
    assert [e["source"] for e in events] == [(30, 75), (0, 15), (90, 120)]
    assert [e["record"] for e in events] == [(0, 45), (45, 60), (60, 90)]
    assert {e["channels"] for e in events} == {"B"}  # picture and the mono track
    assert [e["comments"][0] for e in events] == ["* FROM CLIP NAME: A1", "* FROM CLIP NAME: 开场",
                                                  "* FROM CLIP NAME: Clip 3"]


def test_2997_uses_drop_frame_by_default_and_non_drop_on_request(ntsc_recording, tmp_path):
    info = probe(ntsc_recording)
    cuts = [Cut(55.055, 60.06, "SKU-1", "跨分钟", 1), Cut(10.01, 11.011, "SKU-2", None, 2)]
    header, events = read_edl(write_edl(cuts, info, tmp_path / "df.edl").read_text("utf-8"), 30)
    assert header[1] == "FCM: DROP FRAME"
    assert events[0]["tcs"][:2] == ["00:00:55;00", "00:01:00;02"]
    assert [e["source"] for e in events] == [(1650, 1800), (300, 330)]
    assert [e["record"] for e in events] == [(0, 150), (150, 180)]
    assert {e["channels"] for e in events} == {"AA/V"}  # stereo
    assert {e["reel"] for e in events} == {"REC"}  # a name with no Latin letters

    text = write_edl(cuts, info, tmp_path / "ndf.edl", drop_frame=False).read_text("utf-8")
    header, events = read_edl(text, 30)
    assert header[1] == "FCM: NON-DROP FRAME"
    assert events[0]["tcs"][:2] == ["00:00:55:00", "00:01:00:00"]
    assert [e["source"] for e in events] == [(1650, 1800), (300, 330)]

    root = ET.parse(write_fcpxml(cuts, info, tmp_path / "df.fcpxml")).getroot()
    assert root.find("resources/format").get("frameDuration") == "1001/30000s"
    clips = root.findall(".//spine/asset-clip")
    assert [in_frames(c.get("start"), NTSC) for c in clips] == [1650, 300]
    assert [in_frames(c.get("offset"), NTSC) for c in clips] == [0, 150]
    assert {c.get("tcFormat") for c in clips} == {"DF"}
    asset = root.find("resources/asset")
    assert (asset.get("audioChannels"), root.find(".//sequence").get("audioLayout")) == ("2", "stereo")
    assert Path(unquote(urlparse(asset.get("src")).path)) == ntsc_recording.resolve()


def test_fcpxml_frames_names_and_audio(media, tmp_path):
    info = probe(media["plain"])
    cuts = [Cut(1.0, 2.5, "BT-SERUM-30", "烟酰胺精华 ¥159", 1), *CUTS[1:]]
    path = export_timeline(cuts, info, tmp_path / "show.fcpxml", title="618 大促 直播")
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>')
    root = ET.parse(path).getroot()
    assert root.get("version") == "1.8"
    fmt = root.find("resources/format")
    assert (fmt.get("frameDuration"), fmt.get("width"), fmt.get("height")) == ("1/30s", "640", "360")
    asset = root.find("resources/asset")
    assert (asset.get("hasAudio"), asset.get("audioChannels"), asset.get("audioRate")) == ("1", "1", "48000")
    assert in_frames(asset.get("duration"), Fraction(30)) == 120
    event = root.find("library/event")
    assert event.get("name") == event.find("project").get("name") == "618 大促 直播"
    sequence = event.find("project/sequence")
    assert (sequence.get("tcFormat"), sequence.get("audioRate")) == ("NDF", "48k")
    clips = sequence.findall("spine/asset-clip")
    assert [c.get("name") for c in clips] == ["BT-SERUM-30 烟酰胺精华 ¥159", 'L\'OR-02 Men\'s <gel> & "foam"']
    assert {c.get("ref") for c in clips} == {asset.get("id")}
    assert [in_frames(c.get("start"), Fraction(30)) for c in clips] == [30, 12]  # 0.41 s → 12.3 → 12
    assert [in_frames(c.get("duration"), Fraction(30)) for c in clips] == [45, 47]
    assert [in_frames(c.get("offset"), Fraction(30)) for c in clips] == [0, 45]
    assert in_frames(sequence.get("duration"), Fraction(30)) == 92
    assert {c.get("audioRole") for c in clips} == {"dialogue"}


def test_fcpxml_without_audio_and_with_a_phone_picture(media, tmp_path):
    silent = ET.parse(write_fcpxml(CUTS, probe(media["silent"]), tmp_path / "s.fcpxml")).getroot()
    asset = silent.find("resources/asset")
    assert asset.get("hasAudio") == "0" and asset.get("audioChannels") is None
    assert silent.find(".//sequence").get("audioLayout") is None
    assert all(c.get("audioRole") is None for c in silent.iter("asset-clip"))
    assert silent.find("resources/format").get("frameDuration") == "1/25s"

    rotated = ET.parse(write_fcpxml(CUTS, probe(media["rotated"]), tmp_path / "r.fcpxml")).getroot()
    fmt = rotated.find("resources/format")
    assert (fmt.get("width"), fmt.get("height")) == ("360", "640")  # as the phone showed it


def _fake_info(duration: float, rate: Fraction = Fraction(25)) -> MediaInfo:
    """A recording described without a file: the timeline needs only its numbers."""
    return MediaInfo(path=Path("/recordings/show.mp4"), duration=duration, format="mp4",
                     video=VideoStream(1920, 1080, rate, "h264", 0, False),
                     audio=AudioStream(48000, 2, "aac"))


def test_names_are_kept_on_one_line_and_free_of_control_characters():
    cut = Cut(0, 1, "SKU\t9", "第一行\n第二行\x07", 1)
    timeline = build_timeline([cut], _fake_info(10), title="  Show\r\nNight ")
    assert (timeline.clips[0].name, timeline.title) == ("SKU 9 第一行 第二行", "Show Night")


@pytest.mark.parametrize(("cuts", "message"), [
    ([], "the cut list is empty"),
    ([Cut(5.0, 12.0, "LATE", None, 4)], r"cut 4 \(LATE\) ends at 12.000 s, after the recording \(10.000 s\)"),
    ([Cut(1.0, 1.01, "BLINK", None, 2)], "cut 2 .* shorter than one frame at 25 fps"),
])
def test_bad_cuts_are_named_with_the_reason(cuts, message):
    with pytest.raises(ValidationFailed, match=f"show.mp4: {message}"):
        build_timeline(cuts, _fake_info(10))


def test_a_cut_ending_within_a_frame_of_the_end_is_held_to_the_last_frame():
    timeline = build_timeline([Cut(9.0, 10.04, None, None, 1)], _fake_info(10.0))
    assert (timeline.clips[0].source_out, timeline.recording_frames) == (250, 250)


def test_drop_frame_is_refused_where_it_does_not_exist():
    with pytest.raises(ValidationFailed, match=r"only at 29\.97 and 59\.94 fps"):
        build_timeline([Cut(0, 1)], _fake_info(10), drop_frame=True)
    assert not build_timeline([Cut(0, 1)], _fake_info(10, Fraction(24000, 1001))).drop_frame


def test_edl_limits_say_to_use_fcpxml():
    many = [Cut(i * 0.04, (i + 1) * 0.04, None, None, i + 1) for i in range(1000)]
    with pytest.raises(ValidationFailed, match="at most 999 events"):
        edl_text(build_timeline(many, _fake_info(60)))
    day = build_timeline([Cut(0, 1)], replace(_fake_info(90_000), duration=90_000.0))
    with pytest.raises(ValidationFailed, match="24 hours"):
        edl_text(day)


def test_unknown_extension_is_refused_before_anything_is_written(media, tmp_path):
    info = probe(media["silent"])
    for name in ("show.xml", "show"):
        with pytest.raises(ValidationFailed, match=rf"{name}: unknown timeline format .*\.edl.*\.fcpxml"):
            export_timeline(CUTS, info, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_the_previous_file_whole(media, tmp_path):
    info = probe(media["silent"])
    for name in ("show.edl", "show.fcpxml"):
        target = tmp_path / name
        export_timeline(CUTS, info, target)
        before = target.read_bytes()
        with pytest.raises(ValidationFailed):
            export_timeline([Cut(1.0, 30.0, "TOO-LONG", None, 1)], info, target)
        assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["show.edl", "show.fcpxml"]  # no temp files
