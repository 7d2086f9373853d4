"""A package's files held in memory, read from an archive, a directory or a scan's member list.

Packages are small; reading them in memory (never extracting to a tree) keeps hostile archives away
from the file system and lets ``vet`` and the benchmark judge thousands of them quickly. Every read is
bounded: member count, per-file size and total size.
"""

from __future__ import annotations

import functools
import io
import os
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILES = 20_000
MAX_FILE_BYTES = 8 * 1024 * 1024  # larger members are listed but not read
MAX_TOTAL_BYTES = 256 * 1024 * 1024


class PackageReadError(Exception):
    """The archive or directory cannot be read as a package."""


@dataclass
class PackageFiles:
    """Relative path (inside the package root, '/'-separated) -> bytes, plus what was left out."""

    files: dict[str, bytes] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # every member seen, read or not
    prefix: str = ""  # common top folder stripped (sdist "name-1.0/", npm "package/")
    skipped: list[str] = field(default_factory=list)  # members not read (limits), with the reason
    source: str = ""

    def text(self, rel: str, limit: int | None = None) -> str:
        data = self.files.get(rel, b"")
        if limit is not None:
            data = data[:limit]
        return data.decode("utf-8", "replace")

    def names(self) -> list[str]:
        return sorted(self.sizes)


def _strip_prefix(files: dict[str, bytes], sizes: dict[str, int]) -> tuple[dict[str, bytes], dict[str, int], str]:
    tops = {n.split("/", 1)[0] for n in sizes}
    if len(tops) == 1 and all("/" in n for n in sizes):
        top = next(iter(tops)) + "/"
        return ({n[len(top):]: d for n, d in files.items()}, {n[len(top):]: s for n, s in sizes.items()}, top)
    return files, sizes, ""


def _clean_name(name: str) -> str | None:
    name = name.replace("\\", "/")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".", "/")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _read_zip(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return zf.read(info)[:MAX_FILE_BYTES]


def _read_path(path: Path) -> bytes:
    return path.read_bytes()[:MAX_FILE_BYTES]


def _add(out: PackageFiles, name: str, size: int, read: Callable[[], bytes], total: list[int]) -> None:
    clean = _clean_name(name)
    if clean is None:
        out.skipped.append(f"{name}: unsafe path")
        return
    if len(out.sizes) >= MAX_FILES:
        out.skipped.append(f"{name}: member count limit ({MAX_FILES})")
        return
    out.sizes[clean] = size
    if size > MAX_FILE_BYTES:
        out.skipped.append(f"{clean}: {size} bytes, over the per-file read limit")
        return
    if total[0] + size > MAX_TOTAL_BYTES:
        out.skipped.append(f"{clean}: total read limit reached")
        return
    data = read()
    total[0] += len(data)
    out.files[clean] = data


def from_bytes(data: bytes, source: str = "") -> PackageFiles:
    """Read a wheel/zip or a (gzip/bz2/xz) tar held in memory."""
    out = PackageFiles(source=source)
    total = [0]
    try:
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    if info.flag_bits & 0x1:
                        out.skipped.append(f"{info.filename}: encrypted")
                        continue
                    _add(out, info.filename, info.file_size, functools.partial(_read_zip, zf, info), total)
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
                for member in tf:
                    if not member.isfile():
                        continue
                    def reader(m: tarfile.TarInfo = member) -> bytes:
                        fh = tf.extractfile(m)
                        return fh.read(MAX_FILE_BYTES) if fh else b""
                    _add(out, member.name, member.size, reader, total)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        if not out.sizes:
            raise PackageReadError(f"not a readable package archive: {exc}") from exc
        out.skipped.append(f"archive truncated or corrupt: {exc}")
    except Exception as exc:  # zlib.error, lzma.LZMAError and friends on hostile input
        if not out.sizes:
            raise PackageReadError(f"not a readable package archive: {type(exc).__name__}: {exc}") from exc
        out.skipped.append(f"archive truncated or corrupt: {type(exc).__name__}: {exc}")
    out.files, out.sizes, out.prefix = _strip_prefix(out.files, out.sizes)
    return out


def from_archive(path: str | Path) -> PackageFiles:
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_TOTAL_BYTES:
        raise PackageReadError(f"{p.name}: {size} bytes is over the package size limit")
    return from_bytes(p.read_bytes(), source=str(p))


def from_directory(root: str | Path) -> PackageFiles:
    """Read an unpacked package; links and special files are not followed."""
    root = Path(root)
    out = PackageFiles(source=str(root))
    total = [0]
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not (Path(dirpath) / d).is_symlink())
        for fname in sorted(filenames):
            p = Path(dirpath) / fname
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):
                continue
            rel = p.relative_to(root).as_posix()
            _add(out, rel, st.st_size, functools.partial(_read_path, p), total)
    return out


def from_members(members: Iterable[tuple[str, Path]]) -> PackageFiles:
    """Build from (relative path, file on disk) pairs, as a tree analyzer receives them."""
    out = PackageFiles()
    total = [0]
    for rel, p in members:
        try:
            size = p.stat().st_size
        except OSError:
            continue
        _add(out, rel, size, functools.partial(_read_path, p), total)
    out.files, out.sizes, out.prefix = _strip_prefix(out.files, out.sizes)
    return out


def load(target: str | Path) -> PackageFiles:
    p = Path(target)
    if p.is_dir():
        return from_directory(p)
    return from_archive(p)
