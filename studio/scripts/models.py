"""Plan storage: one plan per show, every saved version kept whole (the YAML document as JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.db import Base, UTCDateTime, utcnow


class Plan(Base):
    """A show's plan; its content lives in versions, the newest being current."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # the show id
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), unique=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", order_by="PlanVersion.version", cascade="all, delete-orphan")


class PlanVersion(Base):
    """One saved state of a plan: immutable once written."""

    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("plan_id", "version"),)
