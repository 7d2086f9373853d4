"""Zip family: wheels, jars, nupkg (Squirrel), apk, crx payloads, password-protected sample zips."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from chainwatch.streams import raw_inflater
from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError

DECRYPT_WITH_7ZZ_BYTES = 1024 * 1024


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
            unpack_zipfile(zf, sink, ctx, src)


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


def unpack_zipfile(zf: zipfile.ZipFile, sink: ExtractionSink, ctx: UnpackContext, src: Path | None = None) -> None:
    """Hand every member of an open zip to ``sink`` (also used for the zip inside a CRX).

    With ``src`` and a password, encrypted members over ``DECRYPT_WITH_7ZZ_BYTES`` in total are
    decrypted by 7zz (zipfile's ZipCrypto is pure Python, under 1 MB/s; AES it cannot do at all),
    then streamed into the sink like any other member.
    """
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
    deferred = _members_for_7zz(infos, sink, ctx, src)
    deferred_ids = {id(i) for i in deferred}
    for info in infos:
        if id(info) in deferred_ids:
            continue
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
        _use_fast_inflate(stream)
        with stream:
            sink.write_stream(
                info.filename,
                stream,
                declared_size=info.file_size,
                compressed_size=max(info.compress_size, 1),
                raw_consumed=lambda: packed,
                decrypted=encrypted,
            )
    if deferred and src is not None:
        _decrypt_with_7zz(src, deferred, sink, ctx, packed)


def _use_fast_inflate(stream: object) -> None:
    """Give a freshly opened deflated member ISA-L's inflater (same interface as zlib's, ~2x faster).

    zipfile keeps its own checks (CRC, sizes, the max_length bound on each inflate call that stops
    ratio bombs); only the decompressor object is swapped, before the first byte is read.
    """
    if (getattr(stream, "_compress_type", None) == zipfile.ZIP_DEFLATED
            and hasattr(stream, "_decompressor") and getattr(stream, "_compress_left", None) is not None
            and getattr(stream, "_readbuffer", b"") == b""):
        stream._decompressor = raw_inflater()  # type: ignore[attr-defined]


def _members_for_7zz(infos: list[zipfile.ZipInfo], sink: ExtractionSink, ctx: UnpackContext,
                     src: Path | None) -> list[zipfile.ZipInfo]:
    if src is None or not ctx.password:
        return []
    from chainwatch.sandbox import UnsafePath, safe_relative
    from chainwatch.unpack.sevenzip import find_tool

    lim = sink.limits
    picked = []
    for info in infos:
        if info.is_dir() or not info.flag_bits & 0x1 or stat.S_ISLNK((info.external_attr >> 16) & 0xFFFF):
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > lim.max_member_bytes or (info.file_size > lim.ratio_floor_bytes and ratio > lim.max_ratio):
            continue  # the ordinary path refuses it from its header, no decryption needed
        try:
            safe_relative(info.filename)
        except UnsafePath:
            continue
        picked.append(info)
    aes = any(i.compress_type == 99 for i in picked)
    if not picked or (sum(i.compress_size for i in picked) < DECRYPT_WITH_7ZZ_BYTES and not aes):
        return []
    return picked if find_tool() else []


def _decrypt_with_7zz(src: Path, members: list[zipfile.ZipInfo], sink: ExtractionSink, ctx: UnpackContext,
                      packed: int) -> None:
    import shutil

    from chainwatch.sandbox import safe_relative
    from chainwatch.unpack.sevenzip import SevenZipUnpacker

    scratch = sink.dest.parent / f"{sink.dest.name}.decrypted"
    scratch.mkdir(mode=0o700)
    try:
        names = [i.filename for i in members]
        SevenZipUnpacker().extract_members(src, "archive/zip", names, [i.file_size for i in members], scratch,
                                           sink, ctx)
        reported = {e.path for e in sink.errors}
        for info in members:
            path = scratch / safe_relative(info.filename)
            if path.is_symlink() or not path.is_file():
                if sink.logical(info.filename) not in reported:
                    sink.error(info.filename, "wrong password or unreadable encrypted member", "password")
                continue
            with path.open("rb") as fh:
                sink.write_stream(info.filename, fh, declared_size=info.file_size,
                                  compressed_size=max(info.compress_size, 1), raw_consumed=lambda: packed)
            path.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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
