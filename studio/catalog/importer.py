"""Catalogue import: validate every row of a CSV/XLSX/JSON file first, then upsert by SKU in bulk.

By default a file with any invalid row changes nothing (``ImportRejected`` lists every problem with
its row number, column and reason); ``skip_invalid`` imports the valid rows and reports the others.
Columns absent from the file leave existing values alone; present-but-blank cells clear optional
values. Every price that changes, including a SKU's first prices, lands in the price history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from studio.bulk import insert_rows
from studio.catalog import values
from studio.catalog.columns import PRODUCT_LEVEL, map_header
from studio.catalog.models import PRICE_FIELDS, PriceChange, Product, ProductTag, SellingPoint, Sku
from studio.db import utcnow
from studio.errors import ErrorDetail, ImportRejected
from studio.tabular import Table, read_table

CHUNK = 2000  # ids per IN (...) clause: well under SQLite's and PostgreSQL's parameter limits
MAX_LENGTHS = {"sku": 64, "product_code": 64, "title": 300, "brand": 120, "category": 120,
               "image": 1000}
SKU_VALUE_FIELDS = ("options", *PRICE_FIELDS, "commission_rate", "stock")

_PARSERS: dict[str, Callable[[str], Any]] = {
    "options": values.parse_options,
    "list_price": values.parse_money,
    "daily_price": values.parse_money,
    "live_price": values.parse_money,
    "floor_price": values.parse_money,
    "cost": values.parse_money,
    "commission_rate": values.parse_rate,
    "stock": values.parse_count,
    "selling_points": values.parse_selling_points,
    "tags": values.parse_tags,
}


@dataclass(slots=True)
class CatalogRow:
    """One valid row: canonical field name → typed value (None for a blank cell)."""

    row: int
    data: dict[str, Any]

    @property
    def sku(self) -> str:
        return self.data["sku"]


@dataclass(slots=True)
class ImportReport:
    """What an import found and did (or, in a dry run, would do)."""

    source: str
    rows: int = 0
    valid_rows: int = 0
    errors: list[ErrorDetail] = field(default_factory=list)
    created_products: int = 0
    updated_products: int = 0
    created_skus: int = 0
    updated_skus: int = 0
    unchanged_skus: int = 0
    price_changes: int = 0
    dry_run: bool = False
    encoding: str | None = None

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "errors": [e.as_dict() for e in self.errors],
            "created_products": self.created_products,
            "updated_products": self.updated_products,
            "created_skus": self.created_skus,
            "updated_skus": self.updated_skus,
            "unchanged_skus": self.unchanged_skus,
            "price_changes": self.price_changes,
            "dry_run": self.dry_run,
        }


def import_catalog_file(
    *,
    session: Session,
    path: Path,
    actor: str,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Validate and upsert a catalogue file inside the caller's transaction.

    Raises ImportRejected (having written nothing) when the header is wrong, or when any row is
    invalid and ``skip_invalid`` is false. A dry run rolls its writes back before returning.
    """
    table = read_table(path)
    report = ImportReport(source=path.name, dry_run=dry_run, encoding=table.encoding)
    rows, columns = validate_table(table, report, source=path.name)
    if report.errors and not skip_invalid:
        raise ImportRejected(
            f"{path.name}: {len(report.invalid_rows)} of {report.rows} rows are invalid; "
            "nothing was imported",
            details=report.errors,
        )
    if dry_run:
        with session.begin_nested() as savepoint:
            apply_rows(session=session, rows=rows, columns=columns, actor=actor,
                       source=f"import:{path.name}", report=report)
            savepoint.rollback()
    else:
        apply_rows(session=session, rows=rows, columns=columns, actor=actor,
                   source=f"import:{path.name}", report=report)
    return report


def validate_table(
    table: Table, report: ImportReport, *, source: str
) -> tuple[list[CatalogRow], frozenset[str]]:
    """Check the header and every row; collect errors in ``report``; return the valid rows."""
    mapped, header_errors = map_header(table.header)
    report.rows = len(table.rows)
    if header_errors:
        raise ImportRejected(
            f"{source}: the header row has {len(header_errors)} problem(s); nothing was imported",
            details=header_errors,
        )
    columns = frozenset(c for c in mapped if c)
    labels = {c: table.header[i].strip() for i, c in enumerate(mapped) if c}
    valid: list[CatalogRow] = []
    first_row_of_sku: dict[str, int] = {}
    groups: dict[str, CatalogRow] = {}
    for number, cells in table.rows:
        row_errors: list[ErrorDetail] = []
        data = _parse_cells(number, cells, mapped, labels, row_errors)
        sku = data.get("sku")
        if sku:
            if sku in first_row_of_sku:
                row_errors.append(ErrorDetail(
                    f"duplicate SKU {sku!r} (first on row {first_row_of_sku[sku]})",
                    row=number, field=labels["sku"]))
            else:
                first_row_of_sku[sku] = number
        if not row_errors:
            data.setdefault("product_code", None)
            data["product_code"] = data["product_code"] or sku
            _check_same_product(number, data, groups, columns, labels, row_errors)
        if row_errors:
            report.errors.extend(row_errors)
        else:
            row = CatalogRow(row=number, data=data)
            groups.setdefault(data["product_code"], row)
            valid.append(row)
    report.valid_rows = len(valid)
    return valid, columns


def _parse_cells(
    number: int,
    cells: list[str],
    mapped: list[str | None],
    labels: dict[str, str],
    errors: list[ErrorDetail],
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if len(cells) > len(mapped) and any(c.strip() for c in cells[len(mapped):]):
        errors.append(ErrorDetail(
            f"has {len(cells)} cells but the header has {len(mapped)} columns", row=number))
    for position, canonical in enumerate(mapped):
        if canonical is None:
            continue
        text = cells[position].strip() if position < len(cells) else ""
        if not text:
            if canonical in ("sku", "title", "live_price"):
                errors.append(ErrorDetail("required value is missing", row=number,
                                          field=labels[canonical]))
            data[canonical] = None
            continue
        parser = _PARSERS.get(canonical)
        try:
            value = parser(text) if parser else text
        except ValueError as exc:
            errors.append(ErrorDetail(str(exc), row=number, field=labels[canonical]))
            continue
        limit = MAX_LENGTHS.get(canonical)
        if limit and len(value) > limit:
            errors.append(ErrorDetail(f"longer than {limit} characters", row=number,
                                      field=labels[canonical]))
            continue
        if canonical == "currency":
            value = value.upper()
            if len(value) != 3 or not value.isalpha():
                errors.append(ErrorDetail(f"not a currency code: {text!r} (e.g. CNY)",
                                          row=number, field=labels[canonical]))
                continue
        data[canonical] = value
    live, floor = data.get("live_price"), data.get("floor_price")
    if live is not None and floor is not None and floor > live:
        errors.append(ErrorDetail(
            f"floor price {floor} is above the live price {live}", row=number,
            field=labels["floor_price"]))
    return data


def _check_same_product(
    number: int,
    data: dict[str, Any],
    groups: dict[str, CatalogRow],
    columns: frozenset[str],
    labels: dict[str, str],
    errors: list[ErrorDetail],
) -> None:
    """Rows of one product_code must agree on product-level values (blank cells inherit)."""
    first = groups.get(data["product_code"])
    if first is None:
        return
    for name in PRODUCT_LEVEL:
        if name not in columns:
            continue
        mine, theirs = data.get(name), first.data.get(name)
        if mine in (None, []) or theirs in (None, []):
            continue
        if mine != theirs:
            errors.append(ErrorDetail(
                f"differs from row {first.row} of the same product {data['product_code']!r}",
                row=number, field=labels[name]))


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def apply_rows(
    *,
    session: Session,
    rows: list[CatalogRow],
    columns: frozenset[str],
    actor: str,
    source: str,
    report: ImportReport,
) -> None:
    """Upsert valid rows in bulk: a few statements per 2,000 rows, not one per row."""
    if not rows:
        return
    now = utcnow()
    existing_skus = _load_existing_skus(session, [r.sku for r in rows])
    product_ids = {s["product_id"] for s in existing_skus.values()}
    codes_in_file = {r.data["product_code"] for r in rows}
    existing_products = _load_existing_products(session, product_ids, codes_in_file)
    code_of_id = {p["id"]: code for code, p in existing_products.items()}

    # Where each row's SKU belongs: the file's product_code, else where it already is, else itself.
    groups: dict[str, list[CatalogRow]] = {}
    for row in rows:
        current = existing_skus.get(row.sku)
        if "product_code" in columns or current is None:
            code = row.data["product_code"]
        else:
            code = code_of_id[current["product_id"]]
        groups.setdefault(code, []).append(row)

    product_id_of = _upsert_products(session, groups, existing_products, columns, now, report)
    _upsert_skus(session, groups, product_id_of, existing_skus, columns, now, actor, source,
                 report)


def _load_existing_skus(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    fields = [Sku.id, Sku.sku, Sku.product_id, *(getattr(Sku, f) for f in SKU_VALUE_FIELDS)]
    for chunk in _chunks(codes):
        for record in session.execute(select(*fields).where(Sku.sku.in_(chunk))):
            found[record.sku] = record._asdict()
    return found


def _load_existing_products(
    session: Session, ids: set[int], codes: set[str]
) -> dict[str, dict[str, Any]]:
    fields = [Product.id, Product.product_code, Product.title, Product.brand, Product.category,
              Product.image, Product.currency]
    found: dict[str, dict[str, Any]] = {}
    for column, keys in ((Product.id, sorted(ids)), (Product.product_code, sorted(codes))):
        for chunk in _chunks(keys):
            for record in session.execute(select(*fields).where(column.in_(chunk))):
                found[record.product_code] = record._asdict()
    if found:
        ids_found = [p["id"] for p in found.values()]
        points: dict[int, list[tuple[str, str | None]]] = {i: [] for i in ids_found}
        tags: dict[int, list[str]] = {i: [] for i in ids_found}
        for chunk in _chunks(ids_found):
            for sp in session.execute(
                select(SellingPoint.product_id, SellingPoint.text, SellingPoint.fabe)
                .where(SellingPoint.product_id.in_(chunk)).order_by(SellingPoint.position)
            ):
                points[sp.product_id].append((sp.text, sp.fabe))
            for tag in session.execute(
                select(ProductTag.product_id, ProductTag.tag)
                .where(ProductTag.product_id.in_(chunk)).order_by(ProductTag.position)
            ):
                tags[tag.product_id].append(tag.tag)
        for product in found.values():
            product["selling_points"] = points[product["id"]]
            product["tags"] = tags[product["id"]]
    return found


def _product_values(rows: list[CatalogRow], columns: frozenset[str]) -> dict[str, Any]:
    """The product-level values of a group: each field from the first row that fills it."""
    merged: dict[str, Any] = {}
    for name in PRODUCT_LEVEL:
        if name not in columns:
            continue
        empty = [] if name in ("selling_points", "tags") else None
        merged[name] = next(
            (r.data[name] for r in rows if r.data.get(name) not in (None, [])), empty
        )
    if "currency" in merged and merged["currency"] is None:
        merged["currency"] = "CNY"
    return merged


def _upsert_products(
    session: Session,
    groups: dict[str, list[CatalogRow]],
    existing: dict[str, dict[str, Any]],
    columns: frozenset[str],
    now: Any,
    report: ImportReport,
) -> dict[str, int]:
    product_id_of = {code: p["id"] for code, p in existing.items()}
    new_products: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    children: dict[str, dict[str, Any]] = {}  # code -> new points/tags to (re)write
    for code, group in groups.items():
        wanted = _product_values(group, columns)
        current = existing.get(code)
        if current is None:
            scalar = {k: v for k, v in wanted.items() if k not in ("selling_points", "tags")}
            new_products.append({"product_code": code, "created_at": now, "updated_at": now,
                                 "active": True, "currency": "CNY", **scalar})
            children[code] = {k: wanted.get(k, []) for k in ("selling_points", "tags")}
            continue
        changed = {k: v for k, v in wanted.items()
                   if k not in ("selling_points", "tags") and current.get(k) != v}
        rewrite = {k: wanted[k] for k in ("selling_points", "tags")
                   if k in wanted and current[k] != wanted[k]}
        if changed or rewrite:
            updates.append({"id": current["id"], "updated_at": now, **changed})
            if rewrite:
                children[code] = rewrite
    product_id_of.update(insert_rows(session, Product.__table__, new_products, key="product_code"))
    if updates:
        for group in _by_keys(updates):
            session.execute(update(Product), group)
    report.created_products += len(new_products)
    report.updated_products += len(updates)
    _rewrite_children(session, children, product_id_of)
    return product_id_of


def _rewrite_children(
    session: Session, children: dict[str, dict[str, Any]], product_id_of: dict[str, int]
) -> None:
    """Replace the selling points and/or tags of the products whose lists changed."""
    for kind, model in (("selling_points", SellingPoint), ("tags", ProductTag)):
        ids = [product_id_of[code] for code, c in children.items() if kind in c]
        for chunk in _chunks(ids):
            session.execute(delete(model).where(model.product_id.in_(chunk)))
        records: list[dict[str, Any]] = []
        for code, c in children.items():
            if kind not in c:
                continue
            pid = product_id_of[code]
            if kind == "selling_points":
                records.extend({"product_id": pid, "position": i, "text": text, "fabe": fabe}
                               for i, (text, fabe) in enumerate(c[kind], start=1))
            else:
                records.extend({"product_id": pid, "position": i, "tag": tag}
                               for i, tag in enumerate(c[kind], start=1))
        insert_rows(session, model.__table__, records)


def _upsert_skus(
    session: Session,
    groups: dict[str, list[CatalogRow]],
    product_id_of: dict[str, int],
    existing: dict[str, dict[str, Any]],
    columns: frozenset[str],
    now: Any,
    actor: str,
    source: str,
    report: ImportReport,
) -> None:
    given = [f for f in SKU_VALUE_FIELDS if f in columns]
    new_skus: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for code, group in groups.items():
        product_id = product_id_of[code]
        for row in group:
            wanted = {f: row.data.get(f) for f in given}
            if "options" in wanted and wanted["options"] is None:
                wanted["options"] = []
            if "stock" in wanted and wanted["stock"] is None:
                wanted["stock"] = 0
            current = existing.get(row.sku)
            if current is None:
                new_skus.append({"sku": row.sku, "product_id": product_id, "options": [],
                                 "stock": 0, "active": True, "created_at": now,
                                 "updated_at": now, **wanted})
                continue
            changed = {f: v for f, v in wanted.items() if current[f] != v}
            if current["product_id"] != product_id:
                changed["product_id"] = product_id
            if not changed:
                report.unchanged_skus += 1
                continue
            updates.append({"id": current["id"], "updated_at": now, **changed})
            history.extend(
                _price_change(current["id"], f, current[f], changed[f], now, actor, source)
                for f in PRICE_FIELDS if f in changed
            )
    sku_ids = insert_rows(session, Sku.__table__, new_skus, key="sku")
    for record in new_skus:
        history.extend(
            _price_change(sku_ids[record["sku"]], f, None, record[f], now, actor, source)
            for f in PRICE_FIELDS if record.get(f) is not None
        )
    for group in _by_keys(updates):
        session.execute(update(Sku), group)
    insert_rows(session, PriceChange.__table__, history)
    report.created_skus += len(new_skus)
    report.updated_skus += len(updates)
    report.price_changes += len(history)


def _price_change(
    sku_id: int, name: str, old: Decimal | None, new: Decimal | None, now: Any, actor: str,
    source: str,
) -> dict[str, Any]:
    return {"sku_id": sku_id, "field": name, "old_value": old, "new_value": new,
            "changed_at": now, "changed_by": actor, "source": source}


def _by_keys(records: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    """Bulk UPDATE wants the same keys in every parameter set: group records by their keys."""
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(tuple(sorted(record)), []).append(record)
    for group in grouped.values():
        yield from _chunks(group)
