"""Show registry operations: create with a readable slug id, list, read, update, change status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slugify import slugify
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studio.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from studio.shows import schemas
from studio.shows.models import Show, ShowStatus, allowed_transitions


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (e.g. Asia/Shanghai), or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise ValidationFailed(
            f"unknown timezone {name!r} (use an IANA name such as Asia/Shanghai)",
            details=[ErrorDetail("unknown IANA timezone", "timezone")],
        ) from None


def localize(moment: datetime, tz_name: str) -> datetime:
    """Attach the show's zone to a naive time; convert an aware one into it."""
    tz = zone(tz_name)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def local_start(show: Show) -> datetime:
    """The show's scheduled start in its own timezone (the database keeps UTC)."""
    return show.scheduled_start.astimezone(zone(show.timezone))


def show_out(show: Show) -> schemas.ShowOut:
    """The API/CLI view of a show, with times in the show's timezone."""
    tz = zone(show.timezone)
    return schemas.ShowOut(
        id=show.id, title=show.title, platform=show.platform, timezone=show.timezone,
        scheduled_start=show.scheduled_start.astimezone(tz),
        planned_duration_minutes=show.planned_duration_minutes, status=show.status,
        rehearsal_of=show.rehearsal_of, rehearsal=show.is_rehearsal,
        created_at=show.created_at.astimezone(tz), updated_at=show.updated_at.astimezone(tz),
    )


def _slug_for(session: Session, title: str, start: datetime) -> str:
    base = f"{start:%Y-%m-%d}-{slugify(title, max_length=60, word_boundary=True) or 'show'}"
    base = base[:72].rstrip("-")
    taken = set(session.scalars(select(Show.id).where(Show.id.like(f"{base}%"))))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def create_show(*, session: Session, show_in: schemas.ShowCreate) -> Show:
    """Register a show; its id is a slug of the local date and title unless one is given."""
    start = localize(show_in.scheduled_start, show_in.timezone)
    show_id = show_in.id or _slug_for(session, show_in.title, start)
    if show_in.id and session.get(Show, show_in.id) is not None:
        raise Conflict(f"show id {show_in.id!r} is already taken")
    show = Show(id=show_id, title=show_in.title, platform=show_in.platform.lower(),
                timezone=show_in.timezone, scheduled_start=start,
                planned_duration_minutes=show_in.planned_duration_minutes,
                status=ShowStatus.PLANNED)
    session.add(show)
    session.flush()
    return show


def get_show(*, session: Session, show_id: str) -> Show:
    show = session.get(Show, show_id)
    if show is None:
        raise NotFound(f"no show {show_id!r}")
    return show


def list_shows(*, session: Session, status: ShowStatus | None = None, limit: int = 50,
               offset: int = 0, rehearsals: bool | None = None) -> tuple[Sequence[Show], int]:
    """Shows, newest scheduled first; ``rehearsals`` True lists only rehearsal copies, False
    leaves them out, None lists both (each marked)."""
    statement = select(Show)
    if status is not None:
        statement = statement.where(Show.status == status)
    if rehearsals is not None:
        statement = statement.where(Show.rehearsal_of.is_not(None) if rehearsals
                                    else Show.rehearsal_of.is_(None))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    shows = session.scalars(
        statement.order_by(Show.scheduled_start.desc(), Show.id).limit(limit).offset(offset)
    ).all()
    return shows, total


def change_status(*, session: Session, show: Show, status: ShowStatus) -> Show:
    """Move a show to ``status`` if the transition is allowed, else say which ones are."""
    if status == show.status:
        return show
    allowed = allowed_transitions(rehearsal_copy=show.is_rehearsal)[show.status]
    if status not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none: it is final"
        raise Conflict(f"show {show.id} is {show.status.value}; it cannot become {status.value} "
                       f"(allowed: {options})")
    show.status = status
    session.flush()
    return show


def update_show(*, session: Session, show: Show, show_in: schemas.ShowUpdate) -> Show:
    sent = show_in.model_fields_set
    if "timezone" in sent and show_in.timezone:
        zone(show_in.timezone)
        show.timezone = show_in.timezone
    for name in ("title", "platform", "planned_duration_minutes"):
        if name in sent and getattr(show_in, name) is not None:
            setattr(show, name, getattr(show_in, name))
    if "scheduled_start" in sent and show_in.scheduled_start is not None:
        show.scheduled_start = localize(show_in.scheduled_start, show.timezone)
    if "status" in sent and show_in.status is not None:
        change_status(session=session, show=show, status=show_in.status)
    session.flush()
    return show


def delete_show(*, session: Session, show: Show) -> None:
    """Remove a show, and its rehearsal copies with it (a rehearsal of nothing means nothing)."""
    for copy in session.scalars(select(Show).where(Show.rehearsal_of == show.id)):
        session.delete(copy)
    session.flush()
    session.delete(show)
    session.flush()
