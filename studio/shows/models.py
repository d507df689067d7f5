"""The show registry: one row per broadcast, the id that threads plan, log, clips and replay."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from studio.db import Base, UTCDateTime, utcnow


class ShowStatus(enum.StrEnum):
    """Where a show is in its life."""

    PLANNED = "planned"
    REHEARSAL = "rehearsal"
    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"
    CANCELLED = "cancelled"


# Which status may follow which; anything else is refused with the reason.
ALLOWED_TRANSITIONS: dict[ShowStatus, frozenset[ShowStatus]] = {
    ShowStatus.PLANNED: frozenset(
        {ShowStatus.REHEARSAL, ShowStatus.LIVE, ShowStatus.CANCELLED}
    ),
    ShowStatus.REHEARSAL: frozenset({ShowStatus.PLANNED, ShowStatus.LIVE, ShowStatus.CANCELLED}),
    ShowStatus.LIVE: frozenset({ShowStatus.PAUSED, ShowStatus.ENDED}),
    ShowStatus.PAUSED: frozenset({ShowStatus.LIVE, ShowStatus.ENDED}),
    ShowStatus.ENDED: frozenset(),
    ShowStatus.CANCELLED: frozenset(),
}

# The registry status of a rehearsal copy (``rehearsal_of`` set). On air, its live state goes
# rehearsal → live → ended like any show's, so its event log reads like a real one (went live,
# ended); the registry keeps saying ``rehearsal`` meanwhile and only follows it to the end, so no
# list or filter ever shows a rehearsal as a live broadcast.
REHEARSAL_COPY_TRANSITIONS: dict[ShowStatus, frozenset[ShowStatus]] = {
    ShowStatus.PLANNED: frozenset({ShowStatus.REHEARSAL, ShowStatus.CANCELLED}),
    ShowStatus.REHEARSAL: frozenset({ShowStatus.ENDED, ShowStatus.CANCELLED}),
    ShowStatus.LIVE: frozenset({ShowStatus.ENDED}),
    ShowStatus.PAUSED: frozenset({ShowStatus.ENDED}),
    ShowStatus.ENDED: frozenset(),
    ShowStatus.CANCELLED: frozenset(),
}


def allowed_transitions(*, rehearsal_copy: bool) -> dict[ShowStatus, frozenset[ShowStatus]]:
    """The registry's status machine for a real show, or for a rehearsal copy."""
    return REHEARSAL_COPY_TRANSITIONS if rehearsal_copy else ALLOWED_TRANSITIONS


class Show(Base):
    """One broadcast on one platform, scheduled in its own timezone."""

    __tablename__ = "shows"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # slug
    title: Mapped[str] = mapped_column(String(300))
    platform: Mapped[str] = mapped_column(String(40))
    timezone: Mapped[str] = mapped_column(String(64))
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[ShowStatus] = mapped_column(
        Enum(ShowStatus, native_enum=False, length=20, validate_strings=True,
             values_callable=lambda e: [m.value for m in e]),
        default=ShowStatus.PLANNED,
    )
    # A rehearsal copy 彩排 names the show it rehearses; nothing of it counts as real sales.
    # Deleting the show deletes its copies (shows.service.delete_show).
    rehearsal_of: Mapped[str | None] = mapped_column(
        ForeignKey("shows.id"), default=None)
    # The show clock (studio/live_console/clock.py): show time runs ``clock_speed`` times as fast
    # as the wall clock from (clock_wall_start, clock_show_start). Unset: the wall clock.
    clock_speed: Mapped[float | None] = mapped_column(Float, default=None)  # a ratio, not money
    clock_wall_start: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    clock_show_start: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("planned_duration_minutes > 0", name="duration_positive"),
        CheckConstraint("clock_speed IS NULL OR clock_speed > 0", name="clock_speed_positive"),
    )

    @property
    def is_rehearsal(self) -> bool:
        return self.rehearsal_of is not None
