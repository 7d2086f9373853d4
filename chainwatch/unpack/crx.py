"""Chrome extensions (CRX2 / CRX3): a signed header, then an ordinary zip.

The header is skipped and the zip part is read in place (no copy) by the zip unpacker, through a
file object that starts at the zip's first byte.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError
from chainwatch.unpack.zip import unpack_zipfile

MAX_HEADER_BYTES = 16 * 1024 * 1024


def zip_offset(head: bytes, file_size: int) -> int:
    """Offset of the zip payload of a CRX file, from its first 16 bytes."""
    if len(head) < 12 or head[:4] != b"Cr24":
        raise UnpackError("not a CRX file")
    (version,) = struct.unpack_from("<I", head, 4)
    if version == 2:
        if len(head) < 16:
            raise UnpackError("CRX2 header truncated")
        key_len, sig_len = struct.unpack_from("<II", head, 8)
        header = key_len + sig_len
        offset = 16 + header
    elif version == 3:
        (header,) = struct.unpack_from("<I", head, 8)
        offset = 12 + header
    else:
        raise UnpackError(f"unknown CRX version {version}")
    if header > MAX_HEADER_BYTES or offset > file_size:
        raise UnpackError(f"CRX{version} header size {header} is larger than the file or the cap")
    return offset


class _Slice(io.RawIOBase):
    """A read-only, seekable view of a file from ``start`` to its end."""

    def __init__(self, fh: io.BufferedReader, start: int, size: int) -> None:
        self._fh = fh
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class CrxUnpacker(Unpacker):
    name = "crx"
    priority = 15
    handles = ("archive/crx",)

    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        size = src.stat().st_size
        with src.open("rb") as fh:
            offset = zip_offset(fh.read(16), size)
            view = io.BufferedReader(_Slice(fh, offset, size - offset))
            try:
                zf = zipfile.ZipFile(view)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise UnpackError(f"CRX payload is not a readable zip: {exc}") from exc
            with zf:
                unpack_zipfile(zf, sink, ctx)


UNPACKERS = [CrxUnpacker()]
