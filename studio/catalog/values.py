"""Parse and format the catalogue's cell values: money, rates, counts, options, selling points, tags.

Each parser takes the text a person typed in a spreadsheet and returns a typed value or raises
``ValueError`` with a reason that can be shown next to the row and column. Each formatter writes the
canonical text the parser reads back, so exports round-trip.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from studio.catalog.models import FABE_TAGS

_MONEY_NOISE = str.maketrans("", "", "¥￥元 ,\u00a0")
_MAX_MONEY = Decimal("100000000")  # 1亿: no single SKU price is larger; catches unit mix-ups
_RATE_NOISE = str.maketrans("", "", " \u00a0")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

OPTION_SEPARATOR = ";"
SELLING_POINT_SEPARATOR = "|"
TAG_SEPARATOR = ","


def parse_money(text: str) -> Decimal:
    """``59``, ``59.9``, ``¥1,299.00``, ``１２９元`` → Decimal with at most two places, not negative."""
    cleaned = text.translate(_FULLWIDTH).translate(_MONEY_NOISE)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {text!r}")
    if value < 0:
        raise ValueError(f"negative amount {text!r}")
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than 2 decimal places")
    if value >= _MAX_MONEY:
        raise ValueError(f"amount {text!r} is implausibly large")
    return value.quantize(Decimal("0.01"))


def format_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def parse_rate(text: str) -> Decimal:
    """A fraction ``0.05`` or a percentage ``5%`` / ``5.5％`` → Decimal in [0, 1]."""
    cleaned = text.translate(_FULLWIDTH).translate(_RATE_NOISE)
    percent = cleaned.endswith("%")
    try:
        value = Decimal(cleaned[:-1] if percent else cleaned)
    except InvalidOperation:
        raise ValueError(f"not a rate: {text!r} (write 0.05 or 5%)") from None
    if not value.is_finite():
        raise ValueError(f"not a rate: {text!r}")
    if percent:
        value = value / 100
    if value < 0:
        raise ValueError(f"negative rate {text!r}")
    if value > 1:
        raise ValueError(f"rate {text!r} is above 100%")
    if value != value.quantize(Decimal("0.0001")):
        raise ValueError(f"rate {text!r} is finer than 0.01%")
    return value.quantize(Decimal("0.0001")).normalize() if value else Decimal("0")


def format_rate(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}"


def parse_count(text: str) -> int:
    """A whole, non-negative number such as a stock count (``1,200`` is accepted)."""
    cleaned = text.translate(_FULLWIDTH).replace(",", "").strip()
    if cleaned.endswith(".0"):  # spreadsheets like to write 12 as 12.0
        cleaned = cleaned[:-2]
    if not re.fullmatch(r"[+-]?\d+", cleaned):
        raise ValueError(f"not a whole number: {text!r}")
    value = int(cleaned)
    if value < 0:
        raise ValueError(f"negative number {text!r}")
    return value


def parse_options(text: str) -> list[list[str]]:
    """``颜色=红;尺码=M`` → ``[["颜色", "红"], ["尺码", "M"]]`` (order kept, names unique)."""
    options: list[list[str]] = []
    seen: set[str] = set()
    for part in text.replace("；", ";").split(OPTION_SEPARATOR):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.replace("＝", "=").partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise ValueError(f"option {part!r} is not name=value (e.g. 颜色=红;尺码=M)")
        if name in seen:
            raise ValueError(f"option {name!r} given twice")
        seen.add(name)
        options.append([name, value])
    return options


def format_options(options: list[list[str]] | None) -> str:
    return OPTION_SEPARATOR.join(f"{name}={value}" for name, value in options or [])


def parse_selling_points(text: str) -> list[tuple[str, str | None]]:
    """``F:含5%烟酰胺|B:提亮`` → ``[("含5%烟酰胺", "F"), ("提亮", "B")]``; the tag is optional."""
    points: list[tuple[str, str | None]] = []
    for part in text.split(SELLING_POINT_SEPARATOR):
        part = part.strip()
        if not part:
            continue
        fabe = None
        if len(part) > 2 and part[0].upper() in FABE_TAGS and part[1] in ":：":
            fabe, part = part[0].upper(), part[2:].strip()
            if not part:
                raise ValueError(f"selling point tagged {fabe} has no text")
        if len(part) > 500:
            raise ValueError("a selling point is longer than 500 characters")
        points.append((part, fabe))
    return points


def format_selling_points(points: list[tuple[str, str | None]]) -> str:
    return SELLING_POINT_SEPARATOR.join(f"{fabe}:{text}" if fabe else text for text, fabe in points)


def parse_tags(text: str) -> list[str]:
    """``美妆, 主推款，冬季`` → ``["美妆", "主推款", "冬季"]`` (ASCII or full-width commas; no repeats)."""
    tags: list[str] = []
    for part in text.replace("，", ",").replace("、", ",").split(TAG_SEPARATOR):
        tag = part.strip()
        if not tag:
            continue
        if len(tag) > 100:
            raise ValueError(f"tag {tag[:20]!r}… is longer than 100 characters")
        if tag not in tags:
            tags.append(tag)
    return tags


def format_tags(tags: list[str]) -> str:
    return TAG_SEPARATOR.join(tags)
