"""`studio clip plan SHOW`: a cut list from the show's event log, to review and edit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from studio.video.cuts import read_cut_list

CARD = {"sku": "BT-SERUM-30", "title": "烟酰胺精华",
        "ladder": {"list_price": "259.00", "live_price": "189.00", "final_price": "159.00"}}
NUTS = {"sku": "SN-NUTS-750", "title": "每日坚果", "ladder": {"live_price": "89.90"}}
LIVE = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def log(session, show_id: str, events: list[tuple[float, str, dict]]) -> None:
    from studio.live_console.models import LiveEvent

    for seq, (seconds, kind, data) in enumerate(events, start=1):
        session.add(LiveEvent(show_id=show_id, seq=seq, at=LIVE + timedelta(seconds=seconds),
                              type=kind, role="operator", data=data))
    session.commit()


def test_one_cut_per_card_window_priced_from_the_card(run_cli, session, show, tmp_path):
    log(session, show, [(0, "status.changed", {"status": "live"}),
                        (60, "card.taken", {"card": CARD}), (120, "card.taken", {"card": NUTS}),
                        (123, "card.taken", {"card": CARD}),  # 3 s of nuts: too short a clip
                        (200, "card.taken", {"card": NUTS}), (330, "status.changed", {"status": "ended"})])
    out = tmp_path / "cuts.csv"
    result = run_cli("clip", "plan", show, "--out", str(out), "--pad-before", "2")
    assert result.exit_code == 0, result.output
    assert "3 clips" in result.output and "2026-12-10T12:00:00" in result.output
    first, second, third = read_cut_list(out)
    assert (first.start, first.end, first.sku, str(first.price), str(first.original_price)) == \
        (58.0, 121.0, "BT-SERUM-30", "159.00", "259.00")
    assert (second.start, second.end, second.sku) == (121.0, 201.0, "BT-SERUM-30")
    assert (third.start, third.end, third.sku, str(third.price), third.original_price) == \
        (198.0, 331.0, "SN-NUTS-750", "89.90", None)  # until the show ended, padded


def test_a_recording_that_started_before_going_live(run_cli, session, show, tmp_path):
    log(session, show, [(0, "status.changed", {"status": "live"}),
                        (60, "card.taken", {"card": CARD}), (90, "card.cleared", {})])
    out = tmp_path / "cuts.yaml"
    result = run_cli("clip", "plan", show, "--out", str(out), "--recording-start",
                     "2026-12-10T19:59:00")  # naive: the show's own zone, Asia/Shanghai
    assert result.exit_code == 0, result.output
    [cut] = read_cut_list(out)
    assert (cut.start, cut.end) == (119.0, 151.0)


def test_a_show_that_never_went_live_asks_for_the_start(run_cli, show, tmp_path):
    result = run_cli("clip", "plan", show, "--out", str(tmp_path / "cuts.csv"))
    assert result.exit_code == 1
    assert "never went live" in result.stderr and "--recording-start" in result.stderr
    assert not (tmp_path / "cuts.csv").exists()
    missing = run_cli("clip", "plan", "no-such-show", "--out", str(tmp_path / "cuts.csv"))
    assert missing.exit_code == 1 and "no show 'no-such-show'" in missing.stderr


def test_render_straight_from_the_show(run_cli, session, show, tmp_path):
    """`clip render --show`: the card windows become clips whose banners carry the card's prices."""
    import json

    from studio.video.probe import probe
    from tests.video.conftest import ffmpeg

    recording = tmp_path / "show.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
           "-i", "sine=frequency=330:sample_rate=48000", "-t", "12", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(recording))
    log(session, show, [(0, "status.changed", {"status": "live"}),
                        (1, "card.taken", {"card": CARD}), (30, "card.cleared", {})])
    out = tmp_path / "clips"
    result = run_cli("clip", "render", "--recording", str(recording), "--show", show,
                     "--out", str(out), "--template", "square")
    assert result.exit_code == 0, result.output
    [clip] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["clips"]
    assert (clip["sku"], clip["start"], clip["end"], clip["status"]) == \
        ("BT-SERUM-30", 0.0, 12.0, "rendered")  # the window runs to 31 s, the recording to 12
    info = probe(out / clip["files"]["video"])
    assert abs(info.duration - 12.0) <= info.frame_duration + 0.03
    assert (info.video.width, info.video.height) == (1080, 1080)
