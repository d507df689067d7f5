"""Plan files: YAML round trip, decimals without floats, clock times, errors naming the slot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studio.errors import ValidationFailed
from studio.scripts.document import Offer, Role, SegmentKind, SellingPoint, Tier, from_yaml, to_yaml
from tests.scripts.builders import plan, segment, slot

D = Decimal


def rich_plan():
    return plan(
        segment("open", SegmentKind.OPENING, title="开场 Opening"),
        slot("hero", "H-1", "H-2", minutes="12.5", anchor="20:30", locked=True,
             selling_points=[SellingPoint(text="含5%烟酰胺", fabe="F"), SellingPoint(text="提亮")],
             talk_track=["家人们看过来！", "Line two: 'quoted' & more"], offers=["c", "t"],
             stock={"H-1": 100}, target_units=80, notes="多行备注\n第二行"),
        segment("bag", SegmentKind.GIVEAWAY, minutes="2", prize="福袋 Lucky bag", winners=3),
        offers=[Offer(id="c", kind="coupon", amount=D("20"), min_spend=D("199"), quantity=500,
                      shop_share=D("0.5")),
                Offer(id="t", kind="threshold", tiers=[Tier(min_spend=D("99"), off=D("10"))])],
        goals={"gmv_target": D("123456.78"), "viewer_peaks": ["20:30", "21:45"]},
    )


def test_export_import_export_is_identical():
    doc = rich_plan()
    first = to_yaml(doc)
    again = from_yaml(first)
    assert again == doc
    assert to_yaml(again) == first


def test_yaml_is_readable_and_keeps_decimals_exact():
    text = to_yaml(rich_plan())
    assert "minutes: 12.5" in text and "gmv_target: 123456.78" in text
    assert "- 家人们看过来！" in text  # UTF-8, not escapes
    assert "anchor: '20:30'" in text
    assert "notes: |-\n    多行备注\n    第二行" in text


def test_a_person_can_write_times_and_money_unquoted():
    text = to_yaml(rich_plan()).replace("anchor: '20:30'", "anchor: 20:30").replace(
        "amount: 20", "amount: 19.90")
    doc = from_yaml(text)
    assert doc.segment("hero").anchor == "20:30"  # not 1230, YAML 1.1's sexagesimal reading
    assert doc.offer("c").amount == D("19.90") and isinstance(doc.offer("c").amount, Decimal)


def test_errors_name_the_slot_and_field():
    text = to_yaml(rich_plan()).replace("minutes: 12.5", "minutes: -3")
    with pytest.raises(ValidationFailed) as caught:
        from_yaml(text, source="plan.yaml")
    detail = caught.value.details[0]
    assert detail.field == "segments[1] (hero).minutes"
    assert "greater than 0" in detail.message


@pytest.mark.parametrize(("change", "message"), [
    (("offers:\n  - c", "offers:\n  - nope"), "slot hero uses unknown offer nope"),
    (("id: bag", "id: hero"), "segment id hero is used twice"),
    (("role: hero", "role: superstar"), "Input should be 'traffic'"),
    (("start: '2026-12-01T20:00:00+08:00'", "start: 2026-12-01 20:00:00"), "needs a UTC offset"),
    (("studio_plan: 1", "studio_plan: [1"), "not valid YAML at line"),
])
def test_broken_files_are_clear(change, message):
    text = to_yaml(rich_plan()).replace(*change)
    with pytest.raises(ValidationFailed) as caught:
        from_yaml(text, source="plan.yaml")
    error = caught.value
    assert message in error.message or any(message in d.message for d in error.details)


def test_offer_fields_must_match_their_kind():
    with pytest.raises(ValueError, match="a coupon has either amount or percent_off"):
        Offer(id="x", kind="coupon")
    with pytest.raises(ValueError, match="a flash_sale offer needs price"):
        Offer(id="x", kind="flash_sale")
    with pytest.raises(ValueError, match="smallest min_spend up"):
        Offer(id="x", kind="threshold", tiers=[Tier(min_spend=D("200"), off=D("20")),
                                               Tier(min_spend=D("100"), off=D("10"))])


def test_roles_are_the_trade_roles():
    assert {r.value for r in Role} == {"traffic", "welfare", "hero", "profit", "image", "test"}
