"""Reading review exports: canonical columns, and profiles that map a platform's export onto them.

A profile turns a file's table into canonical rows — ``(line number in the file, {field: text})``
— so one validator serves every platform and its errors name the file's own line. Times in
canonical rows are ISO 8601 text, with an offset when the export had one; naive ones are read
later in the show's zone (or ``--tz``). See docs/replay-formats.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from studio.errors import ErrorDetail, ValidationFailed
from studio.tabular import Table

Row = tuple[int, dict[str, str]]

ORDER_FIELDS = ("order_id", "created_at", "paid_at", "sku", "quantity", "amount",
                "refund_amount", "status", "buyer_id")
ORDER_REQUIRED = ("order_id", "created_at", "sku", "quantity", "amount", "status")
METRIC_FIELDS = ("minute", "online_viewers", "entries", "exits", "views",
                 "product_impressions", "product_clicks", "comments", "likes", "new_followers")
METRIC_REQUIRED = ("minute", "online_viewers")
COMMENT_FIELDS = ("time", "platform", "user_id", "nickname", "text")
COMMENT_REQUIRED = ("time", "text")
FIELDS = {"orders": (ORDER_FIELDS, ORDER_REQUIRED), "metrics": (METRIC_FIELDS, METRIC_REQUIRED),
          "comments": (COMMENT_FIELDS, COMMENT_REQUIRED)}

STATUS_WORDS = {
    "paid": "paid", "refunded": "refunded", "partially_refunded": "partially_refunded",
    "partially refunded": "partially_refunded", "cancelled": "cancelled", "canceled": "cancelled",
    "pending": "pending",
}


@dataclass(frozen=True, slots=True)
class Profile:
    """How one platform's export maps onto the canonical rows, per kind of file."""

    name: str
    description: str
    orders: Callable[[Table, str], list[Row]]
    metrics: Callable[[Table, str], list[Row]]
    comments: Callable[[Table, str], list[Row]]


def by_header(table: Table, name: str, kind: str, aliases: dict[str, str] | None = None,
              ) -> list[Row]:
    """Canonical rows from a table whose header names the fields (or aliases of them)."""
    fields, required = FIELDS[kind]
    aliases = aliases or {}
    places: dict[str, int] = {}
    for index, raw in enumerate(table.header):
        header = raw.strip().lstrip("\ufeff")
        field = aliases.get(header) or aliases.get(header.lower()) or header.lower()
        if field in fields and field not in places:
            places[field] = index
    missing = [f for f in required if f not in places]
    if missing:
        raise ValidationFailed(f"{name}: missing column(s) {', '.join(missing)} for {kind} "
                               f"(the header reads: {', '.join(h.strip() for h in table.header)})")
    names = list(places)
    indices = [places[f] for f in names]
    width = max(indices) + 1
    rows = []
    for number, cells in table.rows:  # a million rows: keep this loop lean (no per-cell strip)
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        rows.append((number, dict(zip(names, [cells[i] for i in indices], strict=True))))
    return rows


# ---- canonical -------------------------------------------------------------------------------------

def _canonical(kind: str) -> Callable[[Table, str], list[Row]]:
    return lambda table, name: by_header(table, name, kind)


# ---- Douyin-style export (抖店 order export, 罗盘 minute data, comment export) ----------------------

DOUYIN_ORDER_HEADERS = {
    "主订单编号": "order_id", "订单编号": "order_id", "商家编码": "sku", "商品编码": "sku",
    "商品数量": "quantity", "订单应付金额": "amount", "实付金额": "amount", "商品实付": "amount",
    "退款金额": "refund_amount", "订单状态": "status", "订单提交时间": "created_at",
    "下单时间": "created_at", "支付完成时间": "paid_at", "支付时间": "paid_at", "买家ID": "buyer_id",
    "用户ID": "buyer_id", "达人/买家ID": "buyer_id",
}
DOUYIN_STATUS = {
    "已支付": "paid", "待发货": "paid", "已发货": "paid", "已完成": "paid", "已签收": "paid",
    "已退款": "refunded", "退款成功": "refunded", "部分退款": "partially_refunded",
    "已关闭": "cancelled", "已取消": "cancelled", "交易关闭": "cancelled", "待支付": "pending",
    "待付款": "pending",
}
DOUYIN_METRIC_HEADERS = {
    "时间": "minute", "分钟": "minute", "在线人数": "online_viewers", "实时在线人数": "online_viewers",
    "进入直播间人数": "entries", "进场人数": "entries", "离开直播间人数": "exits", "离场人数": "exits",
    "观看次数": "views", "商品曝光次数": "product_impressions", "商品曝光": "product_impressions",
    "商品点击次数": "product_clicks", "商品点击": "product_clicks", "评论次数": "comments",
    "评论数": "comments", "点赞次数": "likes", "点赞数": "likes", "新增粉丝数": "new_followers",
    "新增粉丝": "new_followers",
}
DOUYIN_COMMENT_HEADERS = {"评论时间": "time", "时间": "time", "用户ID": "user_id",
                          "用户昵称": "nickname", "昵称": "nickname", "评论内容": "text",
                          "内容": "text", "平台": "platform"}


def _douyin_orders(table: Table, name: str) -> list[Row]:
    rows = by_header(table, name, "orders", DOUYIN_ORDER_HEADERS)
    for _, row in rows:
        row["status"] = DOUYIN_STATUS.get(row["status"], row["status"])
        for field in ("amount", "refund_amount"):
            if field in row:
                row[field] = row[field].replace("¥", "").replace("￥", "")
    return rows


def _douyin(kind: str, headers: dict[str, str]) -> Callable[[Table, str], list[Row]]:
    def read(table: Table, name: str) -> list[Row]:
        rows = by_header(table, name, kind, headers)
        if kind == "comments":
            for _, row in rows:
                row.setdefault("platform", "douyin")
                row["platform"] = row["platform"] or "douyin"
        return rows
    return read


PROFILES: dict[str, Profile] = {
    "canonical": Profile("canonical", "Studio's own columns (docs/replay-formats.md)",
                         _canonical("orders"), _canonical("metrics"), _canonical("comments")),
    "douyin": Profile("douyin", "Douyin-style exports with Chinese headers (抖店 / 罗盘)",
                      _douyin_orders, _douyin("metrics", DOUYIN_METRIC_HEADERS),
                      _douyin("comments", DOUYIN_COMMENT_HEADERS)),
}


def register(profile: Profile) -> None:
    PROFILES[profile.name] = profile


def get_profile(name: str) -> Profile:
    _load_extra_profiles()
    if name not in PROFILES:
        raise ValidationFailed(f"--profile: no profile {name!r}; use one of "
                               f"{', '.join(sorted(PROFILES))}")
    return PROFILES[name]


def _load_extra_profiles() -> None:
    from studio.replay import profiles  # noqa: F401 - registers the TikTok and Shopify profiles


# ---- shared value parsing --------------------------------------------------------------------------

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")


def us_datetime(text: str) -> str:
    """``10/23/2026 8:15:32 PM`` → ``2026-10-23T20:15:32`` (naive; the caller's zone applies)."""
    found = _US_DATE.match(text.strip())
    if not found:
        return text  # left for the validator to refuse with the row number
    month, day, year, hour, minute, second, half = found.groups()
    hour_value = int(hour or 0)
    if half:
        if not 1 <= hour_value <= 12:
            return text
        hour_value = hour_value % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return datetime(int(year), int(month), int(day), hour_value, int(minute or 0),
                        int(second or 0)).isoformat()
    except ValueError:
        return text


def share(total: Decimal, weights: Iterable[Decimal]) -> list[Decimal]:
    """Split ``total`` (two places) over ``weights`` in proportion, cent-exact: the shares sum to it."""
    weights = list(weights)
    whole = sum(weights)
    if not weights:
        return []
    if whole <= 0:
        return [total] + [Decimal("0.00")] * (len(weights) - 1)
    cents = int(total.scaleb(2))
    raw = [cents * w / whole for w in weights]
    floors = [int(r) for r in raw]
    left = cents - sum(floors)
    for index in sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)[:left]:
        floors[index] += 1
    return [Decimal(f).scaleb(-2) for f in floors]


def problem(message: str, row: int, field: str | None = None) -> ErrorDetail:
    return ErrorDetail(message, field=field, row=row)
