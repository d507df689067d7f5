"""Offer stacking on hand-computed cases, and properties that must hold for any offers."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.scripts.document import Offer, Tier
from studio.scripts.pricing import price_sku
from tests.scripts.builders import facts

D = Decimal


def test_every_kind_stacks_in_the_documented_order():
    sku = facts("A-1", live="100.00", cost="40.00", commission="0.1", floor=None)
    offers = [
        Offer(id="coupon", kind="coupon", amount=D("20"), min_spend=D("150"), shop_share=D("0.5")),
        Offer(id="tiers", kind="threshold", tiers=[Tier(min_spend=D("150"), off=D("15")),
                                                   Tier(min_spend=D("300"), off=D("40"))]),
        Offer(id="pct", kind="percent", percent_off=D("10")),
        Offer(id="direct", kind="direct", amount=D("10")),
    ]
    price = price_sku(sku, offers, units_per_order=2)
    # 100 − 10 直降 = 90; − 10 % = 81 成交价; order 162 reaches the 150 tier: −15 → 147;
    # coupon: 162 ≥ 150, −20 → 127; per unit 127 / 2 = 63.50 券后价.
    assert price.transaction_price == D("81.00")
    assert price.final_price == D("63.50")
    assert [s.offer for s in price.steps] == ["direct", "pct", "tiers", "coupon"]
    # shop pays all of the 满减 and half of the coupon: (15 + 10) / 2 = 12.50 per unit
    assert price.shop_discount == D("12.50")
    assert price.commission == D("8.10")  # 10 % of the transaction price
    assert price.margin == D("20.40")  # 81 − 40 − 8.10 − 12.50


def test_flash_sale_replaces_the_live_price_and_coupon_minimum_counts():
    sku = facts("A-1", live="199.00", cost="80.00", commission="0.2")
    flash = Offer(id="flash", kind="flash_sale", price=D("159"))
    coupon = Offer(id="c", kind="coupon", amount=D("20"), min_spend=D("199"))
    price = price_sku(sku, [flash, coupon])
    assert price.start_price == D("159")
    assert price.final_price == D("159.00")  # 159 < 199: the coupon does not apply
    assert price_sku(sku, [coupon]).final_price == D("179.00")
    percent_coupon = Offer(id="p", kind="coupon", percent_off=D("15"))
    assert price_sku(sku, [percent_coupon]).final_price == D("169.15")


def test_platform_funded_coupon_costs_the_shop_nothing():
    sku = facts("A-1", live="100.00", cost="50.00", commission="0")
    coupon = Offer(id="c", kind="coupon", amount=D("30"), shop_share=D("0"))
    price = price_sku(sku, [coupon])
    assert (price.final_price, price.margin) == (D("70.00"), D("50.00"))


def test_unknown_cost_gives_unknown_margin_and_total_discount_uses_the_reference():
    sku = facts("A-1", live="50.00", list_price="200.00", cost=None)
    price = price_sku(sku, [])
    assert price.margin is None
    assert price.total_discount == D("0.75")


money = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
offers_strategy = st.lists(st.one_of(
    st.builds(lambda a: Offer(id="d", kind="direct", amount=a), money),
    st.builds(lambda p: Offer(id="p", kind="percent", percent_off=p),
              st.decimals(min_value=D("0.01"), max_value=D("99.99"), places=2)),
    st.builds(lambda m, o: Offer(id="t", kind="threshold",
                                 tiers=[Tier(min_spend=m + o, off=o)]), money, money),
    st.builds(lambda a, m: Offer(id="c", kind="coupon", amount=a, min_spend=m), money, money),
    st.builds(lambda p: Offer(id="f", kind="flash_sale", price=p), money),
), max_size=6)


@settings(max_examples=300, deadline=None)
@given(live=money, cost=money, offers=offers_strategy, units=st.integers(1, 5))
def test_final_price_is_never_above_the_reference_nor_below_zero(live, cost, offers, units):
    sku = facts("P-1", live=str(live), list_price=str(live + 1), cost=str(cost), floor=None)
    price = price_sku(sku, offers, units_per_order=units)
    assert D(0) <= price.final_price <= price.transaction_price <= price.start_price <= live
    assert price.final_price <= sku.list_price
    assert price.final_price == price.final_price.quantize(D("0.01"))
    assert price.shop_discount >= 0 and price.commission >= 0
