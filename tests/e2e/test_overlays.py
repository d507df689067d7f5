"""OBS overlays in Chromium: the current state the moment they open, text from the public stays
text, and they only ever read.

The show is driven over HTTP, the way a Stream Deck or a platform bridge would, so no console
needs to be open.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.e2e.conftest import screenshot, seconds_of

pytestmark = pytest.mark.browser

OVERLAY_SIZE = {"width": 1920, "height": 1080}
AT_ONCE = 1000  # ms after the page's load event
NICKNAME = "<img src=x onerror=window.__xss=1>"
TEXT = "<script>window.__xss=2</script>好看"


def test_an_overlay_opened_mid_show_shows_the_card_and_coupon_at_once(
        live_server, overlays, show, role_tokens, ui):
    from playwright.sync_api import expect

    request = overlays.request
    operator = role_tokens["operator"]
    _command(request, live_server, show, operator, "status.set", status="live")
    _command(request, live_server, show, operator, "card.take", sku="BT-SERUM-30")
    _command(request, live_server, show, operator, "coupon.launch", amount="20",
             min_spend="199", quantity=500, duration_seconds=300, label="直播间券")
    _command(request, live_server, show, operator, "flash_sale.start", sku="BT-SERUM-30",
             price="155", quantity=300, per_buyer_limit=2, countdown_seconds=90)
    _ingest(request, live_server, show, role_tokens["ingest"], [
        {"platform": "douyin", "message_id": "s1", "kind": "stats", "online": 5230},
        {"platform": "douyin", "message_id": "o1", "kind": "order", "user_id": "u1",
         "sku": "BT-SERUM-30", "quantity": 2, "amount": "318.00"}])
    card = _state(request, live_server, show, operator)["card"]

    sent: list[dict] = []
    card_page = overlays.new_page()
    card_page.on("websocket", lambda socket: socket.on(
        "framesent", lambda payload: sent.append(json.loads(payload))))
    card_page.goto(_overlay_url(live_server, show, "card", role_tokens["overlay"]))
    expect(card_page.get_by_test_id("overlay-card-title")).to_have_text(card["title"],
                                                                      timeout=AT_ONCE)
    expect(card_page.get_by_test_id("overlay-final-price")).to_have_text(ui.money(159, trim=True),
                                                                      timeout=AT_ONCE)
    # the live coupon takes its amount off: the big price is the price after coupon
    expect(card_page.locator(".price.final .label")).to_have_text(ui("Price after coupon"))
    expect(card_page.locator(".product-card .stock")).to_have_text(ui("{n} left", n="1,798"))
    points = card_page.locator(".product-card .points li")
    expect(points).to_have_count(3)  # at most three selling points on air
    expect(points.first).to_have_text(card["selling_points"][0]["text"])
    # An OBS browser source must be see-through: nothing but the widget is painted.
    assert card_page.evaluate("getComputedStyle(document.body).backgroundColor") == \
        "rgba(0, 0, 0, 0)"
    assert card_page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == \
        "rgba(0, 0, 0, 0)"
    assert card_page.evaluate("getComputedStyle(document.body).backgroundImage") == "none"

    coupon_page = overlays.new_page()
    coupon_page.goto(_overlay_url(live_server, show, "coupon", role_tokens["overlay"], debug=True))
    countdown = coupon_page.get_by_test_id("coupon-countdown")
    expect(countdown).to_have_text(re.compile(r"^[45]:\d\d$"), timeout=AT_ONCE)
    assert 290 <= seconds_of(countdown.inner_text()) <= 300
    expect(coupon_page.get_by_test_id("flash-countdown")).to_have_text(re.compile(r"^1:[0-3]\d$"),
                                                                      timeout=AT_ONCE)
    expect(coupon_page.get_by_test_id("flash-ticket").locator(".amount")).to_have_text(
        ui.money(155, trim=True))
    expect(coupon_page.get_by_test_id("flash-ticket")).to_contain_text(ui("Flash sale"))
    expect(coupon_page.get_by_test_id("flash-ticket")).to_contain_text(
        ui("limit {n} per buyer", n=2))
    assert "gradient" in coupon_page.evaluate("getComputedStyle(document.body).backgroundImage")

    stats_page = overlays.new_page()
    stats_page.goto(_overlay_url(live_server, show, "stats", role_tokens["overlay"], debug=True))
    expect(stats_page.get_by_test_id("stat-online")).to_have_text("5,230", timeout=AT_ONCE)
    expect(stats_page.get_by_test_id("stat-orders")).to_have_text("1")
    expect(stats_page.get_by_test_id("stat-gmv")).to_have_text(ui.money(318, trim=True))
    expect(stats_page.locator(".stat .label")).to_have_text(
        [ui("Online"), ui("Likes"), ui("Orders"), ui("GMV")])

    # Read only: the page said hello and nothing else, and its token could not command anyway.
    assert {frame["type"] for frame in sent} <= {"hello", "ping"}
    refused = request.post(f"{live_server}/api/v1/live/{show}/commands",
                           data={"name": "card.clear", "args": {}},
                           headers={"Authorization": f"Bearer {role_tokens['overlay']}"})
    assert refused.status == 403
    expect(card_page.get_by_test_id("overlay-card-title")).to_have_text(card["title"])

    # The card comes down when the operator clears it, and another slides in when taken.
    _command(request, live_server, show, operator, "card.clear")
    expect(card_page.locator(".product-card")).not_to_have_class(re.compile(r"\bin\b"))
    _command(request, live_server, show, operator, "card.take", sku="HM-CUP-BLU")
    expect(card_page.get_by_test_id("overlay-card-title")).to_contain_text("保温杯")
    expect(card_page.locator(".product-card")).to_have_class(re.compile(r"\bin\b"))

    card_debug = overlays.new_page()
    card_debug.goto(_overlay_url(live_server, show, "card", role_tokens["overlay"], debug=True))
    expect(card_debug.get_by_test_id("overlay-card-title")).to_contain_text("保温杯",
                                                                          timeout=AT_ONCE)
    screenshot(card_debug, "overlay-card-mid-show")
    screenshot(coupon_page, "overlay-coupon-mid-show")
    screenshot(stats_page, "overlay-stats")


def test_text_from_the_public_stays_text_on_overlays_and_the_console(
        live_server, overlays, page, show, role_tokens):
    from playwright.sync_api import expect

    request = overlays.request
    comments_page = overlays.new_page()  # open before the comment arrives: the event path
    comments_page.goto(_overlay_url(live_server, show, "comments", role_tokens["overlay"],
                                    debug=True))
    featured_page = overlays.new_page()
    featured_page.goto(_overlay_url(live_server, show, "featured", role_tokens["overlay"],
                                    debug=True))
    expect(featured_page.get_by_test_id("overlay")).to_have_attribute("data-connection", "live")
    expect(comments_page.get_by_test_id("overlay")).to_have_attribute("data-connection", "live")

    _ingest(request, live_server, show, role_tokens["ingest"], [
        {"platform": "douyin", "message_id": "x1", "user_id": "u1", "nickname": NICKNAME,
         "text": TEXT},
        {"platform": "douyin", "message_id": "x2", "user_id": "u2", "nickname": "小林",
         "text": "这件多少钱？"}])
    ticker = comments_page.get_by_test_id("overlay-comments")
    xss = ticker.locator(".bubble[data-id='douyin:x1']")
    expect(xss.locator(".nick")).to_have_text(NICKNAME)
    expect(xss.locator(".text")).to_have_text(TEXT)
    expect(ticker.locator(".bubble.question")).to_contain_text("这件多少钱？")  # highlighted
    _assert_inert(comments_page)
    screenshot(comments_page, "overlay-comments")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server}/live/{show}/console?token={role_tokens['operator']}")
    row = page.get_by_test_id("comments").locator(".comment[data-id='douyin:x1']")
    expect(row.locator(".nick")).to_have_text(NICKNAME)  # from the snapshot this time
    expect(row.locator(".text")).to_have_text(TEXT)
    _assert_inert(page)

    _command(request, live_server, show, role_tokens["operator"], "comment.feature",
             id="douyin:x1")
    expect(featured_page.get_by_test_id("featured-nick")).to_have_text(NICKNAME)
    expect(featured_page.get_by_test_id("featured-text")).to_have_text(TEXT)
    _assert_inert(featured_page)
    expect(page.get_by_test_id("featured")).to_contain_text(TEXT)
    _assert_inert(page)
    screenshot(featured_page, "overlay-featured")
    screenshot(page, "console-xss-comment")

    reopened = overlays.new_page()  # a featured overlay opened now shows it at once
    reopened.goto(_overlay_url(live_server, show, "featured", role_tokens["overlay"]))
    expect(reopened.get_by_test_id("featured-text")).to_have_text(TEXT, timeout=AT_ONCE)
    _assert_inert(reopened)

    # Hiding the comment takes it off the public screens; the operator still sees it, greyed.
    _command(request, live_server, show, role_tokens["operator"], "comment.hide", id="douyin:x1")
    expect(xss).to_have_count(0)
    expect(featured_page.get_by_test_id("overlay-featured")).not_to_have_class(
        re.compile(r"\bin\b"))
    expect(row).to_have_class(re.compile(r"\bhidden\b"))


def test_an_overlay_with_a_wrong_token_says_so(live_server, overlays, show, ui):
    from playwright.sync_api import expect

    overlay = overlays.new_page()
    overlay.goto(_overlay_url(live_server, show, "card", "ov_not-a-real-token-at-all"))
    expect(overlay.get_by_test_id("overlay")).to_have_attribute("data-connection", "failed")
    expect(overlay.get_by_role("alert")).to_have_text(
        ui("Studio overlay: {reason}", reason=ui("unknown or revoked token for this show"))
        + " (4001)")
    missing = overlay.request.get(f"{live_server}/live/{show}/overlay/banner?token=x")
    assert missing.status == 404


# ---- helpers ---------------------------------------------------------------------------------------

def _assert_inert(page) -> None:
    """The payloads ran nowhere and made no element: the page's own script and its messages (a
    JSON block) are the only script tags, and there is no img."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2
    assert page.locator("script#i18n[type='application/json']").count() == 1


def _overlay_url(live_server: str, show: str, kind: str, token: str, debug: bool = False) -> str:
    return f"{live_server}/live/{show}/overlay/{kind}?token={token}" + ("&debug=1" if debug else "")


def _command(request, live_server: str, show: str, token: str, name: str, **args) -> dict:
    response = request.post(f"{live_server}/api/v1/live/{show}/commands",
                            data={"id": f"e2e-{uuid.uuid4().hex[:12]}", "name": name, "args": args},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()


def _ingest(request, live_server: str, show: str, token: str, messages: list[dict]) -> dict:
    response = request.post(f"{live_server}/api/v1/live/{show}/comments",
                            data={"messages": messages},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()


def _state(request, live_server: str, show: str, token: str) -> dict:
    response = request.get(f"{live_server}/api/v1/live/{show}/state",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()["state"]

