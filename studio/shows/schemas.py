"""Pydantic shapes of the show API; times are always sent with their offset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from studio.shows.models import ShowStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Platform = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ShowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    scheduled_start: datetime = Field(
        description="ISO 8601; without an offset it is read in the show's timezone"
    )
    planned_duration_minutes: int = Field(gt=0, le=24 * 60)
    timezone: str = "Asia/Shanghai"
    platform: Platform = "douyin"
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")] | None = Field(
        None, description="slug; default: date and title"
    )


class ShowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    scheduled_start: datetime | None = None
    planned_duration_minutes: int | None = Field(None, gt=0, le=24 * 60)
    timezone: str | None = None
    platform: Platform | None = None
    status: ShowStatus | None = None


class ShowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    platform: str
    timezone: str
    scheduled_start: AwareDatetime = Field(description="in the show's timezone")
    planned_duration_minutes: int
    status: ShowStatus
    rehearsal_of: str | None = Field(
        None, description="set on a rehearsal copy 彩排: the show it rehearses; nothing of a "
        "rehearsal counts as real sales")
    rehearsal: bool = Field(False, description="a rehearsal copy (rehearsal_of is set)")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ShowPage(BaseModel):
    items: list[ShowOut]
    total: int
    limit: int
    offset: int
