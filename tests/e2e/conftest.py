"""A real uvicorn server on 127.0.0.1 and a real Chromium driven by Playwright, in both languages.

Every browser test runs twice: ``lang`` is ``zh-CN`` (the default language) or ``en``, the browser
contexts (``page``, ``overlays``) ask for it the way a browser does (Accept-Language), and ``ui``
gives the interface text the page must show in it, looked up by its English message id in the
same gettext catalogues the app renders from (studio/i18n.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_currency

from studio import i18n
from tests.conftest import service_missing

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
LANGUAGES = ["zh-CN", "en"]
SUFFIX = {"zh-CN": "zh", "en": "en"}  # the test ids' and the screenshots' language suffix
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
CLOCK = re.compile(r"\d+(?::\d\d){1,2}")  # m:ss or h:mm:ss, as the screens count
HOUR_MINUTE = re.compile(r"\d\d:\d\d")  # 24-hour clock time, as the studios run by


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


@pytest.fixture(params=LANGUAGES, ids=[SUFFIX[language] for language in LANGUAGES])
def lang(request: pytest.FixtureRequest) -> str:
    """The language the browser asks for, and the pages must speak."""
    return request.param


class Ui:
    """The interface text in one language, by its English message id (``ui("Save")`` → 保存).

    ``{name}`` (the scripts') and ``%(name)s`` (the templates') placeholders are filled from the
    keyword arguments; :meth:`re` leaves the others open. An id the catalogues do not hold is an
    error, not the id itself: a typo must not pass in English and fail only in Chinese.
    """

    def __init__(self, language: str) -> None:
        self.lang = language
        self.locale = i18n.babel_locale(language)

    def __call__(self, message: str, **params: object) -> str:
        return self._fill(self._entry(message, None), params)

    def n(self, singular: str, plural: str, count: int, **params: object) -> str:
        """A plural message for ``count``, ``{n}`` as the scripts fill it (the count, formatted)."""
        self._entry(singular, plural)
        text = i18n.translations(self.lang).ngettext(singular, plural, count)
        return self._fill(text, {"n": f"{count:,}", "num": count, **params})

    def re(self, message: str, **params: object) -> re.Pattern[str]:
        """The whole text of the message as a pattern (anchored: Playwright searches a pattern),
        the placeholders not given matching any text (and those given as patterns, theirs)."""
        text = self._entry(message, None)
        parts, end = [], 0
        for match in PLACEHOLDER.finditer(text):
            parts.append(re.escape(text[end:match.start()]))
            name = match.group(1) or match.group(2)
            value = params.get(name)
            parts.append(".+?" if value is None else value.pattern if isinstance(value, re.Pattern)
                         else re.escape(str(value)))
            end = match.end()
        parts.append(re.escape(text[end:]))
        return re.compile(f"^{''.join(parts)}$")

    def money(self, amount: Decimal | str | int, currency: str = "CNY", *, trim: bool = False) -> str:
        """Money as this language writes it (¥159.00, CN¥159.00), as studio.web and i18n.js do;
        ``trim`` drops the cents of a whole amount (¥159), as the screens show prices."""
        value = Decimal(str(amount))
        text = format_currency(value, currency, locale=self.locale)
        if trim and value == value.to_integral_value():
            text = text.replace(".00", "")
        return text

    def _entry(self, message: str, plural: str | None) -> str:
        entry = i18n.catalogue(self.lang).get(message)
        assert entry is not None and not entry.fuzzy, f"no {self.lang} message {message!r}"
        if plural is not None:
            assert isinstance(entry.id, tuple) and entry.id[1] == plural, (message, entry.id)
            assert all(entry.string), f"untranslated {self.lang} message {message!r}"
            return entry.string[0]
        assert isinstance(entry.string, str) and entry.string, f"untranslated: {message!r}"
        return i18n.translate(self.lang, message)

    @staticmethod
    def _fill(text: str, params: dict[str, object]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            return str(params[name]) if name in params else match.group(0)

        return PLACEHOLDER.sub(value, text)


@pytest.fixture
def ui(lang: str) -> Ui:
    """``ui("Save")``: the text the page shows for a message in the test's language."""
    return Ui(lang)


@pytest.fixture
def page(browser, lang) -> Iterator:
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
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
def overlays(browser, lang) -> Iterator:
    """A second browser context at 1920×1080, as OBS would open the browser sources."""
    context = browser.new_context(locale=lang, viewport={"width": 1920, "height": 1080})
    yield context
    context.close()


def seconds_of(text: str) -> int:
    """``m:ss`` on a countdown, in seconds."""
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def counts_down(countdown, seconds=seconds_of) -> None:
    """The countdown's next tick shows less time (Playwright waits for the tick: no sleep)."""
    from playwright.sync_api import expect

    before = countdown.inner_text()
    expect(countdown).not_to_have_text(before)
    assert seconds(countdown.inner_text()) < seconds(before), (before, countdown.inner_text())


def screenshot(page, name: str) -> None:
    """A full-page screenshot into $STUDIO_SCREENSHOTS, when set (docs and review), named for the
    page's own language: ``<name>-zh.png`` or ``<name>-en.png``."""
    folder = os.environ.get("STUDIO_SCREENSHOTS")
    if folder:
        language = page.evaluate("document.documentElement.lang")
        assert language in SUFFIX, f"{name}: the page has no language of ours: {language!r}"
        page.wait_for_timeout(600)  # cosmetic only: let slide-ins finish before the picture
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{SUFFIX[language]}.png"), full_page=True)
