"""Errors Studio raises on purpose, and the one shape they take in the API.

    StudioError                  (400 bad_request)  base: a message a person can act on
    ├── NotFound                 (404 not_found)    a product, SKU or show that is not there
    ├── Conflict                 (409 conflict)     a unique code already taken, an illegal transition
    ├── ValidationFailed         (422 invalid)      input that breaks a rule; carries per-field details
    │   └── ImportRejected       (422 import_rejected) a file with invalid rows; nothing was written
    └── ConfigurationError       (500 configuration) a missing binary, database or setting

The API answers every one of them as ``{"error": {"code", "message", "details"}}``; the CLI prints
the message on one line and exits 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One problem with one place in the input (a field, a row and column, a command)."""

    message: str
    field: str | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("field", self.field), ("row", self.row)) if v is not None} | {
            "message": self.message
        }

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"column {self.field}" if self.row is not None else self.field)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class StudioError(Exception):
    """Base of every error Studio raises deliberately."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [d.as_dict() for d in self.details],
            }
        }


class NotFound(StudioError):
    status_code = 404
    code = "not_found"


class Conflict(StudioError):
    status_code = 409
    code = "conflict"


class ValidationFailed(StudioError):
    status_code = 422
    code = "invalid"


class ImportRejected(ValidationFailed):
    code = "import_rejected"


class ConfigurationError(StudioError):
    status_code = 500
    code = "configuration"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and halves of a surrogate pair


def unstorable(value: Any, where: str) -> str | None:
    """Where in ``value`` a string holds what no database can store, and why."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        what = "a NUL character" if found.group() == "\x00" else "an unpaired surrogate " \
            "(not valid Unicode)"
        return f"{where}: contains {what}"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        problem = unstorable(key, where) if isinstance(key, str) else None
        problem = problem or unstorable(item, f"{where}.{key}")
        if problem:
            return problem
    return None
