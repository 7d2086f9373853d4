"""Log readers and format auto-detection (gzip/zstd/bz2/xz-compressed files are opened transparently)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO

from chainwatch.logs.readers.interface import LogFormatError, Reader
from chainwatch.logs.record import LogRecord
from chainwatch.registry import collect
from chainwatch.streams import decompressing_reader, stream_compression

HEAD_BYTES = 64 * 1024


@cache
def all_readers() -> tuple[Reader, ...]:
    """Every reader in this package, most specific first."""
    readers = [r for r in collect("chainwatch.logs.readers", "READERS") if isinstance(r, Reader)]
    return tuple(sorted(readers, key=lambda r: r.priority))


def reader_by_name(name: str) -> Reader:
    for reader in all_readers():
        if reader.name == name:
            return reader
    raise KeyError(f"unknown log format {name!r}; known: {', '.join(r.name for r in all_readers())}")


def open_log(path: str | Path) -> BinaryIO:
    """A binary stream of the decompressed log; compression is recognised by magic bytes, not the name."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
    magic = raw.read(8)
    raw.seek(0)
    kind = stream_compression(magic)
    return decompressing_reader(kind, raw) if kind else raw  # type: ignore[return-value]


def read_head(path: str | Path) -> bytes:
    with open_log(path) as stream:
        return stream.read(HEAD_BYTES)


def detect(head: bytes, name: str, extra: tuple[Reader, ...] = ()) -> Reader | None:
    """The first reader (by priority) that recognises the content."""
    for reader in (*extra, *all_readers()):
        try:
            if reader.sniff(head, name):
                return reader
        except Exception:
            continue
    return None


def iter_records(path: str | Path, reader: Reader | None = None) -> Iterator[LogRecord]:
    """Stream the records of one log file, detecting its format unless a reader is given."""
    name = str(path)
    if reader is None:
        reader = detect(read_head(path), name)
        if reader is None:
            raise LogFormatError(f"{name}: unrecognised log format")
    with open_log(path) as stream:
        yield from reader.records(stream, Path(name).name)


__all__ = ["LogFormatError", "Reader", "all_readers", "detect", "iter_records", "open_log", "read_head"]
