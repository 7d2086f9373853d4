"""Binary-format facts (PE, Authenticode, .NET, ELF, Mach-O, strings): pure functions over files.

Analyzers in ``chainwatch.analyzers`` wrap these; everything here takes a path (or bytes) and limits
and returns JSON-able dicts, raising ``BinaryFormatError`` for a file it cannot make sense of.
"""

from __future__ import annotations

import math

import numpy as np


class BinaryFormatError(ValueError):
    """The bytes are not a well-formed instance of the format (or break a parser limit)."""


def byte_histogram(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """Counts of each byte value. Large inputs are counted as uint16 pairs in chunks (3x faster, bounded memory)."""
    arr = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if arr.size < 1 << 16:
        return np.bincount(arr, minlength=256)
    pairs = arr[: arr.size // 2 * 2].view(np.uint16)
    counts16 = np.zeros(65536, dtype=np.int64)
    for start in range(0, pairs.size, 1 << 18):
        counts16 += np.bincount(pairs[start : start + (1 << 18)], minlength=65536)
    grid = counts16.reshape(256, 256)  # [high byte, low byte]
    counts = grid.sum(axis=0) + grid.sum(axis=1)
    if arr.size & 1:
        counts[arr[-1]] += 1
    return counts


def entropy(data: bytes | bytearray | memoryview | np.ndarray) -> float:
    """Shannon entropy in bits per byte (0.0 for empty input), rounded to 4 places."""
    arr = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if arr.size == 0:
        return 0.0
    counts = byte_histogram(arr)
    probs = counts[counts > 0] / arr.size
    value = float(-(probs * np.log2(probs)).sum())
    return round(abs(value), 4) if not math.isnan(value) else 0.0
