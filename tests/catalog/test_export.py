"""Export writes the canonical columns and round-trips: export → import → export is identical."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from studio.catalog.columns import CANONICAL_COLUMNS
from tests.factories import sku_row, write_csv


@pytest.fixture
def demo_catalog(run_cli):
    assert run_cli("init", "--demo").exit_code == 0


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_export_import_export_is_byte_identical(tmp_path, run_cli, demo_catalog, extension):
    first, second = tmp_path / f"one.{extension}", tmp_path / f"two.{extension}"
    assert run_cli("catalog", "export", str(first)).exit_code == 0
    imported = run_cli("catalog", "import", str(first))
    assert imported.exit_code == 0, imported.output
    assert "0 updated" in imported.stdout  # the export describes the catalogue exactly
    assert run_cli("catalog", "export", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_xlsx_round_trip_keeps_every_cell(tmp_path, run_cli, demo_catalog):
    first, second = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    assert run_cli("catalog", "export", str(first)).exit_code == 0
    assert run_cli("catalog", "import", str(first)).exit_code == 0
    assert run_cli("catalog", "export", str(second)).exit_code == 0

    def cells(path):
        workbook = load_workbook(path, read_only=True)
        try:
            return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()

    one = cells(first)
    assert one == cells(second)
    assert one[0] == list(CANONICAL_COLUMNS)
    assert isinstance(one[1][CANONICAL_COLUMNS.index("live_price")], float | int)  # numbers stay numbers


def test_csv_export_is_excel_friendly_and_canonical(tmp_path, run_cli):
    rows = [sku_row(sku="A-1", product_code="A", options="颜色=红;尺码=M", commission_rate="5%",
                    selling_points="F:轻薄|B:保暖", tags="服饰,主推款")]
    assert run_cli("catalog", "import", str(write_csv(tmp_path / "in.csv", rows))).exit_code == 0
    out = tmp_path / "out.csv"
    assert run_cli("catalog", "export", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese UTF-8 correctly
    header, line = data.decode("utf-8-sig").splitlines()
    assert header == ",".join(CANONICAL_COLUMNS)
    assert line.startswith("A-1,A,测试商品 Test product A,")
    assert ",颜色=红;尺码=M,199.00,159.00,129.00,119.00,45.00,0.05,500,F:轻薄|B:保暖,\"服饰,主推款\"," in line


def test_json_export_is_a_list_of_objects(tmp_path, run_cli):
    assert run_cli("catalog", "import",
                   str(write_csv(tmp_path / "in.csv", [sku_row(sku="J-1")]))).exit_code == 0
    out = tmp_path / "out.json"
    run_cli("catalog", "export", str(out))
    items = json.loads(out.read_text(encoding="utf-8"))
    assert items[0]["sku"] == "J-1" and items[0]["live_price"] == "129.00"


def test_export_under_a_file_is_a_clear_error(tmp_path, run_cli, demo_catalog):
    (tmp_path / "not-a-folder").write_text("x")
    result = run_cli("catalog", "export", str(tmp_path / "not-a-folder" / "out.csv"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "Traceback" not in result.output


def test_failed_export_keeps_the_previous_file_whole(tmp_path, monkeypatch, run_cli, demo_catalog):
    from studio import tabular

    target = tmp_path / "out.csv"
    target.write_text("previous export\n", encoding="utf-8")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tabular.os, "replace", disk_full)
    result = run_cli("catalog", "export", str(target))
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
