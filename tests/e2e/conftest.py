"""A real uvicorn server on 127.0.0.1 and a real Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]


def _chromium() -> str | None:
    for candidate in (os.environ.get("STUDIO_TEST_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = _chromium()
    if executable is None:
        service_missing("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path) -> Iterator:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def load_demo(run_cli) -> str:
    """The demo catalogue, show and plan (``studio init --demo``); returns the plan id."""
    from studio.demo import DEMO_SHOW_ID

    result = run_cli("init", "--demo")
    assert result.exit_code == 0, result.output
    return DEMO_SHOW_ID


@pytest.fixture
def overlays(browser) -> Iterator:
    """A second browser context at 1920×1080, as OBS would open the browser sources."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    yield context
    context.close()


def seconds_of(text: str) -> int:
    """``m:ss`` on a countdown, in seconds."""
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def screenshot(page, name: str) -> None:
    """A full-page screenshot into $STUDIO_SCREENSHOTS, when set (docs and review)."""
    folder = os.environ.get("STUDIO_SCREENSHOTS")
    if folder:
        page.wait_for_timeout(600)  # let slide-ins finish
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
