"""What the clip pipeline reads from the database: a show's card windows and the catalogue's prices."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from studio.errors import ValidationFailed
from studio.video.cuts import Cut, CutRules, cuts_from_events
from studio.video.templates import BannerText


def went_live_at(events: list[dict]) -> datetime | None:
    """When the show's status first became live: where an OBS recording of it usually starts."""
    for event in events:
        if event["type"] == "status.changed" and event["data"].get("status") == "live":
            return datetime.fromisoformat(event["at"])
    return None


def parse_moment(text: str, zone: str) -> datetime:
    """An ISO 8601 moment; a naive one is read in the show's time zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"--recording-start: {text!r} is not an ISO 8601 time "
                               "such as 2026-12-10T20:00:05+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def show_cuts(session: Session, show_id: str, *, recording_start: str | None = None,
              recording_duration: float | None = None, rules: CutRules | None = None,
              ) -> tuple[list[Cut], datetime]:
    """One cut per product card window of the show's event log, in recording time."""
    from studio.live_console.service import event_rows
    from studio.shows import service as show_service

    show = show_service.get_show(session=session, show_id=show_id)
    events = list(event_rows(session, show_id))
    if recording_start:
        start = parse_moment(recording_start, show.timezone)
    else:
        start = went_live_at(events)
        if start is None:
            raise ValidationFailed(f"show {show_id!r} never went live in its event log; give "
                                   "--recording-start (when the recording began)")
    if not any(e["type"] == "card.taken" for e in events):
        raise ValidationFailed(f"show {show_id!r} has no product card in its event log; write a "
                               "cut list by hand and use --cuts")
    cuts = cuts_from_events(events, start, recording_duration, rules)
    if not cuts:
        raise ValidationFailed(f"show {show_id!r}: no card window is long enough for a clip "
                               f"(minimum {(rules or CutRules()).min_length:g} s)")
    return cuts, start


def catalogue_banners(session: Session, skus: list[str]) -> dict[str, BannerText]:
    """Banner text for SKUs the catalogue knows: title, live price and 原价 (list price)."""
    from studio.scripts.catalog_view import load_catalog_view

    view = load_catalog_view(session, [s for s in skus if s], with_history=False)
    return {code: BannerText(title=facts.label, price=facts.live_price,
                             original_price=facts.list_price, sku=code)
            for code, facts in view.skus.items()}
