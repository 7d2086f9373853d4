"""Timestamp parsing shared by the readers: epoch seconds/milliseconds, ISO 8601, Windows SystemTime."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

MAX_TS = 4102444800.0  # 2100-01-01: anything later (or NaN/negative) is a corrupt or hostile value


def parse_ts(value: object) -> float:
    """Return epoch seconds (UTC) for a timestamp in any of the forms logs use; 0.0 when unreadable."""
    if value is None or isinstance(value, bool):
        return 0.0
    if isinstance(value, (int, float)):
        return _sane(float(value))
    text = str(value).strip()
    if not text or text == "-":
        return 0.0
    try:
        number = float(text)
    except ValueError:
        return _sane(_parse_iso(text), numeric=False)
    return _sane(number)


def _sane(number: float, numeric: bool = True) -> float:
    if numeric and number > 1e11:  # epoch milliseconds
        number /= 1000.0
    return number if 0.0 <= number <= MAX_TS else 0.0


def _parse_iso(text: str) -> float:
    # Sysmon SystemTime carries 7 fractional digits ("...12.1234567Z"); datetime accepts up to 6.
    head, dot, frac = text.partition(".")
    if dot:
        digits = ""
        rest = ""
        for i, ch in enumerate(frac):
            if not ch.isdigit():
                rest = frac[i:]
                break
            digits += ch
        text = f"{head}.{digits[:6]}{rest}" if digits else head + rest
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _parse_other(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return 0.0


@lru_cache(maxsize=4096)
def _parse_other(text: str) -> float:
    for fmt in ("%d/%b/%Y:%H:%M:%S %z", "%m/%d/%Y-%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S,%f"):
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return 0.0


def iso(ts: float) -> str:
    """ISO 8601 UTC with a Z suffix, second resolution."""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return "1970-01-01T00:00:00Z"
