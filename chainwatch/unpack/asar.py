"""Electron ``app.asar``: a Chromium pickle header holding a JSON index, then the file bytes.

Layout: u32 4, u32 header_size | header pickle: u32 payload_size, u32 json_length, JSON (padded)
| file data; each file in the index has ``size`` and ``offset`` (a decimal string, relative to the
end of the header). Files marked ``"unpacked": true`` are not inside the archive: Electron keeps them
in ``app.asar.unpacked/`` beside it; each becomes an info entry in the errors (kind ``info``) so
the report says where to look. The format is tiny, so it is read here, with caps on the header
size, the nesting depth and the entry count.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError

MAX_HEADER_BYTES = 16 * 1024 * 1024  # the JSON index of big Electron apps is a few MB
MAX_DEPTH = 64


class _Window:
    """Reads at most ``size`` bytes from ``offset`` of an open file (one member's bytes)."""

    def __init__(self, fh: BinaryIO, offset: int, size: int) -> None:
        self._fh = fh
        self._pos = offset
        self._left = size

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        self._fh.seek(self._pos)
        data = self._fh.read(n)
        if not data:
            raise EOFError(f"archive ends {self._left} bytes before the end of this member")
        self._pos += len(data)
        self._left -= len(data)
        return data


def read_index(fh: BinaryIO, file_size: int) -> tuple[dict[str, Any], int]:
    """Return (JSON index, offset where file data starts). Raises ``UnpackError`` on a bad header."""
    head = fh.read(16)
    if len(head) < 16:
        raise UnpackError("asar header truncated")
    size_payload, header_size, header_payload, json_len = struct.unpack("<IIII", head)
    if size_payload != 4 or header_payload + 4 != header_size or json_len > header_payload:
        raise UnpackError("not an asar archive (bad pickle header)")
    if header_size > MAX_HEADER_BYTES or 8 + header_size > file_size:
        raise UnpackError(f"asar header size {header_size} is larger than the file or the {MAX_HEADER_BYTES}-byte cap",
                          "limit" if header_size > MAX_HEADER_BYTES else "unreadable")
    raw = fh.read(json_len)
    if len(raw) < json_len:
        raise UnpackError("asar header truncated")
    try:
        index = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UnpackError(f"asar index is not valid JSON: {exc}") from exc
    if not isinstance(index, dict) or not isinstance(index.get("files"), dict):
        raise UnpackError("asar index has no 'files' table")
    return index, 8 + header_size


def walk_index(node: dict[str, Any], sink: ExtractionSink, prefix: str = "",
               depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, file entry) for every file; links and over-deep folders become error entries."""
    if depth > MAX_DEPTH:
        sink.error(prefix, f"skipped: folders nested deeper than {MAX_DEPTH} levels", "limit")
        return
    files = node.get("files")
    if not isinstance(files, dict):
        return
    for name, entry in files.items():
        sink.count_entry()
        path = f"{prefix}/{name}" if prefix else str(name)
        if not isinstance(entry, dict):
            sink.error(path, "malformed asar index entry", "unreadable")
            continue
        if "files" in entry:
            yield from walk_index(entry, sink, path, depth + 1)
        elif "link" in entry:
            sink.skip_link(path, str(entry.get("link")))
        else:
            yield path, entry


class AsarUnpacker(Unpacker):
    name = "asar"
    priority = 30
    handles = ("archive/asar",)

    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        file_size = src.stat().st_size
        with src.open("rb") as fh:
            index, data_start = read_index(fh, file_size)
            for path, entry in walk_index(index, sink):
                size = entry.get("size")
                if entry.get("unpacked"):
                    sink.error(path, f"stored outside the archive, in {src.name}.unpacked/{path}", "info")
                    continue
                try:
                    offset = int(entry.get("offset", "x"))
                    size = int(size)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    sink.error(path, "asar index entry without a valid offset/size", "unreadable")
                    continue
                if offset < 0 or size < 0 or data_start + offset + size > file_size:
                    sink.error(path, f"member lies outside the archive (offset {offset}, size {size})", "unreadable")
                    continue
                # raw_consumed = the archive size: entries that overlap (many names over the same
                # bytes) cannot amplify past the ratio limit.
                sink.write_stream(path, _Window(fh, data_start + offset, size),  # type: ignore[arg-type]
                                  declared_size=size, raw_consumed=lambda: file_size)


UNPACKERS = [AsarUnpacker()]
