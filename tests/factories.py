"""Small builders for catalogue rows and files, so each test states only what it is about."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

from studio.catalog.columns import CANONICAL_COLUMNS

_counter = itertools.count(1)


def sku_row(**overrides: Any) -> dict[str, str]:
    """A valid canonical row; every call gets a fresh SKU and product code unless given."""
    n = next(_counter)
    code = str(overrides.get("product_code") or f"P-{n:05d}")
    row = {
        "sku": f"T-{n:05d}",
        "product_code": code,
        "title": f"测试商品 Test product {code}",
        "brand": "青禾 Qinghe",
        "category": "美妆 Beauty",
        "options": "",
        "list_price": "199.00",
        "daily_price": "159.00",
        "live_price": "129.00",
        "floor_price": "119.00",
        "cost": "45.00",
        "commission_rate": "0.2",
        "stock": "500",
        "selling_points": "F:含5%烟酰胺|B:提亮肤色|E:28天测试",
        "tags": "美妆,主推款",
        "image": f"images/{code.lower()}.jpg",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def rows_to_csv(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    header = header or list(CANONICAL_COLUMNS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return buffer.getvalue()


def write_csv(path: Path, rows: list[dict[str, str]], *, header: list[str] | None = None,
              encoding: str = "utf-8") -> Path:
    path.write_bytes(rows_to_csv(rows, header).encode(encoding))
    return path
