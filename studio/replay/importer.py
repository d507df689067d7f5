"""Import a show's order lines, minute metrics and comments: every row validated, one transaction.

Every row is checked; a bad row is named with its line in the file, the field and the reason,
and by default nothing is imported when any row is bad (``skip_invalid`` keeps the good ones).
Rows are written a batch at a time while later ones are still being checked, all inside the
caller's transaction, so a bad row found late rolls the earlier batches back.

Re-importing is idempotent: order lines are keyed by (order id, SKU), minutes by their minute,
comments by a digest of platform, time, user and text, and a second import of the same rows
updates them in place instead of adding to them.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from studio.errors import ErrorDetail, ImportRejected, ValidationFailed
from studio.replay import store
from studio.replay.formats import STATUS_WORDS, Row, get_profile
from studio.replay.models import PAID_STATUSES, Comment, MinuteMetrics, OrderLine
from studio.tabular import read_table

Kind = Literal["orders", "metrics", "comments"]
PARALLEL_BYTES = 20_000_000  # below this, starting a worker process costs more than it saves
BATCH_ROWS = 50_000  # rows validated, sent and written at a time: small enough to overlap
QUEUE_BATCHES = 8  # batches a worker may run ahead of the writer
MAX_ERRORS = 1000  # enough to fix a file by; a million bad rows are one mistake repeated
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class ImportReport:
    kind: Kind
    file: str
    rows: int = 0
    imported: int = 0
    invalid: int = 0
    errors: list[ErrorDetail] = field(default_factory=list)
    dry_run: bool = False

    def line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        text = f"{self.file}: {verb} {self.imported:,} {self.kind} rows of {self.rows:,}"
        return text + (f", {self.invalid:,} invalid skipped" if self.invalid else "")


def zone_of(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise ValidationFailed(f"--tz: unknown time zone {name!r} (use an IANA name such as "
                               "Asia/Shanghai or America/Los_Angeles)") from None


def epoch_minute(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


def minute_moment(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


class _Moments:
    """Parses times: offsets honoured, naive times read in ``zone``; cached (exports repeat them)."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.cache: dict[str, datetime] = {}

    def __call__(self, text: str) -> datetime:
        moment = self.cache.get(text)
        if moment is None:
            try:
                moment = datetime.fromisoformat(text.replace("/", "-"))
            except ValueError:
                raise ValueError(f"{text!r} is not a date and time (use ISO 8601, e.g. "
                                 "2026-12-10T20:15:02+08:00)") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.zone)
            moment = moment.astimezone(UTC)
            if len(self.cache) < 200_000:
                self.cache[text] = moment
        return moment


_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")  # 1,299.00 or 1299.00; not 12,50
_PLAIN = re.compile(r"\d+(?:\.\d{1,2})?")


def _fen(text: str, name: str) -> int:
    text = text.strip()
    if _PLAIN.fullmatch(text):  # the common case, without Decimal: "159", "159.9", "159.90"
        whole, _, cents = text.partition(".")
        return int(whole) * 100 + int((cents + "00")[:2])
    cleaned = text.replace("¥", "").replace("￥", "").replace("$", "").strip()
    if not cleaned:
        raise ValueError(f"{name} is empty")
    if not _AMOUNT.fullmatch(cleaned):
        raise ValueError(f"{name}: {text!r} is not an amount of money")
    value = Decimal(cleaned.replace(",", ""))
    scaled = value.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{name}: {text!r} has more than 2 decimal places")
    return int(scaled)


def _count(text: str, name: str, *, blank: int | None = None) -> int:
    if text.isdigit():
        return int(text)
    text = text.replace(",", "").strip()
    if not text and blank is not None:
        return blank
    if not text.isdigit():
        raise ValueError(f"{name}: {text!r} is not a whole number of zero or more")
    return int(text)


# ---- per kind: canonical row → database row ---------------------------------------------------------

def _order_row(show_id: str, moments: _Moments) -> Callable[[dict[str, str]], dict[str, Any]]:
    paid_statuses = frozenset(PAID_STATUSES)

    def convert(row: dict[str, str]) -> dict[str, Any]:
        get = row.get
        order_id, sku = get("order_id", "").strip(), get("sku", "").strip()
        if not order_id or not sku:
            raise _Problem("order_id" if not order_id else "sku", "is empty")
        if len(order_id) > 80 or len(sku) > 80:
            raise _Problem("order_id" if len(order_id) > 80 else "sku", "is longer than 80 characters")
        status = STATUS_WORDS.get(get("status", "").strip().lower())
        if status is None:
            raise _Problem("status", f"{get('status', '')!r} is not one of "
                           "paid, refunded, partially_refunded, cancelled, pending")
        name = "quantity"
        try:  # one handler for the parsed fields; ``name`` says which one failed
            quantity = _count(get("quantity", ""), name)
            name = "amount"
            amount = _fen(get("amount", ""), name)
            name = "refund_amount"
            refund_text = get("refund_amount", "").strip()
            refund = _fen(refund_text, name) if refund_text else 0
            name = "created_at"
            created = moments(get("created_at", "").strip())
            name = "paid_at"
            paid_text = get("paid_at", "").strip()
            paid = moments(paid_text) if paid_text else None
        except ValueError as exc:
            raise _Problem(name, str(exc).removeprefix(f"{name}: ")) from None
        paid_line = status in paid_statuses
        if quantity == 0 and paid_line:
            raise _Problem("quantity", "is 0 on a paid line")
        if refund > amount:
            raise _Problem("refund_amount", f"{refund_text} is more than the line's amount "
                           f"{get('amount', '').strip()}")
        if status == "refunded" and refund == 0:
            raise _Problem("refund_amount", "is 0 on a refunded line")
        if paid is None and paid_line:
            raise _Problem("paid_at", f"is empty on a {status} line (minutes count by payment time)")
        buyer = get("buyer_id", "").strip()
        return {"show_id": show_id, "order_id": order_id, "sku": sku, "quantity": quantity,
                "amount_fen": amount, "refund_fen": refund, "status": status,
                "created_at": created, "paid_at": paid,
                "paid_minute": epoch_minute(paid) if paid else None,
                "buyer_id": buyer[:120] or None, "order_first": 0, "buyer_first": 0}
    return convert


METRIC_COUNTS = ("online_viewers", "entries", "exits", "views", "product_impressions",
                 "product_clicks", "comments", "likes", "new_followers")


def _metric_row(show_id: str, moments: _Moments) -> Callable[[dict[str, str]], dict[str, Any]]:
    def convert(row: dict[str, str]) -> dict[str, Any]:
        minute = _field(lambda t, n: moments(t), row, "minute")
        values = {name: _field(lambda t, n: _count(t, n, blank=0), row, name)
                  for name in METRIC_COUNTS}
        if not row.get("online_viewers", "").strip():
            raise _Problem("online_viewers", "is empty")
        return {"show_id": show_id, "minute": epoch_minute(minute), **values}
    return convert


def _comment_row(show_id: str, moments: _Moments) -> Callable[[dict[str, str]], dict[str, Any]]:
    def convert(row: dict[str, str]) -> dict[str, Any]:
        at = _field(lambda t, n: moments(t), row, "time")
        text = row.get("text", "")
        if not text.strip():
            raise _Problem("text", "is empty")
        platform = (row.get("platform") or "").strip()[:40] or "unknown"
        user = (row.get("user_id") or "").strip()[:120]
        nickname = (row.get("nickname") or "").strip()[:120]
        digest = hashlib.blake2b(f"{platform}\x1f{at.isoformat()}\x1f{user}\x1f{text}".encode(),
                                 digest_size=10).hexdigest()
        return {"show_id": show_id, "at": at, "minute": epoch_minute(at), "platform": platform,
                "user_id": user, "nickname": nickname, "text": text[:2000], "key": digest}
    return convert


class _Problem(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def _field(parse: Callable[[str, str], Any], row: dict[str, str], name: str) -> Any:
    try:
        return parse(row.get(name, "").strip(), name)
    except _Problem:
        raise
    except ValueError as exc:
        text = str(exc)
        raise _Problem(name, text.removeprefix(f"{name}: ")) from None


KINDS: dict[str, tuple[Any, Callable[..., Callable[[dict[str, str]], dict[str, Any]]],
                       tuple[str, ...]]] = {
    "orders": (OrderLine, _order_row, ("show_id", "order_id", "sku")),
    "metrics": (MinuteMetrics, _metric_row, ("show_id", "minute")),
    "comments": (Comment, _comment_row, ("show_id", "key")),
}


class _Validator:
    """Checks canonical rows of one file, a batch at a time, remembering what it has seen
    (duplicate keys, each order's and buyer's first paid line) across batches."""

    def __init__(self, kind: Kind, show_id: str, zone: tzinfo) -> None:
        _, factory, self.key = KINDS[kind]
        self.kind = kind
        self.convert = factory(show_id, _Moments(zone))
        self.errors: list[ErrorDetail] = []
        self.invalid = 0
        self.seen: dict[tuple, int] = {}
        self.orders: set[str] = set()
        self.buyers: set[str] = set()

    def check(self, rows: Iterable[Row]) -> list[dict[str, Any]]:
        convert, key, seen, errors = self.convert, self.key, self.seen, self.errors
        good: list[dict[str, Any]] = []
        for number, row in rows:
            try:
                record = convert(row)
            except _Problem as exc:
                self.invalid += 1
                if len(errors) < MAX_ERRORS:
                    errors.append(ErrorDetail(str(exc), field=exc.field, row=number))
                continue
            identity = tuple(record[k] for k in key)
            if identity in seen:
                if self.kind == "comments":  # the same comment twice in one export: one comment
                    continue
                self.invalid += 1
                if len(errors) < MAX_ERRORS:
                    what = "order line" if self.kind == "orders" else "minute"
                    errors.append(ErrorDetail(f"the same {what} as row {seen[identity]}",
                                              field=key[1], row=number))
                continue
            seen[identity] = number
            good.append(record)
        if self.kind == "orders":
            self._flag_firsts(good)  # right for a first import; the writer recounts when merging
        return good

    def _flag_firsts(self, rows: list[dict[str, Any]]) -> None:
        """The first paid line of each order and each buyer, in file order (as ids will be)."""
        paid = frozenset(PAID_STATUSES)
        orders, buyers = self.orders, self.buyers
        for row in rows:
            if row["status"] in paid:
                if row["order_id"] not in orders:
                    orders.add(row["order_id"])
                    row["order_first"] = 1
                buyer = row["buyer_id"]
                if buyer is not None and buyer not in buyers:
                    buyers.add(buyer)
                    row["buyer_first"] = 1


def convert_rows(kind: Kind, rows: Iterable[Row], show_id: str, zone: tzinfo,
                 ) -> tuple[list[dict[str, Any]], list[ErrorDetail], int]:
    """Validate canonical rows; (database rows, errors, number of invalid rows)."""
    validator = _Validator(kind, show_id, zone)
    good = validator.check(rows)
    return good, validator.errors, validator.invalid


@dataclass(slots=True)
class Batch:
    """Valid rows of one file, ready to write: column names and value tuples."""

    index: int  # which file
    names: list[str]
    rows: list[tuple[Any, ...]]
    sqlite_times: bool = False  # times already as SQLite's text


TIMES = {"orders": ("created_at", "paid_at"), "metrics": (), "comments": ("at",)}


def _bind_times(rows: list[dict[str, Any]], names: tuple[str, ...], done: dict[datetime, str],
                ) -> None:
    """Times as SQLite stores them; an export repeats its seconds, so each is formatted once."""
    for row in rows:
        for name in names:
            moment = row[name]
            if moment is not None:
                text = done.get(moment)
                if text is None:
                    text = done[moment] = store.utc_text(moment)
                row[name] = text


@dataclass(slots=True)
class Done:
    index: int
    report: ImportReport


def validate(show_id: str, zone_name: str, kind: Kind, path: Path, *, index: int = 0,
             profile: str = "canonical", tz: str | None = None, skip_invalid: bool = False,
             dry_run: bool = False, batch_rows: int = BATCH_ROWS,
             sqlite_times: bool = False) -> Iterator[Batch | Done]:
    """Read and validate one file (no database), yielding its valid rows a batch at a time
    and then its report; ImportRejected at the end if rows were bad (after the whole file was
    checked, so every error is reported). Once a row is bad, no further batches are yielded:
    unless ``skip_invalid``, what was yielded will be rolled back. ``sqlite_times``: give times
    as the text SQLite stores."""
    chosen = get_profile(profile)
    zone = zone_of(tz or zone_name)
    name = Path(path).name
    collecting = gc.isenabled()
    gc.disable()  # a million rows are a million containers: cyclic GC passes would dominate
    try:
        table = read_table(Path(path))
        rows = getattr(chosen, kind)(table, name)
        del table
        if not rows:
            raise ValidationFailed(f"{name}: no {kind} rows in the file")
        validator = _Validator(kind, show_id, zone)
        imported = 0
        times_text: dict[datetime, str] = {}
        for start in range(0, len(rows), batch_rows):
            good = validator.check(rows[start:start + batch_rows])
            imported += len(good)
            if good and not dry_run and (skip_invalid or not validator.errors):
                if sqlite_times:  # here, in parallel, rather than in the writing process
                    _bind_times(good, TIMES[kind], times_text)
                yield Batch(index, list(good[0]), [tuple(row.values()) for row in good],
                            sqlite_times)
        report = ImportReport(kind, name, rows=len(rows), imported=imported,
                              invalid=validator.invalid, errors=validator.errors, dry_run=dry_run)
        if validator.errors and not skip_invalid:
            more = f" (first {len(validator.errors)} shown)" if validator.invalid > len(
                validator.errors) else ""
            raise ImportRejected(f"{name}: {validator.invalid:,} invalid row(s){more}; nothing was "
                                 "imported", details=validator.errors)
        yield Done(index, report)
    finally:
        if collecting:
            gc.enable()


class _Writer:
    """Writes one file's batches as they come; after orders, the first-line flags and rollup."""

    def __init__(self, session: Session, show_id: str, kind: Kind) -> None:
        self.session, self.show_id, self.kind = session, show_id, kind
        self.model, _, self.key = KINDS[kind]
        self.merging: bool | None = None  # decided before the first batch is written

    def write(self, batch: Batch) -> None:
        if self.merging is None:
            self.merging = _has_rows(self.session, self.model, self.show_id)
        store.upsert(self.session, self.model.__table__, batch.names, batch.rows, self.key,
                     fresh=not self.merging, sqlite_times=batch.sqlite_times)

    def finish(self, report: ImportReport) -> ImportReport:
        if self.kind == "orders" and self.merging is not None:
            if self.merging:  # earlier lines exist: which line is an order's first is the table's call
                mark_firsts(self.session, self.show_id)
            rebuild_rollup(self.session, self.show_id)
        return report


def import_file(session: Session, show_id: str, zone_name: str, kind: Kind, path: Path,
                **options: Any) -> ImportReport:
    """Read, validate and (unless ``dry_run``) write one file; ImportRejected if rows are bad."""
    return import_files(session, show_id, zone_name, [(kind, path)], **options)[0]


def import_files(session: Session, show_id: str, zone_name: str,
                 files: list[tuple[Kind, Path]], **options: Any) -> list[ImportReport]:
    """Import several files in the caller's transaction, so one bad file leaves nothing behind.

    Big files are validated in worker processes, one each, while this process writes the
    batches they send as they arrive: reading, checking and writing overlap, within a file as
    well as across files. Small files are done here, batch by batch."""
    writers = [_Writer(session, show_id, kind) for kind, _ in files]
    sqlite = session.connection().dialect.name == "sqlite"
    options = {"batch_rows": BATCH_ROWS, "sqlite_times": sqlite, **options}
    reports: dict[int, ImportReport] = {}
    collecting = gc.isenabled()
    gc.disable()
    try:
        big = [index for index, (_, path) in enumerate(files)
               if Path(path).is_file() and Path(path).stat().st_size > PARALLEL_BYTES]
        if (os.cpu_count() or 1) < 2:
            big = []
        with _Workers(show_id, zone_name, files, big, options) as workers:
            for index, (kind, path) in enumerate(files):
                if index not in big:
                    for item in validate(show_id, zone_name, kind, Path(path), index=index,
                                         **options):
                        _take(item, writers, reports)
            for item in workers.results():
                _take(item, writers, reports)
    finally:
        if collecting:
            gc.enable()
    return [reports[index] for index in range(len(files))]


def _take(item: Batch | Done, writers: list[_Writer], reports: dict[int, ImportReport]) -> None:
    if isinstance(item, Batch):
        writers[item.index].write(item)
    else:
        reports[item.index] = writers[item.index].finish(item.report)


class _Workers:
    """One process per big file running ``validate`` and sending what it yields over a queue."""

    def __init__(self, show_id: str, zone_name: str, files: list[tuple[Kind, Path]],
                 chosen: list[int], options: dict[str, Any]) -> None:
        self.jobs = [(show_id, zone_name, files[i][0], Path(files[i][1]), i, options)
                     for i in chosen]
        self.processes: list[Any] = []

    def __enter__(self) -> _Workers:
        if not self.jobs:
            return self
        import multiprocessing

        # forkserver: a clean process to fork from, safe even when the caller runs threads
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
        context = multiprocessing.get_context(method)
        self.queue = context.Queue(maxsize=QUEUE_BATCHES)  # bounds memory if the writer lags
        for job in self.jobs:
            process = context.Process(target=_work, args=(self.queue, *job), daemon=True)
            process.start()
            self.processes.append(process)
        return self

    def results(self) -> Iterator[Batch | Done]:
        import queue as queues

        pending = len(self.processes)
        while pending:
            try:
                tag, payload = self.queue.get(timeout=5)
            except queues.Empty:
                dead = [p for p in self.processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"an import worker stopped (exit code {dead[0].exitcode})"
                                       "; nothing was imported") from None
                continue
            if tag == "failed":
                raise payload
            if isinstance(payload, Done):
                pending -= 1
            yield payload

    def __exit__(self, *exc_info: object) -> None:
        for process in self.processes:
            if process.is_alive():  # we stopped early (a bad file, a database error)
                process.terminate()
            process.join(timeout=10)
        if self.processes:
            self.queue.close()
            self.queue.cancel_join_thread()


def _work(queue: Any, show_id: str, zone_name: str, kind: Kind, path: Path, index: int,
          options: dict[str, Any]) -> None:
    try:
        for item in validate(show_id, zone_name, kind, path, index=index, **options):
            queue.put(("item", item))
    except Exception as exc:  # handed to the parent, which raises it
        try:
            pickle.dumps(exc)
        except Exception:  # an exception that cannot cross processes: its message can
            exc = RuntimeError(f"{path.name}: {type(exc).__name__}: {exc}")
        queue.put(("failed", exc))


def rebuild_rollup(session: Session, show_id: str) -> None:
    """Sum the show's paid lines per minute and SKU into replay_rollup (what summaries read)."""
    from sqlalchemy import text

    paid = ", ".join(f"'{s}'" for s in PAID_STATUSES)
    session.execute(text("DELETE FROM replay_rollup WHERE show_id = :show"), {"show": show_id})
    session.execute(text(
        "INSERT INTO replay_rollup (show_id, minute, sku, gmv_fen, refund_fen, lines, orders, "
        "units, buyers) SELECT show_id, paid_minute, sku, sum(amount_fen), sum(refund_fen), "
        "count(*), sum(order_first), sum(quantity), sum(buyer_first) FROM replay_order_lines "
        f"WHERE show_id = :show AND status IN ({paid}) GROUP BY show_id, paid_minute, sku"),
        {"show": show_id})


def _has_rows(session: Session, model: Any, show_id: str) -> bool:
    from sqlalchemy import literal, select

    return session.scalar(select(literal(1)).where(model.show_id == show_id).limit(1)) \
        is not None


def mark_firsts(session: Session, show_id: str) -> None:
    """Flag each order's and each buyer's first paid line, so counts become plain sums."""
    from sqlalchemy import text

    paid = ", ".join(f"'{s}'" for s in PAID_STATUSES)
    for flag, column in (("order_first", "order_id"), ("buyer_first", "buyer_id")):
        session.execute(text(
            f"UPDATE replay_order_lines SET {flag} = CASE WHEN id IN ("
            f"SELECT min(id) FROM replay_order_lines WHERE show_id = :show AND status IN ({paid}) "
            f"AND {column} IS NOT NULL GROUP BY {column}) THEN 1 ELSE 0 END "
            "WHERE show_id = :show"), {"show": show_id})
