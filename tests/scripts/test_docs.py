"""docs/planning.md stays true to the code: every check code and offer kind is documented."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from studio.scripts import checks
from studio.scripts.document import Offer, Role, SegmentKind

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")


def test_every_check_code_is_in_the_table():
    source = Path(checks.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'Finding\(\w+, "(\w+)"', source))
    codes |= set(re.findall(r'Finding\(severity, "(\w+)"', source))
    assert len(codes) >= 15
    missing = sorted(c for c in codes if f"| `{c}` |" not in DOC)
    assert missing == []


def test_offer_kinds_roles_and_segment_kinds_are_documented():
    kinds = typing.get_args(Offer.model_fields["kind"].annotation)
    assert all(f"`{k}`" in DOC for k in kinds)
    assert all(f"`{r.value}`" in DOC for r in Role)
    assert all(f"`{k.value}`" in DOC for k in SegmentKind)
