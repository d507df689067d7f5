"""The demo data: a bilingual catalogue written for Studio and one upcoming show."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from importlib.resources import as_file, files
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from studio.catalog.importer import ImportReport, import_catalog_file
from studio.shows import schemas as show_schemas
from studio.shows import service as show_service
from studio.shows.models import Show

DEMO_SHOW_ID = "demo-winter-goodies"
DEMO_SHOW_TITLE = "冬日好物节 Winter Goodies Night"
DEMO_TZ = "Asia/Shanghai"


def load_demo(*, session: Session, now: datetime | None = None) -> tuple[ImportReport, Show]:
    """Import the demo catalogue (idempotent) and make sure the demo show exists."""
    resource = files("studio.catalog") / "demo" / "catalog.csv"
    with as_file(resource) as path:
        report = import_catalog_file(session=session, path=path, actor="demo")
    show = session.get(Show, DEMO_SHOW_ID)
    if show is None:
        tz = ZoneInfo(DEMO_TZ)
        today = (now or datetime.now(tz)).astimezone(tz).date()
        start = datetime.combine(today + timedelta(days=1), time(20, 0), tzinfo=tz)
        show = show_service.create_show(session=session, show_in=show_schemas.ShowCreate(
            id=DEMO_SHOW_ID, title=DEMO_SHOW_TITLE, scheduled_start=start,
            planned_duration_minutes=180, timezone=DEMO_TZ, platform="douyin"))
    return report, show
