"""Choosing the language in Chromium: the top bar's switcher changes the page and the choice is
remembered (the ``lang`` cookie) across pages, over what the browser asks for; the control room's
switcher keeps its token; an OBS overlay takes its language from ``?lang=`` in its address."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio import i18n
from tests.e2e.conftest import Ui, load_demo, screenshot

pytestmark = pytest.mark.browser

OTHER = {"zh-CN": "en", "en": "zh-CN"}


def _speaks(page, ui: Ui, heading: str) -> None:
    """The page is in ``ui``'s language: its tag, its heading and the switcher's current entry."""
    expect(page.locator("html")).to_have_attribute("lang", ui.lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(ui(heading))
    switch = page.get_by_test_id("language-switch")
    expect(switch.locator("[aria-current=true]")).to_have_text(i18n.NAMES[ui.lang])


def _cookie(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == i18n.COOKIE), None)


def test_the_switcher_changes_the_language_and_the_choice_sticks(live_server, page, run_cli,
                                                                 lang, ui):
    load_demo(run_cli)
    other = Ui(OTHER[lang])
    page.goto(f"{live_server}/catalog?q=精华")
    _speaks(page, ui, "Catalogue")  # what the browser asks for (Accept-Language)
    assert _cookie(page) is None  # nothing chosen yet, nothing remembered

    switch = page.get_by_test_id("language-switch")
    switch.get_by_role("link", name=i18n.NAMES[other.lang]).click()
    page.wait_for_url(f"**lang={other.lang}")
    _speaks(page, other, "Catalogue")
    expect(page.locator("#q")).to_have_value("精华")  # the same page: its search kept
    assert _cookie(page) == other.lang
    screenshot(page, "language-switched")

    # Other pages, reached through the top bar, stay in the chosen language although the
    # browser still asks for the first one.
    page.locator("header.topbar nav").first.get_by_role("link", name=other("Shows")).click()
    page.wait_for_url("**/shows")
    _speaks(page, other, "Shows")
    page.locator("header.topbar nav").first.get_by_role("link", name=other("Run sheets")).click()
    page.wait_for_url("**/plans")
    _speaks(page, other, "Run sheets")
    page.reload()
    _speaks(page, other, "Run sheets")

    # and back again, remembered the same way
    switch.get_by_role("link", name=i18n.NAMES[lang]).click()
    page.wait_for_url(f"**lang={lang}")
    _speaks(page, ui, "Run sheets")
    assert _cookie(page) == lang
    page.goto(f"{live_server}/catalog")
    _speaks(page, ui, "Catalogue")


def test_the_switcher_is_labelled_in_the_language(live_server, page, ui):
    page.goto(f"{live_server}/catalog")
    expect(page.get_by_test_id("language-switch")).to_have_attribute(
        "aria-label", ui("Language"), timeout=1000)


def test_the_control_room_switcher_keeps_the_token(live_server, page, show, role_tokens, lang, ui):
    other = Ui(OTHER[lang])
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server}/live/{show}/console?token={role_tokens['operator']}")
    connection = page.get_by_test_id("connection")
    expect(connection).to_have_attribute("data-state", "live")
    expect(connection).to_have_text(ui("Connected"))
    expect(page.locator("#moderation-open")).to_have_text(ui("Moderation"))

    page.get_by_test_id("language-switch").get_by_role("link", name=i18n.NAMES[other.lang]).click()
    page.wait_for_url(f"**lang={other.lang}")
    assert f"token={role_tokens['operator']}" in page.url
    expect(page.locator("html")).to_have_attribute("lang", other.lang)
    expect(connection).to_have_attribute("data-state", "live")  # the token still works
    expect(connection).to_have_text(other("Connected"))
    expect(page.locator("#moderation-open")).to_have_text(other("Moderation"))


def test_an_overlay_speaks_the_language_in_its_address(live_server, overlays, show, role_tokens,
                                                       lang, ui):
    operator = role_tokens["operator"]
    for name, args in (("status.set", {"status": "live"}), ("card.take", {"sku": "BT-SERUM-30"})):
        response = overlays.request.post(f"{live_server}/api/v1/live/{show}/commands",
                                         data={"id": f"lang-{name}", "name": name, "args": args},
                                         headers={"Authorization": f"Bearer {operator}"})
        assert response.ok, response.text()
    url = f"{live_server}/live/{show}/overlay/card?token={role_tokens['overlay']}"

    def opened(address: str, speaks: Ui):
        overlay = overlays.new_page()
        overlay.goto(address)
        expect(overlay.locator("html")).to_have_attribute("lang", speaks.lang)
        expect(overlay.locator(".product-card .ribbon")).to_have_text(speaks("Now showing"))
        # the plan's coupon for it makes a price after coupon, under the live price
        expect(overlay.locator(".price.live .label")).to_have_text(speaks("Live price"))
        expect(overlay.locator(".price.final .label")).to_have_text(speaks("Price after coupon"))
        expect(overlay.get_by_test_id("overlay-final-price")).to_have_text(
            speaks.money(159, trim=True))
        return overlay

    opened(url, ui).close()  # no ?lang=: OBS's own language (the browser's)
    for language in ("en", "zh-CN"):  # ?lang=en is English, whatever the browser asks for
        opened(f"{url}&lang={language}", Ui(language)).close()
