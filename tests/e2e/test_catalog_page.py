"""A person opens the catalogue page in Chromium, searches, and edits a product's price."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_search_then_edit_a_product_in_the_browser(live_server, page, run_cli, tmp_path):
    assert run_cli("init", "--demo").exit_code == 0

    page.goto(f"{live_server}/catalog")
    assert "商品库" in page.title() or "Catalogue" in page.title()
    rows_before = page.locator("table.products tbody tr").count()
    assert rows_before >= 15

    page.fill("#q", "精华")
    page.click("button[type=submit]")
    page.wait_for_url("**/catalog?q=*")
    assert page.locator("table.products tbody tr").count() < rows_before
    page.locator("table.products a.title").first.click()

    title = page.get_by_test_id("product-title").inner_text()
    assert "精华" in title
    first_sku = page.locator("table.skus tbody tr").first.get_attribute("data-sku")

    page.get_by_role("link", name="编辑 Edit").click()
    price = page.locator(f"input[name='{first_sku}.live_price']")
    old_price = price.input_value()
    new_price = f"{Decimal(old_price) + Decimal('10.05'):.2f}"  # stays above the floor price
    price.fill("")
    price.type(new_price)
    page.fill("input[name=changed_by]", "e2e 浏览器")
    page.get_by_role("button", name="保存 Save").click()

    page.wait_for_url("**saved=1")
    assert page.get_by_role("status").inner_text().startswith("已保存")
    live_cell = page.locator(f"tr[data-sku='{first_sku}'] td.live")
    assert live_cell.inner_text() == f"¥{Decimal(new_price):,.2f}"
    latest = page.get_by_test_id("price-history").locator("tbody tr").first.inner_text()
    assert first_sku in latest and new_price in latest and old_price in latest
    assert "e2e 浏览器" in latest
    _screenshot(page, "catalog-detail-after-edit")


def test_bad_price_in_the_browser_shows_the_reason(live_server, page, run_cli):
    assert run_cli("init", "--demo").exit_code == 0
    page.goto(f"{live_server}/catalog/BT-CLNS/edit")
    live = page.locator("input[name$='.live_price']").first
    live.fill("九块九")
    page.get_by_role("button", name="保存 Save").click()
    assert page.locator(".field-error").first.inner_text().startswith("not an amount of money")
    assert page.locator("input.invalid").count() == 1
    _screenshot(page, "catalog-edit-error")


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("STUDIO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
