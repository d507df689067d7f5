"""The rehearsal's synthetic recording and its clips, rendered for real and probed afterwards."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pysubs2
import pytest

from studio.errors import ValidationFailed
from studio.rehearsal import recording as rec

LIVE = datetime(2026, 12, 10, 12, 0, 50, tzinfo=UTC)
SERUM = {"sku": "BT-SERUM-30", "title": "烟酰胺精华 30ml", "slot": "p1",
         "ladder": {"list_price": "259.00", "live_price": "189.00", "final_price": "159.00"},
         "selling_points": [{"text": "熬夜党的救星"}]}
NUTS = {"sku": "SN-NUTS-750", "title": "每日坚果", "ladder": {"live_price": "89.90"}}
SHOW_LOG = [(0, "status.changed", {"status": "live"}), (2, "card.taken", {"card": SERUM}),
            (4, "coupon.launched", {"coupon": {"id": "c1", "label": "满199减20"}}),
            (9, "coupon.ended", {"id": "c1"}), (11, "card.taken", {"card": NUTS}),
            (19, "card.cleared", {}), (20, "status.changed", {"status": "ended"})]


def events(log=SHOW_LOG) -> list[dict]:
    return [{"seq": n, "at": (LIVE + timedelta(seconds=s)).isoformat(), "type": kind, "data": data}
            for n, (s, kind, data) in enumerate(log, start=1)]


def write_log(session, show_id: str, log=SHOW_LOG) -> None:
    from studio.live_console.models import LiveEvent

    for event in events(log):
        session.add(LiveEvent(show_id=show_id, seq=event["seq"], role="operator", type=event["type"],
                              at=datetime.fromisoformat(event["at"]), data=event["data"]))
    session.commit()


def test_the_timeline_runs_from_going_live_to_the_end():
    line = rec.timeline(events(), ZoneInfo("Asia/Shanghai"))
    assert line.start == LIVE and line.duration == 20
    assert [(s, e, c["sku"]) for s, e, c in line.cards] == [(2, 11, "BT-SERUM-30"),
                                                            (11, 19, "SN-NUTS-750")]
    assert line.promos == [(4, 9, "coupon", "满199减20")]


def test_a_show_that_never_went_live_cannot_be_recorded():
    with pytest.raises(ValidationFailed, match="never went live"):
        rec.timeline(events([(0, "card.taken", {"card": NUTS})]), ZoneInfo("UTC"))


def test_the_picture_shows_card_prices_countdowns_and_the_local_clock():
    script = rec.picture_script(rec.timeline(events(), ZoneInfo("Asia/Shanghai")))
    texts = [(e.start, e.end, e.style, e.plaintext) for e in script.events]
    assert (2000, 11000, "Price", "¥159.00") in texts  # the price after coupon, not the list price
    assert (2000, 11000, "Original", "原价 ¥259.00") in texts
    assert script.styles["Original"].strikeout
    countdown = [t for s, _, style, t in texts if style == "Promo"]
    assert countdown[0] == "直播间券 满199减20  剩余 0:05" and countdown[-1].endswith("剩余 0:01")
    assert len(countdown) == 5
    clock = [(s, t) for s, _, style, t in texts if style == "Clock"]
    assert clock[0] == (0, "20:00 CST") and clock[1] == (10000, "20:01 CST")  # 12:00:50 UTC


def test_card_text_cannot_inject_override_tags():
    sneaky = {**NUTS, "title": r"{\pos(0,0)}坚果\N"}
    script = rec.picture_script(rec.timeline(events([(0, "status.changed", {"status": "live"}),
                                                     (1, "card.taken", {"card": sneaky}),
                                                     (5, "status.changed", {"status": "ended"})]),
                                             ZoneInfo("UTC")))
    [title] = [e for e in script.events if e.style == "Title"]
    assert title.plaintext.replace("\n", r"\N") != "坚果" and "{" not in title.text.replace(r"\{", "")


def test_the_talk_track_becomes_a_transcript_inside_each_card_window():
    line = rec.timeline(events(), ZoneInfo("UTC"))
    subs = rec.talk_script(line, {"p1": ["家人们看过来", "今天只要159"]})
    assert [(e.start, e.end, e.plaintext) for e in subs.events] == [
        (2500, 6100, "家人们看过来"), (6500, 10100, "今天只要159"),  # the slot's talk track
        (11500, 15100, "每日坚果"), (15500, 18800, "每日坚果")]  # none: the title is said


@pytest.mark.slow
def test_the_recording_is_written_whole_with_a_voice_and_the_cards_drawn(settings, session,
                                                                        session_factory, show):
    from studio.video.probe import probe

    write_log(session, show)
    path = rec.write_recording(settings, session_factory, show)
    assert path == settings.home / "recordings" / f"{show}.mp4"
    info = probe(path)
    assert abs(info.duration - 20) <= 0.2
    assert info.video.display_size == (rec.WIDTH, rec.HEIGHT) and info.audio is not None
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left
    ffmpeg = settings.ffmpeg_binary()
    loudness = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path), "-af", "volumedetect",
                               "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    mean = float(loudness.split("mean_volume:")[1].split("dB")[0])
    assert -40 < mean < -3  # someone is talking, not silence and not clipping

    def yellow_pixels(second: float) -> int:
        raw = subprocess.run([ffmpeg, "-v", "error", "-ss", str(second), "-i", str(path),
                              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True).stdout
        return sum(1 for i in range(0, len(raw), 3)
                   if raw[i] > 200 and raw[i + 1] > 180 and raw[i + 2] < 120)

    assert yellow_pixels(6) > 200  # the price of the card on screen
    assert yellow_pixels(19.5) < 20  # between products: no price drawn
    transcript = pysubs2.load(str(path.with_suffix(".srt")))
    assert transcript.events and transcript.events[0].start == 2500


@pytest.mark.slow
def test_clips_are_cut_per_card_and_rendered_vertical(settings, session, session_factory, show):
    from studio.rehearsal.clips import render_clips
    from studio.video.probe import probe
    from studio.video.workspace import workspace

    write_log(session, show)
    rec.write_recording(settings, session_factory, show)
    clips = render_clips(settings, session_factory, show)
    assert [c.name for c in clips] == [p.name for p in sorted(clips)] and len(clips) == 2
    first = probe(clips[0])
    assert first.video.display_size == (1080, 1920) and first.audio is not None
    assert abs(first.duration - 10) <= 0.1  # 2–11 s padded by 0.5 s each side
    space = workspace(settings, show)
    assert space.saved_cuts() is not None and space.settings().template == "rehearsal"
