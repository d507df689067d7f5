"""Where the web assets are (inside an installed wheel, or the checkout's web/) and the templates.

Templates are rendered in the page's language (studio.i18n): ``lang`` in their context is its tag
("zh-CN" or "en"); ``_()``, ``ngettext()`` and ``{% trans %}`` translate through the language's
catalogue, and the money, number, percent and local_time filters format for it with Babel.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from studio import i18n
from studio.errors import ConfigurationError

COOKIE_MAX_AGE = 365 * 24 * 3600
# How a moment reads in Chinese (2026-12-10 20:00:00, as studios write it); other languages use
# the locale's medium date and time (Dec 10, 2026, 8:00:00 PM). Both are followed by the UTC offset,
# which readers in other time zones need (a zone's abbreviation, "CST", is ambiguous).
DATETIME_PATTERNS = {"zh-CN": ("yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm")}


def web_root() -> Path:
    """studio/web in an installed wheel; web/ at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "web", package.parent / "web"):
        if (candidate / "templates").is_dir():
            return candidate
    raise ConfigurationError("web assets not found: reinstall studio (pip install .)")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=web_root() / "templates")
    install_i18n(templates.env)
    return templates


def install_i18n(env: Environment) -> None:
    """gettext, the language switcher and the locale-aware filters, for any of our environments."""
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them: one line per message
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = _money
    env.filters["local_time"] = _local_time
    env.filters["percent"] = _percent
    env.filters["number"] = _number
    env.globals["languages"] = i18n.NAMES
    env.globals["script_messages"] = _script_messages


def language_of(context: Context) -> str:
    """The language a template renders in: its ``lang``, or the default."""
    language = context.get("lang")
    return language if language in i18n.LANGUAGES else i18n.DEFAULT


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translations(language_of(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(language_of(context)).ngettext(singular, plural, n)


@pass_context
def _script_messages(context: Context, page: str) -> Markup:
    """The block the page's scripts read their language and messages from (js/i18n.js)."""
    data = i18n.script_messages(page, language_of(context), web_root())
    return Markup('<script type="application/json" id="i18n">{}</script>').format(Markup(data))


# ---- filters: money, numbers and moments in the page's language -----------------------------------

def format_money(value: Decimal | str | None, currency: str, language: str) -> str:
    """¥1,234.50 (zh) or CN¥1,234.50 (en): a Decimal (or decimal text), never a float."""
    if value is None or value == "":
        return "—"
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return format_currency(amount, currency, locale=i18n.babel_locale(language))


def format_moment(value: datetime | None, tz: str | None, language: str, *,
                  seconds: bool = True) -> str:
    """The moment in ``tz`` (else as stored) for the language, with its UTC offset."""
    if value is None:
        return "—"
    if tz:
        value = value.astimezone(ZoneInfo(tz))
    locale = i18n.babel_locale(language)
    if language in DATETIME_PATTERNS:
        pattern = DATETIME_PATTERNS[language][0 if seconds else 1]
    else:  # the locale's medium date with its medium (or short: no seconds) time
        pattern = get_datetime_format("medium", locale).format(
            get_time_format("medium" if seconds else "short", locale).pattern,
            get_date_format("medium", locale).pattern)
    stamp = format_datetime(value, pattern, tzinfo=value.tzinfo, locale=locale)
    offset = value.strftime("%z")  # "+0800"
    return f"{stamp} UTC{offset[:3]}:{offset[3:]}" if offset else stamp


@pass_context
def _money(context: Context, value: Decimal | str | None, currency: str = "CNY") -> str:
    return format_money(value, currency, language_of(context))


@pass_context
def _percent(context: Context, value: Decimal | None) -> str:
    if value is None:
        return "—"
    # every digit the rate has (12.5%), not rounded to a whole percent
    return format_percent(value, locale=i18n.babel_locale(language_of(context)),
                          decimal_quantization=False)


@pass_context
def _number(context: Context, value: int | Decimal | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=i18n.babel_locale(language_of(context)))


@pass_context
def _local_time(context: Context, value: datetime | None, tz: str | None = None,
                seconds: bool = True) -> str:
    return format_moment(value, tz, language_of(context), seconds=seconds)


# ---- pages ----------------------------------------------------------------------------------------

def page_language(request: Request) -> str:
    """The request's language (studio.i18n.negotiate), worked out once per request."""
    language = getattr(request.state, "lang", None)
    if language is None:
        language = i18n.negotiate(query=request.query_params.get("lang"),
                                  cookie=request.cookies.get(i18n.COOKIE),
                                  accept_language=request.headers.get("accept-language"))
        request.state.lang = language
    return language


def language_urls(request: Request) -> dict[str, str]:
    """This page's address in each language (``?lang=…`` added, the other parameters kept)."""
    urls = {}
    for language in i18n.LANGUAGES:
        url = request.url.include_query_params(lang=language)
        urls[language] = f"{url.path}?{url.query}"
    return urls


def remember_language(request: Request, response: Response) -> Response:
    """A page asked for with ``?lang=`` keeps its language in the cookie; caches key on both."""
    chosen = i18n.match(request.query_params.get("lang"))
    if chosen:
        response.set_cookie(i18n.COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="lax")
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Content-Language"] = page_language(request)
    return response


def page_context(request: Request) -> dict[str, Any]:
    """What every page template needs to speak the request's language."""
    return {"lang": page_language(request), "language_urls": language_urls(request)}


def render(request: Request, template: str, context: dict[str, Any],
           status_code: int = 200) -> HTMLResponse:
    """Render a page template (autoescaped) with the shared layout, in the request's language."""
    response = request.app.state.templates.TemplateResponse(
        request, template, {**page_context(request), **context}, status_code=status_code
    )
    remember_language(request, response)
    return response
