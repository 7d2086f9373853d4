"""Debian's 7-Zip (``7zz``) for the formats no Python library reads well: 7z, CAB, DMG (UDIF with
HFS+/APFS inside), NSIS installers, ISO, xar/pkg.

Safety, in order:
1. ``7zz l -slt -ba`` lists the container first; member count, declared sizes and the compression
   ratio are checked before a byte is written, and link / unsafe / oversize members are excluded.
2. ``7zz x`` runs with stdin closed, a password always given (never a prompt), ``-snl-`` (link
   members are skipped, never created), in its own process group, with RLIMIT_FSIZE (no file above
   the per-member limit), RLIMIT_AS and RLIMIT_CORE, a wall-clock timeout (``Limits.unpack_seconds``)
   and a watchdog on the bytes written (a lying header cannot fill the disk).
3. ``sink.adopt_tree()`` then drops any link or special file that slipped through and applies the
   per-member and global limits to what is really on disk.

For a DMG, 7zz opens the disk image and descends into its main file-system partition by itself, so
the members are ``app.dmg!/3CX Desktop App.app/Contents/...`` with no partition layer in between.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from chainwatch.sandbox import UnsafePath, safe_relative
from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError

TOOL_NAMES = ("7zz", "7z")
# Virtual memory cap for one 7zz run: bounds a hostile dictionary size (LZMA) or image index; a 7z
# made with a dictionary over ~800 MB fails with an error entry instead of taking the memory.
TOOL_ADDRESS_SPACE = 1024 * 1024 * 1024
LIST_OUTPUT_CAP = 128 * 1024 * 1024  # a listing bigger than this is itself hostile
WATCH_INTERVAL = 0.25

# 7zz's -t names for our content types. A fixed type stops 7zz from re-guessing the format of a
# file we classified (e.g. opening a plain PE as a "PE resources" archive). DMG is left to 7zz's own
# detection on purpose: that is what makes it descend into the HFS+/APFS partition.
_SEVENZIP_TYPES: dict[str, str | None] = {
    "archive/7z": "7z",
    "archive/cab": "Cab",
    "archive/msi": "Compound",
    "archive/dmg": None,
    "archive/zip": "zip",  # only for encrypted members (C speed ZipCrypto/AES), see unpack/zip.py
    "archive/iso": None,  # ISO or UDF
    "archive/xar": "Xar",
    "pe/nsis": "Nsis",
    "archive/squashfs": "SquashFS",
    "archive/wim": "wim",
}

_LIBARCHIVE_READS = ("archive/7z", "archive/cab", "archive/iso", "archive/xar")


def find_tool() -> str | None:
    for name in TOOL_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class ListedItem:
    """One entry of ``7zz l -slt``: only what the limit checks need."""

    path: str
    size: int | None
    packed: int | None
    is_dir: bool
    link_target: str | None  # symbolic or hard link target, when the entry is a link
    encrypted: bool


def _int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _is_link_mode(text: str) -> bool:
    # "A lrwxrwxrwx" (7z/zip attributes with unix extension) or "lrwxrwxrwx" (Mode)
    return any(tok.startswith("l") and len(tok) == 10 for tok in text.split())


def parse_listing(text: str) -> list[ListedItem]:
    """Parse ``7zz l -slt -ba`` output: blank-line separated blocks of ``Key = value`` lines."""
    return list(iter_listing(text.splitlines()))


def iter_listing(lines: Iterable[str]) -> Iterator[ListedItem]:
    """Streaming form of ``parse_listing`` (a listing can be large: never hold it as one string)."""
    fields: dict[str, str] = {}
    for raw in itertools.chain(lines, [""]):
        line = raw.rstrip("\r\n")
        if line.strip():
            key, sep, value = line.partition(" = ")
            if sep and key and key not in fields:
                fields[key] = value
            elif line.endswith(" =") and line[:-2] not in fields:
                fields[line[:-2]] = ""
            continue
        if "Path" in fields:
            yield _item(fields)
        fields = {}


def _item(fields: dict[str, str]) -> ListedItem:
    attrs = fields.get("Attributes", "")
    is_dir = fields.get("Folder", "") == "+" or attrs.startswith("D")
    link = fields.get("Symbolic Link") or fields.get("Hard Link") or fields.get("Link") or None
    if link is None and (_is_link_mode(attrs) or _is_link_mode(fields.get("Mode", ""))):
        link = ""
    return ListedItem(
        path=fields["Path"],
        size=_int(fields.get("Size")),
        packed=_int(fields.get("Packed Size")),
        is_dir=is_dir,
        link_target=link,
        encrypted=fields.get("Encrypted", "") == "+",
    )


def _die_with_parent() -> None:
    """Linux: SIGKILL 7zz if chainwatch itself dies, so nothing keeps writing into a removed sandbox."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _limit_child(fsize: int) -> None:
    """preexec_fn: resource caps for the 7zz child (runs in the child, before exec)."""
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    try:
        resource.setrlimit(resource.RLIMIT_AS, (TOOL_ADDRESS_SPACE, TOOL_ADDRESS_SPACE))
    except (ValueError, OSError):  # pragma: no cover - platform without RLIMIT_AS
        pass
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def _password_switch(password: bytes | None) -> str:
    # Always pass -p so 7zz never prompts; an empty -p means "no password".
    return "-p" + (password.decode("utf-8", "replace") if password else "")


def _tree_bytes(root: Path) -> int:
    total = 0
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(Path(e.path))
                        elif e.is_file(follow_symlinks=False):
                            total += e.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


# DMG partition images as 7zz names them: "0.MBR", "1.Primary GPT Header", "4.hfs", "3.apfs"
_PARTITION = re.compile(r"^\d+\.[^/]+$")
_NOT_A_VOLUME = re.compile(r"^\d+\.(MBR|.*GPT.*|.*free.*|DDM|.*partition.map.*|Driver.*|Patches)$", re.IGNORECASE)

_ERROR_LINE = re.compile(r"^ERROR: (?P<what>.+?) : (?P<name>.+)$")


def _stderr_errors(stderr: str) -> Iterator[tuple[str, str, str]]:
    """(member name, message, kind) for each per-member error line of ``7zz x``."""
    for line in stderr.splitlines():
        m = _ERROR_LINE.match(line.strip())
        if not m:
            continue
        what, name = m.group("what"), m.group("name")
        kind = "password" if "password" in what.lower() else "unreadable"
        if "link" in what.lower():
            kind = "link"
        yield name, what, kind


class SevenZipUnpacker(Unpacker):
    name = "7zz"
    priority = 40
    handles = tuple(k for k in _SEVENZIP_TYPES if k != "archive/zip")

    def __init__(self, tool: str | None = None) -> None:
        self._tool = tool

    def accepts(self, kind: str, head: bytes, name: str | Path) -> bool:
        if kind in self.handles:
            # without 7zz, leave the formats libarchive also reads to it; the rest get a clear error
            return kind not in _LIBARCHIVE_READS or bool(self._tool or find_tool())
        # The engine may detect from the head only: an NSIS stub's payload sits past it, and a DMG
        # whose data fork starts with a bzip2 chunk looks like a .bz2 from its head.
        if isinstance(name, Path) and (kind == "pe" or kind.startswith("compressed/")):
            from chainwatch.filetype import detect_file

            return detect_file(name) in ("pe/nsis", "archive/dmg")
        return False

    @property
    def tool(self) -> str:
        tool = self._tool or find_tool()
        if not tool:
            raise UnpackError(
                "7-Zip is not installed: cannot open this container (install Debian's 7zip package for `7zz`)",
                "unsupported",
            )
        return tool

    # -- listing -----------------------------------------------------------------------------
    def list_items(self, src: Path, kind: str, ctx: UnpackContext, workdir: Path | None = None) -> list[ListedItem]:
        """List ``src``. The listing goes to an unlinked temp file in ``workdir`` (the sandbox), capped
        by RLIMIT_FSIZE, and is parsed line by line: a listing of millions of entries costs no memory."""
        cmd = [self.tool, "l", "-slt", "-ba", "-sccUTF-8", _password_switch(ctx.password)]
        typ = _SEVENZIP_TYPES.get(kind)
        if typ:
            cmd.append(f"-t{typ}")
        cmd += ["--", str(src)]
        with tempfile.TemporaryFile(dir=workdir) as out, tempfile.TemporaryFile(dir=workdir) as err:
            try:
                proc = subprocess.run(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    timeout=ctx.limits.unpack_seconds,
                    preexec_fn=lambda: _limit_child(LIST_OUTPUT_CAP),
                    start_new_session=True,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise UnpackError(f"7zz listing timed out after {ctx.limits.unpack_seconds:.0f} s", "timeout") from exc
            if proc.returncode == -signal.SIGXFSZ:
                raise UnpackError(f"7zz listing is over {LIST_OUTPUT_CAP} bytes (too many entries)", "limit")
            err.seek(0)
            stderr = err.read(1024 * 1024).decode("utf-8", "replace")
            out.seek(0)
            items: list[ListedItem] = []
            cap = ctx.limits.max_members * 2 + 1000  # directories count too
            for item in iter_listing(io.TextIOWrapper(out, encoding="utf-8", errors="replace")):
                items.append(item)
                if len(items) > cap:
                    raise UnpackError(f"7zz lists more than {cap} entries (member limit {ctx.limits.max_members})",
                                      "limit")
        if proc.returncode != 0 and not items:
            if "password" in stderr.lower():
                raise UnpackError("encrypted archive: wrong or missing password (use --password)", "password")
            raise UnpackError(f"7zz cannot open it: {_first_error(stderr, src)}")
        return items

    # -- extraction ---------------------------------------------------------------------------
    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        from chainwatch.filetype import detect_file

        kind = detect_file(src)
        if kind not in self.handles:
            raise UnpackError(f"7zz is not used for {kind} content", "unsupported")
        items = self.list_items(src, kind, ctx, sink.dest.parent)
        files = [i for i in items if not i.is_dir]
        if kind == "archive/dmg" and files and all(_PARTITION.match(i.path) for i in files):
            # 7zz did not find one main partition to descend into (several file systems, or an
            # unusual map): open each file-system partition ourselves
            self._unpack_partitions(src, kind, sink, ctx, items)
        else:
            excluded = self._check(src, items, sink)
            self._extract(src, kind, sink.dest, sink, ctx, excluded, items)
        sink.adopt_tree()

    def _unpack_partitions(self, src: Path, kind: str, sink: ExtractionSink, ctx: UnpackContext,
                           items: list[ListedItem]) -> None:
        scratch = sink.dest.parent / f"{sink.dest.name}.partitions"
        scratch.mkdir(mode=0o700)
        try:
            excluded = self._check(src, items, sink)
            self._extract(src, kind, scratch, sink, ctx, excluded, items)
            parts = sorted(p for p in scratch.iterdir() if p.is_file() and not p.is_symlink())
            volumes = [p for p in parts if not _NOT_A_VOLUME.search(p.name)]
            for part in volumes:
                # one volume: its files sit right under the DMG; several: one folder per partition
                target = sink.dest if len(volumes) == 1 else sink.dest / part.name
                target.mkdir(mode=0o700, exist_ok=True)
                try:
                    self.extract_into(part, "archive/dmg", target, sink, ctx)
                except UnpackError as exc:
                    sink.error(part.name, f"partition is not a readable file system ({exc}); kept as an image",
                               "info")
                    keep = sink.dest / part.name
                    if keep.is_dir():  # the per-partition folder made above
                        keep = keep / "image"
                    os.replace(part, keep)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def extract_into(self, src: Path, kind: str, dest: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        """List, check and extract ``src`` into ``dest`` (errors go to ``sink``); no adoption yet."""
        items = self.list_items(src, kind, ctx, dest.parent)
        excluded = self._check(src, items, sink)
        self._extract(src, kind, dest, sink, ctx, excluded, items)

    def extract_members(self, src: Path, kind: str, names: list[str], sizes: list[int], dest: Path,
                        sink: ExtractionSink, ctx: UnpackContext) -> None:
        """Extract only ``names`` (already checked against the limits by the caller) into ``dest``."""
        items = [ListedItem(n, size, None, False, None, True) for n, size in zip(names, sizes, strict=True)]
        self._extract(src, kind, dest, sink, ctx, [], items, included=names)

    def _check(self, src: Path, items: list[ListedItem], sink: ExtractionSink) -> list[str]:
        """Apply the limits to the listing; return the member names to leave out."""
        lim = sink.limits
        excluded: list[str] = []
        files = [i for i in items if not i.is_dir]
        room = lim.max_members - sink.budget.members
        kept = 0
        declared_total = 0
        for item in files:
            if item.link_target is not None:
                sink.skip_link(item.path, item.link_target or None)
                excluded.append(item.path)
                continue
            try:
                safe_relative(item.path)
            except UnsafePath as exc:
                sink.error(item.path, f"skipped: {exc}", "unsafe-path")
                excluded.append(item.path)
                continue
            if "\n" in item.path or "\r" in item.path:
                sink.error(item.path, "skipped: member name contains a line break", "unsafe-path")
                excluded.append(item.path)
                continue
            size = item.size or 0
            if size > lim.max_member_bytes:
                sink.error(item.path, f"skipped: declared size {size} exceeds the per-member limit "
                           f"{lim.max_member_bytes}", "limit")
                excluded.append(item.path)
                continue
            if item.packed and size > lim.ratio_floor_bytes and size / item.packed > lim.max_ratio:
                sink.error(item.path, f"skipped: compression ratio {size / item.packed:.0f}:1 exceeds "
                           f"{lim.max_ratio:.0f}:1 (possible decompression bomb)", "limit")
                excluded.append(item.path)
                continue
            if kept >= room:
                sink.error(item.path, f"skipped: member count limit ({lim.max_members}) reached", "limit")
                excluded.append(item.path)
                continue
            kept += 1
            declared_total += size
        packed_total = max(src.stat().st_size, 1)
        if declared_total > lim.ratio_floor_bytes and declared_total / packed_total > lim.max_ratio:
            raise UnpackError(
                f"declared content {declared_total} bytes is {declared_total / packed_total:.0f}x the container "
                f"size (limit {lim.max_ratio:.0f}:1, possible decompression bomb)", "limit")
        remaining = lim.max_total_bytes - sink.budget.total_bytes
        if declared_total > remaining:
            raise UnpackError(
                f"declared content {declared_total} bytes exceeds the remaining total-size budget {remaining}", "limit")
        return excluded

    def _extract(
        self,
        src: Path,
        kind: str,
        dest: Path,
        sink: ExtractionSink,
        ctx: UnpackContext,
        excluded: list[str],
        items: list[ListedItem],
        included: list[str] | None = None,
    ) -> None:
        lim = sink.limits
        cmd = [self.tool, "x", "-y", "-bd", "-bb0", "-snl-", "-sccUTF-8", "-scsUTF-8",
               _password_switch(ctx.password), f"-o{dest}"]
        typ = _SEVENZIP_TYPES.get(kind)
        if typ:
            cmd.append(f"-t{typ}")
        list_file: Path | None = None
        if excluded:
            list_file = dest.parent / f".{dest.name}.exclude"
            list_file.write_text("".join(f"{name}\n" for name in excluded), encoding="utf-8")
            cmd += ["-spd", f"-x@{list_file}"]
        elif included:
            list_file = dest.parent / f".{dest.name}.include"
            list_file.write_text("".join(f"{name}\n" for name in included), encoding="utf-8")
            cmd += ["-spd", f"-i@{list_file}"]
        cmd += ["--", str(src)]
        budget_left = lim.max_total_bytes - sink.budget.total_bytes
        declared = sum((i.size or 0) for i in items if not i.is_dir)
        # What may land on disk: the declared total with slack, never more than the budget.
        allowed = min(budget_left, max(declared * 2, declared + lim.ratio_floor_bytes))
        if any(i.size is None for i in items if not i.is_dir):
            allowed = min(budget_left, max(allowed, src.stat().st_size * int(lim.max_ratio)))
        fsize = lim.max_member_bytes + 1
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=lambda: _limit_child(fsize),
                start_new_session=True,
            )
        except OSError as exc:
            raise UnpackError(f"cannot run 7zz: {exc}", "unsupported") from exc
        try:
            stderr = self._watch(proc, dest, allowed, lim.unpack_seconds)
        except BaseException:
            # the engine's own time limit (SIGALRM), Ctrl-C, a breach: never leave 7zz running
            if proc.poll() is None:
                _kill(proc)
            raise
        finally:
            if list_file is not None:
                list_file.unlink(missing_ok=True)
        reported: set[str] = set()
        for name, what, err_kind in _stderr_errors(stderr):
            if name in reported or name == str(src):
                continue
            reported.add(name)
            sink.error(name, f"7zz: {what}", err_kind)
            _drop_failed(dest, name, err_kind)
        if proc.returncode not in (0, 1) and not reported:
            sink.error("", f"7zz ended with errors (exit {proc.returncode}): {_first_error(stderr, src)}",
                       "password" if "password" in stderr.lower() else "unreadable")

    def _watch(self, proc: subprocess.Popen[bytes], dest: Path, allowed: int, seconds: float) -> str:
        """Wait for 7zz; kill its process group on timeout or when it writes more than ``allowed``."""
        assert proc.stderr is not None
        import threading

        chunks: list[bytes] = []

        def drain() -> None:  # keep the pipe flowing; remember only the first 1 MiB
            kept = 0
            while True:
                data = proc.stderr.read(65536)  # type: ignore[union-attr]
                if not data:
                    return
                if kept < 1024 * 1024:
                    chunks.append(data)
                    kept += len(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        deadline = time.monotonic() + seconds
        interval = WATCH_INTERVAL
        breach: UnpackError | None = None
        while True:
            try:
                proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                breach = UnpackError(f"7zz extraction timed out after {seconds:.0f} s", "timeout")
            elif _tree_bytes(dest) > allowed:
                breach = UnpackError(
                    f"7zz wrote more than the {allowed} bytes the listing declared or the budget allows "
                    f"(possible decompression bomb)", "limit")
            if breach is not None:
                _kill(proc)
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir(mode=0o700, exist_ok=True)
                reader.join(timeout=2)
                raise breach
            interval = min(interval * 2, 0.5)
        reader.join(timeout=5)
        proc.stderr.close()
        return b"".join(chunks).decode("utf-8", "replace")


def _drop_failed(dest: Path, name: str, kind: str) -> None:
    """7zz leaves an empty (or garbage) file for a member it failed on: not a member."""
    try:
        path = dest / safe_relative(name)
    except UnsafePath:
        return
    try:
        st = path.lstat()
    except OSError:
        return
    if stat.S_ISREG(st.st_mode) and (kind == "password" or st.st_size == 0):
        path.unlink()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _first_error(stderr: str, src: Path | None = None) -> str:
    """The most telling line of 7zz's error output, without sandbox paths."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and ln.strip() != "ERRORS:"]
    if src is not None:
        lines = [ln.replace(str(src), src.name) for ln in lines]
    for key in ("Cannot open", "Is not archive", "Wrong password", "Unexpected end", "Headers Error", "Data Error",
                "CRC Failed", "Unsupported"):
        for ln in lines:
            if key in ln:
                return ln.removeprefix("ERROR: ").removeprefix("Open ERROR: ")
    return lines[0].removeprefix("ERROR: ") if lines else "unknown error"


UNPACKERS = [SevenZipUnpacker()]
