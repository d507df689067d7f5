"""Inputs of the clip pipeline: times, probing recordings, cut lists from files and the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from studio.errors import ValidationFailed
from studio.video.cuts import Cut, CutRules, cuts_from_events, read_cut_list, write_cut_list
from studio.video.probe import probe
from studio.video.timecode import format_time, parse_time


@pytest.mark.parametrize(("text", "seconds"), [
    ("15.35", 15.35), ("01:03:05.350", 3785.35), ("3:05", 185.0), ("1h2m3.5s", 3723.5),
    ("00:00:01,250", 1.25), (42, 42.0)])
def test_one_parser_for_every_way_of_writing_a_time(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-3", "1:75", "01:02:61.0", "nan"])
def test_bad_times_say_why(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_format_time_round_trips():
    assert format_time(3785.35) == "01:03:05.350"
    assert parse_time(format_time(0.04)) == 0.04


def test_probe_reads_streams_rotation_and_missing_audio(media):
    plain = probe(media["plain"])
    assert (plain.video.width, plain.video.height, plain.video.frame_rate) == (640, 360,
                                                                               Fraction(30))
    assert abs(plain.duration - 4.0) < 0.05 and plain.audio.sample_rate == 48000
    assert probe(media["silent"]).audio is None
    rotated = probe(media["rotated"])
    assert rotated.video.rotation == 90 and rotated.video.display_size == (360, 640)


def test_probe_errors_name_the_file(media, tmp_path):
    with pytest.raises(ValidationFailed, match="no such recording"):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(ValidationFailed, match=r"corrupt\.mp4: not a readable recording"):
        probe(media["corrupt"])


def test_csv_and_yaml_cut_lists_round_trip(tmp_path):
    csv_path = tmp_path / "cuts.csv"
    csv_path.write_text("start,end,sku,title\n00:01:00.000,95.5,BT-SERUM-30,精华\n"
                        "2:00,2:30,,\n", encoding="utf-8")
    cuts = read_cut_list(csv_path)
    assert cuts == [Cut(60.0, 95.5, "BT-SERUM-30", "精华", 1), Cut(120.0, 150.0, None, None, 2)]
    assert cuts[0].name == "01-BT-SERUM-30" and cuts[1].duration == 30.0
    for name in ("again.csv", "again.yaml"):
        write_cut_list(cuts, tmp_path / name)
        assert read_cut_list(tmp_path / name) == cuts


def test_bad_cut_lists_name_the_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("start,end,sku\n10,5,A\nabc,20,B\n30,40,C\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        read_cut_list(path)
    assert [str(d) for d in caught.value.details] == [
        "row 2: end 00:00:05.000 is not after start 00:00:10.000",
        "row 3: not a time: 'abc' (write 75.5, 1:15.5 or 00:01:15.500)"]
    (tmp_path / "cols.csv").write_text("from,to\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="missing column"):
        read_cut_list(tmp_path / "cols.csv")


def test_cuts_follow_the_product_card_windows_in_the_event_log():
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def event(seconds, kind, **data):
        return {"at": (start + timedelta(seconds=seconds)).isoformat(), "type": kind,
                "data": data}

    card = {"sku": "BT-SERUM-30", "title": "精华"}
    events = [event(0, "status.changed", status="live"), event(30, "card.taken", card=card),
              event(150, "card.taken", card={"sku": "HM-CUP-WHT", "title": "杯"}),
              event(153, "card.cleared"),  # a 3-second card: too short for a clip
              event(200, "card.taken", card={"sku": "AP-DOWN-BLK-M", "title": "羽绒服"}),
              event(900, "status.changed", status="ended")]
    cuts = cuts_from_events(events, start, recording_duration=1000,
                            rules=CutRules(pad_before=2, pad_after=3, min_length=10,
                                           max_length=600))
    assert [(c.sku, c.start, c.end) for c in cuts] == [
        ("BT-SERUM-30", 28.0, 153.0), ("AP-DOWN-BLK-M", 198.0, 798.0)]


def test_a_csv_cut_list_keeps_its_per_clip_layout(tmp_path):
    source = tmp_path / "cuts.csv"
    source.write_text("start,end,sku,layout,focus_x\n1,9,A,blur,\n10,20,B,,0.25\n",
                      encoding="utf-8")
    cuts = read_cut_list(source)
    assert [c.overrides for c in cuts] == [{"layout": "blur"}, {"focus_x": 0.25}]
    write_cut_list(cuts, tmp_path / "again.csv")
    assert [c.overrides for c in read_cut_list(tmp_path / "again.csv")] == \
        [{"layout": "blur"}, {"focus_x": 0.25}]
    deep = tmp_path / "deep.yaml"
    deep.write_text("- {start: 1, end: 9, overrides: {banner: {label: 到手价}}}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="banner need a YAML cut list"):
        write_cut_list(read_cut_list(deep), tmp_path / "deep.csv")
    write_cut_list(read_cut_list(deep), tmp_path / "deep2.yaml")
    assert read_cut_list(tmp_path / "deep2.yaml")[0].overrides == {"banner": {"label": "到手价"}}
