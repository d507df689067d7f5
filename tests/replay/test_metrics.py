"""Every metric on a small dataset computed by hand, windows from the event log, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.replay import service
from tests.replay.conftest import COMMENTS, METRICS, ORDERS

T0 = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai


@pytest.fixture
def bare_show(run_cli) -> str:
    """A show with no plan, so its slots come from the product cards."""
    result = run_cli("show", "create", "复盘测试", "--start", "2026-12-10T20:00", "--duration",
                     "60", "--id", "review-test")
    assert result.exit_code == 0, result.stderr
    return "review-test"


def log(session, show_id: str, events: list[tuple[float, str, dict]]) -> None:
    from studio.live_console.models import LiveEvent

    for seq, (seconds, kind, data) in enumerate(events, start=1):
        session.add(LiveEvent(show_id=show_id, seq=seq, at=T0 + timedelta(seconds=seconds),
                              type=kind, role="operator", data=data))
    session.commit()


def load(run_cli, show: str, write) -> None:
    result = run_cli("replay", "import", show, "--orders", str(write("o.csv", ORDERS)),
                     "--metrics", str(write("m.csv", METRICS)),
                     "--comments", str(write("c.csv", COMMENTS)))
    assert result.exit_code == 0, result.stderr


def test_the_summary_matches_the_hand_computation(run_cli, bare_show, write, summary):
    load(run_cli, bare_show, write)
    figures = summary(bare_show)
    assert {k: figures[k] for k in ("gmv", "refund_amount", "net_gmv", "orders", "units",
                                    "buyers", "peak_online", "avg_online")} == {
        "gmv": "667.90", "refund_amount": "209.00", "net_gmv": "458.90", "orders": 4,
        "units": 8, "buyers": 3, "peak_online": 300, "avg_online": "200.00"}
    assert figures["by_sku"] == [
        {"sku": "SKU-1", "gmv": "318.00", "orders": 2, "units": 2, "refund_amount": "159.00"},
        {"sku": "SKU-2", "gmv": "250.00", "orders": 2, "units": 5, "refund_amount": "50.00"},
        {"sku": "SKU-3", "gmv": "99.90", "orders": 1, "units": 1, "refund_amount": "0.00"}]
    assert [(m["minute"], m["gmv"], m["orders"]) for m in figures["by_minute"]] == [
        ("2026-12-10T20:00:00+08:00", "259.00", 1), ("2026-12-10T20:01:00+08:00", "309.00", 2),
        ("2026-12-10T20:02:00+08:00", "99.90", 1)]
    assert (figures["aov_per_buyer"], figures["aov_per_order"]) == ("222.63", "166.98")
    assert figures["gpm"] == {"value": "2226.33",
                              "denominator": "views (PV), sum of per-minute views"}


def test_ratios_funnel_and_audience(run_cli, bare_show, write, session):
    load(run_cli, bare_show, write)
    review = service.review_json(service.build_review(session, bare_show))
    assert review["derived"]["uv_value"]["value"] == "2.23"  # 667.90 / 300 entries
    assert review["derived"]["interaction_rate"]["value"] == "0.0800"  # 24 comments / 300 views
    assert review["derived"]["refund_rate"]["value"] == "0.3129"  # 209.00 / 667.90
    assert [(f["step"], f["count"], f["rate_from_previous"]) for f in review["funnel"]] == [
        ("entries", 300, None), ("product_impressions", 200, "0.6667"),
        ("product_clicks", 60, "0.3000"), ("buyers", 3, "0.0500")]
    assert review["audience"]["comments_per_minute"] == "8.00"
    assert review["audience"]["total_likes"] == 650


EVENTS = [(0, "status.changed", {"status": "live"}),
          (20, "card.taken", {"card": {"sku": "SKU-1", "title": "精华"}}),
          (105, "card.taken", {"card": {"sku": "SKU-2", "title": "坚果"}}),
          (150, "coupon.launched", {"coupon": {"id": "c1", "label": "满100减20", "quantity": 50}}),
          (170, "card.cleared", {}),
          (180, "coupon.ended", {"id": "c1", "reason": "timer"}),
          (180, "status.changed", {"status": "ended"})]


def test_explanation_windows_slots_markers_and_findings(run_cli, bare_show, write, session):
    load(run_cli, bare_show, write)
    log(session, bare_show, EVENTS)
    review = service.review_json(service.build_review(session, bare_show))
    skus = {r["sku"]: r for r in review["by_sku"]}
    assert (skus["SKU-1"]["gmv_during"], skus["SKU-1"]["gmv_before"], skus["SKU-1"]["gmv_after"],
            skus["SKU-1"]["explained_seconds"], skus["SKU-1"]["gmv_per_explained_minute"]) == \
        ("318.00", "0.00", "0.00", 85, "224.47")
    assert (skus["SKU-2"]["gmv_during"], skus["SKU-2"]["gmv_before"], skus["SKU-2"]["gmv_after"],
            skus["SKU-2"]["share_during"]) == ("150.00", "100.00", "0.00", "0.6000")
    assert (skus["SKU-3"]["gmv_during"], skus["SKU-3"]["gmv_after"], skus["SKU-3"]["windows"]) == \
        ("0.00", "99.90", [])
    assert skus["SKU-1"]["title"] == "精华"
    slots = review["slots"]
    assert [(s["title"], s["seconds"], s["gmv"], s["orders"], s["gmv_per_minute"]) for s in slots] \
        == [("精华", 85, "418.00", 2, "295.06"), ("坚果", 65, "150.00", 1, "138.46")]
    assert [(m["kind"], m["label"], m["seconds"]) for m in review["markers"]] == [
        ("status", "live", 0.0), ("card", "精华", 20.0), ("card", "坚果", 105.0),
        ("coupon", "满100减20", 150.0), ("status", "ended", 180.0)]
    kinds = [(f["kind"], f["seconds"]) for f in review["findings"]]
    assert kinds[0] == ("viewer_drop", 120.0)  # 20:02, 300 → 200, while 坚果 was on screen
    assert "while “坚果” was on screen" in review["findings"][0]["evidence"]
    assert ("low_gmv_slot", 105.0) in kinds and ("promo_effect", 150.0) in kinds
    promo = next(f for f in review["findings"] if f["kind"] == "promo_effect")
    assert "0 → 2.00 orders/min" in promo["title"]
    assert [f["rank"] for f in review["findings"]] == list(range(1, len(kinds) + 1))


def test_plan_vs_actual_on_the_demo_plan(run_cli, show, session):
    """The demo plan's slots: planned start and length against the run-sheet pointer's moves."""
    review = service.review_json(service.build_review(session, show))
    assert all(s["window_source"] == "plan" and s["start_delta_seconds"] == 0
               for s in review["slots"])
    index = next(i for i, s in enumerate(review["slots"]) if s.get("planned_gmv"))
    slot, following = review["slots"][index], review["slots"][index + 1]
    planned_start = datetime.fromisoformat(slot["planned_start"])
    from studio.live_console.models import LiveEvent

    late = planned_start + timedelta(minutes=2)
    for seq, (at, kind, data) in enumerate([
            (late, "runsheet.moved", {"index": index, "slot": slot["slot"]}),
            (late + timedelta(seconds=slot["planned_seconds"] + 180), "runsheet.moved",
             {"index": index + 1, "slot": following["slot"]})], start=1):
        session.add(LiveEvent(show_id=show, seq=seq, at=at, type=kind, role="operator", data=data))
    session.commit()
    again = service.review_json(service.build_review(session, show))["slots"][index]
    assert again["window_source"] == "event_log"
    assert again["start_delta_seconds"] == 120 and again["over_under_seconds"] == 180
    assert again["gmv"] == "0.00" and again["target_hit"] is False  # nothing sold
    assert Decimal(again["gmv_vs_plan"]) == -Decimal(again["planned_gmv"])


lines = st.lists(st.tuples(
    st.sampled_from(["S1", "S2", "S3"]), st.integers(0, 30), st.integers(0, 59),
    st.integers(0, 100_000), st.sampled_from(["paid", "refunded", "partially_refunded",
                                               "cancelled", "pending"]),
    st.integers(1, 5), st.integers(0, 100), st.sampled_from(["u1", "u2", "u3", ""])),
    min_size=1, max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines)
def test_minutes_and_skus_sum_to_the_total(session, bare_show, generated):
    from sqlalchemy import delete

    from studio.replay import importer, store
    from studio.replay.models import OrderLine

    session.execute(delete(OrderLine))
    rows = []
    for index, (sku, minute, second, cents, status, qty, refund_pct, buyer) in enumerate(generated):
        paid = "" if status in ("cancelled", "pending") else \
            f"2026-12-10T20:{minute:02d}:{second:02d}+08:00"
        refund = {"refunded": cents, "partially_refunded": cents * refund_pct // 100}.get(status, 0)
        if status == "refunded" and cents == 0:
            status, refund = "paid", 0
        rows.append((index + 2, {
            "order_id": f"O{index}", "created_at": "2026-12-10T20:00:00+08:00", "paid_at": paid,
            "sku": sku, "quantity": str(qty), "amount": f"{Decimal(cents).scaleb(-2):.2f}",
            "refund_amount": f"{Decimal(refund).scaleb(-2):.2f}", "status": status,
            "buyer_id": buyer}))
    good, errors, _ = importer.convert_rows("orders", rows, bare_show, UTC)
    assert errors == []
    store.upsert_dicts(session, importer.OrderLine.__table__, good, ("show_id", "order_id", "sku"))
    importer.mark_firsts(session, bare_show)
    importer.rebuild_rollup(session, bare_show)
    session.commit()
    figures = service.summary_json(service.build_review(session, bare_show, full=False))
    paid = [r for _, r in rows if r["status"] in ("paid", "refunded", "partially_refunded")]
    expected = sum((Decimal(r["amount"]) for r in paid), Decimal("0.00"))
    assert Decimal(figures["gmv"]) == expected
    assert sum(Decimal(m["gmv"]) for m in figures["by_minute"]) == expected
    assert sum(Decimal(s["gmv"]) for s in figures["by_sku"]) == expected
    assert sum(m["orders"] for m in figures["by_minute"]) == figures["orders"] == len(paid)
    assert sum(s["units"] for s in figures["by_sku"]) == figures["units"]
    assert Decimal(figures["refund_amount"]) == sum(
        (Decimal(r["refund_amount"]) for r in paid), Decimal("0.00"))
    assert figures["buyers"] == len({r["buyer_id"] for r in paid if r["buyer_id"]})
