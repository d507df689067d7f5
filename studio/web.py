"""Where the web assets are (inside an installed wheel, or the checkout's web/) and the templates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from studio.errors import ConfigurationError


def web_root() -> Path:
    """studio/web in an installed wheel; web/ at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "web", package.parent / "web"):
        if (candidate / "templates").is_dir():
            return candidate
    raise ConfigurationError("web assets not found: reinstall studio (pip install .)")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=web_root() / "templates")
    templates.env.filters["money"] = _money
    templates.env.filters["local_time"] = _local_time
    templates.env.filters["percent"] = _percent
    return templates


def _money(value: Decimal | None, currency: str = "CNY") -> str:
    if value is None:
        return "—"
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£"}.get(currency, "")
    return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {currency}"


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(value * 100).normalize():f}%"


def _local_time(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return "—"
    if tz:
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo(tz))
    offset = value.strftime("%z")  # "+0800": unambiguous, unlike the "CST" abbreviation
    stamp = f"{value:%Y-%m-%d %H:%M:%S}"
    return f"{stamp} UTC{offset[:3]}:{offset[3:]}" if offset else stamp


def render(request: Request, template: str, context: dict[str, Any],
           status_code: int = 200) -> HTMLResponse:
    """Render a page template (autoescaped) with the shared layout."""
    return request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
