"""libarchive (via libarchive-c) for ar / .deb, .rpm, cpio and RAR, and as the fallback for 7z, CAB,
ISO and xar when ``7zz`` is not installed.

Entries are streamed block by block into the sink (never a whole member in memory); links, devices
and fifos are skipped with an error entry. A ``.deb`` opens as ``x.deb!/data.tar.xz`` and the engine
then opens ``data.tar.xz`` through the tar unpacker.
(The module is not named ``libarchive`` so that it never shadows the library.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libarchive
import libarchive.exception

from chainwatch.unpack.interface import BudgetExceeded, ExtractionSink, UnpackContext, Unpacker, UnpackError

BLOCK = 1024 * 1024
_PRIMARY = ("archive/ar", "archive/rpm", "archive/cpio", "archive/rar")
_FALLBACK = ("archive/7z", "archive/cab", "archive/iso", "archive/xar")


class _BlockStream:
    """A ``read()`` view over libarchive's block generator, for ``ExtractionSink.write_stream``."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks

    def read(self, n: int = -1) -> bytes:
        return next(self._blocks, b"")


class LibarchiveUnpacker(Unpacker):
    name = "libarchive"
    priority = 50
    handles = _PRIMARY + _FALLBACK

    def accepts(self, kind: str, head: bytes, name: str) -> bool:
        if kind in _PRIMARY:
            return True
        if kind in _FALLBACK:
            from chainwatch.unpack.sevenzip import find_tool

            return find_tool() is None
        return False

    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        stream_entries(src, sink, ctx)


def stream_entries(src: Path, sink: ExtractionSink, ctx: UnpackContext, format_name: str = "all") -> None:
    """Read ``src`` front to back with libarchive and hand each regular file to ``sink``.

    Also the salvage path for a zip whose central directory is gone (truncated download): libarchive
    reads the local headers in order, so the members before the cut are still inventoried.
    """
    passphrase = ctx.password or None
    seen = 0
    try:
        with libarchive.file_reader(str(src), format_name=format_name, passphrase=passphrase) as archive:
            for entry in archive:
                seen += 1
                sink.count_entry()
                name = entry.pathname or ""
                if entry.isdir:
                    continue
                if entry.issym or entry.islnk:
                    sink.skip_link(name, entry.linkpath)
                    continue
                if not entry.isreg:
                    sink.error(name, "special file (device/fifo/socket) skipped", "unsafe-path")
                    continue
                sink.write_stream(
                    name,
                    _BlockStream(entry.get_blocks(BLOCK)),  # type: ignore[arg-type]
                    declared_size=entry.size,
                    raw_consumed=lambda: archive.bytes_read,
                )
    except (BudgetExceeded, UnpackError):
        raise
    except (libarchive.exception.ArchiveError, OSError, ValueError) as exc:
        message = str(exc).strip() or type(exc).__name__
        message = message.split(" (errno=")[0]
        kind = "password" if "passphrase" in message.lower() or "encrypt" in message.lower() else "unreadable"
        if seen > 1 or sink.entries:
            sink.error("", f"archive ends early or is corrupt after {seen} entries: {message}", kind)
            return
        raise UnpackError(f"libarchive cannot read it: {message}", kind) from exc


UNPACKERS = [LibarchiveUnpacker()]
