"""The live event log (append-only, numbered per show) and role-token generations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.db import Base, UTCDateTime, utcnow


class LiveEvent(Base):
    """One thing that happened on air, with its per-show sequence number. Never updated."""

    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    type: Mapped[str] = mapped_column(String(40))
    command_id: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))  # who caused it: operator, host, ingest, server
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("show_id", "seq"),
        Index("ix_live_events_show_id_command_id", "show_id", "command_id"),
    )


class TokenGeneration(Base):
    """Role tokens are derived from the server secret and a generation; rotating bumps it."""

    __tablename__ = "live_token_generations"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
