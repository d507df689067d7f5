"""Pydantic types for exact decimals: money, fractions and minutes that never pass through a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field


def reject_float(value: object) -> object:
    """A JSON or YAML number that arrived as a float may have lost the fen already: refuse it."""
    if isinstance(value, float):
        raise ValueError('write money, rates and minutes as decimal strings such as "59.90", '
                         "never as floats")
    return value


NoFloat = BeforeValidator(reject_float)
Money = Annotated[Decimal, NoFloat, Field(ge=0, lt=100_000_000, decimal_places=2)]
Fraction = Annotated[Decimal, NoFloat, Field(ge=0, le=1, decimal_places=4)]
Percent = Annotated[Decimal, NoFloat, Field(gt=0, lt=100, decimal_places=2)]
Minutes = Annotated[Decimal, NoFloat, Field(gt=0, le=720, decimal_places=2)]
