"""Each check fires on a plan built to trigger it, naming the slot and what to change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from studio.scripts.catalog_view import PricePoint
from studio.scripts.checks import highest_charged, run_checks, talk_minutes
from studio.scripts.document import Offer, Role, SegmentKind, SellingPoint
from tests.scripts.builders import catalog, facts, plan, segment, slot

D = Decimal


def findings(doc, cat, code):
    return [f for f in run_checks(doc, cat) if f.code == code]


def clean_plan(minutes=40, **extra):
    """A plan that passes: opening, traffic, hero, welfare, closing in 35 of 40 minutes."""
    return plan(
        segment("open", SegmentKind.OPENING),
        slot("lead", "T-1", role=Role.TRAFFIC, minutes="5"),
        slot("main", "H-1", role=Role.HERO, minutes="15"),
        slot("gift", "W-1", role=Role.WELFARE, minutes="5"),
        segment("close", SegmentKind.CLOSING),
        minutes=minutes, **extra)


def clean_catalog(**overrides):
    items = {"T-1": facts("T-1", live="59.00", floor="50.00", list_price="99.00", daily="79.00"),
             "H-1": facts("H-1"), "W-1": facts("W-1", live="30.00", floor="20.00",
                                                   list_price="49.00", daily="39.00",
                                                   cost="15.00")}
    items.update(overrides)
    return catalog(*items.values())


def test_a_clean_plan_has_no_findings():
    assert run_checks(clean_plan(), clean_catalog()) == []


def test_below_floor_live_and_after_offers():
    cat = clean_catalog(**{"H-1": facts("H-1", live="70.00", floor="80.00")})
    found = findings(clean_plan(), cat, "below_floor")
    assert found[0].slot == "main" and found[0].severity == "error"
    assert "live price ¥70.00 is below the floor price ¥80.00: raise it" in found[0].message
    doc = clean_plan(offers=[Offer(id="c", kind="coupon", amount=D("30"))])
    doc.segment("main").offers.append("c")
    after = findings(doc, clean_catalog(), "below_floor")
    assert "price after offers ¥70.00 is below the floor price ¥80.00: cut the offers by ¥10.00" \
        in after[0].message


def test_negative_margin_is_an_error_unless_deliberate():
    cat = clean_catalog(**{"H-1": facts("H-1", live="100.00", cost="95.00", floor=None)})
    found = findings(clean_plan(), cat, "negative_margin")
    assert found[0].slot == "main" and found[0].severity == "error"
    assert "H-1 loses ¥5.00 per unit at ¥100.00" in found[0].message
    doc = clean_plan()
    doc.segments[2] = doc.segments[2].model_copy(update={"allow_loss": True})
    assert findings(doc, cat, "negative_margin")[0].severity == "info"


def test_total_discount_of_80_percent_is_flagged():
    cat = clean_catalog(**{"H-1": facts("H-1", live="20.00", list_price="100.00", cost="5.00",
                                        floor=None, daily="90.00")})
    found = findings(clean_plan(), cat, "discount_too_deep")
    assert found[0].slot == "main"
    assert "80% off ¥100.00 reaches the 80% platforms flag; keep the final price above ¥20.00" \
        in found[0].message


def test_reference_price_must_have_been_charged_in_the_window():
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    history = (PricePoint(start - timedelta(days=40), "daily_price", None, D("150.00")),
               PricePoint(start - timedelta(days=35), "daily_price", D("150.00"), D("120.00")))
    cat = clean_catalog(**{"H-1": facts("H-1", history=history)})
    found = findings(clean_plan(), cat, "reference_not_backed")
    assert found[0].slot == "main"
    assert "原价 ¥150.00 was not charged in the 30 days before the show (highest price in " \
           "force: ¥120.00): show at most ¥120.00 as 原价" in found[0].message
    wider = clean_plan(checks={"reference_window_days": 45})
    assert findings(wider, cat, "reference_not_backed") == []
    never = clean_catalog(**{"H-1": facts("H-1", backed=False)})
    assert "no price history" in findings(clean_plan(), never, "reference_not_backed")[0].message


def test_highest_charged_counts_prices_in_force_during_the_window():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(days=30)
    sku = facts("X-1", history=(
        PricePoint(start - timedelta(days=3), "daily_price", None, D("90")),
        PricePoint(start + timedelta(days=5), "live_price", None, D("95")),
        PricePoint(end + timedelta(days=1), "daily_price", D("90"), D("200")),
    ))
    assert highest_charged(sku, start, end) == D("95")


def test_stock_allocated_above_available():
    doc = clean_plan()
    doc.segments[2] = doc.segments[2].model_copy(update={"stock": {"H-1": 1200}})
    found = findings(doc, clean_catalog(), "stock_over")
    assert found[0].slot == "main"
    assert "1200 units allocated across the plan but only 1000 in stock: lower the allocation " \
           "by 200" in found[0].message


def test_overlapping_fixed_slots_and_a_missed_anchor():
    doc = plan(segment("open", SegmentKind.OPENING),
               slot("early", "H-1", minutes="20", anchor="20:10"),
               slot("late", "T-1", role=Role.TRAFFIC, minutes="5", anchor="20:20"),
               segment("close", SegmentKind.CLOSING), minutes=60)
    overlap = findings(doc, clean_catalog(), "overlap")
    assert overlap[0].slot == "late"
    assert "fixed slot early runs until 20:30: overlap of 10 min" in overlap[0].message
    doc = plan(segment("open", SegmentKind.OPENING, minutes="15"),
               slot("hero", "H-1", anchor="20:10"), segment("close", SegmentKind.CLOSING),
               minutes=60)
    missed = findings(doc, clean_catalog(), "missed_anchor")
    assert missed[0].slot == "hero"
    assert "must start at 20:10 but the slots before it end at 20:15: cut 5 min" in \
        missed[0].message


def test_anchor_outside_the_show():
    doc = clean_plan()
    doc.segments[2] = doc.segments[2].model_copy(update={"anchor": "23:30"})
    found = findings(doc, clean_catalog(), "anchor_outside_show")
    assert found[0].slot == "main" and "outside the show (20:00–20:40)" in found[0].message


def test_plan_past_the_end_of_the_show():
    doc = clean_plan(minutes=30)
    found = findings(doc, clean_catalog(), "past_end")
    assert found[0].slot == "close"
    assert "the plan ends at 20:35, 5 min after the show's end at 20:30" in found[0].message


def test_no_hero_slot():
    doc = plan(slot("a", "T-1", role=Role.TRAFFIC, minutes="5"), minutes=30)
    found = findings(doc, clean_catalog(), "no_hero")
    assert found[0].severity == "error" and found[0].slot is None
    assert "give the show's main seller the hero role" in found[0].message


def test_traffic_driver_gap_longer_than_configured():
    doc = plan(slot("t1", "T-1", role=Role.TRAFFIC, minutes="5"),
               slot("h1", "H-1", minutes="30"),
               slot("t2", "T-1", role=Role.TRAFFIC, minutes="5"), minutes=60,
               checks={"traffic_gap_minutes": 20})
    found = findings(doc, clean_catalog(), "traffic_gap")
    assert found[0].slot == "t2" and found[0].severity == "warning"
    assert "30 min without a traffic driver before this slot (since t1), more than 20 min" \
        in found[0].message


def test_missing_selling_points():
    doc = clean_plan()
    doc.segments[2] = doc.segments[2].model_copy(update={"selling_points": []})
    found = findings(doc, clean_catalog(), "missing_selling_points")
    assert found[0].slot == "main" and "add what the host should say" in found[0].message


def test_script_that_will_not_fit_its_slot():
    long_script = ["这是一段很长的讲解词" * 30]  # 300 CJK characters at 250/min = 1.2 min
    doc = clean_plan()
    doc.segments[1] = doc.segments[1].model_copy(update={"minutes": D("1"),
                                                         "talk_track": long_script})
    found = findings(doc, clean_catalog(), "script_too_long")
    assert found[0].slot == "lead"
    assert "the script needs about 1.2 min but the slot is 1 min" in found[0].message


def test_talk_time_counts_cjk_characters_and_english_words():
    doc = clean_plan(checks={"cjk_chars_per_minute": 200, "english_words_per_minute": 100})
    # 100 CJK characters = 0.5 min; 50 English words = 0.5 min
    assert talk_minutes(["好" * 100, "word " * 50], doc) == D("1")
    assert talk_minutes(["原价299直播间只要199 today only"], doc) == (D(7) / 200 + D(4) / 100)


def test_unknown_sku():
    doc = clean_plan()
    doc.segments[2] = doc.segments[2].model_copy(update={"skus": ["NOPE-1"]})
    found = findings(doc, clean_catalog(), "unknown_sku")
    assert found[0].slot == "main" and "SKU NOPE-1 is not in the catalogue" in found[0].message


@pytest.mark.parametrize("severity_order", [["error", "warning", "info"]])
def test_findings_are_ordered_errors_first(severity_order):
    cat = clean_catalog(**{"H-1": facts("H-1", live="70.00", floor="80.00", cost="95.00")})
    doc = clean_plan()
    doc.segments[2] = doc.segments[2].model_copy(update={
        "allow_loss": True, "selling_points": [SellingPoint(text="好")]})
    doc.segments[1] = doc.segments[1].model_copy(update={"selling_points": []})
    severities = [f.severity for f in run_checks(doc, cat)]
    assert severities == sorted(severities, key=severity_order.index)
