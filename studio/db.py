"""Declarative base, column types that keep money exact and times aware, engine and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC on every backend; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: Studio stores only timezone-aware times")
        value = value.astimezone(UTC)
        # SQLite has no zone-aware type; store naive UTC there and restore the zone on read.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of ``10**-places`` units: exact on SQLite too."""

    impl = BigInteger
    cache_ok = True
    places = 2

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money and rates are never floats; pass a Decimal")
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.places)


class Money(_ScaledDecimal):
    """An amount in the currency's main unit (元 yuan) stored as integer minor units (分 fen)."""

    places = 2
    cache_ok = True


class Rate(_ScaledDecimal):
    """A fraction such as a commission rate (0.05 = 5 %), exact to four decimal places."""

    places = 4
    cache_ok = True

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        rate = super().process_result_value(value, dialect)
        return None if rate is None else rate.normalize()  # 0.2, not 0.2000 (rates are ≤ 1)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together at the end, or rolls back on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def all_models() -> MetaData:
    """The metadata with every subsystem's tables registered (for Alembic and tests)."""
    from studio.catalog import models as _catalog  # noqa: F401
    from studio.live_console import models as _live  # noqa: F401
    from studio.replay import models as _replay  # noqa: F401
    from studio.scripts import models as _scripts  # noqa: F401
    from studio.shows import models as _shows  # noqa: F401

    return Base.metadata
