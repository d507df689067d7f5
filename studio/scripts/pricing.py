"""Offer stacking, the price ladder and per-unit margin — Decimal throughout, rounded to the fen.

Stacking order (the order platforms apply them):

1. start from the live price 直播价, or a flash-sale price 秒杀价 when one applies (it replaces it);
2. direct reductions 直降 (per unit);
3. percentage discounts 折扣 (on the price after 2);
   → this is the *transaction price* 成交价 the shop sets;
4. threshold discounts 满减 on the order subtotal (``units_per_order`` × price), best tier reached;
5. show coupons 直播间优惠券 on what remains of the order, when the order subtotal at the
   transaction price meets the coupon's minimum spend (a percentage coupon takes its share of
   the remainder);
   → the buyer pays the *final price* 券后价 = transaction price − order discounts per unit.

No step can take a price below zero, so the final price is never above the starting price.
Margin per unit = transaction price − cost − commission (rate × transaction price)
− the shop's share of the order discounts (platform-funded coupons cost the shop nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from studio.scripts.catalog_view import SkuFacts
from studio.scripts.document import Offer

CENT = Decimal("0.01")
ZERO = Decimal("0")


def fen(value: Decimal) -> Decimal:
    """Round to the fen (half up, as a till does)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the arithmetic, shown to the planner."""

    offer: str
    label: str
    off_per_unit: Decimal
    shop_pays: Decimal


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """A SKU's price ladder under a slot's offers, and what the shop keeps per unit."""

    sku: str
    list_price: Decimal | None  # 原价
    daily_price: Decimal | None  # 日常价
    live_price: Decimal  # 直播价
    start_price: Decimal  # the live price, or the flash-sale price replacing it
    transaction_price: Decimal  # 成交价: after 直降 and 折扣
    final_price: Decimal  # 券后价: what the buyer pays per unit
    steps: tuple[Step, ...] = field(default_factory=tuple)
    cost: Decimal | None = None
    commission: Decimal = ZERO
    shop_discount: Decimal = ZERO  # the shop's share of the order discounts, per unit
    margin: Decimal | None = None  # None when the cost is unknown
    floor_price: Decimal | None = None

    @property
    def total_discount(self) -> Decimal | None:
        """Fraction off the reference price 原价 (or the live price when there is none)."""
        reference = self.list_price or self.live_price
        if not reference:
            return None
        return (reference - self.final_price) / reference

    @property
    def margin_rate(self) -> Decimal | None:
        if self.margin is None or not self.final_price:
            return None
        return self.margin / self.final_price


def price_sku(facts: SkuFacts, offers: Iterable[Offer], *, units_per_order: int = 1
              ) -> PriceBreakdown:
    """Apply ``offers`` to one SKU in the documented order."""
    offers = list(offers)
    steps: list[Step] = []
    price = facts.live_price
    flash = [o for o in offers if o.kind == "flash_sale" and o.price is not None]
    if flash:
        best = min(flash, key=lambda o: (o.price, o.id))
        if best.price < price:
            steps.append(Step(best.id, best.label or "秒杀 flash sale", price - best.price,
                              price - best.price))
            price = best.price
    start = price
    for offer in (o for o in offers if o.kind == "direct"):
        off = min(price, offer.amount or ZERO)
        steps.append(Step(offer.id, offer.label or "直降 direct", off, off))
        price -= off
    for offer in (o for o in offers if o.kind == "percent"):
        off = fen(price * (offer.percent_off or ZERO) / 100)
        steps.append(Step(offer.id, offer.label or "折扣 discount", off, off))
        price -= off
    transaction = price

    units = Decimal(units_per_order)
    order = transaction * units
    order_discount = ZERO
    shop_discount = ZERO
    for offer in (o for o in offers if o.kind == "threshold"):
        reached = [t for t in offer.tiers if order >= t.min_spend]
        if reached:
            off = min(order, reached[-1].off)
            order -= off
            order_discount += off
            shop_discount += off * offer.shop_share
            steps.append(Step(offer.id, offer.label or "满减 threshold", fen(off / units),
                              fen(off * offer.shop_share / units)))
    for offer in (o for o in offers if o.kind == "coupon"):
        if offer.min_spend is not None and transaction * units < offer.min_spend:
            continue
        off = offer.amount if offer.amount is not None else order * offer.percent_off / 100
        off = min(order, fen(off))
        order -= off
        order_discount += off
        shop_discount += off * offer.shop_share
        steps.append(Step(offer.id, offer.label or "优惠券 coupon", fen(off / units),
                          fen(off * offer.shop_share / units)))
    final = max(ZERO, fen(transaction - order_discount / units))
    shop_per_unit = fen(shop_discount / units)
    commission = fen((facts.commission_rate or ZERO) * transaction)
    margin = None
    if facts.cost is not None:
        margin = transaction - facts.cost - commission - shop_per_unit
    return PriceBreakdown(
        sku=facts.sku, list_price=facts.list_price, daily_price=facts.daily_price,
        live_price=facts.live_price, start_price=start, transaction_price=transaction,
        final_price=final, steps=tuple(steps), cost=facts.cost, commission=commission,
        shop_discount=shop_per_unit, margin=margin, floor_price=facts.floor_price,
    )
