"""`studio replay report` and `studio replay export`: a self-contained HTML file, and a workbook
whose money reads back as the exact decimals the review computed."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from studio.replay import report
from tests.replay.test_pages import EVENTS, SHOW, load_show

TRICKY = "=HYPERLINK(\"http://x\",\"点我\")"  # a product title that must stay text in Excel


@pytest.fixture
def reviewed(run_cli, session, tmp_path) -> str:
    events = [*EVENTS, (175, "card.taken", {"card": {"sku": "SKU-3", "title": TRICKY}})]
    events.sort(key=lambda e: e[0])
    return load_show(run_cli, session, tmp_path, events=events)


def test_the_html_report_is_one_self_contained_file(run_cli, reviewed, tmp_path):
    out = tmp_path / "out" / "report.html"
    result = run_cli("replay", "report", SHOW, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)  # the page, not plotly's code
    assert not re.search(r"""\b(?:src|href)=["']?(?:https?:)?//""", markup)
    assert not re.search(r"""url\(\s*['"]?(?:https?:)?//""", markup)  # nor from the styles
    assert html.count("<script") == 4  # the data, its messages, plotly.js, the dashboard's script
    assert "window.Plotly" in html and "function makeSortable" in html
    assert ".replay-grid" in html and "--accent" in html  # both stylesheets, inline
    found = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', html, re.S)
    data = json.loads(found.group(1))
    assert data["totals"]["gmv"] == "667.90" and data["video"] == {"url": None, "offset": 0.0,
                                                                     "mode": "report"}
    assert "&lt;i&gt;小王&lt;/i&gt;: &lt;b&gt;多少钱&lt;/b&gt;?" in html
    assert "<b>多少钱</b>" not in html
    assert 'data-testid="no-recording"' in html and 'type="file"' in html
    assert list(tmp_path.joinpath("out").iterdir()) == [out]  # no temporary file left behind


def test_the_report_can_point_at_a_recording_beside_it(run_cli, reviewed, tmp_path):
    out = tmp_path / "report.html"
    assert run_cli("replay", "report", SHOW, "--out", str(out), "--video", "show 1.mp4").exit_code == 0
    assert '<video data-role="video" data-testid="video" controls preload="metadata" playsinline ' \
           'src="show 1.mp4"></video>' in out.read_text(encoding="utf-8")


def test_a_failed_report_writes_nothing(run_cli, tmp_path):
    out = tmp_path / "report.html"
    result = run_cli("replay", "report", "no-such-show", "--out", str(out))
    assert result.exit_code == 1 and "no-such-show" in result.stderr
    assert not out.exists()


def test_the_workbook_has_a_sheet_per_grain_with_exact_money(run_cli, reviewed, tmp_path):
    out = tmp_path / "review.xlsx"
    result = run_cli("replay", "export", SHOW, "--out", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Minutes", "Slots", "SKUs", "Findings", "Markers"]

    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    gmv = summary["成交金额 GMV"]
    assert Decimal(str(gmv.value)) == Decimal("667.90") and gmv.number_format == "#,##0.00"
    assert Decimal(str(summary["退款 Refund amount"].value)) == Decimal("209.00")
    assert summary["订单 Orders"].value == 4 and summary["峰值在线 Peak online"].value == 300
    assert summary["开播 Went live"].value == datetime(2026, 12, 10, 20, 0)  # the show's wall clock
    assert summary["退款率 Refund rate"].number_format == "0.00%"
    assert Decimal(str(summary["退款率 Refund rate"].value)) == Decimal("0.3129")

    minutes = rows_of(book["Minutes"])
    assert [(r["分钟 Minute"], Decimal(str(r["成交金额 GMV"])), r["订单 Orders"]) for r in minutes] == [
        (datetime(2026, 12, 10, 20, 0), Decimal("259.00"), 1),
        (datetime(2026, 12, 10, 20, 1), Decimal("309.00"), 2),
        (datetime(2026, 12, 10, 20, 2), Decimal("99.90"), 1)]
    assert [r["录像位置 Video (s)"] for r in minutes] == [0, 60, 120]
    assert book["Minutes"]["C2"].number_format == "#,##0.00"

    skus = {r["SKU"]: r for r in rows_of(book["SKUs"])}
    assert Decimal(str(skus["SKU-3"]["成交金额 GMV"])) == Decimal("99.90")
    assert Decimal(str(skus["SKU-2"]["讲解前 Before"])) == Decimal("100.00")
    assert Decimal(str(skus["SKU-2"]["讲解中占比 Share during"])) == Decimal("0.6")
    assert skus["SKU-3"]["商品 Product"] == TRICKY
    title_cell = next(c for c in book["SKUs"]["B"] if c.value == TRICKY)
    assert title_cell.data_type == "s"  # text, never a formula

    slots = rows_of(book["Slots"])
    assert [(s["时段 Slot"], s["时长 Length"], Decimal(str(s["成交金额 GMV"]))) for s in slots][:2] == [
        ("精华<script>alert(1)</script>", 85, Decimal("418.00")), ("坚果", 65, Decimal("150.00"))]
    findings = rows_of(book["Findings"])
    assert [f["排名 Rank"] for f in findings] == list(range(1, len(findings) + 1))
    assert any(f["依据 Evidence"] == "<i>小王</i>: <b>多少钱</b>?" for f in findings)
    assert {m["类型 Kind"] for m in rows_of(book["Markers"])} >= {"讲解卡 Card", "优惠券 Coupon"}


def rows_of(sheet) -> list[dict]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_workbook_wants_an_xlsx_name(run_cli, reviewed, tmp_path):
    result = run_cli("replay", "export", SHOW, "--out", str(tmp_path / "review.csv"))
    assert result.exit_code == 1 and ".xlsx" in result.stderr


def test_money_text_and_times_on_the_dashboard():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    assert report.cell_text("money", Decimal("-1234.5"), zone) == "-¥1,234.50"
    assert report.cell_text("money", Decimal("-1234.5"), zone, "en") == "-CN¥1,234.50"
    assert report.cell_text("count", 12345, zone, "en") == "12,345"
    assert report.cell_text("delta", -75, zone) == "−1:15"
    assert report.cell_text("seconds", 3725, zone) == "1:02:05"
    assert report.cell_text("share", Decimal("0.6000"), zone) == "60.0%"
    assert report.cell_text("time", "2026-12-10T12:01:05+00:00", zone) == "20:01:05"
    assert report.cell_text("money", None, zone) == "—"


def test_inline_text_cannot_end_its_script_tag():
    assert report.script_json({"t": "</script><!--&"}) == '{"t":"\\u003c/script\\u003e\\u003c!--\\u0026"}'
    assert "</script" not in report.inline_script("x = '</script>'; y = '<!--';")
    assert "<!--" not in report.inline_script("y = '<!--';")


def test_plotly_is_the_package_file():
    from importlib.metadata import version

    assert report.plotly_js().startswith("/**\n* plotly.js v" + report.plotly_version())
    assert int(version("plotly").split(".")[0]) >= 6
    assert Path(report.__file__).read_text(encoding="utf-8").count("cdn.") == 0
