"""Printable run sheets: HTML (print CSS), Markdown, and PDF through WeasyPrint."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from studio.errors import ConfigurationError, ValidationFailed
from studio.tabular import write_atomic
from studio.web import web_root

FORMATS = ("html", "md", "pdf")


def _env(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(web_root() / "templates"),
                      autoescape=select_autoescape(["html"]) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["hm"] = lambda text: datetime.fromisoformat(text).strftime("%H:%M")
    env.filters["yuan"] = lambda text: "—" if text is None else f"¥{float_free(text)}"
    env.filters["md"] = _md_escape
    return env


def float_free(text: str) -> str:
    """``1234.50`` → ``1,234.50`` by string work alone (money never becomes a float)."""
    whole, _, cents = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return f"{sign}{','.join(groups)}.{cents or '00'}"


def _md_escape(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    if text is None:
        return ""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render_html(sheet: dict[str, Any]) -> str:
    return _env(True).get_template("plans/runsheet_print.html").render(sheet=sheet)


def render_markdown(sheet: dict[str, Any]) -> str:
    return _env(False).get_template("plans/runsheet.md").render(sheet=sheet)


def render_pdf(sheet: dict[str, Any]) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise ConfigurationError(
            f"PDF needs WeasyPrint and Pango ({exc}): pip install 'studio[pdf]' "
            "(and apt-get install libpango-1.0-0 libpangoft2-1.0-0 on Debian)") from None
    return HTML(string=render_html(sheet), base_url=str(web_root())).write_pdf()


def write_runsheet(sheet: dict[str, Any], fmt: str, out: Path) -> None:
    """Render ``sheet`` as ``fmt`` into ``out`` atomically."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"unknown format {fmt!r} (use html, md or pdf)")
    if fmt == "pdf":
        data = render_pdf(sheet)
        write_atomic(out, lambda temp: temp.write_bytes(data))
        return
    text = render_html(sheet) if fmt == "html" else render_markdown(sheet)
    write_atomic(out, lambda temp: temp.write_text(text, encoding="utf-8"))
