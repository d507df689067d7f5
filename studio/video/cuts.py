"""Cut lists: which stretches of the recording become clips, from a file or the show's event log.

A file cut list has the columns ``start, end, sku, title`` (CSV, or a YAML list of mappings);
times are seconds or ``HH:MM:SS.mmm`` from the recording's start. Optional columns give the
banner's ``price`` and ``original_price`` and per-clip template overrides (``layout``,
``focus_x``); a YAML cut may carry any template override under ``overrides``. From the event log, each product
card window (``card.taken`` until the next card, a clear, or the end of the show) is one clip,
padded and kept within the min/max length rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from studio.errors import ErrorDetail, ValidationFailed
from studio.tabular import read_table, write_atomic
from studio.video.timecode import format_time, parse_time

COLUMNS = ("start", "end", "sku", "title")
OPTIONAL = ("price", "original_price", "layout", "focus_x")
LAYOUTS = ("crop", "blur", "square", "landscape")


@dataclass(frozen=True, slots=True)
class Cut:
    """One clip to render: a stretch of the recording and what it sells."""

    start: float
    end: float
    sku: str | None = None
    title: str | None = None
    index: int = 0
    price: Decimal | None = None
    original_price: Decimal | None = None
    overrides: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 3)

    @property
    def name(self) -> str:
        """A file-safe name: ``03-BT-SERUM-30``."""
        stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in (self.sku or "clip"))
        return f"{self.index:02d}-{stem.strip('-') or 'clip'}"


@dataclass(frozen=True, slots=True)
class CutRules:
    pad_before: float = 1.0
    pad_after: float = 1.0
    min_length: float = 8.0
    max_length: float = 180.0


def read_cut_list(path: Path) -> list[Cut]:
    """Read and validate a CSV or YAML cut list; every bad row is named with its reason."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_rows(path)
    else:
        table = read_table(path)
        header = [h.strip().lower() for h in table.header]
        missing = [c for c in ("start", "end") if c not in header]
        if missing:
            raise ValidationFailed(f"{path.name}: missing column(s) {', '.join(missing)} "
                                   f"(columns: {', '.join(COLUMNS)})")
        unknown = [h for h in header if h and h not in COLUMNS + OPTIONAL]
        if unknown:
            raise ValidationFailed(f"{path.name}: unknown column(s) {', '.join(unknown)} "
                                   f"(columns: {', '.join(COLUMNS + OPTIONAL)})")
        rows = [(number, dict(zip(header, cells, strict=False))) for number, cells in table.rows]
    cuts, errors = [], []
    for number, row in rows:
        try:
            start, end = parse_time(row.get("start", "")), parse_time(row.get("end", ""))
        except ValueError as exc:
            errors.append(ErrorDetail(str(exc), row=number))
            continue
        if end <= start:
            errors.append(ErrorDetail(f"end {format_time(end)} is not after start "
                                      f"{format_time(start)}", row=number))
            continue
        try:
            prices = {name: _price(row.get(name), name) for name in ("price", "original_price")}
            overrides = _overrides(row)
        except ValueError as exc:
            errors.append(ErrorDetail(str(exc), row=number))
            continue
        cuts.append(Cut(start, end, (str(row.get("sku") or "").strip() or None),
                        (str(row.get("title") or "").strip() or None), index=len(cuts) + 1,
                        overrides=overrides, **prices))
    if errors:
        raise ValidationFailed(f"{path.name}: {len(errors)} bad row(s); nothing was rendered",
                               details=errors)
    if not cuts:
        raise ValidationFailed(f"{path.name}: the cut list is empty")
    return cuts


def _yaml_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{path.name}: not a YAML cut list ({exc})") from None
    if isinstance(data, dict):
        data = data.get("cuts")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValidationFailed(f"{path.name}: expected a list of cuts with start and end")
    rows = []
    for number, item in enumerate(data, start=1):
        row: dict[str, Any] = {k: ("" if v is None else str(v)) for k, v in item.items()
                               if k != "overrides"}
        if item.get("overrides") is not None:
            if not isinstance(item["overrides"], dict):
                raise ValidationFailed(f"{path.name}: cut {number}: overrides must be a mapping")
            row["overrides"] = item["overrides"]
        unknown = sorted(set(row) - set(COLUMNS + OPTIONAL + ("overrides",)))
        if unknown:
            raise ValidationFailed(f"{path.name}: cut {number}: unknown key(s) {', '.join(unknown)}")
        rows.append((number, row))
    return rows


def _price(text: Any, name: str) -> Decimal | None:
    from studio.catalog.values import parse_money

    if text is None or not str(text).strip():
        return None
    try:
        return parse_money(str(text))
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _overrides(row: dict[str, Any]) -> dict[str, Any]:
    overrides = dict(row.get("overrides") or {})
    layout = str(row.get("layout") or "").strip()
    if layout:
        if layout not in LAYOUTS:
            raise ValueError(f"layout: {layout!r} is not one of {', '.join(LAYOUTS)}")
        overrides["layout"] = layout
    focus = str(row.get("focus_x") or "").strip()
    if focus:
        try:
            value = float(focus)  # a position on screen, not money
        except ValueError:
            raise ValueError(f"focus_x: {focus!r} is not a number from 0 to 1") from None
        if not 0 <= value <= 1:
            raise ValueError(f"focus_x: {focus} is not between 0 (left) and 1 (right)")
        overrides["focus_x"] = value
    return overrides


def write_cut_list(cuts: Iterable[Cut], path: Path) -> None:
    """Write a cut list to review and edit (CSV or YAML by extension), atomically."""
    cuts = list(cuts)
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        import yaml

        items = []
        for c in cuts:
            item: dict[str, Any] = {"start": format_time(c.start), "end": format_time(c.end),
                                    "sku": c.sku, "title": c.title}
            item |= {k: str(v) for k, v in (("price", c.price),
                                            ("original_price", c.original_price)) if v is not None}
            if c.overrides:
                item["overrides"] = c.overrides
            items.append(item)
        text = yaml.safe_dump(items, allow_unicode=True, sort_keys=False)
        write_atomic(Path(path), lambda temp: temp.write_text(text, encoding="utf-8"))
        return
    from studio.tabular import write_csv

    def money(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    # per-clip overrides the CSV has columns for are kept; others need YAML
    extra = [k for k in ("layout", "focus_x") if any(k in c.overrides for c in cuts)]
    deeper = sorted({k for c in cuts for k in c.overrides} - {"layout", "focus_x"})
    if deeper:
        raise ValidationFailed(f"{Path(path).name}: overrides of {', '.join(deeper)} need a "
                               "YAML cut list (.yaml)")
    write_csv(Path(path), [*COLUMNS, "price", "original_price", *extra],
              [[format_time(c.start), format_time(c.end), c.sku or "", c.title or "",
                money(c.price), money(c.original_price),
                *(str(c.overrides.get(k, "")) for k in extra)] for c in cuts])


def cuts_from_events(events: Iterable[dict[str, Any]], recording_start: datetime,
                     recording_duration: float | None = None,
                     rules: CutRules | None = None) -> list[Cut]:
    """One cut per product card window, in recording time, padded and held to the length rules.

    ``events`` are event-log records (``seq``, ``at``, ``type``, ``data``); a window runs from
    ``card.taken`` to the next ``card.taken``, a ``card.cleared``, or the show's end.
    """
    rules = rules or CutRules()
    windows: list[tuple[float, float, dict[str, Any]]] = []
    open_card: tuple[float, dict[str, Any]] | None = None
    last_at = 0.0
    for event in events:
        at = (_moment(event["at"]) - recording_start).total_seconds()
        last_at = max(last_at, at)
        ends_window = event["type"] in ("card.taken", "card.cleared") or (
            event["type"] == "status.changed" and event["data"].get("status") == "ended")
        if ends_window and open_card is not None:
            windows.append((open_card[0], at, open_card[1]))
            open_card = None
        if event["type"] == "card.taken":
            open_card = (at, event["data"]["card"])
    if open_card is not None:
        windows.append((open_card[0], recording_duration or last_at, open_card[1]))
    cuts: list[Cut] = []
    for start, end, card in windows:
        start, end = max(0.0, start - rules.pad_before), end + rules.pad_after
        if recording_duration is not None:
            end = min(end, recording_duration)
        if end - start < rules.min_length or start >= end:
            continue
        end = min(end, start + rules.max_length)
        ladder = card.get("ladder") or {}
        price = ladder.get("final_price") or ladder.get("live_price")
        cuts.append(Cut(round(start, 3), round(end, 3), card.get("sku"), card.get("title"),
                        index=len(cuts) + 1, price=Decimal(price) if price else None,
                        original_price=(Decimal(ladder["list_price"]) if ladder.get("list_price")
                                        else None)))
    return cuts


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
