"""The show clock: show time from wall time, the hub stamping and scheduling on it, the normal
wall-clock path untouched, and the migration that adds it on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from studio.live_console import hub as hub_module
from studio.live_console import tokens
from studio.live_console.clock import ShowClock
from studio.rehearsal import service
from tests.live_console.conftest import Client, run

WALL = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
SHOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai, two days later


def test_show_time_runs_speed_times_as_fast_from_its_anchors():
    clock = ShowClock(60, WALL, SHOW)
    assert clock.at(WALL) == SHOW
    assert clock.at(WALL + timedelta(seconds=3)) == SHOW + timedelta(minutes=3)
    assert clock.at(WALL - timedelta(seconds=1)) == SHOW - timedelta(minutes=1)
    assert clock.wall_seconds(180) == 3  # a 3-minute coupon lasts 3 s of wall time
    assert clock.show_seconds(SHOW + timedelta(minutes=2)) == 120
    assert ShowClock.from_dict(clock.as_dict()) == clock
    slow = ShowClock.starting(0.5, SHOW, wall_start=WALL)
    assert slow.at(WALL + timedelta(seconds=10)) == SHOW + timedelta(seconds=5)


@pytest.mark.parametrize("speed", [0, -2])
def test_a_clock_runs_forwards(speed):
    with pytest.raises(ValueError, match="above 0"):
        ShowClock(speed, WALL, SHOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        ShowClock(1, WALL.replace(tzinfo=None), SHOW)


def _hub(session_factory, show_info: dict) -> hub_module.ShowHub:
    hub = hub_module.ShowHub("no-such-show", session_factory, lambda session, show: (show_info, []),
                             lambda session, codes, show: {})
    hub._load()  # no plan, no events: just the show as the loader describes it
    return hub


def test_a_show_without_a_clock_keeps_the_wall_clock_function_itself(session_factory):
    plain = _hub(session_factory, {"id": "x", "title": "t", "status": "planned"})
    assert plain.clock is None and plain.now is hub_module.now  # the normal path, unchanged
    clocked = _hub(session_factory, {"id": "x", "title": "t", "status": "planned",
                                     "clock": ShowClock(60, datetime.now(UTC), SHOW).as_dict()})
    assert clocked.clock is not None and clocked.clock.speed == 60
    assert abs((clocked.now() - SHOW).total_seconds()) < 60  # within a second of wall time


def _rehearsal_copy(session_factory, settings, show_id: str, speed: float
                    ) -> tuple[str, ShowClock, dict[str, str]]:
    from studio.db import transaction

    with transaction(session_factory) as session:
        copy = service.create_copy(session=session, show_id=show_id, speed=speed)
    with transaction(session_factory) as session:
        clock = service.start_clock(session=session, show_id=copy.id)
        current = tokens.tokens_for(session, tokens.server_secret(settings), copy.id)
    return copy.id, clock, current


def test_the_hub_stamps_and_times_everything_on_the_show_clock(
        live_server, settings, session_factory, mini_show):
    copy_id, clock, current = _rehearsal_copy(session_factory, settings, mini_show, 60)

    async def scenario():
        operator = await Client.connect(live_server, copy_id, current["operator"])
        snapshot = await operator.recv()
        show = snapshot["state"]["show"]
        assert show["rehearsal_of"] == mini_show and show["clock"]["speed"] == 60
        server = datetime.fromisoformat(snapshot["server_time"])
        assert abs((server - clock.now()).total_seconds()) < 60  # one wall second of slack
        assert server - datetime.now(UTC) > timedelta(days=1)  # the show's time, not the wall's
        await operator.command("status.set", {"status": "live"})
        launched = await operator.command("coupon.launch", {
            "id": "c1", "amount": "20", "quantity": 100, "duration_seconds": 120})
        assert launched["type"] == "ack"
        drawn = await operator.command("giveaway.start", {
            "id": "g1", "prize": "福袋", "draw_in_seconds": 90})
        assert drawn["type"] == "ack"
        loop = asyncio.get_running_loop()
        began = loop.time()
        # 120 show seconds at ×60: the server's own timer ends it in about 2 s, not 2 minutes
        # (the lucky bag is drawn first, at 90)
        await operator.until(lambda f: f.get("event") == "giveaway.drawn", timeout=15)
        ended = await operator.until(lambda f: f.get("event") == "coupon.ended", timeout=15)
        waited = loop.time() - began
        return operator.events(), ended, waited

    events, ended, waited = run(scenario())
    assert waited < 15
    at = {e["event"]: datetime.fromisoformat(e["at"]) for e in events}
    assert ended["data"]["reason"] == "time"
    coupon_seconds = (at["coupon.ended"] - at["coupon.launched"]).total_seconds()
    assert 119 <= coupon_seconds < 135  # a show-clock deadline, met on the show clock
    draw_seconds = (at["giveaway.drawn"] - at["giveaway.started"]).total_seconds()
    assert 89 <= draw_seconds < 105
    assert at["status.changed"] >= clock.show_start  # stamped in show time

    from studio.shows.models import Show, ShowStatus

    with session_factory() as session:  # the registry keeps a copy at rehearsal while it is live
        assert session.get(Show, copy_id).status is ShowStatus.REHEARSAL


def test_a_show_without_a_clock_runs_on_the_wall_clock(live_server, show, role_tokens):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        snapshot = await operator.recv()
        assert "clock" not in snapshot["state"]["show"]
        assert "rehearsal_of" not in snapshot["state"]["show"]
        server = datetime.fromisoformat(snapshot["server_time"])
        assert abs((server - datetime.now(UTC)).total_seconds()) < 5
        await operator.command("status.set", {"status": "live"})
        await operator.command("coupon.launch", {"id": "c1", "amount": "5", "quantity": 10,
                                                 "duration_seconds": 1})
        ended = await operator.until(lambda f: f.get("event") == "coupon.ended", timeout=10)
        launched = next(e for e in operator.events() if e["event"] == "coupon.launched")
        return launched, ended

    launched, ended = run(scenario())
    span = datetime.fromisoformat(ended["at"]) - datetime.fromisoformat(launched["at"])
    assert timedelta(seconds=1) <= span < timedelta(seconds=5)
    assert abs(datetime.fromisoformat(ended["at"]) - datetime.now(UTC)) < timedelta(seconds=30)


def test_the_clock_migration_keeps_the_shows_and_what_hangs_off_them(engine):
    """0004 → 0005 on a database with shows and their plans, events and replay rows: the
    columns arrive empty, nothing cascades away, and the way back and forth works."""
    from alembic import command

    from studio import schema

    def move(to: str, *, down: bool = False) -> None:
        config = schema.alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, to)

    try:
        move("0004", down=True)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO shows (id, title, platform, timezone, scheduled_start, "
                "planned_duration_minutes, status, created_at, updated_at) VALUES "
                "('old-show', 'Old', 'douyin', 'Asia/Shanghai', :t, 60, 'ended', :t, :t)"),
                {"t": datetime(2026, 11, 1, 12, 0)})
            connection.execute(text(
                "INSERT INTO live_events (show_id, seq, at, type, role, data) VALUES "
                "('old-show', 1, :t, 'status.changed', 'operator', '{\"status\": \"live\"}')"),
                {"t": datetime(2026, 11, 1, 12, 0)})
        move("head")
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT rehearsal_of, clock_speed, clock_wall_start, clock_show_start FROM shows "
                "WHERE id = 'old-show'")).one()
            assert tuple(row) == (None, None, None, None)
            assert connection.execute(text("SELECT count(*) FROM live_events")).scalar() == 1
        move("0004", down=True)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM live_events")).scalar() == 1
    finally:
        move("head")
    assert schema.current_revision(engine) == schema.head_revision()


def test_the_database_refuses_a_clock_that_stands_still(session):
    from sqlalchemy.exc import IntegrityError

    from studio.shows.models import Show

    session.add(Show(id="s", title="t", platform="douyin", timezone="UTC",
                     scheduled_start=SHOW, planned_duration_minutes=10, clock_speed=0.0))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
