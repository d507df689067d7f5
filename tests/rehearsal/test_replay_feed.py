"""A whole rehearsal against a real server: operator and audience on the show clock, then the
simulated orders, minutes and comments in replay — GMV to the fen, on the plan's time axis."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from studio.rehearsal import run as runner
from tests.rehearsal.conftest import MINI


@pytest.fixture
def rehearsed(live_server, settings, session_factory, mini_show) -> runner.Rehearsal:
    ticks: list[runner.Tick] = []
    result = runner.rehearse(settings, session_factory, MINI, speed=120, seed=3, url=live_server,
                             rate=300, on_tick=ticks.append, media=False)
    result.ticks = ticks  # type: ignore[attr-defined]
    return result


def test_replay_gmv_is_exactly_what_the_audience_ordered(rehearsed, session_factory):
    from studio.replay import service as replay_service

    summary, feed = rehearsed.summary, rehearsed.feed
    assert summary.kinds["order"] > 20 and summary.gmv > 0
    assert feed.gmv == summary.gmv == rehearsed.gmv == Decimal(rehearsed.replay["gmv"])
    assert feed.orders == summary.kinds["order"] == rehearsed.replay["orders"]
    assert rehearsed.replay["units"] == summary.units
    assert rehearsed.replay["rehearsal"] is True and rehearsed.replay["rehearsal_of"] == MINI
    with session_factory() as session:  # nothing of it landed on the real show
        real = replay_service.summary_json(replay_service.build_review(session, MINI, full=False))
    assert real["gmv"] == "0.00" and real["rehearsal"] is False and real["rehearsal_of"] is None
    assert {p.name for p in feed.files.values()} == {"orders.csv", "metrics.csv", "comments.csv"}
    assert feed.folder.parent.name == "rehearsals" and feed.folder.name == rehearsed.show_id


def test_the_replay_lies_on_the_plans_time_axis(rehearsed, session_factory):
    from studio.replay import service as replay_service
    from studio.shows.models import Show, ShowStatus

    with session_factory() as session:
        show = session.get(Show, rehearsed.show_id)
        start = show.scheduled_start
        review = replay_service.review_json(replay_service.build_review(session, show.id))
        assert show.status is ShowStatus.ENDED  # the registry follows the copy to its end
    # seven show minutes, 20:00 to 20:06 in the show's zone, though it took a few seconds
    minutes = [datetime.fromisoformat(m["minute"]) for m in review["by_minute"]]
    assert minutes[0] == start and minutes[-1] == start + timedelta(minutes=6)
    assert len(minutes) == 7 and all(m["online_viewers"] for m in review["by_minute"])
    assert sum(Decimal(m["gmv"]) for m in review["by_minute"]) == rehearsed.summary.gmv
    # every slot was on air from (about) its planned start, by the event log
    slots = {s["slot"]: s for s in review["slots"]}
    assert set(slots) == {"opening", "serum", "bag", "down", "closing"}
    for slot in slots.values():
        assert slot["window_source"] == "event_log"
        assert 0 <= slot["start_delta_seconds"] < 20, slot
    assert Decimal(slots["opening"]["gmv"]) == 0  # no card on screen, no orders
    assert Decimal(slots["serum"]["gmv"]) > 0 and Decimal(slots["down"]["gmv"]) > 0
    assert datetime.fromisoformat(review["recording_start"]) - start < timedelta(seconds=20)
    progress = rehearsed.ticks  # type: ignore[attr-defined]
    assert progress and progress[-1].gmv == rehearsed.summary.gmv
    assert progress[-1].show_time.utcoffset() == timedelta(hours=8)  # Asia/Shanghai


def test_the_rehearsal_compares_with_its_show(rehearsed, run_cli, client):
    compared = run_cli("replay", "compare", rehearsed.show_id, MINI, "--json")
    assert compared.exit_code == 0, compared.output
    data = json.loads(compared.stdout)
    assert data["rehearsal_of"] == {"a": MINI, "b": None}
    gmv = next(r for r in data["rows"] if r["metric"] == "gmv")
    assert gmv["a"] == f"{rehearsed.gmv}" and gmv["b"] == "0.00"
    table = run_cli("replay", "compare", rehearsed.show_id, MINI)
    assert "彩排 rehearsal" in table.stdout
    redirect = client.get("/replay/compare", params={"a": rehearsed.show_id, "b": MINI},
                          follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"/replay/{rehearsed.show_id}/vs/{MINI}"
    assert client.get(redirect.headers["location"]).status_code == 200
    assert client.get(f"/replay/{rehearsed.show_id}").status_code == 200
    from studio.replay.pages import shows_with_data

    with client.app.state.session_factory() as session:
        rows = shows_with_data(session)
    assert [(r["show"].id, r["rehearsal_of"]) for r in rows] == [(rehearsed.show_id, MINI)]


def test_a_second_rehearsal_is_a_new_copy(rehearsed, live_server, settings, session_factory):
    again = runner.rehearse(settings, session_factory, MINI, speed=240, minutes=2, seed=3,
                            url=live_server, media=False)
    assert again.show_id == f"{MINI}-rehearsal-2" and again.minutes == 2
    assert again.gmv == again.summary.gmv
    assert again.replay["by_minute"] and len(again.replay["by_minute"]) == 2
