"""The automatic operator: its schedule from a plan (pure), then a run on a real server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from studio.db import transaction
from studio.live_console import tokens
from studio.live_console.service import event_rows
from studio.rehearsal import operator as auto
from studio.rehearsal import service
from studio.rehearsal.run import LEAD_SECONDS
from tests.live_console.conftest import run
from tests.rehearsal.conftest import MINI, mini_plan

START = mini_plan(MINI, start="2026-12-10T20:00:00+08:00").start  # type: ignore[arg-type]


def test_the_schedule_follows_the_plan_minute_by_minute():
    steps = auto.schedule(mini_plan(MINI, START))
    seconds = [((s.at - START).total_seconds(), s.name, s.slot) for s in steps]
    assert seconds[:3] == [(0, "products.list", None), (0, "runsheet.goto", "opening"),
                           (60, "runsheet.goto", "serum")]
    names = [name for _, name, _ in seconds]
    assert names.count("runsheet.goto") == 5  # every segment, in plan order
    assert [s.args["slot"] for s in steps if s.name == "runsheet.goto"] == [
        "opening", "serum", "bag", "down", "closing"]
    assert (120, "card.take", "serum") in seconds  # the second SKU halfway through its slot
    [sale] = [s for s in steps if s.name == "flash_sale.start"]
    assert sale.args["sku"] == "BT-SERUM-50" and sale.args["price"] == "229.00"
    assert (sale.at - START).total_seconds() == 126  # inside the sale SKU's own part of the slot
    assert sale.args["per_buyer_limit"] == 2 and sale.args["duration_seconds"] == 36
    [coupon] = [s for s in steps if s.name == "coupon.launch"]
    assert coupon.args["amount"] == "20.00" and coupon.args["min_spend"] == "199.00"
    assert coupon.args["id"] == "coupon-199-20-down" and coupon.args["duration_seconds"] == 84
    [bag] = [s for s in steps if s.name == "giveaway.start"]
    assert bag.args["winners"] == 2 and bag.args["draw_in_seconds"] == 48
    assert bag.args["keyword"] == auto.GIVEAWAY_KEYWORD
    assert names.count(auto.FEATURE_QUESTION) == 2  # one per product slot
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert auto.plan_end(mini_plan(MINI, START)) == START + timedelta(minutes=7)


def test_a_shorter_rehearsal_leaves_out_what_comes_later():
    steps = auto.schedule(mini_plan(MINI, START), until=START + timedelta(minutes=3))
    assert {s.slot for s in steps if s.slot} == {"opening", "serum"}
    assert all(s.at < START + timedelta(minutes=3) for s in steps)


def _copy(settings, session_factory, speed: float):
    from datetime import UTC, datetime

    with transaction(session_factory) as session:
        copy = service.create_copy(session=session, show_id=MINI, speed=speed)
    with transaction(session_factory) as session:
        clock = service.start_clock(session=session, show_id=copy.id,
                                    at=datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS))
        current = tokens.tokens_for(session, tokens.server_secret(settings), copy.id)
    return copy.id, clock, current


def test_the_operator_runs_the_plan_on_a_real_server_in_order(
        live_server, settings, session_factory, mini_show):
    copy_id, clock, current = _copy(settings, session_factory, 120)
    with session_factory() as session:
        from studio.scripts import service as plan_service

        doc = plan_service.current_doc(session=session,
                                       plan=plan_service.get_plan(session=session,
                                                                  plan_id=copy_id))

    async def scenario() -> auto.OperatorReport:
        operator = auto.AutoOperator(live_server, copy_id, current["operator"], clock)
        await operator.open()
        try:
            await operator.wait_until(clock.show_start)
            await operator.begin()
            report = await operator.run(auto.schedule(doc))
            await operator.wait_until(auto.plan_end(doc))
            await operator.end()
            return report
        finally:
            await operator.close()

    report = run(scenario())
    assert report.commands["runsheet.goto"] == 5 and report.commands["coupon.launch"] == 1
    assert report.commands["flash_sale.start"] == 1 and report.commands["giveaway.start"] == 1
    with session_factory() as session:
        events = [e for e in event_rows(session, copy_id) if e["type"] != "comments"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "status.changed" and events[0]["data"]["status"] == "live"
    last = max(i for i, e in enumerate(events) if e["type"] == "status.changed")
    assert events[last]["data"]["status"] == "ended"  # then the run sheet's pointer is cleared
    assert all(e["type"] in ("runsheet.moved", "coupon.ended", "flash_sale.ended")
               for e in events[last + 1:])
    moved = [e["data"]["slot"] for e in events if e["type"] == "runsheet.moved" and e["data"]["slot"]]
    assert moved == ["opening", "serum", "bag", "down", "closing"]
    taken = [e["data"]["card"]["sku"] for e in events if e["type"] == "card.taken"]
    assert taken == ["BT-SERUM-30", "BT-SERUM-50", "AP-DOWN-BLK-M"]
    assert "giveaway.drawn" in kinds  # by the server, at its draw time
    sale = next(e for e in events if e["type"] == "flash_sale.started")["data"]["sale"]
    assert sale["sku"] == "BT-SERUM-50" and sale["price"] == "229.00"
    # on the show's own time axis: each slot began within a few show seconds of its plan
    at = {e["data"]["slot"]: e["at"] for e in events if e["type"] == "runsheet.moved"
          and e["data"]["slot"]}
    from datetime import datetime

    for slot, minute in (("opening", 0), ("serum", 1), ("bag", 3), ("down", 4), ("closing", 6)):
        planned = clock.show_start + timedelta(minutes=minute)
        assert timedelta(0) <= datetime.fromisoformat(at[slot]) - planned < timedelta(seconds=20)


def test_a_refused_command_stops_the_operator_naming_it(live_server, settings, session_factory,
                                                        mini_show):
    copy_id, clock, current = _copy(settings, session_factory, 60)

    async def scenario() -> None:
        operator = auto.AutoOperator(live_server, copy_id, current["operator"], clock)
        await operator.open()
        try:
            await operator.send("card.take", {"sku": "NO-SUCH-SKU"})
        finally:
            await operator.close()

    with pytest.raises(auto.OperatorError, match=r"card.take .*NO-SUCH-SKU.*unknown_sku.*not in "
                                                 r"the catalogue"):
        run(scenario())


def test_a_wrong_token_is_a_clear_error(live_server, settings, session_factory, mini_show):
    copy_id, clock, _ = _copy(settings, session_factory, 60)

    async def scenario() -> None:
        operator = auto.AutoOperator(live_server, copy_id, "op_wrong", clock)
        try:
            await operator.open()
        finally:
            await operator.close()

    with pytest.raises(auto.OperatorError, match=r"closed .*4001"):
        run(scenario())
