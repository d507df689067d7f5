"""Builders for planning tests: catalogue facts and plans, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from studio.scripts.catalog_view import CatalogView, PricePoint, SkuFacts
from studio.scripts.document import PlanDoc, Role, Segment, SegmentKind, SellingPoint

SHOW_START = datetime(2026, 12, 1, 20, 0, tzinfo=UTC).astimezone()  # replaced below
D = Decimal


def facts(sku: str, *, live: str = "100.00", list_price: str | None = "150.00",
          daily: str | None = "120.00", floor: str | None = "80.00", cost: str | None = "40.00",
          commission: str | None = "0.1", stock: int = 1000, category: str | None = "美妆",
          role: Role | None = None, backed: bool = True, **extra: Any) -> SkuFacts:
    """A SKU whose 原价 was really charged 20 days before the show unless ``backed`` is false."""
    history: tuple[PricePoint, ...] = ()
    if backed and list_price is not None:
        start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        history = (
            PricePoint(start - timedelta(days=20), "daily_price", None, D(list_price)),
            PricePoint(start - timedelta(days=5), "daily_price", D(list_price),
                       D(daily) if daily else None),
        )
    values = dict(
        sku=sku, product_code=sku.split("-")[0], title=f"商品 {sku}", category=category,
        options=(), list_price=D(list_price) if list_price else None,
        daily_price=D(daily) if daily else None, live_price=D(live),
        floor_price=D(floor) if floor else None, cost=D(cost) if cost else None,
        commission_rate=D(commission) if commission else None, stock=stock, role=role,
        selling_points=(SellingPoint(text="卖点一", fabe="F"),), history=history)
    values.update(extra)
    return SkuFacts(**values)


def catalog(*items: SkuFacts) -> CatalogView:
    return CatalogView(skus={f.sku: f for f in items})


def slot(id: str, *skus: str, role: Role = Role.HERO, minutes: str = "10", **extra: Any
         ) -> Segment:
    values: dict[str, Any] = dict(id=id, kind=SegmentKind.PRODUCT, role=role, skus=list(skus),
                                  minutes=D(minutes),
                                  selling_points=[SellingPoint(text="很好用", fabe="B")])
    values.update(extra)
    return Segment(**values)


def segment(id: str, kind: SegmentKind, minutes: str = "5", **extra: Any) -> Segment:
    return Segment(id=id, kind=kind, minutes=D(minutes), **extra)


def plan(*segments: Segment, minutes: int = 180, **extra: Any) -> PlanDoc:
    values: dict[str, Any] = dict(show="test-show", title="测试 Test show",
                                  start="2026-12-01T20:00:00+08:00", minutes=minutes,
                                  timezone="Asia/Shanghai", segments=list(segments))
    values.update(extra)
    return PlanDoc(**values)
