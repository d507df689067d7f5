"""Write a benchmark's figures into its marked section of docs/benchmarks.md."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def record(text: str, section: str) -> None:
    """Replace the text between ``<!-- SECTION:begin -->`` and ``<!-- SECTION:end -->``."""
    begin, end = f"<!-- {section}:begin -->", f"<!-- {section}:end -->"
    current = DOCS.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(current):
        raise SystemExit(f"{DOCS} has no {begin} … {end} markers")
    DOCS.write_text(pattern.sub(lambda _: f"{begin}\n{text}\n{end}", current), encoding="utf-8")
    print(f"recorded in {DOCS.name} ({section})")
