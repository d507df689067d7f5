"""Read and write tables (CSV, XLSX, JSON) the way studios' spreadsheets produce them.

Readers give the header and then each data row with the number a person sees in the spreadsheet
(the header is row 1). CSV encodings are detected: UTF-8 with or without BOM, UTF-16 with BOM
(Excel's "Unicode text"), and GB18030/GBK as Chinese Excel writes it. Writers replace the target
atomically (a temp file in the same folder, then rename), so an interrupted export leaves the old
file whole.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from studio.errors import ValidationFailed

FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True, slots=True)
class Table:
    """A table read from a file: header names, data rows (row number, cells) and how it was read."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None


def format_of(path: Path) -> str:
    """The table format named by a file's extension, or a clear error."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"tsv", "txt"}:
        return "csv"
    if suffix not in FORMATS:
        raise ValidationFailed(
            f"{path.name}: unsupported file type '.{suffix}' (use .csv, .xlsx or .json)"
        )
    return suffix


def read_table(path: Path) -> Table:
    """Read ``path`` by its extension; raise ValidationFailed naming the file and the problem."""
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file")
    kind = format_of(path)
    reader: Callable[[Path], Table] = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}[
        kind
    ]
    return reader(path)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text file's bytes, detecting the encodings spreadsheets write; (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        # UTF-8 is strict enough that GBK text almost never decodes as it; GB18030 is GBK's superset.
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValidationFailed(
            f"{name}: cannot read the text encoding (not UTF-8, UTF-16 or GBK/GB18030); "
            f"first undecodable byte on line {line}. Save the file as UTF-8 CSV."
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _read_csv(path: Path) -> Table:
    text, encoding = decode_text(path.read_bytes(), path.name)
    if "\x00" in text:
        raise ValidationFailed(f"{path.name}: contains NUL bytes; is it really a CSV file?")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationFailed(f"{path.name}: the file is empty")
        rows = []
        for cells in reader:
            if "".join(cells).strip():  # skip blank rows (one join beats a generator per row)
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ValidationFailed(f"{path.name}: line {reader.line_num}: broken CSV ({exc})") from None
    return Table(header=header, rows=rows, encoding=encoding)


def _read_xlsx(path: Path) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        first = next(iterator, None)
        if first is None:
            raise ValidationFailed(f"{path.name}: the first sheet is empty")
        header = [_cell_text(v) for v in first]
        while header and not header[-1]:
            header.pop()
        rows = []
        for number, values in enumerate(iterator, start=2):
            cells = [_cell_text(v) for v in values[: len(header)]]
            if any(cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    return Table(header=header, rows=rows)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel stores every number as a float; show it the way the cell displayed it.
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value).strip()


def _read_json(path: Path) -> Table:
    text, _ = decode_text(path.read_bytes(), path.name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"{path.name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if isinstance(data, dict):
        data = next((data[k] for k in ("items", "rows", "products", "skus") if k in data), None)
    if not isinstance(data, list):
        raise ValidationFailed(f"{path.name}: expected a JSON array of objects (one per SKU)")
    header: list[str] = []
    for item in data:
        if isinstance(item, dict):
            header.extend(k for k in item if k not in header)
    rows = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ValidationFailed(f"{path.name}: item {index} is not an object")
        rows.append((index, [_json_cell(item.get(key)) for key in header]))
    return Table(header=header, rows=rows, encoding="utf-8")


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(temp_path)`` then move the result over ``path``; nothing half-written remains."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]] | list[list[str]]) -> None:
    """UTF-8 with BOM (so Excel opens Chinese text correctly), CRLF-free, minimal quoting."""

    def write(temp: Path) -> None:
        with temp.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    write_atomic(path, write)


def write_json(path: Path, items: list[dict[str, object]]) -> None:
    def write(temp: Path) -> None:
        temp.write_text(json.dumps(items, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    write_atomic(path, write)


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], *, sheet: str) -> None:
    from openpyxl import Workbook

    def write(temp: Path) -> None:
        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(header)
        for row in rows:
            worksheet.append(row)
        workbook.save(temp)

    write_atomic(path, write)
