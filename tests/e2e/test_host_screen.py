"""A host (主播) runs a show from the host screen in Chromium: keys, countdown, over/under, mirror."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.e2e.conftest import CLOCK, HOUR_MINUTE, counts_down, load_demo, screenshot

pytestmark = pytest.mark.browser

PLAN = "demo-winter-goodies"  # a plan's id is its show's id
MIRRORED = re.compile(r"\bmirrored\b")


def test_host_runs_the_show_from_the_keyboard(live_server, page, run_cli, ui):
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    first, second = slots[0], slots[1]
    page.clock.install()  # real time flows until the test jumps it forward
    page.goto(f"{live_server}/plans/{PLAN}/host")

    title, position = page.get_by_test_id("current-title"), page.get_by_test_id("slot-position")
    countdown, over_under = page.get_by_test_id("countdown"), page.get_by_test_id("over-under")
    expect(title).to_have_text(first["title"])
    expect(page).to_have_title(f"{_title(page, live_server)} · {ui('Host screen')}")
    expect(position).to_have_text(f"1 / {len(slots)}")
    expect(page.get_by_test_id("next-title")).to_have_text(second["title"])
    expect(page.locator("#controls .keys")).to_contain_text(ui(
        "→ PgDn Space: next · ← PgUp: previous · M: mirror · F: full screen · P: reload the plan"))
    started = _seconds(countdown.inner_text())
    assert first["seconds"] - 3 <= started <= first["seconds"]
    counts_down(countdown, _seconds)
    screenshot(page, "host-screen")

    page.keyboard.press("ArrowRight")
    expect(title).to_have_text(second["title"])
    expect(position).to_have_text(f"2 / {len(slots)}")
    expect(over_under).to_have_text(ui.re("ahead of plan by {time}", time=CLOCK))  # the opening was cut short
    expect(page.get_by_test_id("projected-end")).to_have_text(ui.re("projected end {time}", time=HOUR_MINUTE))
    end_on_time = _minute_of_day(page.get_by_test_id("projected-end").inner_text())

    # Stay in the second slot for its length, plus the opening's length, plus two minutes: the
    # time saved in the opening is used up, so the show ends up about two minutes behind.
    overrun = first["seconds"] + 120
    page.clock.fast_forward((second["seconds"] + overrun) * 1000)
    expect(countdown.locator("small")).to_have_text(ui("over"))
    text = countdown.inner_text()
    assert text.startswith("+") and overrun - 3 <= _seconds(text) <= overrun + 3, text
    expect(over_under).to_have_text(ui.re("behind plan by {time}", time=CLOCK))
    assert 120 <= _seconds(over_under.inner_text()) <= 140, over_under.inner_text()
    projected = _minute_of_day(page.get_by_test_id("projected-end").inner_text())
    assert abs((projected - end_on_time) % (24 * 60) - overrun / 60) <= 1
    screenshot(page, "host-screen-over-time")

    page.keyboard.press("PageUp")  # what a presenter clicker sends for "back"
    expect(title).to_have_text(first["title"])
    expect(position).to_have_text(f"1 / {len(slots)}")
    resumed = _seconds(countdown.inner_text())  # the opening's clock resumes, not restarts
    assert first["seconds"] - 30 <= resumed < first["seconds"], resumed

    host = page.get_by_test_id("host")
    expect(host).not_to_have_class(MIRRORED)
    page.keyboard.press("m")
    expect(host).to_have_class(MIRRORED)
    assert host.evaluate("el => getComputedStyle(el).transform").startswith("matrix(-1, 0")
    page.keyboard.press("m")
    expect(host).not_to_have_class(MIRRORED)


def test_reload_resumes_and_the_planners_text_stays_text(live_server, page, run_cli, tmp_path, ui):
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    index = next(i for i, s in enumerate(slots) if s["kind"] == "product")
    exported = tmp_path / "plan.yaml"
    assert run_cli("plan", "export", PLAN, str(exported)).exit_code == 0
    doc = yaml.safe_load(exported.read_text(encoding="utf-8"))
    doc.setdefault("offers", []).append(
        {"id": "host-coupon", "kind": "coupon", "label": "直播间券", "amount": "10"})
    segment = next(s for s in doc["segments"] if s["id"] == slots[index]["id"])
    segment["offers"] = [*segment.get("offers", []), "host-coupon"]
    segment["talk_track"] = ["姐妹们看过来，先看这个回弹！", "库存不多，这一波拍完就恢复日常价"]
    segment["notes"] = "<b>别说“全网最低价”</b> — say 到手价"
    exported.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    imported = run_cli("plan", "import", str(exported))
    assert imported.exit_code == 0, imported.output

    page.goto(f"{live_server}/plans/{PLAN}/host")
    title, position = page.get_by_test_id("current-title"), page.get_by_test_id("slot-position")
    expect(title).to_have_text(slots[0]["title"])
    for _ in range(index):
        page.keyboard.press("PageDown")
    expect(title).to_have_text(slots[index]["title"])
    notes = page.get_by_test_id("notes")
    expect(notes).to_contain_text("<b>别说“全网最低价”</b>")
    assert notes.locator("b").count() == 0
    expect(page.locator(".ladder .offers")).to_contain_text("直播间券")
    expect(page.locator(".rung.final b")).to_be_visible()
    expect(page.locator(".talk p")).to_have_count(2)
    for width, height in ((1920, 1080), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"host-screen-{width}x{height}")

    page.reload()  # a reload keeps the slot and its clock
    expect(title).to_have_text(slots[index]["title"])
    expect(position).to_have_text(f"{index + 1} / {len(slots)}")

    page.keyboard.press("r")  # one stray R changes nothing; a second one resets
    expect(page.locator("#toast")).to_have_text(ui("press R again to reset the timer"))
    expect(title).to_have_text(slots[index]["title"])
    page.keyboard.press("r")
    expect(title).to_have_text(slots[0]["title"])
    expect(position).to_have_text(f"1 / {len(slots)}")


def test_mirror_from_the_url_and_touch_buttons_on_a_phone(live_server, page, run_cli, ui):
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/plans/{PLAN}/host?mirror=1")
    expect(page.get_by_test_id("host")).to_have_class(MIRRORED)
    expect(page.get_by_test_id("current-title")).to_have_text(slots[0]["title"])
    page.get_by_role("button", name=f"{ui('Next')} ▶").click()
    expect(page.get_by_test_id("current-title")).to_have_text(slots[1]["title"])
    page.get_by_role("button", name=f"◀ {ui('Previous')}").click()
    expect(page.get_by_test_id("current-title")).to_have_text(slots[0]["title"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "host-screen-phone-mirrored")


def test_a_plan_that_cannot_load_says_why_and_can_be_retried(live_server, page, run_cli, ui):
    from playwright.sync_api import expect

    slots = _demo_plan(run_cli, page, live_server)
    failure = {"error": {"code": "unavailable", "message": "database is restarting", "details": []}}
    def unavailable(route) -> None:
        route.fulfill(status=503, json=failure)

    page.route("**/api/v1/plans/*/runsheet", unavailable)
    page.goto(f"{live_server}/plans/{PLAN}/host")
    error = page.get_by_test_id("error")
    parts = error.locator(":scope > *")
    expect(parts).to_have_text([ui("Could not load the plan"), "503: database is restarting",
                                ui("press P to try again"), ui("Try again")])
    expect(page.get_by_role("button", name=f"{ui('Next')} ▶")).to_be_hidden()
    screenshot(page, "host-screen-error")

    # the newest route wins: add the refusal before removing the 503, so no request slips through
    page.route("**/api/v1/plans/*/runsheet", lambda route: route.abort("connectionrefused"))
    page.unroute("**/api/v1/plans/*/runsheet", unavailable)
    page.keyboard.press("p")
    expect(error.locator("span").first).to_have_text(ui.re("no answer from the server ({reason})"))

    page.unroute("**/api/v1/plans/*/runsheet")
    error.get_by_role("button", name=ui("Try again")).click()  # a phone has no P key
    expect(page.get_by_test_id("current-title")).to_have_text(slots[0]["title"])
    expect(error).to_be_hidden()


def _demo_plan(run_cli, page, live_server) -> list[dict]:
    """The demo data and its show's plan; the plan's slots as the host screen gets them."""
    assert load_demo(run_cli) == PLAN
    response = page.request.get(f"{live_server}/api/v1/plans/{PLAN}/runsheet")
    assert response.ok, response.text()
    slots = response.json()["slots"]
    assert len(slots) >= 3
    return slots


def _title(page, live_server: str) -> str:
    response = page.request.get(f"{live_server}/api/v1/plans/{PLAN}/runsheet")
    assert response.ok, response.text()
    return response.json()["title"]


def _seconds(text: str) -> int:
    """The first m:ss or h:mm:ss in a text, in seconds ("+7:00 超时" -> 420)."""
    match = re.search(r"\d+(?::\d{2}){1,2}", text)
    assert match, f"no time in {text!r}"
    seconds = 0
    for part in match.group().split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def _minute_of_day(text: str) -> int:
    """ "预计结束 21:05" -> 1265."""
    match = re.search(r"(\d{2}):(\d{2})", text)
    assert match, f"no HH:MM in {text!r}"
    return int(match.group(1)) * 60 + int(match.group(2))

