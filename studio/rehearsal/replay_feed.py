"""A rehearsal's audience, into replay: the orders, minute metrics and comments it sent.

Nothing here is estimated. Every record comes from the show's event log — the ``comments``
batches the simulator's messages were logged in, stamped on the show clock — written as the
canonical export files (docs/replay-formats.md) under ``STUDIO_HOME/rehearsals/<show>/`` and
imported by the ordinary importer, all three in one transaction. So the replay's GMV is, to the
fen, the sum of the orders the simulated audience placed.

- orders: one paid line per simulated order (its message id is the order id, its viewer the
  buyer, paid when it was sent);
- minute metrics: viewers online (the last count reported in the minute, carried over a minute
  without one), comments, likes and new followers. The simulator reports no entries, views or
  shop-bag figures, so those stay blank (0) rather than invented;
- comments: every comment as sent, including those moderation hid on screen (a platform's
  export has them too).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from studio.config import Settings
from studio.db import transaction
from studio.live_console.service import event_rows
from studio.replay import importer
from studio.replay.formats import COMMENT_FIELDS, METRIC_FIELDS, ORDER_FIELDS
from studio.replay.importer import epoch_minute, minute_moment
from studio.shows import service as show_service
from studio.tabular import write_csv


@dataclass(slots=True)
class _Minute:
    online: int | None = None
    comments: int = 0
    likes: int = 0
    follows: int = 0


@dataclass
class Feed:
    """What the event log held, as canonical rows."""

    orders: list[list[str]] = field(default_factory=list)
    minutes: list[list[str]] = field(default_factory=list)
    comments: list[list[str]] = field(default_factory=list)
    gmv: Decimal = Decimal("0.00")
    units: int = 0


@dataclass
class FeedResult:
    """Where the files went and what was imported."""

    folder: Path
    files: dict[str, Path]
    orders: int
    minutes: int
    comments: int
    gmv: Decimal
    units: int
    reports: list[str]


def collect(session: Session, show_id: str, zone_name: str) -> Feed:
    """Read the show's event log into order, minute and comment rows."""
    zone = ZoneInfo(zone_name)
    feed = Feed()
    minutes: dict[int, _Minute] = defaultdict(_Minute)
    for event in event_rows(session, show_id):
        if event["type"] != "comments":
            continue
        for record in event["data"]["items"]:
            _take(feed, minutes, record)
    if minutes:
        online = 0
        first, last = min(minutes), max(minutes)
        for minute in range(first, last + 1):
            seen = minutes.get(minute) or _Minute()
            online = seen.online if seen.online is not None else online
            moment = minute_moment(minute).astimezone(zone).isoformat(timespec="minutes")
            feed.minutes.append([moment, str(online), "", "", "", "", "", str(seen.comments),
                                 str(seen.likes), str(seen.follows)])
    return feed


def _take(feed: Feed, minutes: dict[int, _Minute], record: dict[str, Any]) -> None:
    kind = record["kind"]
    at = datetime.fromisoformat(record["time"])
    minute = minutes[epoch_minute(at)]
    if kind == "stats":
        minute.online = int(record.get("online") or 0)
    elif kind == "like":
        minute.likes += max(1, int(record.get("quantity") or 1))
    elif kind == "follow":
        minute.follows += 1
    elif kind == "comment":
        minute.comments += 1
        if record["text"].strip():
            feed.comments.append([record["time"], record["platform"], record["user_id"],
                                  record["nickname"], record["text"]])
    elif kind == "order":
        amount = Decimal(record.get("amount") or "0")
        quantity = int(record.get("quantity") or 1)
        feed.gmv += amount
        feed.units += quantity
        feed.orders.append([record["id"], record["time"], record["time"], record.get("sku") or "",
                            str(quantity), f"{amount:.2f}", "0.00", "paid",
                            record["user_id"] or ""])


def feed_replay(settings: Settings, factory: sessionmaker[Session], show_id: str) -> FeedResult:
    """Write the rehearsal's canonical files and import them into its replay (one transaction)."""
    with factory() as session:
        show = show_service.get_show(session=session, show_id=show_id)
        zone_name = show.timezone
        feed = collect(session, show_id, zone_name)
    folder = Path(settings.home) / "rehearsals" / show_id
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for kind, header, rows in (("orders", ORDER_FIELDS, feed.orders),
                               ("metrics", METRIC_FIELDS, feed.minutes),
                               ("comments", COMMENT_FIELDS, feed.comments)):
        if rows:
            path = folder / f"{kind}.csv"
            write_csv(path, list(header), rows)
            files[kind] = path
    reports: list[str] = []
    if files:
        with transaction(factory) as session:
            done = importer.import_files(session, show_id, zone_name,
                                         [(kind, path) for kind, path in files.items()])
        reports = [report.line() for report in done]
    return FeedResult(folder, files, len(feed.orders), len(feed.minutes), len(feed.comments),
                      feed.gmv, feed.units, reports)
