"""The import-format doc stays true to the code (datasette's habit: docs that drift fail a test)."""

from __future__ import annotations

from pathlib import Path

from studio.catalog.columns import ALIASES, CANONICAL_COLUMNS, OPTIONAL_COLUMNS, map_header

DOC = (Path(__file__).resolve().parents[2] / "docs" / "catalog-import.md").read_text("utf-8")


def test_every_column_is_documented_with_its_aliases():
    for column in (*CANONICAL_COLUMNS, *OPTIONAL_COLUMNS):
        row = next((line for line in DOC.splitlines() if line.startswith(f"| `{column}` |")), None)
        assert row is not None, f"{column} missing from docs/catalog-import.md"
        documented = [a.strip() for a in row.split("|")[3].split(",")]
        assert all(alias in ALIASES[column] for alias in documented), (column, documented)


def test_the_chinese_headers_studios_use_are_understood():
    headers = ["商品编码", "商品ID", "商品名称", "品牌", "类目", "规格", "原价", "日常价", "直播价",
               "最低价", "成本", "佣金比例", "库存", "卖点", "标签", "图片"]
    mapped, errors = map_header(headers)
    assert errors == []
    assert mapped == list(CANONICAL_COLUMNS)
    assert map_header(["SKU编码", "商品名称", "控价", "直播价"])[0] == [
        "sku", "title", "floor_price", "live_price"]
