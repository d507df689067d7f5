"""Pydantic shapes of the catalogue API. Money travels as decimal strings ("59.90"), never floats."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from studio.decimals import Fraction, Money

Amount = Money
CommissionRate = Fraction
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SellingPointIn(_Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    fabe: Literal["F", "A", "B", "E"] | None = None


class SellingPointOut(SellingPointIn):
    model_config = ConfigDict(from_attributes=True)


class SkuFields(_Strict):
    options: list[tuple[str, str]] = Field(default_factory=list,
                                           description="Ordered option values, e.g. 颜色=红")
    list_price: Amount | None = Field(None, description="原价 reference/list price")
    daily_price: Amount | None = Field(None, description="日常价 daily price")
    live_price: Amount = Field(description="直播价 live price")
    floor_price: Amount | None = Field(None, description="最低价 floor price the brand allows")
    cost: Amount | None = None
    commission_rate: CommissionRate | None = Field(None, description="0.2 = 20 %")
    stock: int = Field(0, ge=0)
    active: bool = True

    @field_validator("options")
    @classmethod
    def _unique_option_names(cls, options: list[tuple[str, str]]) -> list[tuple[str, str]]:
        names = [name for name, _ in options]
        if len(names) != len(set(names)):
            raise ValueError("option names must be unique")
        return options


class SkuCreate(SkuFields):
    sku: Code


class SkuUpdate(_Strict):
    """Partial update: only the fields sent change; prices that change enter the history."""

    options: list[tuple[str, str]] | None = None
    list_price: Amount | None = None
    daily_price: Amount | None = None
    live_price: Amount | None = None
    floor_price: Amount | None = None
    cost: Amount | None = None
    commission_rate: CommissionRate | None = None
    stock: int | None = Field(None, ge=0)
    active: bool | None = None


class SkuOut(SkuFields):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    product_code: str
    created_at: datetime
    updated_at: datetime


class ProductFields(_Strict):
    title: Title
    brand: ShortText | None = None
    category: ShortText | None = None
    currency: Currency = "CNY"
    image: Annotated[str, StringConstraints(max_length=1000)] | None = None
    notes: str | None = None
    active: bool = True
    selling_points: list[SellingPointIn] = Field(default_factory=list)
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=100)]] = Field(default_factory=list)


class ProductCreate(ProductFields):
    product_code: Code
    skus: list[SkuCreate] = Field(min_length=1)


class ProductUpdate(_Strict):
    title: Title | None = None
    brand: ShortText | None = None
    category: ShortText | None = None
    currency: Currency | None = None
    image: Annotated[str, StringConstraints(max_length=1000)] | None = None
    notes: str | None = None
    active: bool | None = None
    selling_points: list[SellingPointIn] | None = None
    tags: list[str] | None = None


class ProductOut(ProductFields):
    product_code: str
    skus: list[SkuOut]
    created_at: datetime
    updated_at: datetime


class PriceChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    field: str
    old_value: Decimal | None
    new_value: Decimal | None
    changed_at: datetime
    changed_by: str
    source: str


class ProductPage(BaseModel):
    items: list[ProductOut]
    total: int
    limit: int
    offset: int
