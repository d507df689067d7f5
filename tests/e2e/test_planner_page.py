"""A planner opens a show plan in Chromium: retimes, reorders and locks slots, arranges, saves."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import load_demo, screenshot

pytestmark = pytest.mark.browser

PLAN = "demo-winter-goodies"


def _demo_plan(run_cli) -> None:
    assert load_demo(run_cli) == PLAN


def _open(page, live_server: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server}/plans/{PLAN}")
    expect(page.locator("#planner")).to_have_attribute("data-preview", "idle")


def _idle(page) -> None:
    """Wait until the server has answered the newest edit (the 300 ms debounce, then preview)."""
    expect(page.locator("#planner")).to_have_attribute("data-preview", "idle")


def _slot_ids(page) -> list[str]:
    return page.get_by_test_id("slot-row").evaluate_all("rows => rows.map(r => r.dataset.slotId)")


def _row(page, slot_id: str):
    return page.locator(f"[data-testid=slot-row][data-slot-id='{slot_id}']")


def _api_plan(page, live_server: str) -> dict:
    response = page.request.get(f"{live_server}/api/v1/plans/{PLAN}")
    assert response.ok, response.text()
    return response.json()


def _runsheet(page, live_server: str) -> dict:
    response = page.request.get(f"{live_server}/api/v1/plans/{PLAN}/runsheet")
    assert response.ok, response.text()
    return response.json()


def _version(page) -> int:
    return int(page.get_by_test_id("version").inner_text().removeprefix("v"))


def _seconds(clock: str) -> int:
    """"20:12" or "20:12:30" (⁺¹ after midnight) → seconds after the show day's midnight."""
    match = re.fullmatch(r"(\d\d):(\d\d)(?::(\d\d))?( ⁺¹)?", clock.strip())
    assert match, clock
    hours, minutes, seconds, next_day = match.groups()
    return (int(hours) * 60 + int(minutes)) * 60 + int(seconds or 0) + (86400 if next_day else 0)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds % 86400, 3600)
    text = f"{hours:02d}:{rest // 60:02d}"
    return (text + (f":{rest % 60:02d}" if rest % 60 else "")
            + (" ⁺¹" if seconds >= 86400 else ""))


def test_retime_reorder_lock_arrange_and_save(live_server, page, run_cli, ui):
    _demo_plan(run_cli)
    _open(page, live_server)
    before = _version(page)
    segments = _api_plan(page, live_server)["document"]["segments"]
    ids = _slot_ids(page)
    assert ids == [s["id"] for s in segments]
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    # the server's numbers are on the page, in the language's money: prices and margins of the
    # lead SKU, the summary
    sheet = _runsheet(page, live_server)
    lead = next(s for s in sheet["slots"] if s["kind"] == "product" and s["prices"])["prices"][0]
    seller = next(s["id"] for s in sheet["slots"] if s["kind"] == "product" and s["prices"])
    expect(_row(page, seller).get_by_test_id("final-price").locator("strong")).to_have_text(
        ui.money(lead["final_price"]))
    expect(_row(page, seller).get_by_test_id("margin").locator("strong")).to_have_text(
        ui.money(lead["margin"]))
    expect(_row(page, seller).get_by_test_id("margin").locator("small")).to_contain_text("%")
    expect(page.get_by_test_id("summary-errors")).to_have_text(
        ui.n("{n} error", "{n} errors", sheet["errors"]))

    # retime a slot: the one after it starts later once the preview comes back
    index = next(i for i in range(1, len(segments) - 4)
                 if not segments[i]["anchor"] and not segments[i + 1]["anchor"])
    first, second = ids[index], ids[index + 1]
    minutes = str(Decimal(segments[index]["minutes"]) + Decimal("2.5"))
    next_start = _seconds(_row(page, second).get_by_test_id("slot-start").inner_text())
    _row(page, first).get_by_test_id("slot-minutes").fill(minutes)
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    _idle(page)
    expect(_row(page, second).get_by_test_id("slot-start")).to_have_text(_clock(next_start + 150))
    screenshot(page, "planner-retimed")

    # reorder with the keyboard-friendly button: the slot swaps with the one above, focus stays
    moved, above = ids[index + 3], ids[index + 2]
    _row(page, moved).get_by_test_id("move-up").click()
    order = _slot_ids(page)
    assert order.index(moved) == index + 2 and order.index(above) == index + 3
    assert page.evaluate("document.activeElement.dataset.focus") == f"{moved}:move-up"
    expect(_row(page, moved).get_by_test_id("slot-reason")).to_have_text("")  # moved by hand
    _idle(page)
    assert _seconds(_row(page, moved).get_by_test_id("slot-start").inner_text()) < \
        _seconds(_row(page, above).get_by_test_id("slot-start").inner_text())

    # lock the retimed slot, so arrange keeps it and its new length
    _row(page, first).get_by_test_id("slot-lock").check()
    expect(_row(page, first).locator(".badge.locked")).to_have_text(ui("locked"))
    _idle(page)
    page.get_by_test_id("arrange").click()
    expect(_row(page, first).get_by_test_id("slot-reason")).to_contain_text("locked")  # data
    reasons = page.get_by_test_id("slot-reason").all_inner_texts()
    assert len(reasons) >= len(ids) - 1 and all(reasons), reasons
    expect(_row(page, moved).get_by_test_id("slot-reason")).not_to_have_text("")
    expect(_row(page, first).get_by_test_id("slot-minutes")).to_have_value(minutes)
    expect(_row(page, first).get_by_test_id("slot-lock")).to_be_checked()
    expect(page.get_by_test_id("unsaved")).to_be_visible()  # arranged, not saved yet
    screenshot(page, "planner")

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("version")).to_have_text(f"v{before + 1}")
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text(
        ui("Saved as version v{version}", version=before + 1))
    screenshot(page, "planner-saved")

    saved = _api_plan(page, live_server)
    assert saved["current_version"] == before + 1
    segment = next(s for s in saved["document"]["segments"] if s["id"] == first)
    assert segment["minutes"] == minutes and segment["locked"] is True
    assert [s["id"] for s in saved["document"]["segments"]] == _slot_ids(page)


def test_invalid_minutes_show_the_server_message_and_are_not_saved(live_server, page, run_cli, ui):
    _demo_plan(run_cli)
    _open(page, live_server)
    before = _version(page)
    slot = _slot_ids(page)[1]

    minutes = _row(page, slot).get_by_test_id("slot-minutes")
    minutes.fill("0")
    expect(page.locator("#planner")).to_have_attribute("data-preview", "error")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"({slot}).minutes")
    expect(alert).to_contain_text("greater than 0")
    expect(minutes).to_have_class(re.compile(r"\binvalid\b"))
    expect(minutes).to_have_attribute("aria-invalid", "true")

    page.get_by_test_id("save").click()
    expect(alert).to_contain_text(ui("Not saved"))
    expect(alert).to_contain_text(f"({slot}).minutes")
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    assert _version(page) == before
    screenshot(page, "planner-invalid-minutes")
    saved = _api_plan(page, live_server)
    assert saved["current_version"] == before
    assert next(s for s in saved["document"]["segments"] if s["id"] == slot)["minutes"] != "0"

    # putting it right clears the message and the mark
    minutes.fill("6")
    _idle(page)
    expect(alert).to_be_hidden()
    expect(minutes).not_to_have_class(re.compile(r"\binvalid\b"))


def test_offers_are_added_ticked_on_a_slot_and_priced(live_server, page, run_cli, ui):
    _demo_plan(run_cli)
    _open(page, live_server)
    document = _api_plan(page, live_server)["document"]
    target = next(s["id"] for s in document["segments"]
                  if s["kind"] == "product" and not s["offers"])
    slot = _row(page, target)
    live_final = slot.get_by_test_id("final-price").inner_text()

    form = page.locator("[data-role=add-offer]")
    form.locator("select[name=kind]").select_option("coupon")
    form.locator("input[name=id]").fill("coupon-5")
    form.get_by_role("button", name=ui("Add offer")).click()
    card = page.locator("fieldset.offer[data-offer-id='coupon-5']")
    card.get_by_label(ui("Amount off")).fill("5.00")
    card.get_by_label(ui("Quantity")).fill("500")
    card.get_by_label(ui("Label")).fill("无门槛券 ¥5")  # the offer's label is data
    card.get_by_label(ui("Label")).press("Tab")
    slot.locator(".offer-picker summary").click()  # the slot's offers open as a list
    slot.get_by_role("checkbox", name="无门槛券 ¥5").check()
    expect(slot.locator(".offer-picker summary")).to_have_text("无门槛券 ¥5")
    _idle(page)
    expect(slot.get_by_test_id("final-price")).not_to_have_text(live_final)
    title = next(s for s in document["segments"] if s["id"] == target)["title"] or target
    expect(card.locator(".used")).to_have_text(ui("Used by: {slots}", slots=title))

    # a threshold offer without tiers is refused by the server, which names the offer
    form.locator("select[name=kind]").select_option("threshold")
    form.get_by_role("button", name=ui("Add offer")).click()
    threshold = page.locator("fieldset.offer[data-offer-id='threshold']")
    threshold.get_by_role("button", name=ui("Remove tier {n}", n=1)).click()
    expect(page.get_by_role("alert")).to_contain_text("threshold offer needs tiers")
    expect(threshold).to_have_class(re.compile(r"\binvalid\b"))
    screenshot(page, "planner-offers")
    threshold.get_by_role("button", name=ui("Delete offer {id}", id="threshold")).click()
    _idle(page)

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    saved = _api_plan(page, live_server)["document"]
    offers = {o["id"]: o for o in saved["offers"]}
    assert set(offers) == {o["id"] for o in document["offers"]} | {"coupon-5"}
    assert {k: offers["coupon-5"][k] for k in ("kind", "label", "amount", "percent_off",
                                               "min_spend", "quantity", "skus")} == {
        "kind": "coupon", "label": "无门槛券 ¥5", "amount": "5.00", "percent_off": None,
        "min_spend": None, "quantity": 500, "skus": []}
    assert next(s for s in saved["segments"] if s["id"] == target)["offers"] == ["coupon-5"]


def test_drag_a_slot_and_undo(live_server, page, run_cli, ui):
    _demo_plan(run_cli)
    _open(page, live_server)
    ids = _slot_ids(page)
    dragged, target = ids[4], ids[2]
    _row(page, dragged).locator(".handle").drag_to(_row(page, target), target_position={"x": 40, "y": 4})
    assert _slot_ids(page) == [*ids[:2], dragged, *[i for i in ids[2:] if i != dragged]]
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    _idle(page)

    page.get_by_role("button", name=ui("Undo"), exact=True).click()
    assert _slot_ids(page) == ids
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text(ui("Undone"))

