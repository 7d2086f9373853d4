"""Compressed byte streams (gzip, bzip2, xz, zstd), recognised by magic bytes, never by name.

One place for both users: the unpacker (``.tar.gz``, single ``.xz`` members) and the log readers
(``dns.log.gz``, ``eve.json.zst``).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from types import ModuleType
from typing import IO, Any, cast

import zstandard

from chainwatch.filetype import detect

_igzip: ModuleType | None
_isal_zlib: ModuleType | None
try:  # Intel ISA-L inflate: about twice zlib's speed; zlib when no wheel exists for this machine
    from isal import igzip as _igzip
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - declared dependency on x86_64/aarch64
    _igzip = None
    _isal_zlib = None

STREAM_TYPES = ("compressed/gzip", "compressed/bzip2", "compressed/xz", "compressed/zstd")


def stream_compression(head: bytes) -> str | None:
    """The compressed-stream type of these first bytes (e.g. ``compressed/gzip``), or None."""
    kind = detect(head[:8])
    return kind if kind in STREAM_TYPES else None


def decompressing_reader(kind: str, raw: Any) -> IO[bytes]:
    """A reader of the decompressed bytes of ``raw`` (a binary file-like object)."""
    if kind == "compressed/gzip":
        if _IsalGzipFile is not None:
            return _IsalGzipFile(fileobj=raw, mode="rb")  # type: ignore[no-any-return]
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "compressed/bzip2":
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    if kind == "compressed/xz":
        return lzma.LZMAFile(raw, mode="rb")  # type: ignore[return-value]
    if kind == "compressed/zstd":
        return zstandard.ZstdDecompressor().stream_reader(  # type: ignore[return-value]
            raw, read_across_frames=True, closefd=True)
    raise ValueError(f"not a compressed stream type: {kind}")


def is_decompressing_reader(stream: object) -> bool:
    """Whether ``stream`` came from ``decompressing_reader`` (not seekable like the file under it)."""
    return type(stream).__name__ in ("GzipFile", "IsalGzipFile", "ZstdDecompressionReader", "BZ2File", "LZMAFile")


def raw_inflater() -> Any:
    """A decompressor of raw deflate data (zip members) with zlib's interface, ISA-L's where present."""
    import zlib

    return _isal_zlib.decompressobj(-15) if _isal_zlib is not None else zlib.decompressobj(-15)


def _isal_gzip_file() -> Any:
    """ISA-L's GzipFile with gzip's error contract: a corrupt stream raises ``gzip.BadGzipFile`` (an
    OSError, as every caller expects), not ISA-L's own exception type."""
    from isal import igzip, isal_zlib

    # isal_zlib.pyi declares ``error: Exception`` (an instance); at run time it is the exception class
    isal_error = cast("type[Exception]", isal_zlib.error)

    class IsalGzipFile(igzip.IGzipFile):
        def read(self, size: int | None = -1) -> bytes:
            try:
                return bytes(super().read(size))
            except isal_error as exc:
                raise gzip.BadGzipFile(f"corrupt gzip stream: {exc}") from exc

        def read1(self, size: int = -1) -> bytes:
            try:
                return bytes(super().read1(size))
            except isal_error as exc:
                raise gzip.BadGzipFile(f"corrupt gzip stream: {exc}") from exc

        def readinto(self, buffer: Any) -> int:
            try:
                return int(super().readinto(buffer))
            except isal_error as exc:
                raise gzip.BadGzipFile(f"corrupt gzip stream: {exc}") from exc

        def readline(self, size: int | None = -1) -> bytes:
            try:
                return bytes(super().readline(size))
            except isal_error as exc:
                raise gzip.BadGzipFile(f"corrupt gzip stream: {exc}") from exc

    return IsalGzipFile


_IsalGzipFile = _isal_gzip_file() if _igzip is not None else None
