"""GMV targets: the split over slots and the viewers needed, with arithmetic a person can check."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studio.errors import ValidationFailed
from studio.scripts.document import Assumptions, Role
from studio.scripts.evaluate import evaluate
from studio.scripts.targets import apply_targets, decompose, expected_gmv, viewers_needed
from tests.scripts.builders import catalog, facts, plan, slot

D = Decimal


def test_split_by_role_weight_times_minutes_and_units_from_the_final_price():
    cat = catalog(facts("H-1", live="100.00"), facts("T-1", live="50.00"))
    doc = plan(slot("hero", "H-1", minutes="10"), slot("lead", "T-1", role=Role.TRAFFIC,
                                                       minutes="5"), minutes=60)
    breakdown = decompose(evaluate(doc, cat), D("35000"))
    # weights: hero 3 × 10 = 30, traffic 1 × 5 = 5; total 35
    assert [(t.slot, t.weight, t.gmv, t.units) for t in breakdown.slots] == [
        ("hero", D("30"), D("30000.00"), 300), ("lead", D("5"), D("5000.00"), 100)]
    assert "hero: ¥35,000.00 × 30 ÷ 35 = ¥30,000.00 ÷ ¥100.00 = 300 units" in breakdown.lines
    applied = apply_targets(doc, breakdown)
    assert applied.segment("hero").target_units == 300
    assert applied.goals.gmv_target == D("35000")
    assert evaluate(applied, cat).gmv == D("35000.00")


def test_shares_add_up_to_the_target_to_the_fen():
    cat = catalog(*[facts(f"S{i}-1", live="33.33") for i in range(3)])
    doc = plan(*[slot(f"s{i}", f"S{i}-1", minutes="7") for i in range(3)], minutes=60)
    breakdown = decompose(evaluate(doc, cat), D("100000.01"))
    assert sum(t.gmv for t in breakdown.slots) == D("100000.01")


def test_viewers_needed_and_expected_gmv_both_ways():
    assumptions = Assumptions(unique_viewers=60000, conversion_rate=D("0.025"), aov=D("200"))
    viewers, lines = viewers_needed(D("300000"), assumptions)
    assert viewers == 60000
    assert lines == ["UV value = conversion 2.50% × AOV ¥200 = ¥5.0000",
                     "viewers needed = ¥300,000.00 ÷ ¥5.0000 = 60,000"]
    gmv, _ = expected_gmv(assumptions)
    assert gmv == D("300000.00")
    stated = Assumptions(uv_value=D("3.5"))
    assert viewers_needed(D("1000"), stated)[0] == 286  # 285.7… rounded up


def test_missing_assumptions_say_what_to_state():
    with pytest.raises(ValidationFailed, match="conversion_rate and aov"):
        viewers_needed(D("1000"), Assumptions())
    doc = plan(slot("h", "H-1"), minutes=30)
    with pytest.raises(ValidationFailed, match="no GMV target"):
        decompose(evaluate(doc, catalog(facts("H-1"))))
