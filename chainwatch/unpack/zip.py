"""Zip family: wheels, jars, nupkg (Squirrel), apk, crx payloads, password-protected sample zips."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError


class ZipUnpacker(Unpacker):
    name = "zip"
    priority = 10
    handles = ("archive/zip",)

    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        declared = declared_entries(src)
        if declared is not None and declared > sink.limits.max_members:
            # zipfile would hold every directory entry in memory before we could count them
            sink.error("", f"zip directory lists {declared} entries, over the member limit "
                       f"{sink.limits.max_members}; reading it front to back instead", "limit")
            from chainwatch.unpack.archive_libarchive import stream_entries

            stream_entries(src, sink, ctx, format_name="zip")
            return
        try:
            zf = zipfile.ZipFile(src)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            _salvage(src, sink, ctx, exc)
            return
        with zf:
            unpack_zipfile(zf, sink, ctx)


def declared_entries(src: Path) -> int | None:
    """Entry count from the end-of-central-directory record (zip64 aware), read before parsing."""
    try:
        with src.open("rb") as fh:
            endrec = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    if not endrec:
        return None
    return int(endrec[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


def _salvage(src: Path, sink: ExtractionSink, ctx: UnpackContext, exc: Exception) -> None:
    """No central directory (truncated, cut download): read the local headers front to back."""
    from chainwatch.unpack.archive_libarchive import stream_entries

    try:
        stream_entries(src, sink, ctx, format_name="zip")
    except UnpackError:
        raise UnpackError(f"not a readable zip (corrupt or truncated): {exc}") from exc
    if not sink.entries:
        raise UnpackError(f"not a readable zip (corrupt or truncated): {exc}")
    sink.error("", f"zip directory unreadable ({exc}); {len(sink.entries)} members recovered from their local "
               f"headers", "unreadable")


def unpack_zipfile(zf: zipfile.ZipFile, sink: ExtractionSink, ctx: UnpackContext) -> None:
    """Hand every member of an open zip to ``sink`` (also used for the zip inside a CRX)."""
    try:
        infos = zf.infolist()
    except Exception as exc:  # pragma: no cover - defensive, infolist is in memory
        raise UnpackError(f"unreadable zip directory: {exc}") from exc
    if len(infos) > sink.limits.max_members:
        sink.error("", f"zip lists {len(infos)} members; only the first {sink.limits.max_members} "
                   f"are read", "limit")
        infos = infos[: sink.limits.max_members]
    # The whole container may not inflate past the ratio either: many members each under the
    # per-member ratio floor (or overlapping entries) would otherwise add up to a bomb.
    packed = max(_size_of(zf), 1)
    for info in infos:
        if info.is_dir():
            continue
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            sink.skip_link(info.filename)
            continue
        encrypted = bool(info.flag_bits & 0x1)
        if encrypted and ctx.password is None:
            sink.error(info.filename, "encrypted member skipped: no password given (use --password)",
                       "password")
            continue
        try:
            stream = zf.open(info, pwd=ctx.password if encrypted else None)
        except RuntimeError as exc:  # "Bad password for file"
            sink.error(info.filename, f"wrong password: {exc}", "password")
            continue
        except NotImplementedError as exc:
            sink.error(info.filename, f"unsupported compression: {exc}", "unreadable")
            continue
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            sink.error(info.filename, f"unreadable member: {exc}", "unreadable")
            continue
        with stream:
            sink.write_stream(
                info.filename,
                stream,
                declared_size=info.file_size,
                compressed_size=max(info.compress_size, 1),
                raw_consumed=lambda: packed,
            )


def _size_of(zf: zipfile.ZipFile) -> int:
    fp = zf.fp
    if fp is None:
        return 0
    pos = fp.tell()
    try:
        return fp.seek(0, 2)
    finally:
        fp.seek(pos)


UNPACKERS = [ZipUnpacker()]
