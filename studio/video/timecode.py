"""One time parser for cut lists and the CLI: ``15.35``, ``01:03:05.350``, ``3:05``, ``1h2m3.5s``.

Media times are seconds as ``Fraction``-free floats rounded to the millisecond: the pipeline cuts
on frames, and a millisecond is far below one frame at any rate a recording uses.
"""

from __future__ import annotations

import re

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")
_UNITS = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_time(value: str | float | int) -> float:
    """Seconds from a number or a clock/unit string; ValueError with the reason otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        if not text:
            raise ValueError("empty time")
        seconds = _parse_text(text)
    if seconds != seconds or seconds < 0:  # NaN or negative
        raise ValueError(f"not a time: {value!r} (times are seconds from the recording's start)")
    return round(seconds, 3)


def _parse_text(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        if int(minutes) >= 60 and hours is not None:
            raise ValueError(f"minutes over 59 in {text!r}")
        if float(seconds.replace(",", ".")) >= 60:
            raise ValueError(f"seconds over 59 in {text!r}")
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))
    units = _UNITS.match(text.lower())
    if units and any(units.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in units.groups())
        return hours * 3600 + minutes * 60 + seconds
    raise ValueError(f"not a time: {text!r} (write 75.5, 1:15.5 or 00:01:15.500)")


def format_time(seconds: float) -> str:
    """``HH:MM:SS.mmm`` — what cut lists and manifests write."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"
