"""The catalogue file's columns: canonical names, the Chinese headers studios use, and which are required."""

from __future__ import annotations

from studio.errors import ErrorDetail

CANONICAL_COLUMNS = (
    "sku",
    "product_code",
    "title",
    "brand",
    "category",
    "options",
    "list_price",
    "daily_price",
    "live_price",
    "floor_price",
    "cost",
    "commission_rate",
    "stock",
    "selling_points",
    "tags",
    "image",
)
# Accepted on import and written on export only when a product is not priced in CNY.
OPTIONAL_COLUMNS = ("currency",)
REQUIRED_COLUMNS = ("sku", "title", "live_price")
PRODUCT_LEVEL = ("title", "brand", "category", "selling_points", "tags", "image", "currency")

ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("商品编码", "SKU编码", "sku编码", "SKU", "SKU ID", "sku_id", "规格编码", "货号"),
    "product_code": ("商品ID", "商品id", "SPU", "SPU编码", "款号", "product_id", "product code"),
    "title": ("商品名称", "商品标题", "名称", "标题", "name", "product_name"),
    "brand": ("品牌",),
    "category": ("类目", "分类", "品类"),
    "options": ("规格", "规格值", "属性", "variant", "variants"),
    "list_price": ("原价", "划线价", "参考价", "吊牌价", "reference_price"),
    "daily_price": ("日常价", "日常售价"),
    "live_price": ("直播价", "直播间价格", "到手价", "price"),
    "floor_price": ("最低价", "控价", "底价"),
    "cost": ("成本", "成本价"),
    "commission_rate": ("佣金比例", "佣金率", "佣金", "commission"),
    "stock": ("库存", "库存数量", "inventory"),
    "selling_points": ("卖点", "核心卖点"),
    "tags": ("标签",),
    "image": ("图片", "主图", "图片链接", "image_url"),
    "currency": ("币种", "货币"),
}


def _key(name: str) -> str:
    return name.strip().lstrip("\ufeff").casefold().replace(" ", "_").replace("-", "_")


_LOOKUP: dict[str, str] = {}
for _canonical in (*CANONICAL_COLUMNS, *OPTIONAL_COLUMNS):
    _LOOKUP[_key(_canonical)] = _canonical
    for _alias in ALIASES.get(_canonical, ()):
        _LOOKUP[_key(_alias)] = _canonical


def map_header(header: list[str]) -> tuple[list[str | None], list[ErrorDetail]]:
    """Map file headers to canonical names (one per position; None for a blank trailing column).

    Unknown, repeated and missing required columns are errors naming the header (row 1).
    """
    mapped: list[str | None] = []
    errors: list[ErrorDetail] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(header, start=1):
        if not raw.strip():
            if any(h.strip() for h in header[position:]):
                errors.append(ErrorDetail(f"column {position} has no header", row=1))
            mapped.append(None)
            continue
        canonical = _LOOKUP.get(_key(raw))
        if canonical is None:
            known = ", ".join(CANONICAL_COLUMNS)
            errors.append(
                ErrorDetail(f"unknown column {raw.strip()!r} (known: {known})", row=1, field=raw)
            )
        elif canonical in seen:
            errors.append(
                ErrorDetail(
                    f"column {raw.strip()!r} repeats {seen[canonical]!r} (both mean {canonical})",
                    row=1,
                    field=raw,
                )
            )
        else:
            seen[canonical] = raw.strip()
        mapped.append(canonical if canonical not in mapped else None)
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            aliases = "/".join(ALIASES[required][:2])
            errors.append(
                ErrorDetail(f"required column {required} ({aliases}) is missing", row=1)
            )
    return mapped, errors
