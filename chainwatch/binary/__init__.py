"""Binary-format facts (PE, Authenticode, .NET, ELF, Mach-O, strings): pure functions over files.

Analyzers in ``chainwatch.analyzers`` wrap these; everything here takes a path (or bytes) and limits
and returns JSON-able dicts, raising ``BinaryFormatError`` for a file it cannot make sense of.
"""

from __future__ import annotations

import numpy as np

from chainwatch.fingerprint import byte_counts, shannon_entropy


class BinaryFormatError(ValueError):
    """The bytes are not a well-formed instance of the format (or break a parser limit)."""


def byte_histogram(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """Counts of each byte value (``chainwatch.fingerprint.byte_counts``)."""
    return byte_counts(data)


def entropy(data: bytes | bytearray | memoryview | np.ndarray) -> float:
    """Shannon entropy in bits per byte (0.0 for empty input), rounded to 4 places."""
    return round(shannon_entropy(data), 4)

