"""Compressed byte streams (gzip, bzip2, xz, zstd), recognised by magic bytes, never by name.

One place for both users: the unpacker (``.tar.gz``, single ``.xz`` members) and the log readers
(``dns.log.gz``, ``eve.json.zst``).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from typing import IO, Any

import zstandard

from chainwatch.filetype import detect

STREAM_TYPES = ("compressed/gzip", "compressed/bzip2", "compressed/xz", "compressed/zstd")


def stream_compression(head: bytes) -> str | None:
    """The compressed-stream type of these first bytes (e.g. ``compressed/gzip``), or None."""
    kind = detect(head[:8])
    return kind if kind in STREAM_TYPES else None


def decompressing_reader(kind: str, raw: Any) -> IO[bytes]:
    """A reader of the decompressed bytes of ``raw`` (a binary file-like object)."""
    if kind == "compressed/gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "compressed/bzip2":
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    if kind == "compressed/xz":
        return lzma.LZMAFile(raw, mode="rb")  # type: ignore[return-value]
    if kind == "compressed/zstd":
        return zstandard.ZstdDecompressor().stream_reader(  # type: ignore[return-value]
            raw, read_across_frames=True, closefd=True)
    raise ValueError(f"not a compressed stream type: {kind}")
