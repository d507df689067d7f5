"""Catalogue tables: products (SPU), their SKUs, selling points, tags and the price history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.db import Base, Money, Rate, UTCDateTime, utcnow

# SKU fields whose every change lands in the price history (planning's compliance checks read it).
PRICE_FIELDS = ("list_price", "daily_price", "live_price", "floor_price", "cost")
FABE_TAGS = ("F", "A", "B", "E")


class Product(Base):
    """A product (SPU): what the host explains; sold as one or more SKUs."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    image: Mapped[str | None] = mapped_column(String(1000))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", order_by="Sku.id", cascade="all, delete-orphan"
    )
    selling_points: Mapped[list[SellingPoint]] = relationship(
        order_by="SellingPoint.position", cascade="all, delete-orphan"
    )
    tags: Mapped[list[ProductTag]] = relationship(
        order_by="ProductTag.position", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_products_title", "title"),)


class Sku(Base):
    """One sellable variant of a product, with its option values, prices, cost and stock."""

    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    # Ordered option values, e.g. [["颜色", "红"], ["尺码", "M"]]; order is kept for display.
    options: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    list_price: Mapped[Decimal | None] = mapped_column(Money)  # 原价 reference price
    daily_price: Mapped[Decimal | None] = mapped_column(Money)  # 日常价
    live_price: Mapped[Decimal] = mapped_column(Money)  # 直播价
    floor_price: Mapped[Decimal | None] = mapped_column(Money)  # 最低价 / 控价
    cost: Mapped[Decimal | None] = mapped_column(Money)
    commission_rate: Mapped[Decimal | None] = mapped_column(Rate)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(back_populates="skus")

    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("live_price >= 0", name="live_price_not_negative"),
        Index("ix_skus_product_id", "product_id"),
    )


class SellingPoint(Base):
    """One selling point, in the order the host says them, optionally tagged F/A/B/E (FABE)."""

    __tablename__ = "selling_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    fabe: Mapped[str | None] = mapped_column(String(1))

    __table_args__ = (
        UniqueConstraint("product_id", "position"),
        CheckConstraint("fabe IN ('F', 'A', 'B', 'E')", name="fabe_letter"),
    )


class ProductTag(Base):
    """A free tag on a product (category words, the role it usually plays, a season)."""

    __tablename__ = "product_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    tag: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("product_id", "tag"),
        Index("ix_product_tags_tag", "tag"),
    )


class PriceChange(Base):
    """One change of one price field of one SKU: who, when, from what, to what, through what."""

    __tablename__ = "price_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[Decimal | None] = mapped_column(Money)
    new_value: Mapped[Decimal | None] = mapped_column(Money)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_price_changes_sku_id_changed_at", "sku_id", "changed_at"),)
