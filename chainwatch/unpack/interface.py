"""Unpacker extension point and the extraction sink that enforces the limits.

An unpacker never writes files itself: it hands each member's bytes (a stream) to
``ExtractionSink``, which checks the name, the sizes, the compression ratio and the global budget,
and writes only inside the sandbox. External tools (7zz) extract into ``sink.dest`` and then
call ``sink.adopt_tree()``, which removes links and special files and enforces the same limits.

A module in this package that defines ``UNPACKERS = [...]`` is discovered automatically.
"""

from __future__ import annotations

import abc
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from chainwatch.models import ScanError
from chainwatch.options import Limits
from chainwatch.sandbox import UnsafePath, safe_relative

COPY_CHUNK = 1024 * 1024
MAX_ERRORS_PER_CONTAINER = 1000


class UnpackError(Exception):
    """The container cannot be read (corrupt, truncated, wrong password, unsupported)."""

    def __init__(self, message: str, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.kind = kind


class BudgetExceeded(Exception):
    """A global limit (member count, total unpacked bytes) is reached: stop unpacking everywhere."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass
class Budget:
    """Counters shared by every container of one scan."""

    limits: Limits
    members: int = 0
    total_bytes: int = 0
    exhausted: str | None = None

    def take_member(self) -> None:
        if self.members >= self.limits.max_members:
            self.exhausted = f"member count limit reached ({self.limits.max_members} members)"
            raise BudgetExceeded(self.exhausted)
        self.members += 1

    def take_bytes(self, n: int) -> None:
        if self.total_bytes + n > self.limits.max_total_bytes:
            self.exhausted = f"total unpacked size limit reached ({self.limits.max_total_bytes} bytes)"
            raise BudgetExceeded(self.exhausted)
        self.total_bytes += n


@dataclass
class ExtractedEntry:
    name: str  # safe relative path inside the container
    fs_path: Path


@dataclass
class ExtractionSink:
    dest: Path  # a fresh directory inside the sandbox
    container: str  # logical path of the container (for error messages)
    budget: Budget
    entries: list[ExtractedEntry] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    written_total: int = 0
    suppressed_errors: int = 0
    entries_seen: int = 0
    _names: set[str] = field(default_factory=set)

    @property
    def limits(self) -> Limits:
        return self.budget.limits

    def logical(self, name: str) -> str:
        return f"{self.container}!/{name}"

    def error(self, name: str, message: str, kind: str = "error") -> None:
        # A container of a million links or bad names must not become a million report entries.
        if len(self.errors) >= MAX_ERRORS_PER_CONTAINER:
            self.suppressed_errors += 1
            if self.suppressed_errors == 1:
                self.errors.append(ScanError(self.container, f"more than {MAX_ERRORS_PER_CONTAINER} problems in this "
                                             f"container; the rest are not listed", "limit"))
            return
        self.errors.append(ScanError(path=self.logical(name) if name else self.container, message=message, kind=kind))

    def count_entry(self) -> None:
        """Count any archive entry (directories and links too): a flood of them is a limit breach."""
        self.entries_seen += 1
        if self.entries_seen > self.limits.max_members * 2 + 1000:
            raise UnpackError(f"more than {self.limits.max_members * 2 + 1000} entries (directories, links, files) "
                              f"in this container", "limit")

    def _target(self, name: str) -> tuple[str, Path] | None:
        try:
            rel = safe_relative(name)
        except UnsafePath as exc:
            self.error(name, f"skipped: {exc}", "unsafe-path")
            return None
        if rel in self._names:  # duplicate names: keep both, the second one suffixed
            n = 2
            while f"{rel}~{n}" in self._names:
                n += 1
            rel = f"{rel}~{n}"
        target = self.dest / rel
        # A path component might already exist as a file (e.g. "a" then "a/b"): keep the file.
        parent = target.parent
        for p in [*reversed(target.relative_to(self.dest).parents)][1:]:
            q = self.dest / p
            if q.exists() and not q.is_dir():
                self.error(name, "skipped: a parent path is a file in this archive", "unsafe-path")
                return None
        parent.mkdir(parents=True, exist_ok=True)
        return rel, target

    def write_stream(
        self,
        name: str,
        stream: IO[bytes],
        declared_size: int | None = None,
        compressed_size: int | None = None,
        raw_consumed: Callable[[], int] | None = None,
        decrypted: bool = False,
    ) -> Path | None:
        """Copy one member into the sandbox, enforcing per-member, ratio and global limits.

        ``compressed_size`` is the member's own packed size (zip); ``raw_consumed`` reports how many
        packed bytes of a whole compressed stream were read so far (tar.gz, single .xz), so a bomb
        is stopped while it inflates, not after. ``decrypted`` marks a member read through a
        password: ZipCrypto's one check byte lets 1 wrong password in 256 through, and the garbage
        then fails its CRC, so a read failure there is a password error and nothing is kept.
        """
        lim = self.limits
        if declared_size is not None and declared_size > lim.max_member_bytes:
            self.error(name, f"skipped: declared size {declared_size} exceeds the per-member limit "
                       f"{lim.max_member_bytes}", "limit")
            return None
        if (
            declared_size is not None
            and compressed_size
            and declared_size > lim.ratio_floor_bytes
            and declared_size / compressed_size > lim.max_ratio
        ):
            self.error(name, f"skipped: compression ratio {declared_size / compressed_size:.0f}:1 exceeds "
                       f"{lim.max_ratio:.0f}:1 (possible decompression bomb)", "limit")
            return None
        self.budget.take_member()
        picked = self._target(name)
        if picked is None:
            return None
        rel, target = picked
        written = 0
        try:
            with open(target, "xb") as out:
                while True:
                    chunk = stream.read(COPY_CHUNK)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > lim.max_member_bytes:
                        raise _MemberLimit(f"unpacked size exceeds the per-member limit {lim.max_member_bytes}")
                    over_floor = written > lim.ratio_floor_bytes
                    if compressed_size and over_floor and written / compressed_size > lim.max_ratio:
                        raise _MemberLimit(f"compression ratio over {lim.max_ratio:.0f}:1 while unpacking "
                                           f"(possible decompression bomb)")
                    self.written_total += len(chunk)
                    if raw_consumed is not None and self.written_total > lim.ratio_floor_bytes:
                        packed = max(raw_consumed(), 1)
                        if self.written_total / packed > lim.max_ratio:
                            raise _StreamLimit(
                                f"compression ratio {self.written_total / packed:.0f}:1 of the compressed stream "
                                f"exceeds {lim.max_ratio:.0f}:1 (possible decompression bomb)")
                    self.budget.take_bytes(len(chunk))
                    out.write(chunk)
        except _MemberLimit as exc:
            target.unlink(missing_ok=True)
            self.error(name, f"skipped: {exc}", "limit")
            return None
        except (BudgetExceeded, _StreamLimit):
            target.unlink(missing_ok=True)
            raise
        except Exception as exc:
            if decrypted:
                target.unlink(missing_ok=True)
                self.error(name, f"wrong password or corrupt encrypted member: {type(exc).__name__}: {exc}",
                           "password")
                return None
            if isinstance(exc, (OSError, EOFError, ValueError)):
                # a truncated or corrupt member: keep what was read, say so
                self.error(name, f"member truncated or corrupt after {written} bytes: {exc}", "unreadable")
            else:  # library-specific decode errors (zlib.error, lzma.LZMAError, ...)
                self.error(name, f"member unreadable after {written} bytes: {type(exc).__name__}: {exc}",
                           "unreadable")
            if written == 0:
                target.unlink(missing_ok=True)
                return None
        os.chmod(target, 0o600)
        self._names.add(rel)
        self.entries.append(ExtractedEntry(rel, target))
        return target

    def write_bytes(self, name: str, data: bytes) -> Path | None:
        import io

        return self.write_stream(name, io.BytesIO(data), declared_size=len(data))

    def skip_link(self, name: str, target: str | None = None) -> None:
        where = f" -> {target}" if target else ""
        self.error(name, f"link member not followed{where}", "link")

    def adopt_tree(self) -> None:
        """Accept what an external tool extracted into ``dest``: drop links and special files."""
        for dirpath, dirnames, filenames in os.walk(self.dest, followlinks=False):
            base = Path(dirpath)
            os.chmod(base, 0o700)  # archives may carry 0555 folders: keep the sandbox removable
            for d in list(dirnames):
                p = base / d
                if p.is_symlink():
                    self.skip_link(str(p.relative_to(self.dest)), os.readlink(p))
                    p.unlink()
                    dirnames.remove(d)
            for f in sorted(filenames):
                p = base / f
                rel = str(p.relative_to(self.dest))
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    self.skip_link(rel, os.readlink(p))
                    p.unlink()
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.error(rel, "special file skipped", "unsafe-path")
                    p.unlink()
                    continue
                if st.st_size > self.limits.max_member_bytes:
                    self.error(rel, f"skipped: size {st.st_size} exceeds the per-member limit", "limit")
                    p.unlink()
                    continue
                self.budget.take_member()
                self.budget.take_bytes(st.st_size)
                os.chmod(p, 0o600)
                self._names.add(rel)
                self.entries.append(ExtractedEntry(rel, p))


class _MemberLimit(Exception):
    pass


class _StreamLimit(UnpackError):
    """The whole compressed stream inflates too much: stop this container."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "limit")


@dataclass(frozen=True)
class UnpackContext:
    limits: Limits
    password: bytes | None = None


class Unpacker(abc.ABC):
    name: str = ""
    priority: int = 100  # lower runs first when several accept
    handles: tuple[str, ...] = ()  # content types (see chainwatch.filetype)

    def accepts(self, kind: str, head: bytes, name: str) -> bool:
        return kind in self.handles

    @abc.abstractmethod
    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        """Hand every member to ``sink``. Raise ``UnpackError`` if the container is unreadable."""
