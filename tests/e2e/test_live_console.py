"""An operator (中控) runs a show from the live console in Chromium while OBS overlays follow.

Everything goes through the real server: the console and the overlays hold real WebSockets to
uvicorn, and the tests read the outcome back from the server's state as well as from the page.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from studio.live_console import tokens
from tests.e2e.conftest import counts_down, load_demo, screenshot

pytestmark = pytest.mark.browser

CONSOLE_SIZE = {"width": 1440, "height": 900}
OVERLAY_SIZE = {"width": 1920, "height": 1080}
CLASS_IN = re.compile(r"\bin\b")


def test_operator_takes_a_card_and_launches_a_coupon_and_open_overlays_follow(
        live_server, page, show, role_tokens, overlays, ui):
    from playwright.sync_api import expect

    card_overlay = _open_overlay(overlays, live_server, show, "card", role_tokens["overlay"])
    coupon_overlay = _open_overlay(overlays, live_server, show, "coupon", role_tokens["overlay"])
    console = _open_console(page, live_server, show, role_tokens["operator"])

    console.locator("[data-set-status=live]").click()
    expect(console.get_by_test_id("show-status")).to_have_attribute("data-status", "live")
    expect(console.get_by_test_id("show-status")).to_have_text(ui("On air"))

    product = console.get_by_test_id("product-BT-SERUM-30")
    product.get_by_role("button", name=ui("Take"), exact=True).click()
    # the console shows the card once the server's event is back: then the state has it too
    expect(product).to_have_class(re.compile(r"\bon-card\b"))
    expect(product.locator(".flag.on-card")).to_have_text(ui("On card"))
    card = _state(page, live_server, show, role_tokens["operator"])["card"]
    assert card["sku"] == "BT-SERUM-30"
    expect(console.get_by_test_id("card-title")).to_have_text(card["title"])
    # The overlay was open before the card was taken: it follows the event.
    expect(card_overlay.get_by_test_id("overlay-card-title")).to_have_text(card["title"])
    plan_price = _plan_price(page, live_server, show, "BT-SERUM-30")
    assert card["ladder"]["final_price"] == plan_price == "159.00"
    expect(card_overlay.get_by_test_id("overlay-final-price")).to_have_text(ui.money(159, trim=True))
    expect(card_overlay.locator(".product-card")).to_have_class(CLASS_IN)
    expect(card_overlay.locator(".product-card .ribbon")).to_have_text(ui("Now showing"))
    list_price = card_overlay.locator(".price.list")  # 原价, struck through
    expect(list_price.locator(".label")).to_have_text(ui("List price"))
    expect(list_price.locator("s")).to_have_text(ui.money(259, trim=True))
    screenshot(card_overlay, "overlay-card")

    form = console.get_by_test_id("coupon-form")
    form.locator("[name=value]").fill("20")
    form.locator("[name=min_spend]").fill("199")
    form.locator("[name=quantity]").fill("500")
    form.locator("[name=duration_seconds]").fill("120")
    form.locator("button[type=submit]").click()
    countdown = coupon_overlay.get_by_test_id("coupon-countdown")
    expect(countdown).to_have_text(re.compile(r"^(1:5\d|2:00)$"))  # 110–120 s
    counts_down(countdown)  # on its own
    min_spend = ui.money(199, trim=True)
    expect(coupon_overlay.locator(".ticket.coupon .rule")).to_have_text(
        ui("on orders of {amount}+", amount=min_spend))
    expect(coupon_overlay.locator(".ticket.coupon .left")).to_have_text(
        ui("{n} coupons left", n="500"))
    promo = console.get_by_test_id("active-promos").locator(".promo.coupon .promo-detail span")
    expect(promo).to_have_text([ui("orders of {amount}+", amount=min_spend),
                                ui("{left} / {total} left", left="500", total="500")])
    coupons = _state(page, live_server, show, role_tokens["operator"])["coupons"]
    assert [(c["amount"], c["min_spend"], c["quantity"]) for c in coupons.values()] == [
        ("20.00", "199.00", 500)]
    screenshot(coupon_overlay, "overlay-coupon")
    screenshot(console, "console")


def test_keyboard_runs_the_sheet_and_a_reject_shows_its_reason(
        live_server, page, show, role_tokens, overlays, ui):
    from playwright.sync_api import expect

    slots = _plan_slots(page, live_server, show)
    card_overlay = _open_overlay(overlays, live_server, show, "card", role_tokens["overlay"])
    console = _open_console(page, live_server, show, role_tokens["operator"])
    now_title, current = console.get_by_test_id("now-title"), console.locator(".slot.current")
    expect(console.get_by_test_id("slot-position")).to_have_text(f"– / {len(slots)}")

    console.keyboard.press("n")  # the opening: no product, no card
    expect(now_title).to_have_text(slots[0]["title"])
    expect(current).to_have_attribute("data-index", "0")
    expect(console.get_by_test_id("slot-position")).to_have_text(f"1 / {len(slots)}")
    expect(console.get_by_test_id("slot-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))

    console.keyboard.press("ArrowRight")  # the first product slot takes its card
    expect(now_title).to_have_text(slots[1]["title"])
    expect(current).to_have_attribute("data-index", "1")
    assert slots[1]["skus"] == ["BT-MASK-10"]
    expect(card_overlay.get_by_test_id("overlay-card-title")).to_contain_text("玻尿酸补水面膜")
    expect(card_overlay.get_by_test_id("overlay-final-price")).to_have_text(ui.money(59, trim=True))
    expect(console.locator(".slot[data-index='0'] .actual")).to_have_text(  # from–to, as it ended
        ui.re("actual {time}", time=re.compile(r"\d\d:\d\d–\d\d:\d\d")))

    console.keyboard.press("ArrowLeft")  # back to the opening: the card comes down
    expect(current).to_have_attribute("data-index", "0")
    expect(card_overlay.locator(".product-card")).not_to_have_class(CLASS_IN)
    expect(console.get_by_test_id("card-preview").locator(".card-empty")).to_have_text(
        ui("No product card on air"))

    console.keyboard.press("c")  # nothing to clear: the server says no, the toast says why
    toast = console.get_by_test_id("toasts").get_by_role("alert").last
    # the command, the code and the reason are the server's: the same in both languages
    expect(toast.locator(".code")).to_have_text("no_card")
    expect(toast.locator(".text")).to_have_text(f"card.clear: {ui('no product card is showing')}")
    screenshot(console, "console-reject-toast")

    # With no product in the current slot, 1–9 take from the grid (the run sheet's order).
    console.keyboard.press("2")
    second = console.get_by_test_id("products").locator(".product").nth(1)
    expect(second).to_have_class(re.compile(r"\bon-card\b"))
    expect(second.locator(".key")).to_have_text("2")
    console.keyboard.press("p")  # already at the first slot: another reason, another toast
    expect(console.get_by_test_id("toasts")).to_contain_text(ui("already at the first slot of the plan"))

    console.keyboard.press("/")
    expect(console.locator("#product-search")).to_be_focused()
    console.keyboard.type("坚果")
    expect(console.get_by_test_id("products").locator(".product")).to_have_count(2)
    console.keyboard.press("Escape")
    console.keyboard.press("?")
    expect(console.locator("#help")).to_be_visible()
    expect(console.locator("#help")).to_contain_text(ui("next slot"))
    screenshot(console, "console-help")
    console.keyboard.press("Escape")
    expect(console.locator("#help")).to_be_hidden()


def test_operator_moderates_the_feed_and_ends_the_show(live_server, page, show, role_tokens, ui):
    from playwright.sync_api import expect

    console = _open_console(page, live_server, show, role_tokens["operator"])
    _command(page, live_server, show, role_tokens["operator"], "status.set", status="live")
    _ingest(page, live_server, show, role_tokens["ingest"], [
        _comment("q1", "u1", "小林", "这件多少钱？"), _comment("c1", "u2", "阿May", "主播好美"),
        _comment("c2", "u3", "广告哥", "看我主页")])
    feed, questions = console.get_by_test_id("comments"), console.get_by_test_id("questions")
    expect(feed.locator(".comment")).to_have_count(3)
    expect(questions.locator(".question")).to_have_count(1)
    expect(console.locator("[data-stat=comments] b")).to_have_text("3")

    questions.locator(".question").get_by_role("button", name=ui("Answered"), exact=True).click()
    expect(questions.locator(".question")).to_have_count(0)
    expect(questions).to_contain_text(ui("No open questions"))
    feed.locator(".comment[data-id='douyin:c1']").get_by_role("button", name=ui("Hide"),
                                                              exact=True).click()
    hidden = feed.locator(".comment[data-id='douyin:c1']")
    expect(hidden).to_have_class(re.compile(r"\bhidden\b"))
    # the reason is the server's, in English (see the report on untranslated server reasons)
    expect(hidden.locator(".tag.reason")).to_have_text(
        ui("hidden · {reason}", reason="hidden by operator"))

    feed.locator(".comment[data-id='douyin:c2']").get_by_role("button", name=ui("Mute"),
                                                              exact=True).click()
    confirm = console.locator("#confirm")
    expect(confirm).to_contain_text(ui("Mute {name}?", name="广告哥"))
    console.locator("#confirm-ok").click()
    expect(feed.locator(".comment[data-id='douyin:c2'] .tag.muted")).to_have_text(ui("muted"))

    console.get_by_role("button", name=ui("Moderation"), exact=True).click()
    moderation_form = console.get_by_test_id("moderation-form")
    moderation_form.get_by_label(ui("Blocked words, one a line")).fill("微信\n加V")
    moderation_form.get_by_role("button", name=ui("Save"), exact=True).click()
    expect(console.locator("#moderation")).to_be_hidden()
    expect(console.get_by_test_id("toasts").get_by_role("status").last).to_contain_text(
        ui("Moderation saved"))
    moderation = _state(page, live_server, show, role_tokens["operator"])["moderation"]
    assert moderation["words"] == ["加V", "微信"]
    assert moderation["muted"] == ["douyin:u3"]

    _ingest(page, live_server, show, role_tokens["ingest"], [
        _comment("c3", "u4", "路人", "加微信领券"), _comment("c4", "u3", "广告哥", "再来一次")])
    expect(feed.locator(".comment[data-id='douyin:c3'] .tag.reason")).to_have_text(
        ui("hidden · {reason}", reason="blocked word"))
    expect(feed.locator(".comment[data-id='douyin:c4'] .tag.reason")).to_have_text(
        ui("hidden · {reason}", reason="muted user"))
    expect(feed.locator(".comment.hidden")).to_have_count(3)
    console.locator("#show-hidden").uncheck()
    expect(feed.locator(".comment:visible")).to_have_count(2)
    console.locator("#show-hidden").check()
    screenshot(console, "console-moderation")

    console.locator("[data-set-status=ended]").click()  # ending asks first
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(ui("End the show?"))
    confirm.get_by_role("button", name=ui("Cancel"), exact=True).click()
    expect(console.get_by_test_id("show-status")).to_have_attribute("data-status", "live")
    console.locator("[data-set-status=ended]").click()
    console.locator("#confirm-ok").click()
    expect(console.get_by_test_id("show-status")).to_have_attribute("data-status", "ended")
    expect(console.get_by_test_id("show-status")).to_have_text(ui("Ended"))
    console.keyboard.press("n")
    ended = console.get_by_test_id("toasts").get_by_role("alert").last
    expect(ended.locator(".code")).to_have_text("show_ended")
    expect(ended.locator(".text")).to_have_text(
        "runsheet.next: " + ui("the show is {status}; it takes no more commands", status="ended"))


def test_a_dropped_connection_resumes_and_sends_an_unanswered_command_once(
        live_server, page, show, role_tokens, ui):
    from playwright.sync_api import expect

    sent: list[dict] = []
    page.on("websocket", lambda socket: socket.on(
        "framesent", lambda payload: sent.append(json.loads(payload))))
    console = _open_console(page, live_server, show, role_tokens["operator"])
    console.evaluate("""() => {
        window.__states = [];
        window.studioLive.on("connection", ({status}) => window.__states.push(status));
        const live = window.studioLive;
        window.__answer = live.command("coupon.launch", {amount: "5", quantity: 10})
          .then((ack) => ack.type);
        live.socket.close();  // the network drops before the answer arrives
    }""")
    assert console.evaluate("window.__answer") == "ack"
    expect(console.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    assert console.evaluate("window.__states") == ["reconnecting", "live"]
    hellos = [f for f in sent if f["type"] == "hello"]
    assert len(hellos) == 2 and "last_seq" not in hellos[0] and hellos[1]["last_seq"] >= 0
    commands = [f for f in sent if f["type"] == "command"]
    assert len(commands) == 2 and commands[0] == commands[1]  # sent again with the same id
    coupons = _state(page, live_server, show, role_tokens["operator"])["coupons"]
    assert len(coupons) == 1  # carried out once
    expect(console.get_by_test_id("active-promos")).to_contain_text(
        ui("{left} / {total} left", left="10", total="10"))


def test_a_show_without_a_plan_takes_products_by_sku(live_server, page, run_cli, settings,
                                                     session_factory, overlays, ui):
    from playwright.sync_api import expect

    load_demo(run_cli)  # the catalogue
    created = run_cli("show", "create", "临时加场 Pop-up", "--start", "2026-12-01T20:00",
                      "--duration", "60", "--id", "popup")
    assert created.exit_code == 0, created.output
    with session_factory() as session:
        keys = tokens.tokens_for(session, tokens.server_secret(settings), "popup")
    card_overlay = _open_overlay(overlays, live_server, "popup", "card", keys["overlay"])
    console = _open_console(page, live_server, "popup", keys["operator"])
    expect(console.locator("#runsheet-note")).to_have_text(
        ui("This show has no plan: take products by SKU."))
    form = console.locator("#take-sku")
    form.locator("[name=sku]").fill("HM-CUP-BLU")
    form.get_by_role("button").click()
    expect(card_overlay.get_by_test_id("overlay-card-title")).to_contain_text("保温杯")
    expect(console.get_by_test_id("product-HM-CUP-BLU")).to_have_class(re.compile(r"\bon-card\b"))
    form.locator("[name=sku]").fill("NOPE-1")
    form.get_by_role("button").click()
    expect(console.get_by_test_id("toasts").get_by_role("alert").last.locator(".text")).to_have_text(
        "card.take: " + ui("SKU {sku} is not in the catalogue", sku="NOPE-1"))


# ---- helpers ---------------------------------------------------------------------------------------

def _open_console(page, live_server: str, show: str, token: str):
    from playwright.sync_api import expect

    page.set_viewport_size(CONSOLE_SIZE)
    page.goto(f"{live_server}/live/{show}/console?token={token}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    return page


def _open_overlay(context, live_server: str, show: str, kind: str, token: str):
    from playwright.sync_api import expect

    overlay = context.new_page()
    overlay.goto(f"{live_server}/live/{show}/overlay/{kind}?token={token}&debug=1")
    expect(overlay.get_by_test_id("overlay")).to_have_attribute("data-connection", "live")
    return overlay


def _command(page, live_server: str, show: str, token: str, name: str, **args) -> dict:
    response = page.request.post(f"{live_server}/api/v1/live/{show}/commands",
                                 data={"id": f"e2e-{uuid.uuid4().hex[:12]}", "name": name,
                                       "args": args},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()


def _ingest(page, live_server: str, show: str, token: str, messages: list[dict]) -> dict:
    response = page.request.post(f"{live_server}/api/v1/live/{show}/comments",
                                 data={"messages": messages},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()


def _comment(message_id: str, user: str, nickname: str, text: str) -> dict:
    return {"platform": "douyin", "message_id": message_id, "user_id": user, "nickname": nickname,
            "text": text}


def _state(page, live_server: str, show: str, token: str) -> dict:
    response = page.request.get(f"{live_server}/api/v1/live/{show}/state",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()["state"]


def _plan_slots(page, live_server: str, show: str) -> list[dict]:
    response = page.request.get(f"{live_server}/api/v1/plans/{show}/runsheet")
    assert response.ok, response.text()
    return response.json()["slots"]


def _plan_price(page, live_server: str, show: str, sku: str) -> str:
    prices = [p for s in _plan_slots(page, live_server, show) for p in s["prices"] if p["sku"] == sku]
    return prices[0]["final_price"]

