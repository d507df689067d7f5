"""The list pages in Chromium, in both languages: shows, run sheets (and the printable sheet they
open), and the error page; each loaded and used the way a person gets around the studio."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from studio.web import format_moment
from tests.e2e.conftest import load_demo, screenshot

pytestmark = pytest.mark.browser


def _api(page, url: str):
    response = page.request.get(url)
    assert response.ok, response.text()
    return response.json()


def test_the_top_bar_leads_to_the_shows_list(live_server, page, run_cli, lang, ui):
    show_id = load_demo(run_cli)
    created = run_cli("show", "create", "临时加场 Pop-up", "--start", "2026-12-01T20:00",
                      "--duration", "90", "--id", "popup")
    assert created.exit_code == 0, created.output
    shows = _api(page, f"{live_server}/api/v1/shows")["items"]
    assert {s["id"] for s in shows} >= {show_id, "popup"}

    page.goto(f"{live_server}/catalog")
    nav = page.locator("header.topbar nav").first
    nav.get_by_role("link", name=ui("Shows"), exact=True).click()
    page.wait_for_url("**/shows")
    expect(nav.get_by_role("link", name=ui("Shows"), exact=True)).to_have_attribute(
        "aria-current", "page")
    expect(page).to_have_title(f"{ui('Shows')} · Studio")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Shows"))
    expect(page.locator("p.count")).to_have_text(ui.n("%(n)s show", "%(n)s shows", len(shows)))
    expect(page.locator("table.shows thead th")).to_have_text(
        [ui("Show"), ui("Platform"), ui("Start (local time)"), ui("Duration"), ui("Status"), "ID"])

    popup = next(s for s in shows if s["id"] == "popup")
    row = page.locator("table.shows tbody tr").filter(has=page.locator("code", has_text="popup"))
    start = format_moment(datetime.fromisoformat(popup["scheduled_start"]), popup["timezone"], lang,
                          seconds=False)
    expect(row.locator("td")).to_have_text([
        "临时加场 Pop-up", popup["platform"], f"{start} {popup['timezone']}",
        ui("%(minutes)s min", minutes=90), ui("Planned"), "popup"])
    screenshot(page, "shows-list")


def test_the_run_sheets_list_opens_the_planner_host_screen_and_printable_sheet(
        live_server, page, run_cli, ui):
    plan = load_demo(run_cli)
    sheet = _api(page, f"{live_server}/api/v1/plans/{plan}/runsheet")
    version = _api(page, f"{live_server}/api/v1/plans/{plan}")["current_version"]

    page.goto(f"{live_server}/plans")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Run sheets"))
    expect(page.locator("p.count")).to_have_text(ui.n("%(n)s plan", "%(n)s plans", 1))
    row = page.locator("table.plans tbody tr")
    expect(row.locator("td").nth(1)).to_have_text(f"v{version}")
    screenshot(page, "plans-list")

    row.get_by_role("link", name=ui("Planner"), exact=True).click()
    page.wait_for_url(f"**/plans/{plan}")
    expect(page.locator("#planner")).to_have_attribute("data-preview", "idle")
    expect(page.get_by_role("button", name=ui("Undo"), exact=True)).to_be_disabled()

    page.go_back()
    page.locator("table.plans tbody tr").get_by_role("link", name=ui("Host screen")).click()
    page.wait_for_url(f"**/plans/{plan}/host")
    expect(page.get_by_test_id("current-title")).to_have_text(sheet["slots"][0]["title"])
    expect(page.locator("#advance")).to_have_text(f"{ui('Next')} ▶")

    page.go_back()
    page.locator("table.plans tbody tr").get_by_role("link", name=ui("Printable run sheet")).click()
    page.wait_for_url(f"**/plans/{plan}/sheet")
    expect(page).to_have_title(f"{sheet['title']} · {ui('Run sheet')}")
    expect(page.locator("p.meta span").first).to_have_text(
        re.compile(rf"^{re.escape(ui('Goes live'))}: \d\d:\d\d \({re.escape(sheet['timezone'])}\)$"))
    for slot in sheet["slots"]:
        expect(page.locator("table")).to_contain_text(slot["title"])
    screenshot(page, "runsheet-print")


def test_a_missing_page_says_so_in_the_language(live_server, page, ui):
    response = page.goto(f"{live_server}/catalog/NO-SUCH-PRODUCT")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(f"404 · {ui('Not found')}")
    page.get_by_role("link", name=f"← {ui('Back to the catalogue')}").click()
    page.wait_for_url("**/catalog")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Catalogue"))
