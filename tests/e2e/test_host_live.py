"""The host screen with ?token=HOST follows the live console in Chromium: it waits for the control
room, shows the slot and card on air, counts in server time, sends next/previous and waits for the
event, shows viewers' questions as text, and resumes after a reload or a dropped connection."""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import CLOCK, counts_down, load_demo, screenshot
from tests.e2e.test_host_screen import _seconds

pytestmark = pytest.mark.browser

PLAN = "demo-winter-goodies"  # a plan's id is its show's id
OFF_PLAN_SKU = "SN-MANGO-500"  # in the catalogue, not in the opening or the second slot
_ids = itertools.count(1)


@pytest.fixture
def errors(page) -> list[str]:
    """Uncaught script errors on the page: every test ends with none."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    yield found
    assert found == []


def test_host_screen_follows_the_control_room(live_server, page, browser, run_cli,
                                              session_factory, settings, errors, lang, ui):
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    keys = _tokens(session_factory, settings)
    url = f"{live_server}/plans/{PLAN}/host?token={keys['host']}"
    page.goto(url)

    title, position = page.get_by_test_id("current-title"), page.get_by_test_id("slot-position")
    indicator, countdown = page.get_by_test_id("live-indicator"), page.get_by_test_id("countdown")
    waiting = page.get_by_test_id("waiting")
    expect(indicator).to_have_attribute("data-state", "live")
    expect(waiting.locator("h1")).to_have_text(ui("Waiting for the control room"))
    expect(waiting).to_contain_text(ui.n("{n} slot", "{n} slots", len(slots)))
    expect(page.get_by_test_id("next-title")).to_have_text(slots[0]["title"])
    expect(position).to_have_text(f"– / {len(slots)}")
    expect(title).to_be_hidden()
    expect(countdown).to_be_hidden()
    expect(page.locator("#no-questions")).to_have_text(ui("No questions yet"))
    screenshot(page, "host-live-waiting")

    # A second screen of the same show (a studio monitor) must agree with this one throughout.
    other_context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    other = other_context.new_page()
    other.goto(url)
    expect(other.get_by_test_id("waiting").locator("h1")).to_have_text(
        ui("Waiting for the control room"))

    _command(page, live_server, keys["operator"], "status.set", status="live")
    expect(indicator).to_have_text(f"● {ui('ON AIR')}")
    # live, but no slot on air until runsheet.next
    expect(waiting.locator("h1")).to_have_text(ui("Waiting for the control room"))
    _command(page, live_server, keys["operator"], "runsheet.next")
    expect(title).to_have_text(slots[0]["title"])
    expect(position).to_have_text(f"1 / {len(slots)}")
    expect(page.get_by_test_id("next-title")).to_have_text(slots[1]["title"])
    expect(waiting).to_be_hidden()
    started = _seconds(countdown.inner_text())
    assert slots[0]["seconds"] - 5 <= started <= slots[0]["seconds"], started
    counts_down(countdown, _seconds)

    # The host may not go back from the first slot: the server says why, nothing moves.
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#toast")).to_have_text(  # the reason is the server's, in English
        ui("not done: {reason}", reason=ui("already at the first slot of the plan")))
    expect(title).to_have_text(slots[0]["title"])

    page.keyboard.press("ArrowRight")
    expect(title).to_have_text(slots[1]["title"])
    expect(position).to_have_text(f"2 / {len(slots)}")
    expect(other.get_by_test_id("current-title")).to_have_text(slots[1]["title"])
    state = _state(page, live_server, keys["host"])
    assert state["runsheet"]["index"] == 1
    assert state["runsheet"]["slot"]["id"] == slots[1]["id"]
    assert _seconds(countdown.inner_text()) > slots[1]["seconds"] - 10  # a fresh slot clock
    if slots[1]["skus"]:  # runsheet.next takes the slot's first product onto the card
        expect(page.get_by_test_id("on-card")).to_contain_text(slots[1]["skus"][0])

    # The operator takes another product than the plan's: its card replaces the slot's.
    _command(page, live_server, keys["operator"], "card.take", sku=OFF_PLAN_SKU)
    card = _state(page, live_server, keys["host"])["card"]
    assert card["sku"] == OFF_PLAN_SKU
    expect(title).to_have_text(card["title"])
    expect(page.get_by_test_id("slot-of")).to_contain_text(slots[1]["title"])
    expect(page.get_by_test_id("on-card")).to_contain_text(OFF_PLAN_SKU)
    final = card["ladder"]["final_price"]
    expect(page.locator(".rung.final b")).to_have_text(ui.money(final, trim=True))
    expect(page.locator(".rung.final small")).to_have_text(ui("Price after coupon"))
    expect(position).to_have_text(f"2 / {len(slots)}")  # still the plan's second slot

    # Viewers' questions: public text, shown as text, newest on top.
    _ingest(page, live_server, keys["ingest"], "q1", "<b>小林</b>",
            "这个多少钱？<script>window.__x=1</script>")
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(1)
    expect(questions.first.locator(".nick")).to_have_text("<b>小林</b>")
    expect(questions.first.locator(".text")).to_have_text("这个多少钱？<script>window.__x=1</script>")
    assert page.locator("#questions b, #questions script").count() == 0
    assert page.evaluate("typeof window.__x") == "undefined"
    _ingest(page, live_server, keys["ingest"], "q2", "阿May", "M码还有吗？")
    expect(questions).to_have_count(2)
    expect(questions.first.locator(".text")).to_have_text("M码还有吗？")
    expect(other.get_by_test_id("question").first).to_contain_text("M码还有吗？")
    screenshot(page, "host-live-slot")

    # The host marks a question answered: it leaves every screen.
    questions.first.get_by_role("button", name=ui("Mark answered")).click()
    expect(questions).to_have_count(1)
    expect(other.get_by_test_id("question")).to_have_count(1)
    expect(questions.first.locator(".text")).to_contain_text("这个多少钱")

    before = _seconds(countdown.inner_text())
    page.reload()  # a reload resumes the same slot, card, questions and slot clock
    expect(position).to_have_text(f"2 / {len(slots)}")
    expect(title).to_have_text(card["title"])
    expect(indicator).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("question")).to_have_count(1)
    assert _seconds(countdown.inner_text()) <= before
    assert page.evaluate("typeof window.__x") == "undefined"

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "host-live-phone")
    other_context.close()


def test_server_time_and_a_dropped_connection(live_server, page, run_cli, session_factory,
                                              settings, errors, ui):
    """The slot clock is the server's even when the screen's clock is an hour off, and after a
    drop the screen says so, reconnects with last_seq and catches up on what it missed."""
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    keys = _tokens(session_factory, settings)
    hellos: list[dict] = []
    sockets: list = []
    blocked = {"now": False, "refused": 0}
    held: list = []  # commands from the page kept back, while "hold" is set
    hold = {"now": False}

    def route(ws) -> None:
        if blocked["now"]:  # the network is down: the connection fails at once
            blocked["refused"] += 1
            ws.close(code=4500, reason="test: network down")
            return
        server = ws.connect_to_server()

        def from_page(message) -> None:
            frame = json.loads(message)
            if frame.get("type") == "hello":
                hellos.append(frame)
            if frame.get("type") == "command" and hold["now"]:
                held.append((server, message))
                return
            server.send(message)

        ws.on_message(from_page)
        sockets.append((ws, server))

    page.route_web_socket(re.compile(r"/ws/live/"), route)
    page.clock.install(time=datetime.now() - timedelta(hours=1))  # this screen's clock is wrong
    page.goto(f"{live_server}/plans/{PLAN}/host?token={keys['host']}")
    indicator, title = page.get_by_test_id("live-indicator"), page.get_by_test_id("current-title")
    expect(indicator).to_have_attribute("data-state", "live")
    assert hellos[0] == {"type": "hello", "token": keys["host"]}  # first time: no last_seq

    _command(page, live_server, keys["operator"], "status.set", status="live")
    _command(page, live_server, keys["operator"], "runsheet.next")
    expect(title).to_have_text(slots[0]["title"])
    countdown = page.get_by_test_id("countdown")
    remaining = _seconds(countdown.inner_text())
    assert slots[0]["seconds"] - 5 <= remaining <= slots[0]["seconds"], remaining
    counts_down(countdown, _seconds)  # it runs: not stuck an hour early
    drift = page.get_by_test_id("over-under").inner_text()  # the show started seconds ago
    assert drift == ui("on plan") or (
        (ui.re("behind plan by {time}", time=CLOCK).fullmatch(drift)
         or ui.re("ahead of plan by {time}", time=CLOCK).fullmatch(drift)) and _seconds(drift) <= 5), drift

    # A key press asks; the screen moves only when the control room's event arrives.
    hold["now"] = True
    page.keyboard.press("ArrowRight")
    _until(lambda: held, page, "the key press sent no command")
    assert len(held) == 1 and json.loads(held[0][1])["name"] == "runsheet.next"
    expect(title).to_have_text(slots[0]["title"])
    expect(page.get_by_test_id("host")).to_have_attribute("data-pending", "1")
    hold["now"] = False
    held[0][0].send(held[0][1])
    expect(title).to_have_text(slots[1]["title"])
    expect(page.get_by_test_id("host")).to_have_attribute("data-pending", "")
    seen = _state(page, live_server, keys["host"])["seq"]

    blocked["now"] = True
    ws, server = sockets[-1]
    ws.close(code=1001, reason="test: connection lost")
    server.close()
    expect(indicator).to_have_attribute("data-state", "reconnecting")
    expect(indicator).to_have_text(f"◌ {ui('reconnecting…')}")
    moved = _command(page, live_server, keys["operator"], "runsheet.next")  # missed while away
    _until(lambda: blocked["refused"], page, "the screen did not try to reconnect")
    expect(title).to_have_text(slots[1]["title"])  # no event, no move
    blocked["now"] = False

    expect(title).to_have_text(slots[2]["title"], timeout=15_000)
    expect(indicator).to_have_attribute("data-state", "live")
    assert hellos[-1]["last_seq"] == seen, hellos[-1]
    assert moved["seq"] > seen
    assert len(sockets) >= 2

    # The control room ends the show: the screen says so and shows nothing to come.
    _command(page, live_server, keys["operator"], "status.set", status="ended")
    waiting = page.get_by_test_id("waiting")
    expect(waiting.locator("h1")).to_have_text(ui("The show has ended"))
    expect(page.get_by_test_id("next-title")).to_have_text(f"— {ui('End of show')}")
    expect(indicator).to_have_text(f"● {ui('ended')}")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#toast")).to_have_text(
        ui("not done: {reason}",
           reason=ui("the show is {status}; it takes no more commands", status="ended")))


def test_without_a_token_no_socket_and_with_a_bad_one_a_clear_refusal(live_server, page, run_cli,
                                                                      errors, ui):
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    opened: list[str] = []
    page.on("websocket", lambda ws: opened.append(ws.url))
    page.goto(f"{live_server}/plans/{PLAN}/host")  # the local clock, as before
    expect(page.get_by_test_id("current-title")).to_have_text(slots[0]["title"])
    expect(page.get_by_test_id("live-indicator")).to_be_hidden()
    expect(page.get_by_test_id("questions")).to_be_hidden()
    assert opened == []

    page.goto(f"{live_server}/plans/{PLAN}/host?token=ho_not-a-real-token")
    indicator = page.get_by_test_id("live-indicator")
    expect(indicator).to_have_attribute("data-state", "failed")
    expect(page.get_by_test_id("questions")).to_be_hidden()
    expect(page.get_by_test_id("waiting").locator("h1")).to_have_text(
        ui("Cannot join the control room"))
    expect(page.locator("#waiting-detail")).to_have_text(
        ui("the host token was refused (rotated?) — open the new host URL"))
    expect(indicator).to_have_text(f"✕ {ui('not connected')}")
    expect(page.get_by_test_id("current-title")).to_be_hidden()  # no local clock behind its back
    page.keyboard.press("ArrowRight")
    expect(page.locator("#toast")).to_have_text(ui("not connected to the control room — not sent"))
    screenshot(page, "host-live-refused")


# ---- helpers ----------------------------------------------------------------------------------

def _demo_plan(run_cli, page, live_server) -> list[dict]:
    assert load_demo(run_cli) == PLAN
    response = page.request.get(f"{live_server}/api/v1/plans/{PLAN}/runsheet")
    assert response.ok, response.text()
    slots = response.json()["slots"]
    assert len(slots) >= 3
    assert OFF_PLAN_SKU not in slots[1]["skus"]
    return slots


def _until(condition, page, failure: str, timeout: float = 10) -> None:
    """Poll a condition the test's own handlers set (Playwright's expect sees only the page)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, failure
        page.wait_for_timeout(50)  # lets Playwright dispatch the route handlers meanwhile


def _tokens(session_factory, settings) -> dict[str, str]:
    from studio.live_console import tokens

    with session_factory() as session:
        return tokens.tokens_for(session, tokens.server_secret(settings), PLAN)


def _command(page, live_server: str, token: str, name: str, **args) -> dict:
    response = page.request.post(
        f"{live_server}/api/v1/live/{PLAN}/commands",
        headers={"Authorization": f"Bearer {token}"},
        data={"id": f"test-{time.time_ns()}-{next(_ids)}", "name": name, "args": args})
    assert response.ok, f"{name}: {response.status} {response.text()}"
    return response.json()


def _ingest(page, live_server: str, token: str, message_id: str, nickname: str, text: str) -> None:
    response = page.request.post(
        f"{live_server}/api/v1/live/{PLAN}/comments",
        headers={"Authorization": f"Bearer {token}"},
        data={"messages": [{"platform": "douyin", "message_id": message_id, "user_id": "u1",
                            "nickname": nickname, "text": text}]})
    assert response.ok, response.text()
    assert response.json()["accepted"] == 1, response.json()


def _state(page, live_server: str, token: str) -> dict:
    response = page.request.get(f"{live_server}/api/v1/live/{PLAN}/state?token={token}")
    assert response.ok, response.text()
    return response.json()["state"] | {"seq": response.json()["seq"]}
