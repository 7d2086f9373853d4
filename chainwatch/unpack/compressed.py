"""Compressed streams: tar inside gz/bz2/xz/zstd (sdists, npm tarballs) and single compressed files.

A ``.tar.gz`` opens as one container (``pkg.tar.gz!/pkg/setup.py``), not as two levels.
"""

from __future__ import annotations

import lzma
import tarfile
from pathlib import Path
from typing import IO, Any, BinaryIO

import zstandard

from chainwatch.streams import STREAM_TYPES, decompressing_reader
from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError

_STREAM_TYPES = STREAM_TYPES


class _CountingReader:
    """Counts the packed bytes read from the underlying file (for ratio checks)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()


def _decompressor(kind: str, raw: _CountingReader) -> IO[bytes]:
    try:
        return decompressing_reader(kind, raw)
    except ValueError as exc:
        raise UnpackError(str(exc)) from exc


def _has_udif_trailer(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            if size < 1024:
                return False
            fh.seek(size - 512)
            return fh.read(4) == b"koly"
    except OSError:
        return False


def _inner_is_tar(src: Path, kind: str) -> bool:
    with src.open("rb") as fh:
        try:
            with _decompressor(kind, _CountingReader(fh)) as stream:
                head = stream.read(512)
        except Exception:
            return False
    return len(head) >= 262 and head[257:262] == b"ustar"


def _stripped_name(src: Path) -> str:
    name = src.name
    for ext in (".gz", ".tgz", ".bz2", ".xz", ".zst", ".zstd", ".z"):
        if name.lower().endswith(ext):
            base = name[: -len(ext)]
            return base + ".tar" if ext == ".tgz" else (base or "data")
    return name + ".out"


class TarUnpacker(Unpacker):
    name = "tar"
    priority = 20
    handles = ("archive/tar", *_STREAM_TYPES)

    def accepts(self, kind: str, head: bytes, name: str | Path) -> bool:
        if kind in _STREAM_TYPES and isinstance(name, Path) and _has_udif_trailer(name):
            return False  # a DMG whose data fork starts with a bzip2/zlib chunk: 7zz's
        return kind == "archive/tar" or kind in _STREAM_TYPES

    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        from chainwatch.filetype import detect

        with src.open("rb") as head_fh:
            kind = detect(head_fh.read(1024), src.name)
        if kind in _STREAM_TYPES and not _inner_is_tar(src, kind):
            _unpack_single(src, kind, sink)
            return
        compressed = kind in _STREAM_TYPES
        packed_total = src.stat().st_size
        with src.open("rb") as fh:
            raw = _CountingReader(fh)
            stream: IO[bytes] = _decompressor(kind, raw) if kind in _STREAM_TYPES else raw  # type: ignore[assignment]
            try:
                with tarfile.open(fileobj=stream, mode="r|") as tf:
                    for member in tf:
                        tf.members.clear()  # type: ignore[attr-defined]  # stream mode keeps every header otherwise
                        sink.count_entry()
                        if compressed and _inflates_too_much(member.size, packed_total - raw.count, sink):
                            sink.error(member.name, f"stopped: this member declares {member.size} bytes, over "
                                       f"{sink.limits.max_ratio:.0f}x the compressed bytes left; reading or even "
                                       f"skipping it means inflating them all (possible decompression bomb)", "limit")
                            return
                        if member.isdir():
                            continue
                        if member.issym() or member.islnk():
                            sink.skip_link(member.name, member.linkname)
                            continue
                        if not member.isreg():
                            sink.error(member.name, "special file (device/fifo) skipped", "unsafe-path")
                            continue
                        fobj = tf.extractfile(member)
                        if fobj is None:
                            continue
                        sink.write_stream(member.name, fobj, declared_size=member.size,
                                          raw_consumed=lambda: raw.count)
            except tarfile.ReadError as exc:
                if sink.entries:
                    sink.error("", f"tar stream ends early or is corrupt after {len(sink.entries)} members: {exc}",
                               "unreadable")
                    return
                raise UnpackError(f"not a readable tar (corrupt or truncated): {exc}") from exc
            except (EOFError, OSError, lzma.LZMAError, zstandard.ZstdError, ValueError) as exc:
                if sink.entries:
                    sink.error("", f"compressed stream truncated or corrupt: {exc}", "unreadable")
                    return
                raise UnpackError(f"compressed stream truncated or corrupt: {exc}") from exc


def _inflates_too_much(declared: int, packed_left: int, sink: ExtractionSink) -> bool:
    """A tar member in a compressed stream must be inflated even to skip it: refuse bombs up front."""
    lim = sink.limits
    return declared > lim.ratio_floor_bytes and declared / max(packed_left, 1) > lim.max_ratio


def _unpack_single(src: Path, kind: str, sink: ExtractionSink) -> None:
    with src.open("rb") as fh:
        raw = _CountingReader(fh)
        try:
            with _decompressor(kind, raw) as stream:
                sink.write_stream(_stripped_name(src), stream, raw_consumed=lambda: raw.count)
        except (EOFError, OSError, lzma.LZMAError, zstandard.ZstdError) as exc:
            raise UnpackError(f"compressed stream truncated or corrupt: {exc}") from exc


UNPACKERS = [TarUnpacker()]
