"""Lay a plan out in time and price every slot: the numbers the planner page, checks and renders show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from studio.scripts.catalog_view import CatalogView
from studio.scripts.document import PlanDoc, Segment, clock_on_show_day
from studio.scripts.pricing import ZERO, PriceBreakdown, fen, price_sku


@dataclass(slots=True)
class Placed:
    """A segment at its planned time. ``late`` > 0 means it cannot start at its anchor."""

    segment: Segment
    index: int
    start: datetime
    end: datetime
    anchored_at: datetime | None = None
    late: timedelta = timedelta(0)
    gap_before: timedelta = timedelta(0)


@dataclass(slots=True)
class SlotEconomics:
    """Prices and expectations of one selling slot."""

    prices: dict[str, PriceBreakdown] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    gmv: Decimal = ZERO
    margin: Decimal | None = ZERO

    @property
    def lead(self) -> PriceBreakdown | None:
        """The SKU whose ladder the host announces (the first one listed)."""
        return next(iter(self.prices.values()), None)


@dataclass(slots=True)
class Evaluation:
    doc: PlanDoc
    timeline: list[Placed]
    economics: dict[str, SlotEconomics]

    @property
    def end(self) -> datetime:
        return self.timeline[-1].end if self.timeline else self.doc.start

    @property
    def planned_end(self) -> datetime:
        return self.doc.start + timedelta(minutes=self.doc.minutes)

    @property
    def gmv(self) -> Decimal:
        return sum((e.gmv for e in self.economics.values()), ZERO)

    @property
    def margin(self) -> Decimal | None:
        margins = [e.margin for e in self.economics.values()]
        return None if any(m is None for m in margins) else sum(margins, ZERO)


def minutes_delta(minutes: Decimal) -> timedelta:
    return timedelta(seconds=float(minutes * 60))


def layout(doc: PlanDoc) -> list[Placed]:
    """Floating segments follow each other; an anchored one starts at its clock time if it can."""
    placed: list[Placed] = []
    cursor = doc.local_start()
    for index, segment in enumerate(doc.segments):
        start = cursor
        anchored_at = late = gap = None
        if segment.anchor:
            anchored_at = clock_on_show_day(doc, segment.anchor)
            if anchored_at >= cursor:
                gap = anchored_at - cursor
                start = anchored_at
            else:
                late = cursor - anchored_at
        end = start + minutes_delta(segment.minutes)
        placed.append(Placed(segment, index, start, end, anchored_at, late or timedelta(0),
                             gap or timedelta(0)))
        cursor = end
    return placed


def slot_economics(doc: PlanDoc, segment: Segment, catalog: CatalogView) -> SlotEconomics:
    """Price each SKU of a selling slot under its offers and spread the slot's target over them."""
    economics = SlotEconomics()
    offers = [doc.offer(o) for o in segment.offers]
    for code in segment.skus:
        facts = catalog.get(code)
        if facts is not None:
            economics.prices[code] = price_sku(facts, [o for o in offers if o.applies_to(code)],
                                               units_per_order=segment.units_per_order)
    if not economics.prices:
        return economics
    units = _target_units(segment, economics)
    economics.units = units
    economics.gmv = fen(sum((economics.prices[s].final_price * n for s, n in units.items()), ZERO))
    margins = [economics.prices[s].margin for s in units]
    economics.margin = None if any(m is None for m in margins) else fen(sum(
        (economics.prices[s].margin * n for s, n in units.items()), ZERO))
    return economics


def _target_units(segment: Segment, economics: SlotEconomics) -> dict[str, int]:
    """Units per SKU: the slot's target units (or target GMV at the average final price), spread
    over its SKUs in proportion to the stock allocated to each (evenly when none is)."""
    codes = list(economics.prices)
    total = segment.target_units
    if total is None and segment.target_gmv:
        average = sum((economics.prices[c].final_price for c in codes), ZERO) / len(codes)
        total = int((segment.target_gmv / average).to_integral_value(ROUND_CEILING)) if average else 0
    if not total:
        return dict.fromkeys(codes, 0)
    weights = [Decimal(segment.stock.get(c, 0)) for c in codes]
    if not any(weights):
        weights = [Decimal(1)] * len(codes)
    shares = [total * w / sum(weights) for w in weights]
    units = [int(s) for s in shares]
    # hand the units lost to rounding to the largest remainders, first listed first
    order = sorted(range(len(codes)), key=lambda i: (-(shares[i] - units[i]), i))
    for i in order[: total - sum(units)]:
        units[i] += 1
    return dict(zip(codes, units, strict=True))


def evaluate(doc: PlanDoc, catalog: CatalogView) -> Evaluation:
    return Evaluation(doc=doc, timeline=layout(doc), economics={
        s.id: slot_economics(doc, s, catalog) for s in doc.segments if s.sells})
