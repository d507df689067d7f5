"""Plan checks: prices, compliance, stock, timing and script length. Each finding names its slot
and says what to change. Errors make `studio plan check` exit 1; warnings are advice."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from studio.scripts.catalog_view import CatalogView, SkuFacts
from studio.scripts.document import PlanDoc, Role, SegmentKind
from studio.scripts.evaluate import Evaluation, Placed, evaluate

ERROR, WARNING, INFO = "error", "warning", "info"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str
    code: str
    slot: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"[{self.slot}] " if self.slot else ""
        return f"{self.severity}: {where}{self.message}"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"¥{value:,.2f}"


def _hm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _mins(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delta.total_seconds():.0f} s"


def run_checks(doc: PlanDoc, catalog: CatalogView, evaluation: Evaluation | None = None
               ) -> list[Finding]:
    """Every check, findings ordered by severity then by slot order."""
    evaluation = evaluation or evaluate(doc, catalog)
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(doc, catalog, evaluation))
    order = {s.id: i for i, s in enumerate(doc.segments)}
    rank = {ERROR: 0, WARNING: 1, INFO: 2}
    return sorted(findings, key=lambda f: (rank[f.severity], order.get(f.slot, -1), f.code))


def talk_minutes(texts: list[str], doc: PlanDoc) -> Decimal:
    """Speaking time for ``texts``: CJK characters and English words at the configured rates."""
    cjk = sum(len(_CJK.findall(t)) for t in texts)
    words = sum(len(_WORD.findall(_CJK.sub(" ", t))) for t in texts)
    return (Decimal(cjk) / doc.checks.cjk_chars_per_minute
            + Decimal(words) / doc.checks.english_words_per_minute)


# ---- the checks -----------------------------------------------------------------------------------

def check_unknown_skus(doc: PlanDoc, catalog: CatalogView, ev: Evaluation) -> Iterator[Finding]:
    for segment in doc.segments:
        for code in segment.skus:
            if catalog.get(code) is None:
                yield Finding(ERROR, "unknown_sku", segment.id,
                              f"SKU {code} is not in the catalogue: import it or remove it from "
                              "the slot")


def check_prices(doc: PlanDoc, catalog: CatalogView, ev: Evaluation) -> Iterator[Finding]:
    """Below the floor price, negative margin, total discount too deep."""
    limit = doc.checks.max_total_discount
    for segment in (s for s in doc.segments if s.sells):
        for code, price in ev.economics[segment.id].prices.items():
            floor = price.floor_price
            if floor is not None and price.start_price < floor:
                yield Finding(ERROR, "below_floor", segment.id,
                              f"{code}: live price {_money(price.start_price)} is below the floor "
                              f"price {_money(floor)}: raise it to at least {_money(floor)}")
            elif floor is not None and price.final_price < floor:
                yield Finding(ERROR, "below_floor", segment.id,
                              f"{code}: price after offers {_money(price.final_price)} is below "
                              f"the floor price {_money(floor)}: cut the offers by "
                              f"{_money(floor - price.final_price)} or more")
            if price.margin is None:
                yield Finding(WARNING, "no_cost", segment.id,
                              f"{code} has no cost in the catalogue, so its margin is unknown: "
                              "add the cost")
            elif price.margin < 0:
                severity = INFO if segment.allow_loss else ERROR
                hint = ("a deliberate loss (allow_loss)" if segment.allow_loss else
                        "reduce the offers, or set allow_loss if the loss is deliberate")
                yield Finding(severity, "negative_margin", segment.id,
                              f"{code} loses {_money(-price.margin)} per unit at "
                              f"{_money(price.final_price)}: {hint}")
            discount = price.total_discount
            if discount is not None and discount >= limit:
                reference = price.list_price or price.live_price
                yield Finding(ERROR, "discount_too_deep", segment.id,
                              f"{code}: {discount:.0%} off {_money(reference)} reaches the "
                              f"{limit:.0%} platforms flag; keep the final price above "
                              f"{_money(reference * (1 - limit))}")


def check_reference_prices(doc: PlanDoc, catalog: CatalogView, ev: Evaluation
                           ) -> Iterator[Finding]:
    """A 原价 must have been charged (as 日常价 or 直播价) within the window before the show."""
    days = doc.checks.reference_window_days
    window_end = doc.start
    window_start = window_end - timedelta(days=days)
    seen: set[str] = set()
    for segment in (s for s in doc.segments if s.sells):
        for code in segment.skus:
            facts = catalog.get(code)
            if facts is None or facts.list_price is None or code in seen:
                continue
            seen.add(code)
            highest = highest_charged(facts, window_start, window_end)
            if highest is None:
                yield Finding(ERROR, "reference_not_backed", segment.id,
                              f"{code}: no price history in the {days} days before the show, so "
                              f"原价 {_money(facts.list_price)} cannot be shown to be a price "
                              "really charged: drop 原价 or record the prices charged")
            elif facts.list_price > highest:
                yield Finding(ERROR, "reference_not_backed", segment.id,
                              f"{code}: 原价 {_money(facts.list_price)} was not charged in the "
                              f"{days} days before the show (highest price in force: "
                              f"{_money(highest)}): show at most {_money(highest)} as 原价")


def highest_charged(facts: SkuFacts, start: datetime, end: datetime) -> Decimal | None:
    """The highest 日常价/直播价 in force at any moment of [start, end], from the price history."""
    in_force_at_start: dict[str, Decimal | None] = {}
    set_during: list[Decimal | None] = []
    for point in facts.history:  # oldest first
        if point.field not in ("daily_price", "live_price"):
            continue
        if point.changed_at <= start:
            in_force_at_start[point.field] = point.new
        elif point.changed_at <= end:
            set_during.append(point.new)
    charged = [v for v in (*in_force_at_start.values(), *set_during) if v is not None]
    return max(charged) if charged else None


def check_stock(doc: PlanDoc, catalog: CatalogView, ev: Evaluation) -> Iterator[Finding]:
    allocated: dict[str, int] = defaultdict(int)
    last_slot: dict[str, str] = {}
    for segment in doc.segments:
        for code, units in segment.stock.items():
            allocated[code] += units
            last_slot[code] = segment.id
        economics = ev.economics.get(segment.id)
        for code, units in (economics.units.items() if economics else ()):
            if segment.stock.get(code) is not None and units > segment.stock[code]:
                yield Finding(WARNING, "target_above_stock", segment.id,
                              f"{code}: target {units} units but only {segment.stock[code]} "
                              "allocated: allocate more or lower the target")
    for code, units in allocated.items():
        facts = catalog.get(code)
        if facts is not None and units > facts.stock:
            yield Finding(ERROR, "stock_over", last_slot[code],
                          f"{code}: {units} units allocated across the plan but only "
                          f"{facts.stock} in stock: lower the allocation by {units - facts.stock}")


def check_timing(doc: PlanDoc, catalog: CatalogView, ev: Evaluation) -> Iterator[Finding]:
    """Overlaps between fixed slots, missed anchors, anchors outside the show, running past the end."""
    show_start, show_end = doc.local_start(), ev.planned_end
    previous: Placed | None = None
    for placed in ev.timeline:
        segment = placed.segment
        if placed.anchored_at is not None and not show_start <= placed.anchored_at < show_end:
            yield Finding(ERROR, "anchor_outside_show", segment.id,
                          f"anchored at {segment.anchor}, outside the show "
                          f"({_hm(show_start)}–{_hm(show_end)}): change the anchor")
        elif placed.late and previous is not None:
            if previous.segment.anchor or previous.segment.locked:
                yield Finding(ERROR, "overlap", segment.id,
                              f"starts at {segment.anchor} but fixed slot {previous.segment.id} "
                              f"runs until {_hm(previous.end)}: overlap of {_mins(placed.late)}; "
                              f"shorten {previous.segment.id} or move one of them")
            else:
                yield Finding(ERROR, "missed_anchor", segment.id,
                              f"must start at {segment.anchor} but the slots before it end at "
                              f"{_hm(placed.start)}: cut {_mins(placed.late)} before it or "
                              "move it later")
        previous = placed
    if ev.end > show_end:
        last = ev.timeline[-1].segment.id
        yield Finding(ERROR, "past_end", last,
                      f"the plan ends at {_hm(ev.end)}, {_mins(ev.end - show_end)} after the show's "
                      f"end at {_hm(show_end)}: shorten or remove slots")


def check_structure(doc: PlanDoc, catalog: CatalogView, ev: Evaluation) -> Iterator[Finding]:
    """A hero slot exists; traffic drivers come often enough; product slots have selling points."""
    products = [p for p in ev.timeline if p.segment.kind is SegmentKind.PRODUCT]
    if products and not any(p.segment.role is Role.HERO for p in products):
        yield Finding(ERROR, "no_hero", None,
                      "no hero (主推) slot: give the show's main seller the hero role")
    gap_limit = timedelta(minutes=doc.checks.traffic_gap_minutes)
    cursor, since = doc.local_start(), None
    for placed in ev.timeline:
        if placed.segment.role is Role.TRAFFIC:
            if placed.start - cursor > gap_limit:
                yield Finding(WARNING, "traffic_gap", placed.segment.id,
                              f"{_mins(placed.start - cursor)} without a traffic driver before "
                              f"this slot{f' (since {since})' if since else ''}, more than "
                              f"{doc.checks.traffic_gap_minutes} min: move a traffic driver "
                              "earlier")
            cursor, since = placed.end, placed.segment.id
    if products and ev.end - cursor > gap_limit:
        yield Finding(WARNING, "traffic_gap", since,
                      f"{_mins(ev.end - cursor)} without a traffic driver until the end of the "
                      f"show: add one after {since or 'the opening'}")
    for segment in doc.segments:
        if segment.kind is SegmentKind.PRODUCT and not segment.selling_points:
            yield Finding(WARNING, "missing_selling_points", segment.id,
                          "no selling points: add what the host should say (FABE)")


def check_script_length(doc: PlanDoc, catalog: CatalogView, ev: Evaluation) -> Iterator[Finding]:
    for segment in doc.segments:
        texts = [p.text for p in segment.selling_points] + list(segment.talk_track)
        needed = talk_minutes(texts, doc)
        if needed > segment.minutes:
            yield Finding(WARNING, "script_too_long", segment.id,
                          f"the script needs about {needed:.1f} min but the slot is "
                          f"{segment.minutes} min: cut about "
                          f"{_cut(needed - segment.minutes, doc)} or lengthen the slot")


def _cut(extra_minutes: Decimal, doc: PlanDoc) -> str:
    return f"{int(extra_minutes * doc.checks.cjk_chars_per_minute) + 1} characters"


Check = Callable[[PlanDoc, CatalogView, Evaluation], Iterator[Finding]]
CHECKS: tuple[Check, ...] = (check_unknown_skus, check_prices, check_reference_prices,
                             check_stock, check_timing, check_structure, check_script_length)
