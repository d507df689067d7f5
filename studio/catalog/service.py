"""Catalogue operations: search, read, create, update (with price history), delete, export."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from studio.catalog import schemas, values
from studio.catalog.columns import CANONICAL_COLUMNS, OPTIONAL_COLUMNS
from studio.catalog.models import PRICE_FIELDS, PriceChange, Product, ProductTag, SellingPoint, Sku
from studio.db import utcnow
from studio.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from studio.tabular import format_of, write_csv, write_json, write_xlsx

_LIKE_ESCAPE = str.maketrans({"%": r"\%", "_": r"\_", "\\": r"\\"})


def _with_children(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(Product.skus), selectinload(Product.selling_points),
        selectinload(Product.tags),
    )


def search_products(
    *,
    session: Session,
    query: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Product], int]:
    """Products matching a text (SKU, product code, title, brand, tag; Chinese works), paged."""
    ids = select(Product.id)
    if query and query.strip():
        pattern = f"%{query.strip().translate(_LIKE_ESCAPE)}%"
        ids = ids.where(
            or_(
                Product.title.ilike(pattern, escape="\\"),
                Product.product_code.ilike(pattern, escape="\\"),
                Product.brand.ilike(pattern, escape="\\"),
                Product.id.in_(select(Sku.product_id).where(Sku.sku.ilike(pattern, escape="\\"))),
                Product.id.in_(
                    select(ProductTag.product_id).where(ProductTag.tag.ilike(pattern, escape="\\"))
                ),
            )
        )
    if tag:
        ids = ids.where(Product.id.in_(select(ProductTag.product_id).where(ProductTag.tag == tag)))
    if category:
        ids = ids.where(Product.category == category)
    if active is not None:
        ids = ids.where(Product.active == active)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    statement = _with_children(
        select(Product).where(Product.id.in_(ids)).order_by(Product.product_code)
    ).limit(limit).offset(offset)
    return session.scalars(statement).all(), total


def categories(*, session: Session) -> list[str]:
    rows = session.scalars(
        select(Product.category).where(Product.category.is_not(None)).distinct()
        .order_by(Product.category)
    )
    return list(rows)


def get_product(*, session: Session, product_code: str) -> Product:
    product = session.scalars(
        _with_children(select(Product).where(Product.product_code == product_code))
    ).one_or_none()
    if product is None:
        raise NotFound(f"no product with code {product_code!r}")
    return product


def get_sku(*, session: Session, sku: str) -> Sku:
    found = session.scalars(select(Sku).where(Sku.sku == sku)).one_or_none()
    if found is None:
        raise NotFound(f"no SKU {sku!r}")
    return found


def create_product(*, session: Session, product_in: schemas.ProductCreate, actor: str) -> Product:
    """Create a product with its SKUs; their first prices enter the price history."""
    if session.scalar(select(Product.id).where(Product.product_code == product_in.product_code)):
        raise Conflict(f"product code {product_in.product_code!r} is already taken")
    codes = [s.sku for s in product_in.skus]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValidationFailed(f"SKU {duplicates[0]!r} is listed twice")
    taken = session.scalars(select(Sku.sku).where(Sku.sku.in_(codes))).all()
    if taken:
        raise Conflict(f"SKU {taken[0]!r} already belongs to another product")
    data = product_in.model_dump(exclude={"skus", "selling_points", "tags"})
    product = Product(**data)
    _set_children(product, product_in.selling_points, product_in.tags)
    session.add(product)
    for sku_in in product_in.skus:
        _check_price_rules(sku_in.model_dump(), sku_in.sku)
        sku = Sku(**sku_in.model_dump(exclude={"options"}),
                  options=[list(o) for o in sku_in.options])
        product.skus.append(sku)
    session.flush()
    for sku in product.skus:
        _record_prices(session, sku, {f: None for f in PRICE_FIELDS}, actor, "api")
    return product


def update_product(
    *, session: Session, product: Product, product_in: schemas.ProductUpdate
) -> Product:
    """Change the fields sent; lists (selling points, tags) are replaced whole."""
    sent = product_in.model_fields_set
    if "title" in sent and product_in.title is None:
        raise ValidationFailed("title cannot be empty", details=[ErrorDetail("required", "title")])
    for name in ("title", "brand", "category", "currency", "image", "notes", "active"):
        if name in sent:
            setattr(product, name, getattr(product_in, name))
    if "selling_points" in sent or "tags" in sent:
        points = (product_in.selling_points if "selling_points" in sent
                  else [schemas.SellingPointIn(text=p.text, fabe=p.fabe)
                        for p in product.selling_points])
        tags = product_in.tags if "tags" in sent else [t.tag for t in product.tags]
        product.selling_points.clear()
        product.tags.clear()
        session.flush()
        _set_children(product, points or [], tags or [])
    product.updated_at = utcnow()
    session.flush()
    return product


def update_sku(*, session: Session, sku: Sku, sku_in: schemas.SkuUpdate, actor: str,
               source: str = "api") -> Sku:
    """Change the SKU fields sent (null clears an optional price); price changes are recorded."""
    sent = sku_in.model_fields_set
    if "live_price" in sent and sku_in.live_price is None:
        raise ValidationFailed("live_price (直播价) cannot be empty",
                               details=[ErrorDetail("required", "live_price")])
    before = {f: getattr(sku, f) for f in PRICE_FIELDS}
    merged = {f: getattr(sku, f) for f in PRICE_FIELDS}
    merged.update({f: getattr(sku_in, f) for f in PRICE_FIELDS if f in sent})
    _check_price_rules(merged, sku.sku)
    for name in sent:
        value = getattr(sku_in, name)
        if name == "options":
            value = [list(o) for o in value or []]
        elif name in ("stock", "active") and value is None:
            continue
        setattr(sku, name, value)
    sku.updated_at = utcnow()
    session.flush()
    _record_prices(session, sku, before, actor, source)
    return sku


def delete_product(*, session: Session, product: Product) -> None:
    session.delete(product)
    session.flush()


def price_history(*, session: Session, product: Product) -> list[schemas.PriceChangeOut]:
    """Every recorded price change of the product's SKUs, newest first."""
    rows = session.execute(
        select(PriceChange, Sku.sku)
        .join(Sku, Sku.id == PriceChange.sku_id)
        .where(Sku.product_id == product.id)
        .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc())
    )
    return [
        schemas.PriceChangeOut(sku=code, field=change.field, old_value=change.old_value,
                               new_value=change.new_value, changed_at=change.changed_at,
                               changed_by=change.changed_by, source=change.source)
        for change, code in rows
    ]


def product_out(product: Product) -> schemas.ProductOut:
    return schemas.ProductOut(
        product_code=product.product_code, title=product.title, brand=product.brand,
        category=product.category, currency=product.currency, image=product.image,
        notes=product.notes, active=product.active,
        selling_points=[schemas.SellingPointIn(text=p.text, fabe=p.fabe)
                        for p in product.selling_points],
        tags=[t.tag for t in product.tags],
        skus=[sku_out(s) for s in product.skus],
        created_at=product.created_at, updated_at=product.updated_at,
    )


def sku_out(sku: Sku) -> schemas.SkuOut:
    return schemas.SkuOut(
        sku=sku.sku, product_code=sku.product.product_code,
        options=[tuple(o) for o in sku.options], list_price=sku.list_price,
        daily_price=sku.daily_price, live_price=sku.live_price, floor_price=sku.floor_price,
        cost=sku.cost, commission_rate=sku.commission_rate, stock=sku.stock, active=sku.active,
        created_at=sku.created_at, updated_at=sku.updated_at,
    )


def _set_children(product: Product, points: list[schemas.SellingPointIn], tags: list[str]) -> None:
    product.selling_points = [
        SellingPoint(position=i, text=p.text, fabe=p.fabe) for i, p in enumerate(points, 1)
    ]
    unique_tags = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    product.tags = [ProductTag(position=i, tag=t) for i, t in enumerate(unique_tags, 1)]


def _check_price_rules(prices: dict[str, Any], sku: str) -> None:
    live, floor = prices.get("live_price"), prices.get("floor_price")
    if live is not None and floor is not None and floor > live:
        raise ValidationFailed(
            f"SKU {sku}: floor price {floor} is above the live price {live}",
            details=[ErrorDetail(f"above the live price {live}", "floor_price")],
        )


def _record_prices(session: Session, sku: Sku, before: dict[str, Decimal | None], actor: str,
                   source: str) -> None:
    now = utcnow()
    for name in PRICE_FIELDS:
        old, new = before[name], getattr(sku, name)
        if old != new:
            session.add(PriceChange(sku_id=sku.id, field=name, old_value=old, new_value=new,
                                    changed_at=now, changed_by=actor, source=source))
    session.flush()


# ---- export -------------------------------------------------------------------------------------

def export_rows(*, session: Session) -> tuple[list[str], list[dict[str, Any]]]:
    """The catalogue as canonical rows (one per SKU), in product-code then SKU order."""
    products = session.scalars(
        _with_children(select(Product).order_by(Product.product_code))
    ).all()
    with_currency = any(p.currency != "CNY" for p in products)
    header = list(CANONICAL_COLUMNS) + (list(OPTIONAL_COLUMNS) if with_currency else [])
    rows: list[dict[str, Any]] = []
    for product in products:
        points = values.format_selling_points([(p.text, p.fabe) for p in product.selling_points])
        tags = values.format_tags([t.tag for t in product.tags])
        for sku in sorted(product.skus, key=lambda s: s.sku):
            row = {
                "sku": sku.sku, "product_code": product.product_code, "title": product.title,
                "brand": product.brand or "", "category": product.category or "",
                "options": values.format_options(sku.options),
                **{f: getattr(sku, f) for f in PRICE_FIELDS},
                "commission_rate": sku.commission_rate, "stock": sku.stock,
                "selling_points": points, "tags": tags, "image": product.image or "",
            }
            if with_currency:
                row["currency"] = product.currency
            rows.append(row)
    return header, rows


def _as_text(name: str, value: Any) -> str:
    if name in PRICE_FIELDS:
        return values.format_money(value)
    if name == "commission_rate":
        return values.format_rate(value)
    return "" if value is None else str(value)


def export_catalog_file(*, session: Session, path: Path) -> int:
    """Write the catalogue to ``path`` (format from the extension), atomically; returns SKU count."""
    kind = format_of(path)
    header, rows = export_rows(session=session)
    if kind == "csv":
        write_csv(path, header, [[_as_text(h, r[h]) for h in header] for r in rows])
    elif kind == "json":
        write_json(path, [{h: _as_text(h, r[h]) for h in header} for r in rows])
    else:
        typed = [[_xlsx_cell(h, r[h]) for h in header] for r in rows]
        write_xlsx(path, header, typed, sheet="catalog")
    return len(rows)


def _xlsx_cell(name: str, value: Any) -> Any:
    """Numbers stay numbers in a workbook, so a planner can sum and sort them."""
    if name in PRICE_FIELDS or name == "commission_rate":
        return value  # Decimal or None; openpyxl writes it as a number cell
    if name == "stock":
        return value
    return _as_text(name, value)
