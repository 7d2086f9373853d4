"""Zeek ASCII (TSV) logs: ``#separator``, ``#fields``, ``#types`` header; ``-`` unset, ``(empty)`` empty."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from chainwatch.logs.readers._zeek_common import infer_path, zeek_record
from chainwatch.logs.readers.interface import LogFormatError, Reader, iter_lines
from chainwatch.logs.record import LogRecord

_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def unescape(value: bytes) -> bytes:
    """Zeek writes the separator and non-printable bytes inside values as ``\\xNN``."""
    if b"\\x" not in value:
        return value
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), value)


class ZeekHeader:
    """The directives at the top of a Zeek TSV log (they may repeat after log rotation)."""

    def __init__(self) -> None:
        self.separator = b"\t"
        self.set_separator = b","
        self.empty = b"(empty)"
        self.unset = b"-"
        self.path = ""
        self.fields: list[str] = []
        self.types: list[str] = []

    def directive(self, line: bytes) -> None:
        if line.startswith(b"#separator"):
            raw = line[len(b"#separator"):].strip()
            self.separator = unescape(raw) or b"\t"
            return
        parts = line[1:].split(self.separator)
        key, values = parts[0], parts[1:]
        if key == b"set_separator" and values:
            self.set_separator = unescape(values[0])
        elif key == b"empty_field" and values:
            self.empty = values[0]
        elif key == b"unset_field" and values:
            self.unset = values[0]
        elif key == b"path" and values:
            self.path = values[0].decode("utf-8", "replace")
        elif key == b"fields":
            self.fields = [v.decode("utf-8", "replace") for v in values]
        elif key == b"types":
            self.types = [v.decode("utf-8", "replace") for v in values]

    def is_container(self, index: int) -> bool:
        return index < len(self.types) and self.types[index].startswith(("set[", "vector["))

    def row(self, line: bytes) -> dict[str, object]:
        values = line.split(self.separator)
        if len(values) != len(self.fields):
            raise LogFormatError(f"{len(values)} values for {len(self.fields)} fields")
        row: dict[str, object] = {}
        for index, (name, raw) in enumerate(zip(self.fields, values)):
            if raw == self.unset:
                continue
            if raw == self.empty:
                row[name] = [] if self.is_container(index) else ""
                continue
            if self.is_container(index):
                row[name] = [unescape(v).decode("utf-8", "replace") for v in raw.split(self.set_separator)]
            else:
                row[name] = unescape(raw).decode("utf-8", "replace")
        return row


class ZeekTsvReader(Reader):
    name = "zeek-tsv"
    priority = 10

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(b"#separator")

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        header = ZeekHeader()
        path = ""
        bad = 0
        for number, line in iter_lines(stream):
            if not line:
                continue
            if line.startswith(b"#"):
                header.directive(line)
                if line.startswith(b"#fields"):
                    path = header.path or infer_path(header.fields, source)
                continue
            if not header.fields:
                raise LogFormatError("Zeek TSV data before any #fields line")
            try:
                row = header.row(line)
            except LogFormatError:
                bad += 1
                if bad > 1000 and bad > number // 2:
                    raise LogFormatError(f"{bad} malformed lines; not a Zeek log") from None
                continue
            record = zeek_record(path, row, f"{source}:{number}")
            if record is not None:
                yield record


READERS = [ZeekTsvReader()]
