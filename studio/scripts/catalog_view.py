"""What planning needs to know of the catalogue: SKU facts and price history, read in two queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from studio.catalog.models import PriceChange, Product, Sku
from studio.scripts.document import ROLE_FROM_TAG, Role, SellingPoint


@dataclass(frozen=True, slots=True)
class PricePoint:
    changed_at: datetime
    field: str
    old: Decimal | None
    new: Decimal | None


@dataclass(frozen=True, slots=True)
class SkuFacts:
    """One SKU as planning sees it (prices from the catalogue, never copied into the plan)."""

    sku: str
    product_code: str
    title: str
    category: str | None
    options: tuple[tuple[str, str], ...]
    list_price: Decimal | None
    daily_price: Decimal | None
    live_price: Decimal
    floor_price: Decimal | None
    cost: Decimal | None
    commission_rate: Decimal | None
    stock: int
    role: Role | None = None
    selling_points: tuple[SellingPoint, ...] = ()
    history: tuple[PricePoint, ...] = ()

    @property
    def label(self) -> str:
        options = " ".join(value for _, value in self.options)
        return f"{self.title} {options}".strip()


@dataclass(slots=True)
class CatalogView:
    skus: dict[str, SkuFacts] = field(default_factory=dict)

    def get(self, sku: str) -> SkuFacts | None:
        return self.skus.get(sku)


def role_from_tags(tags: Iterable[str]) -> Role | None:
    for tag in tags:
        if tag in ROLE_FROM_TAG:
            return ROLE_FROM_TAG[tag]
    return None


def load_catalog_view(session: Session, skus: Iterable[str], *, with_history: bool = True
                      ) -> CatalogView:
    """Facts for ``skus`` (unknown codes are simply absent; checks report them)."""
    codes = sorted(set(skus))
    view = CatalogView()
    if not codes:
        return view
    rows = session.scalars(
        select(Sku).where(Sku.sku.in_(codes)).options(
            selectinload(Sku.product).selectinload(Product.selling_points),
            selectinload(Sku.product).selectinload(Product.tags))
    ).all()
    history: dict[int, list[PricePoint]] = {row.id: [] for row in rows}
    if with_history and rows:
        for change in session.scalars(
            select(PriceChange).where(PriceChange.sku_id.in_(list(history)))
            .order_by(PriceChange.changed_at, PriceChange.id)
        ):
            history[change.sku_id].append(PricePoint(change.changed_at, change.field,
                                                     change.old_value, change.new_value))
    for row in rows:
        product = row.product
        view.skus[row.sku] = SkuFacts(
            sku=row.sku, product_code=product.product_code, title=product.title,
            category=product.category, options=tuple(tuple(o) for o in row.options),
            list_price=row.list_price, daily_price=row.daily_price, live_price=row.live_price,
            floor_price=row.floor_price, cost=row.cost, commission_rate=row.commission_rate,
            stock=row.stock, role=role_from_tags(t.tag for t in product.tags),
            selling_points=tuple(SellingPoint(text=p.text, fabe=p.fabe)
                                 for p in product.selling_points),
            history=tuple(history[row.id]),
        )
    return view
