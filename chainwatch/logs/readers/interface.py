"""Log reader extension point: one module per format, each defining ``READERS = [...]``.

A reader recognises its format from the first bytes and the file name, then streams ``LogRecord``s.
Readers never load a whole file: memory stays flat however large the log is.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from chainwatch.logs.record import LogRecord

MAX_LINE = 1 << 20  # longer lines are skipped as hostile/corrupt


class LogFormatError(ValueError):
    """The file claims a format but its content does not follow it."""


class Reader(abc.ABC):
    name: str = ""
    priority: int = 50  # lower sniffs first (more specific formats first)

    @abc.abstractmethod
    def sniff(self, head: bytes, name: str) -> bool:
        """Cheap test on the first bytes (decompressed) and the file name."""

    @abc.abstractmethod
    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        """Stream records; ``source`` is the file name used in ``LogRecord.ref``."""


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, line without the newline), skipping over-long lines."""
    for number, line in enumerate(stream, 1):
        if len(line) > MAX_LINE:
            continue
        yield number, line.rstrip(b"\r\n")


def json_object(line: bytes | str) -> dict[str, Any] | None:
    """The JSON object on one log line; None for a blank line, bad JSON or a value that is not an object."""
    if not line.strip():
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def json_objects(stream: BinaryIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every JSON-object line of a JSON-lines stream; other lines are skipped."""
    for number, line in iter_lines(stream):
        obj = json_object(line)
        if obj is not None:
            yield number, obj
