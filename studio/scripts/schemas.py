"""Request shapes of the plan API (the plan document itself is studio.scripts.document.PlanDoc)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    show: str
    skus: list[str] = Field(min_length=1)
    arrange: bool = True


class PlanSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any]
    note: str | None = None
    base_version: int | None = Field(
        None, description="the version this edit started from; a newer saved version → 409")


class PlanPreview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any]


class PlanArrange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] | None = Field(None, description="arrange this edit instead of the saved plan")
    save: bool = False


class PlanSummary(BaseModel):
    plan: str
    show: str
    version: int


class TargetsOut(BaseModel):
    target: Decimal
    slots: list[dict[str, Any]]
    viewers_needed: int | None
    lines: list[str]
