"""Printable run sheets: HTML (print CSS), Markdown, and PDF through WeasyPrint, in Chinese (the
default) or English."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from studio import i18n
from studio.errors import ConfigurationError, ValidationFailed
from studio.tabular import write_atomic
from studio.web import install_i18n, web_root

FORMATS = ("html", "md", "pdf")


def _env(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(web_root() / "templates"),
                      autoescape=select_autoescape(["html"]) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    install_i18n(env)
    env.filters["hm"] = lambda text: datetime.fromisoformat(text).strftime("%H:%M")
    env.filters["md"] = _md_escape
    return env


def _md_escape(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    if text is None:
        return ""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render_html(sheet: dict[str, Any], language: str = i18n.DEFAULT) -> str:
    return _env(True).get_template("plans/runsheet_print.html").render(sheet=sheet, lang=language)


def render_markdown(sheet: dict[str, Any], language: str = i18n.DEFAULT) -> str:
    return _env(False).get_template("plans/runsheet.md").render(sheet=sheet, lang=language)


def render_pdf(sheet: dict[str, Any], language: str = i18n.DEFAULT) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise ConfigurationError(
            f"PDF needs WeasyPrint and Pango ({exc}): pip install 'studio[pdf]' "
            "(and apt-get install libpango-1.0-0 libpangoft2-1.0-0 on Debian)") from None
    return HTML(string=render_html(sheet, language), base_url=str(web_root())).write_pdf()


def write_runsheet(sheet: dict[str, Any], fmt: str, out: Path, language: str = i18n.DEFAULT) -> None:
    """Render ``sheet`` as ``fmt`` into ``out`` atomically, in ``language`` ("zh-CN" or "en")."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"unknown format {fmt!r} (use html, md or pdf)")
    if fmt == "pdf":
        data = render_pdf(sheet, language)
        write_atomic(out, lambda temp: temp.write_bytes(data))
        return
    text = render_html(sheet, language) if fmt == "html" else render_markdown(sheet, language)
    write_atomic(out, lambda temp: temp.write_text(text, encoding="utf-8"))
