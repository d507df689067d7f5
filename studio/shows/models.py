"""The show registry: one row per broadcast, the id that threads plan, log, clips and replay."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, Integer, String
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("planned_duration_minutes > 0", name="duration_positive"),
    )
