"""Insert-or-update of many rows by a natural key, fast on both backends.

Rows come as column names plus value tuples (a million tuples cross a process boundary and
the database driver far more cheaply than a million dicts). SQLite: one prepared
``INSERT … ON CONFLICT (key) DO UPDATE`` through sqlite3's executemany. PostgreSQL: COPY into a
temporary table, then one ``INSERT … SELECT … ON CONFLICT`` — COPY is what keeps a million rows
in seconds (see studio/bulk.py for why multi-row INSERTs are slow with psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from studio.db import UTCDateTime

CHUNK = 5000


def upsert(session: Session, table: Table, names: Sequence[str],
           rows: Sequence[Sequence[Any]], key: Sequence[str], *, fresh: bool = False,
           sqlite_times: bool = False) -> None:
    """Insert ``rows``, updating those whose ``key`` exists; ``fresh`` promises none does (the
    rows' keys are distinct and the table holds none of them), which lets PostgreSQL COPY
    straight into the table. ``sqlite_times``: the rows' times are already SQLite's text
    (``utc_text``), made where it was cheaper (an import's worker process)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy_upsert(session, table, names, rows, key, fresh=fresh)
    elif connection.dialect.name == "sqlite":
        _sqlite_upsert(session, table, names, rows, key, sqlite_times=sqlite_times)
    else:
        from sqlalchemy.dialects.postgresql import insert

        statement = insert(table)
        updates = {name: statement.excluded[name] for name in names if name not in key}
        statement = (statement.on_conflict_do_update(index_elements=list(key), set_=updates)
                     if updates else statement.on_conflict_do_nothing(index_elements=list(key)))
        for start in range(0, len(rows), CHUNK):
            session.execute(statement, [dict(zip(names, row, strict=True))
                                        for row in rows[start:start + CHUNK]])


def upsert_dicts(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                 key: Sequence[str]) -> None:
    if rows:
        names = list(rows[0])
        upsert(session, table, names, [tuple(row[n] for n in names) for row in rows], key)


def _processors(table: Table, names: Sequence[str], dialect: Any, *, fast_times: bool,
                skip_times: bool = False) -> list[tuple[int, Any]]:
    found = []
    for index, name in enumerate(names):
        column_type = table.c[name].type
        process = column_type.bind_processor(dialect)
        if process is None:
            continue
        if isinstance(column_type, UTCDateTime):
            if skip_times:
                continue
            if fast_times:
                process = utc_text
        found.append((index, process))
    return found


def _sqlite_upsert(session: Session, table: Table, names: Sequence[str],
                   rows: Sequence[Sequence[Any]], key: Sequence[str], *,
                   sqlite_times: bool = False) -> None:
    """One prepared statement through sqlite3's executemany; values go through each column
    type's own bind processing (times exactly as the ORM stores them, by a faster route)."""
    connection = session.connection()
    processors = _processors(table, names, connection.dialect, fast_times=True,
                             skip_times=sqlite_times)
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    conflict = ", ".join(f'"{k}"' for k in key)
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}'

    def bound():
        for row in rows:
            record = list(row)
            for index, process in processors:
                record[index] = process(record[index])
            yield record

    cursor = connection.connection.driver_connection.cursor()
    try:
        if len(rows) >= 10_000:  # a big import: its index pages stay in memory (up to 256 MiB)
            cursor.execute("PRAGMA cache_size = -262144")
        cursor.executemany(sql, bound() if processors else rows)
    finally:
        cursor.close()


def utc_text(value: datetime | None) -> str | None:
    """What SQLAlchemy's SQLite DateTime stores for a UTCDateTime, ten times faster."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: Studio stores only timezone-aware times")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _copy_upsert(session: Session, table: Table, names: Sequence[str],
                 rows: Sequence[Sequence[Any]], key: Sequence[str], *, fresh: bool) -> None:
    connection = session.connection()
    processors = _processors(table, names, connection.dialect, fast_times=False)
    columns = ", ".join(f'"{n}"' for n in names)
    temp = table.name if fresh else f"incoming_{table.name}"
    if not fresh:
        session.execute(text(f'DROP TABLE IF EXISTS "{temp}"'))
        session.execute(text(f'CREATE TEMP TABLE "{temp}" AS SELECT {columns} FROM '
                             f'"{table.name}" WITH NO DATA'))
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{temp}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            if processors:
                row = list(row)
                for index, process in processors:
                    row[index] = process(row[index])
            copy.write_row(row)
    if fresh:
        return
    updates = ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in names if n not in key)
    conflict = ", ".join(f'"{k}"' for k in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    session.execute(text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{temp}" '
                         f"ON CONFLICT ({conflict}) {action}"))
    session.execute(text(f'DROP TABLE "{temp}"'))
