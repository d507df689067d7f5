"""Auto-arrange: the stated rules, reasons on every slot, locks and anchors, determinism."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from studio.scripts.arrange import arrange
from studio.scripts.checks import run_checks
from studio.scripts.document import Role, SegmentKind
from studio.scripts.evaluate import layout
from tests.scripts.builders import catalog, facts, plan, slot

ROLES = [Role.TRAFFIC, Role.HERO, Role.PROFIT, Role.WELFARE, Role.IMAGE, Role.TEST]
CATEGORIES = ["美妆", "零食", "服饰", "家居"]


def pool(n: int, minutes: int = 180, **extra):
    cat = catalog(*[facts(f"S{i:03d}-1", category=CATEGORIES[i % 4]) for i in range(n)])
    doc = plan(*[slot(f"s{i:03d}", f"S{i:03d}-1", role=ROLES[i % 6]) for i in range(n)],
               minutes=minutes, **extra)
    return doc, cat


def test_same_input_gives_the_same_plan():
    doc, cat = pool(30, goals={"viewer_peaks": ["20:30", "21:30"]})
    first = arrange(doc, cat)
    assert arrange(doc, cat) == first
    assert arrange(first, cat) == arrange(first, cat)


def test_rules_open_traffic_heroes_at_peaks_profit_after_hero_and_reasons():
    doc, cat = pool(30, goals={"viewer_peaks": ["20:30", "21:30"]})
    timeline = layout(arrange(doc, cat))
    kinds = [p.segment.kind for p in timeline]
    assert kinds[0] is SegmentKind.OPENING and kinds[-1] is SegmentKind.CLOSING
    products = [p for p in timeline if p.segment.kind is SegmentKind.PRODUCT]
    assert products[0].segment.role is Role.TRAFFIC
    assert all(p.segment.reason for p in timeline)
    for peak in ("20:30", "21:30"):
        at_peak = [p for p in timeline if p.start.strftime("%H:%M") <= peak < p.end.strftime("%H:%M")]
        assert at_peak and at_peak[0].segment.role is Role.HERO, peak
        assert f"hero at the {peak} viewer peak" in at_peak[0].segment.reason
    for before, after in itertools.pairwise(products):
        if before.segment.role is Role.HERO and "after hero" in (after.segment.reason or ""):
            assert after.segment.role is Role.PROFIT
    assert [p.segment.kind for p in timeline[-3:-1]] == [SegmentKind.ENCORE] * 2


def test_welfare_moments_come_every_15_to_20_minutes_give_or_take_a_slot():
    doc, cat = pool(30)
    timeline = layout(arrange(doc, cat))
    welfare = [p for p in timeline if p.segment.role is Role.WELFARE
               or p.segment.kind is SegmentKind.GIVEAWAY]
    gaps = [(b.start - a.end) for a, b in itertools.pairwise(welfare)]
    assert gaps and all(timedelta(minutes=15) <= g <= timedelta(minutes=20 + 10) for g in gaps)
    assert all("welfare moment" in p.segment.reason for p in welfare[1:])


def test_same_category_is_not_back_to_back_when_avoidable():
    doc, cat = pool(24)
    products = [s for s in arrange(doc, cat).segments if s.kind is SegmentKind.PRODUCT]
    same = sum(1 for a, b in itertools.pairwise(products)
               if cat.get(a.skus[0]).category == cat.get(b.skus[0]).category)
    assert same <= 2


def test_locked_and_anchored_slots_keep_their_time_and_the_rest_moves():
    doc, cat = pool(12)
    arranged = arrange(doc, cat)
    timeline = layout(arranged)
    locked_id = timeline[5].segment.id
    locked_start = timeline[5].start
    segments = [s.model_copy(update={"locked": True}) if s.id == locked_id else s
                for s in arranged.segments]
    anchored = next(s.id for s in segments if s.role is Role.IMAGE)
    segments = [s.model_copy(update={"anchor": "21:40"}) if s.id == anchored else s
                for s in segments]
    again = arrange(arranged.model_copy(update={"segments": segments}), cat)
    new_timeline = {p.segment.id: p for p in layout(again)}
    assert new_timeline[locked_id].start == locked_start
    assert new_timeline[locked_id].segment.reason == "locked by the planner"
    assert new_timeline[anchored].start.strftime("%H:%M") == "21:40"
    assert not [f for f in run_checks(again, cat) if f.code in ("overlap", "missed_anchor")]


def test_slot_lengths_follow_roles_and_stretch_to_fill_the_show():
    doc, cat = pool(12, minutes=120)
    arranged = arrange(doc, cat)
    minutes = {s.role: s.minutes for s in arranged.segments if s.kind is SegmentKind.PRODUCT}
    assert minutes[Role.HERO] > minutes[Role.PROFIT] > minutes[Role.TEST]
    end = layout(arranged)[-1].end
    assert timedelta(0) <= doc.local_start() + timedelta(minutes=120) - end <= timedelta(minutes=8)


def test_too_many_items_are_kept_and_flagged_not_dropped():
    doc, cat = pool(60, minutes=120)
    arranged = arrange(doc, cat)
    codes = {s.id for s in arranged.segments}
    assert {s.id for s in doc.segments} <= codes
    leftovers = [s for s in arranged.segments if "did not fit" in (s.reason or "")]
    assert leftovers
    assert any(f.code == "past_end" for f in run_checks(arranged, cat))


def test_generated_segments_are_replaced_on_rearrange():
    doc, cat = pool(20)
    once = arrange(doc, cat)
    twice = arrange(once, cat)
    assert sum(1 for s in twice.segments if s.kind is SegmentKind.ENCORE) == 2
    assert sum(1 for s in twice.segments if s.kind is SegmentKind.OPENING) == 1
    assert Decimal(sum(s.minutes for s in twice.segments)) <= 180


def test_a_locked_opener_counts_as_the_opening_traffic_driver():
    doc, cat = pool(18)
    arranged = arrange(doc, cat)
    opener = next(s for s in arranged.segments if s.kind is SegmentKind.PRODUCT)
    locked = [s.model_copy(update={"locked": True}) if s.id == opener.id else s
              for s in arranged.segments]
    again = arrange(arranged.model_copy(update={"segments": locked}), cat)
    reasons = [s.reason for s in again.segments if s.kind is SegmentKind.PRODUCT]
    assert reasons[0] == "locked by the planner"
    assert "opens with a traffic driver" not in " ".join(reasons[1:])
