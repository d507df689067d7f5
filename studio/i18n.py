"""The web UI's two languages, Simplified Chinese (the default) and English: catalogues and choice.

Messages live in gettext catalogues, ``studio/locale/<locale>/LC_MESSAGES/messages.po``, with the
English text as the message id (docs/translating.md). Babel reads a catalogue on first use and
compiles it in memory, so no ``.mo`` file is generated or committed. Templates get them through
Jinja's i18n extension (studio.web); the pages' scripts get the messages their files use as a JSON
block (:func:`script_messages`), extracted from the scripts by the same Babel extractor that
``pybabel extract`` runs.

A page's language is, in order: ``?lang=`` (which the page then remembers in the ``lang``
cookie), the ``lang`` cookie, the browser's Accept-Language (``zh*`` or ``en*``), then zh-CN.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DEFAULT = "zh-CN"
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}  # the page's lang tag -> the catalogue's (Babel) locale
NAMES = {"zh-CN": "中文", "en": "English"}  # each in its own language, as switchers show them
COOKIE = "lang"
DOMAIN = "messages"
# Keywords the pages' scripts translate with (web/static/js/i18n.js): t(key), tn(one, many, n).
SCRIPT_KEYWORDS = {"t": None, "tn": (1, 2)}
# The script files of each page that shows text, the modules they import included.
SCRIPTS = {
    "console": ("live/console.js", "live/console-feed.js", "live/console-promos.js",
                "live/client.js", "live/dom.js", "showclock.js", "i18n.js"),
    "overlay": ("live/overlay.js", "live/client.js", "live/dom.js", "showclock.js", "i18n.js"),
    "host": ("host.js", "host-live.js", "showclock.js", "i18n.js"),
    "planner": ("planner.js", "i18n.js"),
    "clips": ("clips.js", "i18n.js"),
    "replay": ("replay.js",),  # runs inline in the self-contained report, so it imports nothing
}


# Messages the server sends for a page's scripts to translate: a rejected command's `message`
# (N_("…") templates in these modules, relative to the studio package).
SERVER_MESSAGES = {"console": ("live_console/commands.py",), "host": ("live_console/commands.py",)}


def locale_dir() -> Path:
    return Path(__file__).resolve().parent / "locale"


def babel_locale(language: str) -> str:
    """``zh-CN`` -> ``zh_CN``: the locale Babel formats numbers and dates for."""
    return LANGUAGES.get(language, LANGUAGES[DEFAULT])


def match(value: str | None) -> str | None:
    """The language a tag asks for (``en-GB`` -> ``en``, ``zh-Hans-CN`` -> ``zh-CN``), or None."""
    tag = (value or "").strip().lower().replace("_", "-")
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The first language we have among the browser's, by their q weights (RFC 9110)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, text = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(text)
                except ValueError:
                    weight = 0.0
        if tag and weight > 0:
            weighted.append((-weight, position, tag))
    for _, _, tag in sorted(weighted):
        if found := match(tag):
            return found
    return None


def negotiate(*, query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: ``?lang=``, the cookie, Accept-Language, then the default."""
    return match(query) or match(cookie) or from_accept_language(accept_language) or DEFAULT


# ---- catalogues ---------------------------------------------------------------------------------

def catalogue_path(language: str) -> Path:
    return locale_dir() / babel_locale(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(language: str) -> Catalog:
    """The language's catalogue as Babel reads it from its .po file (read once per process)."""
    with catalogue_path(language).open("rb") as file:
        return read_po(file, locale=babel_locale(language), domain=DOMAIN)


@functools.cache
def translations(language: str) -> Translations:
    """gettext for one language, compiled in memory from the .po (fuzzy entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalogue(language), use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def translate(language: str, message: str) -> str:
    """``message`` in ``language`` (babel.cfg extracts calls to it: keyword translate:2)."""
    return translations(language).gettext(message)


# ---- the pages' scripts -------------------------------------------------------------------------

def script_keys(paths: tuple[Path, ...]) -> list[str | tuple[str, str]]:
    """The messages the scripts translate: ``t("…")`` gives a str, ``tn("…", "…", n)`` a pair."""
    keys: dict[str | tuple[str, str], None] = {}
    for path in paths:
        with path.open("rb") as file:
            for _, message, _, _ in extract("javascript", file, keywords=SCRIPT_KEYWORDS,
                                            options={"parse_template_string": True}):
                keys[message] = None
    return list(keys)


def server_keys(paths: tuple[Path, ...]) -> list[str]:
    """The N_("…") messages of Python modules: what the server may send a page to translate."""
    keys: dict[str, None] = {}
    for path in paths:
        with path.open("rb") as file:
            for _, message, _, _ in extract("python", file, keywords={"N_": None}):
                keys[message] = None
    return list(keys)


@functools.cache
def _script_messages(page: str, language: str, root: Path) -> str:
    keys = script_keys(tuple(root / "static" / "js" / name for name in SCRIPTS[page]))
    package = Path(__file__).resolve().parent
    keys += server_keys(tuple(package / name for name in SERVER_MESSAGES.get(page, ())))
    entries = catalogue(language)
    messages: dict[str, Any] = {}
    for key in keys:
        msgid = key if isinstance(key, str) else key[0]
        entry = entries.get(msgid)
        found = entry.string if entry is not None and not entry.fuzzy else None
        if isinstance(key, tuple):
            forms = list(found) if isinstance(found, tuple | list) and all(found) else list(key)
            messages[msgid] = forms
        else:
            messages[msgid] = found if isinstance(found, str) and found else key
    return script_json({"locale": language, "messages": messages})


def script_messages(page: str, language: str, root: Path) -> str:
    """The JSON the page's scripts read their language and messages from (web/static/js/i18n.js)."""
    return _script_messages(page, language if language in LANGUAGES else DEFAULT, root)


def script_json(data: Mapping[str, Any]) -> str:
    """JSON to place inside <script type="application/json">: nothing in it can close the tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
