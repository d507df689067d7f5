"""Review metrics (复盘) for one show, by the definitions in docs/replay-formats.md (GLOSSARY).

The database does the sums over order lines (integer fen, so exact), grouped by minute and by SKU;
windows — a product's explanation windows, a slot's actual or planned window, a coupon's — are
exact ranges of payment time. Money leaves here as Decimal with two places; ratios carry their
denominator's name, because "AOV" and "GPM" mean different things to different teams.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from studio.replay.importer import epoch_minute, minute_moment
from studio.replay.models import PAID_STATUSES, MinuteMetrics, OrderLine, SalesRollup

CENT = Decimal("0.01")
L = OrderLine.__table__.c
R = SalesRollup.__table__.c


def money(fen: int | None) -> Decimal:
    return Decimal(fen or 0).scaleb(-2).quantize(CENT)


def ratio(numerator: Decimal | int, denominator: Decimal | int, places: str = "0.01",
          ) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of the show: [start, end) in aware time, with what it was."""

    start: datetime
    end: datetime
    label: str
    sku: str | None = None
    slot: str | None = None
    kind: str = "card"

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(slots=True)
class Sales:
    gmv_fen: int = 0
    refund_fen: int = 0
    orders: int = 0
    units: int = 0
    buyers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"gmv": money(self.gmv_fen), "refund_amount": money(self.refund_fen),
                "net_gmv": money(self.gmv_fen - self.refund_fen), "orders": self.orders,
                "units": self.units, "buyers": self.buyers}


@dataclass(slots=True)
class Review:
    show_id: str
    timezone: str
    totals: Sales
    minutes: list[dict[str, Any]]
    by_sku: list[dict[str, Any]]
    audience: dict[str, Any]
    derived: dict[str, Any]
    funnel: list[dict[str, Any]]
    slots: list[dict[str, Any]] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    recording_start: datetime | None = None
    rehearsal_of: str | None = None  # a rehearsal copy 彩排: none of its sales are real


def _paid(show_id: str):
    return and_(L.show_id == show_id, L.status.in_(PAID_STATUSES))


def sales(session: Session, show_id: str, *, sku: str | None = None,
          start: datetime | None = None, end: datetime | None = None) -> Sales:
    """Totals of the paid lines, optionally of one SKU and/or paid within [start, end)."""
    where = [_paid(show_id)]
    if sku is None and start is None and end is None:  # the whole show: from the rollup
        row = session.execute(select(
            func.coalesce(func.sum(R.gmv_fen), 0), func.coalesce(func.sum(R.refund_fen), 0),
            func.coalesce(func.sum(R.orders), 0), func.coalesce(func.sum(R.units), 0),
            func.coalesce(func.sum(R.buyers), 0)).where(R.show_id == show_id)).one()
        return Sales(*(int(v) for v in row))
    if sku is not None:
        where.append(L.sku == sku)
    if start is not None:  # the minute bound lets the index do the work; paid_at makes it exact
        where += [L.paid_minute >= epoch_minute(start), L.paid_at >= start]
    if end is not None:
        where += [L.paid_minute <= epoch_minute(end), L.paid_at < end]
    row = session.execute(select(
        func.coalesce(func.sum(L.amount_fen), 0), func.coalesce(func.sum(L.refund_fen), 0),
        func.count(distinct(L.order_id)), func.coalesce(func.sum(L.quantity), 0),
        func.count(distinct(L.buyer_id))).where(*where)).one()
    return Sales(int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))


def minute_sales(session: Session, show_id: str) -> dict[int, Sales]:
    # an order counts in the minute of its first paid line, so the minutes sum to the total
    rows = session.execute(select(
        R.minute, func.sum(R.gmv_fen), func.sum(R.refund_fen), func.sum(R.orders),
        func.sum(R.units)).where(R.show_id == show_id).group_by(R.minute)).all()
    return {int(m): Sales(int(g), int(r), int(o), int(u)) for m, g, r, o, u in rows}


def sku_sales(session: Session, show_id: str, *, buyers: bool = False) -> dict[str, Sales]:
    """Per SKU; an order holds an SKU on one line only, so its orders are its paid lines."""
    rows = session.execute(select(
        R.sku, func.sum(R.gmv_fen), func.sum(R.refund_fen), func.sum(R.lines), func.sum(R.units))
        .where(R.show_id == show_id).group_by(R.sku)).all()
    found = {s: Sales(int(g), int(r), int(o), int(u)) for s, g, r, o, u in rows}
    if buyers:  # distinct buyers per SKU need the lines themselves
        for code, count in session.execute(select(L.sku, func.count(distinct(L.buyer_id)))
                                           .where(_paid(show_id)).group_by(L.sku)):
            found[code].buyers = int(count)
    return found


def minute_metrics(session: Session, show_id: str) -> dict[int, MinuteMetrics]:
    return {m.minute: m for m in session.scalars(
        select(MinuteMetrics).where(MinuteMetrics.show_id == show_id)
        .order_by(MinuteMetrics.minute))}


COUNTS = ("online_viewers", "entries", "exits", "views", "product_impressions", "product_clicks",
          "comments", "likes", "new_followers")


def summarise(session: Session, show_id: str, zone_name: str) -> Review:
    """The show's totals, minutes, SKUs, audience and derived ratios (no windows yet)."""
    zone = ZoneInfo(zone_name)
    totals = sales(session, show_id)
    by_minute = minute_sales(session, show_id)
    metrics = minute_metrics(session, show_id)
    minutes = []
    span = sorted(set(by_minute) | set(metrics))
    if span:
        for minute in range(span[0], span[-1] + 1):
            sold = by_minute.get(minute, Sales())
            seen = metrics.get(minute)
            minutes.append({
                "minute": minute_moment(minute).astimezone(zone).isoformat(),
                "gmv": money(sold.gmv_fen), "refund_amount": money(sold.refund_fen),
                "orders": sold.orders, "units": sold.units,
                **{name: (getattr(seen, name) if seen else None) for name in COUNTS}})
    skus = sku_sales(session, show_id)
    by_sku = [{"sku": code, **s.as_dict()} for code, s in
              sorted(skus.items(), key=lambda item: (-item[1].gmv_fen, item[0]))]
    online = [m.online_viewers for m in metrics.values()]
    sums = {name: sum(getattr(m, name) for m in metrics.values()) for name in COUNTS}
    audience = {
        "minutes_with_metrics": len(metrics),
        "peak_online": max(online) if online else None,
        "avg_online": ratio(sum(online), len(online)) if online else None,
        **{f"total_{name}": sums[name] for name in COUNTS if name != "online_viewers"},
        "comments_per_minute": ratio(sums["comments"], len(metrics)) if metrics else None,
    }
    gmv = money(totals.gmv_fen)
    derived = {
        "aov_per_buyer": {"value": ratio(gmv, totals.buyers), "denominator": "buyers"},
        "aov_per_order": {"value": ratio(gmv, totals.orders), "denominator": "orders"},
        "gpm": {"value": ratio(gmv * 1000, sums["views"]),
                "denominator": "views (PV), sum of per-minute views"},
        "uv_value": {"value": ratio(gmv, sums["entries"]),
                     "denominator": "entries, sum of per-minute entries (unique viewers are not "
                                    "in minute exports)"},
        "interaction_rate": {"value": ratio(sums["comments"], sums["views"], "0.0001"),
                             "denominator": "comments ÷ views"},
        "refund_rate": {"value": ratio(money(totals.refund_fen), gmv, "0.0001"),
                        "denominator": "refund amount ÷ GMV"},
    }
    funnel = _funnel(sums, totals.buyers)
    return Review(show_id, zone_name, totals, minutes, by_sku, audience, derived, funnel)


def _funnel(sums: dict[str, int], buyers: int) -> list[dict[str, Any]]:
    steps = [("entries", "进入直播间 entries", sums["entries"]),
             ("product_impressions", "商品曝光 product impressions", sums["product_impressions"]),
             ("product_clicks", "商品点击 product clicks", sums["product_clicks"]),
             ("buyers", "成交人数 buyers", buyers)]
    funnel = []
    for index, (key, label, count) in enumerate(steps):
        previous = steps[index - 1][2] if index else None
        funnel.append({"step": key, "label": label, "count": count,
                       "rate_from_previous": ratio(count, previous, "0.0001") if index else None})
    return funnel


# ---- windows: products on screen, slots, coupons ----------------------------------------------------

def card_windows(events: Sequence[dict[str, Any]]) -> list[Window]:
    """Each product card's time on screen, from the event log (taken → next card, clear, end)."""
    windows: list[Window] = []
    current: tuple[datetime, dict[str, Any]] | None = None
    for event in events:
        at = datetime.fromisoformat(event["at"])
        ends = event["type"] in ("card.taken", "card.cleared") or (
            event["type"] == "status.changed" and event["data"].get("status") == "ended")
        if ends and current is not None:
            card = current[1]
            windows.append(Window(current[0], at, card.get("title") or card.get("sku", ""),
                                  sku=card.get("sku"), slot=card.get("slot")))
            current = None
        if event["type"] == "card.taken":
            current = (at, event["data"]["card"])
    if current is not None and events:
        card = current[1]
        last = datetime.fromisoformat(events[-1]["at"])
        windows.append(Window(current[0], max(last, current[0]), card.get("title") or "",
                              sku=card.get("sku"), slot=card.get("slot")))
    return windows


def slot_windows(events: Sequence[dict[str, Any]]) -> dict[str, Window]:
    """Actual slot windows from the run-sheet pointer (first arrival → the next move)."""
    windows: dict[str, Window] = {}
    current: tuple[datetime, str] | None = None
    last_at = None
    for event in events:
        at = datetime.fromisoformat(event["at"])
        last_at = at
        ended = event["type"] == "status.changed" and event["data"].get("status") == "ended"
        if (event["type"] == "runsheet.moved" or ended) and current is not None:
            start, slot = current
            if slot not in windows:
                windows[slot] = Window(start, at, slot, slot=slot, kind="slot")
            else:  # came back to it: the window spans both visits
                windows[slot] = Window(windows[slot].start, at, slot, slot=slot, kind="slot")
            current = None
        if event["type"] == "runsheet.moved" and event["data"].get("slot"):
            current = (at, event["data"]["slot"])
    if current is not None and last_at is not None:
        windows.setdefault(current[1], Window(current[0], last_at, current[1], slot=current[1],
                                              kind="slot"))
    return windows


def promo_windows(events: Sequence[dict[str, Any]]) -> list[Window]:
    """Coupons and flash sales from launch to end; giveaways from start to draw."""
    opened: dict[tuple[str, str], tuple[datetime, str]] = {}
    windows = []
    starts = {"coupon.launched": ("coupon", "coupon"), "flash_sale.started": ("flash_sale", "sale"),
              "giveaway.started": ("giveaway", "giveaway")}
    ends = {"coupon.ended": "coupon", "flash_sale.ended": "flash_sale",
            "giveaway.drawn": "giveaway", "giveaway.cancelled": "giveaway"}
    last_at = None
    for event in events:
        at = datetime.fromisoformat(event["at"])
        last_at = at
        if event["type"] in starts:
            kind, key = starts[event["type"]]
            item = event["data"].get(key) or {}
            ident = str(item.get("id") or kind)
            opened[(kind, ident)] = (at, item.get("label") or item.get("title") or
                                     item.get("prize") or ident)
        elif event["type"] in ends:
            kind = ends[event["type"]]
            ident = str(event["data"].get("id") or kind)
            if kind == "flash_sale" and (kind, ident) not in opened:
                ident = next((i for k, i in opened if k == kind), ident)
            if (kind, ident) in opened:
                start, label = opened.pop((kind, ident))
                windows.append(Window(start, at, label, kind=kind))
    for (kind, _), (start, label) in opened.items():
        if last_at is not None:
            windows.append(Window(start, last_at, label, kind=kind))
    return sorted(windows, key=lambda w: w.start)


def attribution(session: Session, show_id: str, windows: Iterable[Window],
                by_sku: dict[str, Sales]) -> list[dict[str, Any]]:
    """Per SKU: sold during its explanation windows, before the first, after; time explained."""
    per_sku: dict[str, list[Window]] = {}
    for window in windows:
        if window.sku:
            per_sku.setdefault(window.sku, []).append(window)
    rows = []
    for code in sorted(set(per_sku) | set(by_sku)):
        total = by_sku.get(code, Sales())
        spans = _merged(per_sku.get(code, []))
        during = Sales()
        for start, end in spans:
            part = sales(session, show_id, sku=code, start=start, end=end)
            during.gmv_fen += part.gmv_fen
            during.orders += part.orders
            during.units += part.units
        before = sales(session, show_id, sku=code, end=spans[0][0]) if spans else Sales()
        after_fen = total.gmv_fen - during.gmv_fen - before.gmv_fen
        seconds = sum((end - start).total_seconds() for start, end in spans)
        rows.append({
            "sku": code, "explained_seconds": round(seconds),
            "gmv": money(total.gmv_fen), "gmv_during": money(during.gmv_fen),
            "gmv_before": money(before.gmv_fen), "gmv_after": money(after_fen),
            "orders_during": during.orders,
            "share_during": ratio(during.gmv_fen, total.gmv_fen, "0.0001"),
            "gmv_per_explained_minute": ratio(money(total.gmv_fen) * 60, Decimal(seconds))
            if seconds else None,
            "windows": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in spans],
        })
    return rows


def _merged(windows: list[Window]) -> list[tuple[datetime, datetime]]:
    spans: list[tuple[datetime, datetime]] = []
    for window in sorted(windows, key=lambda w: w.start):
        if spans and window.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], window.end))
        else:
            spans.append((window.start, window.end))
    return spans


def window_audience(metrics: dict[int, MinuteMetrics], start: datetime, end: datetime,
                    ) -> dict[str, Any]:
    inside = [m for minute, m in metrics.items()
              if epoch_minute(start) <= minute <= epoch_minute(end - timedelta(microseconds=1))]
    online = [m.online_viewers for m in inside]
    return {"peak_online": max(online) if online else None,
            "avg_online": ratio(sum(online), len(online)) if online else None}
