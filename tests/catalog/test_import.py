"""Catalogue import through the CLI: good files, broken files, encodings, formats, upserts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from studio.catalog.models import PriceChange, Product, SellingPoint, Sku
from tests.factories import sku_row, write_csv


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_canonical_csv_imports_products_skus_points_and_first_prices(tmp_path, run_cli, session):
    rows = [
        sku_row(sku="AP-DOWN-BLK-M", product_code="AP-DOWN", options="颜色=黑;尺码=M",
                title="羽绒服 Down jacket"),
        sku_row(sku="AP-DOWN-BLK-L", product_code="AP-DOWN", options="颜色=黑;尺码=L",
                title="羽绒服 Down jacket", stock="80"),
        sku_row(sku="BT-SERUM", product_code="", commission_rate="5%"),
    ]
    result = run_cli("catalog", "import", str(write_csv(tmp_path / "c.csv", rows)))
    assert result.exit_code == 0, result.output
    assert "3 SKUs created" in result.stdout

    jacket = session.scalars(select(Product).where(Product.product_code == "AP-DOWN")).one()
    assert [s.sku for s in jacket.skus] == ["AP-DOWN-BLK-M", "AP-DOWN-BLK-L"]
    assert jacket.skus[0].options == [["颜色", "黑"], ["尺码", "M"]]
    assert jacket.skus[1].stock == 80
    assert [(p.fabe, p.text) for p in jacket.selling_points] == [
        ("F", "含5%烟酰胺"), ("B", "提亮肤色"), ("E", "28天测试")]
    assert [t.tag for t in jacket.tags] == ["美妆", "主推款"]
    serum = session.scalars(select(Sku).where(Sku.sku == "BT-SERUM")).one()
    assert serum.product.product_code == "BT-SERUM"  # no product code: the SKU is its own SPU
    assert serum.commission_rate == Decimal("0.05")
    assert serum.live_price == Decimal("129.00") and isinstance(serum.live_price, Decimal)
    # 5 price fields × 3 SKUs, each recorded as set from nothing
    changes = session.scalars(select(PriceChange)).all()
    assert len(changes) == 15
    assert all(c.old_value is None and c.changed_by.startswith("cli") for c in changes)


def _fifty_rows_three_invalid() -> list[dict[str, str]]:
    rows = [sku_row() for _ in range(50)]
    rows[9]["live_price"] = "abc"  # file row 11
    rows[24]["floor_price"] = "999.00"  # file row 26: above the live price
    rows[39]["sku"] = rows[2]["sku"]  # file row 41: duplicate of row 4
    return rows


def test_fifty_rows_with_three_invalid_changes_nothing_and_names_each_row(tmp_path, run_cli,
                                                                           session):
    path = write_csv(tmp_path / "fifty.csv", _fifty_rows_three_invalid())
    result = run_cli("catalog", "import", str(path))
    assert result.exit_code == 1
    assert "3 of 50 rows are invalid; nothing was imported" in result.stderr
    assert "row 11, column live_price: not an amount of money: 'abc'" in result.stderr
    assert "row 26, column floor_price: floor price 999.00 is above the live price 129.00" in (
        result.stderr)
    assert f"row 41, column sku: duplicate SKU '{_sku_of(path, 41)}' (first on row 4)" in (
        result.stderr)
    assert "Traceback" not in result.output
    assert count(session, Sku) == 0 and count(session, Product) == 0
    assert count(session, PriceChange) == 0


def _sku_of(path: Path, file_row: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[file_row - 1].split(",")[0]


def test_skip_invalid_imports_the_47_valid_rows_and_lists_the_rest(tmp_path, run_cli, session):
    path = write_csv(tmp_path / "fifty.csv", _fifty_rows_three_invalid())
    result = run_cli("catalog", "import", str(path), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped 3 invalid row(s)" in result.stderr
    assert "imported 47 of 50 rows" in result.stdout
    assert count(session, Sku) == 47


def test_gbk_file_with_chinese_headers_imports(tmp_path, run_cli, session):
    header = ["商品编码", "商品ID", "商品名称", "品牌", "类目", "规格", "原价", "日常价", "直播价",
              "控价", "成本", "佣金比例", "库存", "卖点", "标签", "图片"]
    lines = [",".join(header),
             "SN-NUT-15,SN-NUT,每日坚果 Daily Nuts,山里 Shanli,零食 Snacks,规格=15袋,"
             "89.00,79.00,59.90,55.00,30.00,15%,1200,A:七种坚果|B:办公室加餐,零食，引流款,n.jpg",
             "SN-NUT-30,SN-NUT,每日坚果 Daily Nuts,山里 Shanli,零食 Snacks,规格=30袋,"
             "169.00,149.00,109.00,99.00,58.00,15%,800,A:七种坚果|B:办公室加餐,零食，引流款,n.jpg"]
    path = tmp_path / "gbk.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    result = run_cli("catalog", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "(gb18030)" in result.stdout
    nut = session.scalars(select(Sku).where(Sku.sku == "SN-NUT-30")).one()
    assert nut.product.title == "每日坚果 Daily Nuts"
    assert nut.options == [["规格", "30袋"]]
    assert nut.floor_price == Decimal("99.00")
    assert nut.commission_rate == Decimal("0.15")
    assert [t.tag for t in nut.product.tags] == ["零食", "引流款"]


def test_utf8_with_bom_and_tab_separated_files_import(tmp_path, run_cli, session):
    row = sku_row(sku="BOM-1")
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "sku,title,live_price\nBOM-1,带BOM的文件,9.90\n".encode())
    assert run_cli("catalog", "import", str(path)).exit_code == 0
    tsv = tmp_path / "sheet.tsv"
    tsv.write_text(f"sku\ttitle\tlive_price\n{row['sku']}X\t制表符\t1.00\n", encoding="utf-8")
    assert run_cli("catalog", "import", str(tsv)).exit_code == 0
    assert count(session, Sku) == 2


def test_undecodable_file_is_rejected_with_the_line(tmp_path, run_cli, session):
    path = tmp_path / "latin1.csv"
    path.write_bytes("sku,title,live_price\nX1,Café crème,12.00\n".encode("latin-1"))
    result = run_cli("catalog", "import", str(path))
    assert result.exit_code == 1
    assert "cannot read the text encoding" in result.stderr
    assert "line 2" in result.stderr
    assert count(session, Sku) == 0


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["sku", "title"], "required column live_price"),
        (["sku", "title", "live_price", "colour"], "unknown column 'colour'"),
        (["sku", "title", "live_price", "直播价"], "column '直播价' repeats 'live_price'"),
    ],
)
def test_header_problems_are_named(tmp_path, run_cli, session, header, message):
    path = tmp_path / "bad-header.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["A1", "T", "1", "2"][: len(header)]) + "\n",
                    encoding="utf-8")
    result = run_cli("catalog", "import", str(path), "--skip-invalid")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "row 1" in result.stderr
    assert count(session, Sku) == 0


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("live_price", "-5", "negative amount '-5'"),
        ("live_price", "12.345", "more than 2 decimal places"),
        ("stock", "12.5", "not a whole number: '12.5'"),
        ("stock", "-1", "negative number '-1'"),
        ("commission_rate", "150%", "above 100%"),
        ("commission_rate", "abc", "not a rate: 'abc'"),
        ("options", "颜色红", "is not name=value"),
        ("title", "", "required value is missing"),
    ],
)
def test_bad_values_name_row_column_and_reason(tmp_path, run_cli, session, field, value, reason):
    rows = [sku_row(), sku_row(**{field: value})]
    result = run_cli("catalog", "import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1
    line = next(x for x in result.stderr.splitlines() if x.strip().startswith("row 3"))
    assert line.strip().startswith(f"row 3, column {field}: ") and reason in line
    assert count(session, Sku) == 0


def test_rows_of_one_product_must_agree_on_product_fields(tmp_path, run_cli, session):
    rows = [sku_row(product_code="P", title="A"), sku_row(product_code="P", title="B"),
            sku_row(product_code="P", title="A", brand="")]
    result = run_cli("catalog", "import", str(write_csv(tmp_path / "p.csv", rows)))
    assert result.exit_code == 1
    assert "row 3, column title: differs from row 2 of the same product 'P'" in result.stderr
    assert "row 4" not in result.stderr  # a blank cell inherits the product's value


def test_reimport_is_idempotent_and_changes_record_old_and_new(tmp_path, run_cli, session):
    rows = [sku_row(sku="S1"), sku_row(sku="S2")]
    path = write_csv(tmp_path / "c.csv", rows)
    assert run_cli("catalog", "import", str(path)).exit_code == 0
    again = run_cli("catalog", "import", str(path))
    assert "0 SKUs created, 0 updated, 2 unchanged" in again.stdout
    assert "0 price changes" in again.stdout
    rows[1]["live_price"] = "125.00"
    rows[1]["stock"] = "7"
    changed = run_cli("catalog", "import", str(write_csv(path, rows)))
    assert "1 updated" in changed.stdout and "1 price changes recorded" in changed.stdout
    change = session.scalars(select(PriceChange).where(PriceChange.old_value.is_not(None))).one()
    assert (change.field, change.old_value, change.new_value) == (
        "live_price", Decimal("129.00"), Decimal("125.00"))
    assert change.source == "import:c.csv"
    assert change.changed_at.tzinfo is not None


def test_absent_columns_keep_existing_values(tmp_path, run_cli, session):
    assert run_cli("catalog", "import",
                   str(write_csv(tmp_path / "full.csv", [sku_row(sku="K1", stock="300")]))).exit_code == 0
    partial = tmp_path / "prices.csv"
    partial.write_text("sku,title,live_price\nK1,新标题 New title,88.00\n", encoding="utf-8")
    assert run_cli("catalog", "import", str(partial)).exit_code == 0
    sku = session.scalars(select(Sku).where(Sku.sku == "K1")).one()
    assert (sku.live_price, sku.stock, sku.cost) == (Decimal("88.00"), 300, Decimal("45.00"))
    assert sku.product.title == "新标题 New title"
    assert len(sku.product.selling_points) == 3


def test_dry_run_reports_and_writes_nothing(tmp_path, run_cli, session):
    path = write_csv(tmp_path / "c.csv", [sku_row(), sku_row()])
    result = run_cli("catalog", "import", str(path), "--dry-run", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["created_skus"] == 2 and report["dry_run"] is True
    assert count(session, Sku) == 0 and count(session, PriceChange) == 0


def test_json_and_xlsx_files_import(tmp_path, run_cli, session):
    from openpyxl import Workbook

    items = [{"sku": "J1", "title": "JSON商品", "live_price": "10.00", "options": {"颜色": "红"},
              "selling_points": ["F:a", "b"], "stock": 3}]
    (tmp_path / "c.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    assert run_cli("catalog", "import", str(tmp_path / "c.json")).exit_code == 0
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["商品编码", "商品名称", "直播价", "库存", "佣金比例"])
    sheet.append(["X1", "表格商品", 19.9, 12, 0.05])
    workbook.save(tmp_path / "c.xlsx")
    result = run_cli("catalog", "import", str(tmp_path / "c.xlsx"))
    assert result.exit_code == 0, result.output
    j1 = session.scalars(select(Sku).where(Sku.sku == "J1")).one()
    assert j1.options == [["颜色", "红"]] and j1.stock == 3
    assert [p.fabe for p in session.scalars(select(SellingPoint).order_by(SellingPoint.position))] \
        == ["F", None]
    x1 = session.scalars(select(Sku).where(Sku.sku == "X1")).one()
    assert (x1.live_price, x1.stock, x1.commission_rate) == (Decimal("19.90"), 12, Decimal("0.05"))


@pytest.mark.parametrize("content", [b"", b"sku,title,live_price\n\"A1,unterminated\n"])
def test_empty_or_broken_csv_is_a_clear_error(tmp_path, run_cli, content):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    result = run_cli("catalog", "import", str(path))
    assert result.exit_code == 1
    assert "broken.csv" in result.stderr and "Traceback" not in result.output


def test_missing_file_and_unknown_extension(tmp_path, run_cli):
    assert "no such file" in run_cli("catalog", "import", str(tmp_path / "nope.csv")).stderr
    (tmp_path / "c.pdf").write_text("x")
    assert "unsupported file type '.pdf'" in run_cli("catalog", "import",
                                                     str(tmp_path / "c.pdf")).stderr


@pytest.mark.slow
def test_hundred_thousand_rows_import_in_one_go(tmp_path, run_cli, session):
    rows = [sku_row(sku=f"BIG-{i:06d}", product_code=f"BIGP-{i // 4:05d}",
                    options=f"尺码={['S', 'M', 'L', 'XL'][i % 4]}", title=f"商品 {i // 4}")
            for i in range(100_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    result = run_cli("catalog", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "100000 SKUs created" in result.stdout
    assert count(session, Sku) == 100_000
    assert count(session, Product) == 25_000
    # one broken row at the end of a huge file still rejects the whole file
    rows[-1]["stock"] = "lots"
    rejected = run_cli("catalog", "import", str(write_csv(path, rows)))
    assert rejected.exit_code == 1 and "row 100001, column stock" in rejected.stderr
