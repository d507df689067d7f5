"""A person opens the catalogue in Chromium: searches and filters the list, and edits a product's
price; in both languages, with prices and moments written the language's way."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from studio.web import format_moment
from tests.e2e.conftest import load_demo, screenshot

pytestmark = pytest.mark.browser


def _api(page, url: str):
    response = page.request.get(url)
    assert response.ok, response.text()
    return response.json()


def test_search_filter_and_clear_the_catalogue_list(live_server, page, run_cli, ui):
    load_demo(run_cli)
    everything = _api(page, f"{live_server}/api/v1/products?limit=500")
    categories = _api(page, f"{live_server}/api/v1/categories")
    assert everything["total"] >= 15 and len(categories) >= 2

    page.goto(f"{live_server}/catalog")
    expect(page).to_have_title(f"{ui('Catalogue')} · Studio")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Catalogue"))
    count = page.get_by_test_id("result-count")
    expect(count).to_have_text(ui.n("%(n)s product", "%(n)s products", everything["total"]))
    rows = page.locator("table.products tbody tr")
    expect(rows).to_have_count(min(everything["total"], 25))
    # the cheapest SKU's live price, in the language's money
    first = everything["items"][0]
    cheapest = min(Decimal(s["live_price"]) for s in first["skus"])
    expect(rows.first.locator(".ladder strong.live")).to_have_text(ui.money(cheapest))
    expect(rows.first.locator(".ladder strong.live")).to_have_attribute("title", ui("Live price"))
    screenshot(page, "catalogue-list")

    # a category from the list, searched with the form's button
    category = categories[1]
    in_category = _api(page, f"{live_server}/api/v1/products?limit=500&category={category}")
    page.get_by_label(ui("Category")).select_option(category)
    page.get_by_role("button", name=ui("Search"), exact=True).click()
    page.wait_for_url(re.compile(r"/catalog\?.*category="))
    expect(count).to_have_text(ui.n("%(n)s product", "%(n)s products", in_category["total"]))
    expect(rows).to_have_count(in_category["total"])
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {category}

    # text that matches nothing says so, in words; Clear brings everything back
    page.get_by_role("searchbox", name=ui("Search")).fill("没有这种商品")
    page.get_by_role("button", name=ui("Search"), exact=True).click()
    expect(page.locator("p.empty")).to_have_text(ui("No products found for “%(q)s”.", q="没有这种商品"))
    page.get_by_role("link", name=ui("Clear")).click()
    expect(count).to_have_text(ui.n("%(n)s product", "%(n)s products", everything["total"]))
    expect(page.locator("#q")).to_have_value("")


def test_search_then_edit_a_product_in_the_browser(live_server, page, run_cli, settings, lang, ui):
    load_demo(run_cli)

    page.goto(f"{live_server}/catalog")
    rows_before = page.locator("table.products tbody tr").count()
    assert rows_before >= 15

    page.fill("#q", "精华")  # product data: searched as entered, in either language
    page.get_by_role("button", name=ui("Search"), exact=True).click()
    page.wait_for_url("**/catalog?q=*")
    assert page.locator("table.products tbody tr").count() < rows_before
    page.locator("table.products a.title").first.click()

    title = page.get_by_test_id("product-title").inner_text()
    assert "精华" in title
    code = page.url.rsplit("/", 1)[1]
    first_sku = page.locator("table.skus tbody tr").first.get_attribute("data-sku")

    page.get_by_role("link", name=ui("Edit"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Edit product"))
    expect(page).to_have_title(f"{ui('Edit %(code)s', code=code)} · Studio")
    price = page.get_by_label(f"{first_sku} {ui('Live price')}")
    old_price = price.input_value()
    new_price = f"{Decimal(old_price) + Decimal('10.05'):.2f}"  # stays above the floor price
    price.fill("")
    price.type(new_price)
    page.get_by_label(ui("Changed by")).fill("e2e 浏览器")
    screenshot(page, "catalogue-edit")
    page.get_by_role("button", name=ui("Save"), exact=True).click()

    page.wait_for_url("**saved=1")
    expect(page.get_by_role("status")).to_have_text(ui("Saved."))
    live_cell = page.locator(f"tr[data-sku='{first_sku}'] td.live")
    expect(live_cell).to_have_text(ui.money(new_price))
    latest = page.get_by_test_id("price-history").locator("tbody tr").first
    change = _api(page, f"{live_server}/api/v1/products/{code}/price-history")[0]
    assert (change["sku"], change["field"], change["changed_by"]) == (first_sku, "live_price",
                                                                      "e2e 浏览器")
    when = format_moment(datetime.fromisoformat(change["changed_at"]), settings.timezone, lang)
    expect(latest.locator("td")).to_have_text([when, first_sku, ui("Live price"),
                                               ui.money(old_price), ui.money(new_price),
                                               "e2e 浏览器", "web"])


def test_bad_price_in_the_browser_shows_the_reason(live_server, page, run_cli, ui):
    load_demo(run_cli)
    page.goto(f"{live_server}/catalog/BT-CLNS/edit")
    live = page.locator("input[name$='.live_price']").first
    live.fill("九块九")
    page.get_by_role("button", name=ui("Save"), exact=True).click()
    expect(page.locator(".flash.error")).to_have_text(ui("Please fix the marked fields."))
    # the reason is the value parser's, the same in both languages
    expect(page.locator(".field-error").first).to_have_text(re.compile(r"^not an amount of money"))
    expect(page.locator("input.invalid")).to_have_count(1)
    expect(live).to_have_value("九块九")  # what was typed stays, to put right
    screenshot(page, "catalogue-edit-error")
