"""Profiles for English-language shop exports: TikTok Shop and Shopify orders (docs/replay-formats.md).

Both exports carry some values per *order* (refunds, and on Shopify the status, times and buyer)
while Studio counts per *order line*. Order-level refunds are split across the order's lines in
proportion to what each line paid (``share``: cent-exact, the lines add up to the order's refund).
A refund is counted only up to what the lines paid: the part above that refunded shipping or tax,
which is not GMV. Cells a profile cannot read (a bad amount, an unknown status) go through as
written, so the importer refuses them with the file's own line number; a file whose *shape* is not
the export's (a missing column, no description row, a line item without its order) is refused here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial

from studio.errors import ErrorDetail, ValidationFailed
from studio.replay.formats import ORDER_FIELDS, Profile, Row, by_header, register, share, us_datetime
from studio.tabular import Table

ZERO = Decimal("0.00")


# ---- shared helpers ---------------------------------------------------------------------------------

def header_key(text: str) -> str:
    """A header as matched: BOM and surrounding spaces dropped, inner runs of spaces made one, lower."""
    return " ".join(text.replace("\ufeff", "").split()).lower()


def locate(table: Table, file_name: str, export: str, columns: dict[str, tuple[str, ...]],
           required: tuple[tuple[str, ...], ...]) -> dict[str, int]:
    """Where each wanted column is (first match wins); refuse the file when a required one is absent.

    ``columns`` maps a key to the header names it may have; each entry of ``required`` lists keys
    of which at least one must be present (``("seller_sku", "sku_id")``: either will do).
    """
    seen = {}
    for index, raw in enumerate(table.header):
        seen.setdefault(header_key(raw), index)
    places = {}
    for key, names in columns.items():
        found = next((seen[header_key(n)] for n in names if header_key(n) in seen), None)
        if found is not None:
            places[key] = found
    missing = [" or ".join(columns[k][0] for k in group) for group in required
               if not any(k in places for k in group)]
    if missing:
        header = ", ".join(h.strip() for h in table.header)
        raise ValidationFailed(
            f"{file_name}: line 1: missing column(s) {', '.join(missing)}; this is not a {export} "
            f"as exported (the header reads: {header})",
            details=[ErrorDetail("missing column", field=m, row=1) for m in missing])
    return places


def cell(cells: list[str], places: dict[str, int], key: str) -> str:
    index = places.get(key)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()  # strip also drops the tab some exports add to keep IDs as text


_MONEY = re.compile(r"(?:[A-Z]{3} ?)?(?:US)?[$£€¥￥]? ?"  # USD / US$ / $ before, or USD after
                    r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?: ?[A-Z]{3})?")


def money(text: str) -> Decimal | None:
    """``$1,299.00``, ``1299``, ``USD 12.5`` → a two-place Decimal; None for anything else."""
    found = _MONEY.fullmatch(text.strip())
    if not found:
        return None
    whole, cents = found.groups()
    return Decimal(f"{whole.replace(',', '')}.{(cents or '').ljust(2, '0')}")


def money_text(value: Decimal) -> str:
    return f"{value:.2f}"


@dataclass(slots=True)
class Line:
    """One order line while its order is being put together."""

    number: int
    row: dict[str, str]
    amount: Decimal | None
    refund_hint: bool = False


@dataclass(slots=True)
class Order:
    lines: list[Line] = field(default_factory=list)
    refund_text: str = ""
    refund_line: int = 0


def split_refund(order: Order) -> tuple[Decimal, Decimal] | None:
    """Write each line's share of the order's refund; (refund counted, lines' total), or None.

    None when the refund or a line's amount cannot be read: the refund text then goes through as
    written (the importer names it), or stays blank while the unreadable amount is reported.
    """
    refund = money(order.refund_text) if order.refund_text else ZERO
    if refund is None:
        for line in order.lines:
            line.row["refund_amount"] = order.refund_text
        return None
    amounts = [line.amount for line in order.lines if line.amount is not None]
    if len(amounts) < len(order.lines):
        return None
    total = sum(amounts, ZERO)
    refund = min(refund, total)
    for line, part in zip(order.lines, share(refund, amounts), strict=True):
        line.row["refund_amount"] = money_text(part)
    return refund, total


def refund_status(line: Line, refund: Decimal, total: Decimal) -> str:
    """paid → refunded / partially_refunded by how much of the order came back."""
    if refund <= 0:
        return "paid"
    if refund < total:
        return "partially_refunded"
    # A free line (a gift) in a fully refunded order had nothing to refund: it stays paid.
    return "refunded" if line.amount else "paid"


def _canonical_reader(kind: str) -> Callable[[Table, str], list[Row]]:
    return lambda table, name: by_header(table, name, kind)


def _empty_order_row() -> dict[str, str]:
    return dict.fromkeys(ORDER_FIELDS, "")


# ---- TikTok Shop -------------------------------------------------------------------------------------

TIKTOK_COLUMNS = {
    "order_id": ("Order ID",),
    "status": ("Order Status",),
    "substatus": ("Order Substatus", "Order Sub-status"),
    "return_type": ("Cancelation/Return Type", "Cancellation/Return Type"),
    "seller_sku": ("Seller SKU",),
    "sku_id": ("SKU ID",),
    "quantity": ("Quantity",),
    "amount": ("SKU Subtotal After Discount",),
    "refund": ("Order Refund Amount",),
    "created_at": ("Created Time",),
    "paid_at": ("Paid Time",),
    "buyer": ("Buyer Username",),
    "nickname": ("Buyer Nickname",),
}
TIKTOK_REQUIRED = (("order_id",), ("status",), ("seller_sku", "sku_id"), ("quantity",), ("amount",),
                   ("refund",), ("created_at",), ("paid_at",))
TIKTOK_STATUS = {
    "unpaid": "pending",
    "on hold": "paid",  # paid, inside the window where the buyer may still cancel
    "awaiting shipment": "paid", "awaiting collection": "paid", "to ship": "paid",
    "partially shipping": "paid", "shipped": "paid", "in transit": "paid", "delivered": "paid",
    "completed": "paid",
    "cancelled": "cancelled", "canceled": "cancelled",
}
_PLAIN_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")


def _after_description_row(table: Table, file_name: str, places: dict[str, int],
                           ) -> list[tuple[int, list[str]]]:
    """The data rows: TikTok puts a row of column descriptions under the header; skip exactly it."""
    if not table.rows:
        raise ValidationFailed(f"{file_name}: line 2: no description row under the header; this is "
                               "not a TikTok Shop order export as exported",
                               details=[ErrorDetail("no description row", row=2)])
    number, cells = table.rows[0]
    order_id, quantity = cell(cells, places, "order_id"), cell(cells, places, "quantity")
    if _PLAIN_ID.fullmatch(order_id) or quantity.isdigit():
        column = table.header[places["order_id"]].strip()
        raise ValidationFailed(
            f"{file_name}: line {number}, column {column}: expected TikTok's description row under "
            f"the header (\"Platform unique order ID.\" …) but found an order line ({order_id!r}); "
            "export the file again, or use the canonical profile for files edited by hand",
            details=[ErrorDetail("expected the description row", field=column, row=number)])
    return table.rows[1:]


def _same_amount(one: str, other: str) -> bool:
    value = money(one)
    return value == money(other) if value is not None else one == other


def _tiktok_status(text: str) -> str:
    return TIKTOK_STATUS.get(header_key(text), text)


def tiktok_orders(table: Table, file_name: str) -> list[Row]:
    """TikTok Shop order export (one row per SKU line) → canonical order rows."""
    places = locate(table, file_name, "TikTok Shop order export", TIKTOK_COLUMNS, TIKTOK_REQUIRED)
    orders: dict[str, Order] = {}
    lines: list[Line] = []
    for number, cells in _after_description_row(table, file_name, places):
        get = partial(cell, cells, places)
        written = get("status") or get("substatus")
        row = _empty_order_row() | {
            "order_id": get("order_id"),
            "created_at": us_datetime(get("created_at")),
            "paid_at": us_datetime(get("paid_at")),
            "sku": get("seller_sku") or get("sku_id"),
            "quantity": get("quantity"),
            "status": _tiktok_status(written),
            "buyer_id": get("buyer") or get("nickname"),
        }
        amount = money(get("amount"))
        row["amount"] = money_text(amount) if amount is not None else get("amount")
        hint = f"{get('substatus')} {get('return_type')}".lower()
        line = Line(number, row, amount, refund_hint="refund" in hint or "return" in hint)
        lines.append(line)
        order = orders.setdefault(row["order_id"], Order())
        order.lines.append(line)
        refund_text = get("refund")
        if refund_text and not order.refund_text:
            order.refund_text, order.refund_line = refund_text, number
        elif refund_text and not _same_amount(refund_text, order.refund_text):
            column = table.header[places["refund"]].strip()
            raise ValidationFailed(
                f"{file_name}: line {number}, column {column}: {refund_text!r} differs from "
                f"{order.refund_text!r} on line {order.refund_line}, though both are order "
                f"{row['order_id']}'s refund",
                details=[ErrorDetail("differs from the order's other lines", field=column, row=number)])
    for order in orders.values():
        counted = split_refund(order)
        if counted is None:
            continue
        refund, total = counted
        for line in order.lines:
            status = line.row["status"]
            # A paid order that was returned shows as Cancelled with a return/refund type: it
            # was a sale (GMV) that came back, not an order that never happened.
            if status == "cancelled" and line.refund_hint and refund > 0:
                status = "paid"
            if status == "paid":
                line.row["status"] = refund_status(line, refund, total)
    return [(line.number, line.row) for line in lines]


TIKTOK_METRIC_ALIASES = {"time": "minute", "date": "minute", "viewers": "online_viewers",
                         "concurrent viewers": "online_viewers", "current viewers": "online_viewers",
                         "online": "online_viewers", "impressions": "product_impressions",
                         "clicks": "product_clicks", "followers gained": "new_followers"}
TIKTOK_COMMENT_ALIASES = {"comment time": "time", "created time": "time", "username": "user_id",
                          "user name": "user_id", "comment": "text", "content": "text",
                          "comment content": "text"}


def _tiktok_reader(kind: str, aliases: dict[str, str], time_field: str,
                   ) -> Callable[[Table, str], list[Row]]:
    def read(table: Table, file_name: str) -> list[Row]:
        # English headers as people write them: "Online Viewers" reads as online_viewers.
        names = {}
        for raw in table.header:
            key = header_key(raw)
            names[raw.strip().lstrip("\ufeff").lower()] = aliases.get(key) or key.replace(" ", "_")
        rows = by_header(table, file_name, kind, names)
        for _, row in rows:
            row[time_field] = us_datetime(row[time_field])
            if kind == "comments" and not row.get("platform"):
                row["platform"] = "tiktok"
        return rows
    return read


TIKTOK = Profile("tiktok", "TikTok Shop order export (CSV/XLSX, with its description row); "
                 "minute data and comments in English or canonical columns",
                 tiktok_orders, _tiktok_reader("metrics", TIKTOK_METRIC_ALIASES, "minute"),
                 _tiktok_reader("comments", TIKTOK_COMMENT_ALIASES, "time"))


# ---- Shopify -----------------------------------------------------------------------------------------

SHOPIFY_COLUMNS = {
    "name": ("Name",),
    "email": ("Email",),
    "financial_status": ("Financial Status",),
    "paid_at": ("Paid at",),
    "created_at": ("Created at",),
    "cancelled_at": ("Cancelled at",),
    "quantity": ("Lineitem quantity",),
    "price": ("Lineitem price",),
    "discount": ("Lineitem discount",),
    "sku": ("Lineitem sku",),
    "item_name": ("Lineitem name",),
    "refund": ("Refunded Amount",),
}
SHOPIFY_REQUIRED = (("name",), ("financial_status",), ("paid_at",), ("created_at",), ("quantity",),
                    ("price",), ("sku", "item_name"), ("refund",))
SHOPIFY_ORDER_LEVEL = ("email", "financial_status", "paid_at", "created_at", "cancelled_at", "refund")
SHOPIFY_STATUS = {
    "paid": "paid", "partially_refunded": "partially_refunded", "refunded": "refunded",
    "pending": "pending", "authorized": "pending", "partially_paid": "pending", "unpaid": "pending",
    "voided": "cancelled",
    "expired": "cancelled",  # the authorisation lapsed: the money can no longer be taken
}


def shopify_time(text: str) -> str:
    """``2026-12-10 20:15:02 +0800`` → ``2026-12-10T20:15:02+08:00``; unreadable text as written."""
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
        try:
            return datetime.strptime(text, pattern).isoformat()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return text


def _line_amount(price_text: str, quantity_text: str, discount_text: str) -> tuple[str, Decimal | None]:
    """price × quantity − the line's discount, as text; what cannot be read goes through as written."""
    price, discount = money(price_text), money(discount_text) if discount_text else ZERO
    if price is None:
        return price_text, None
    if discount is None:
        return discount_text, None
    if not quantity_text.isdigit():
        return "", None  # the importer names the quantity, which it checks first
    amount = price * int(quantity_text) - discount
    return money_text(amount), (amount if amount >= 0 else None)


def shopify_orders(table: Table, file_name: str) -> list[Row]:
    """Shopify orders export (one row per line item, order values on its first row) → canonical rows."""
    places = locate(table, file_name, "Shopify orders export", SHOPIFY_COLUMNS, SHOPIFY_REQUIRED)
    heads: dict[str, dict[str, str]] = {}  # order-level values, from the order's first row
    grouped: dict[str, list[tuple[int, list[str]]]] = {}
    for number, cells in table.rows:
        name = cell(cells, places, "name")
        grouped.setdefault(name, []).append((number, cells))
        if name not in heads and cell(cells, places, "financial_status"):
            heads[name] = {key: cell(cells, places, key) for key in SHOPIFY_ORDER_LEVEL}
    for name, rows in grouped.items():
        if name not in heads:
            number = rows[0][0]
            column = table.header[places["financial_status"]].strip()
            what = f"order {name}" if name else "a row without a Name"
            raise ValidationFailed(
                f"{file_name}: line {number}, column {column}: a line item of {what}, but no row of "
                f"that order carries its {column} (Shopify writes the order's values on its first "
                "row); was the file cut or filtered?",
                details=[ErrorDetail("the order's first row is missing", field=column, row=number)])

    lines: list[Line] = []
    orders: dict[str, Order] = {}
    for number, cells in table.rows:
        get = partial(cell, cells, places)
        name = get("name")
        head = heads[name]
        written = head["financial_status"]
        status = SHOPIFY_STATUS.get("_".join(written.lower().split()), written)
        if head["cancelled_at"]:
            status = "cancelled"
        amount_text, amount = _line_amount(get("price"), get("quantity"), get("discount"))
        row = _empty_order_row() | {
            "order_id": name,
            "created_at": shopify_time(head["created_at"]),
            "paid_at": shopify_time(head["paid_at"]),
            "sku": get("sku") or get("item_name"),
            "quantity": get("quantity"),
            "amount": amount_text,
            "status": status,
            "buyer_id": head["email"],
        }
        line = Line(number, row, amount)
        lines.append(line)
        order = orders.setdefault(name, Order(refund_text=head["refund"]))
        order.lines.append(line)
    for order in orders.values():
        counted = split_refund(order)
        if counted is None:
            continue
        for line in order.lines:
            # Shopify's own status stands; only a free line of a refunded order had nothing back.
            if line.row["status"] == "refunded" and not line.amount:
                line.row["status"] = "paid"
    return [(line.number, line.row) for line in lines]


SHOPIFY = Profile("shopify", "Shopify orders export (CSV/XLSX); minute data and comments in "
                  "canonical columns", shopify_orders, _canonical_reader("metrics"),
                  _canonical_reader("comments"))

register(TIKTOK)
register(SHOPIFY)
