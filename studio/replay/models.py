"""What a show's review (复盘) reads: the platform's order lines, minute metrics and comments.

These are fact tables of up to millions of rows per show, so money is kept as integer fen in
columns named ``*_fen`` (summed exactly by the database, turned into Decimal once per answer),
and each row carries the epoch minute (UTC) it counts in, so per-minute sums are a GROUP BY on
an integer. Minute attribution uses the payment time; a zone's offset is a whole number of
minutes, so flooring in UTC is flooring in the show's own zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.db import Base, UTCDateTime

PAID_STATUSES = ("paid", "refunded", "partially_refunded")  # paid once: they count in GMV
STATUSES = (*PAID_STATUSES, "cancelled", "pending")


class OrderLine(Base):
    """One line of one order (an SKU and its quantity), as the platform exported it."""

    __tablename__ = "replay_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(80))
    sku: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # paid for the line, in fen
    refund_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_minute: Mapped[int | None] = mapped_column(Integer)  # epoch minute of paid_at (UTC)
    buyer_id: Mapped[str | None] = mapped_column(String(120))
    # 1 on the first paid line of its order / of its buyer (set after each import), so orders
    # and buyers are sums, per minute and in total, instead of COUNT(DISTINCT) over millions
    order_first: Mapped[int] = mapped_column(Integer, default=0)
    buyer_first: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("show_id", "order_id", "sku"),
        Index("ix_replay_order_lines_show_id_paid_minute", "show_id", "paid_minute"),
        Index("ix_replay_order_lines_show_id_sku_paid_minute", "show_id", "sku", "paid_minute"),
    )

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_fen).scaleb(-2)

    @property
    def refund_amount(self) -> Decimal:
        return Decimal(self.refund_fen).scaleb(-2)


class SalesRollup(Base):
    """Paid order lines summed per minute and SKU, rebuilt after each orders import.

    The summary reads this (a few thousand rows) instead of a million lines; windows that do
    not fall on whole minutes still read the lines themselves.
    """

    __tablename__ = "replay_rollup"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"),
                                         primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(80), primary_key=True)
    gmv_fen: Mapped[int] = mapped_column(BigInteger)
    refund_fen: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(Integer)  # = orders holding this SKU (one line each)
    orders: Mapped[int] = mapped_column(Integer)  # orders whose first paid line is here
    units: Mapped[int] = mapped_column(Integer)
    buyers: Mapped[int] = mapped_column(Integer)  # buyers whose first paid line is here


class MinuteMetrics(Base):
    """The platform's numbers for one minute of the show."""

    __tablename__ = "replay_minutes"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"),
                                         primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)  # epoch minute (UTC)
    online_viewers: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    exits: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer)
    product_impressions: Mapped[int] = mapped_column(Integer)
    product_clicks: Mapped[int] = mapped_column(Integer)
    comments: Mapped[int] = mapped_column(Integer)
    likes: Mapped[int] = mapped_column(Integer)
    new_followers: Mapped[int] = mapped_column(Integer)


class Comment(Base):
    """One public comment from the platform's export (text, never HTML)."""

    __tablename__ = "replay_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    minute: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(120))
    nickname: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(32))  # what makes a re-import a no-op

    __table_args__ = (
        UniqueConstraint("show_id", "key"),
    )
