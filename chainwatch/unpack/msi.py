"""Windows Installer (MSI) packages, with the installed paths as member names.

An MSI is an OLE compound file: database tables in streams, the payload in one or more embedded
cabinets whose members are named by their ``File`` table key (``fil3A1B...``), not by their name.
So: olefile reads the small table streams (string pool, ``_Columns``, ``File``, ``Component``,
``Directory``, ``Media``) to map each key to ``Directory/.../FileName``; 7zz extracts the streams
and the embedded cabinets (with all of its limits); then the members are renamed, so
``3cx.msi!/ProgramFiles64Folder/3CXDesktopApp/app/ffmpeg.dll`` rather than
``3cx.msi!/disk1.cab!/fil1A2B``. Streams of tables with binary columns (custom action DLLs in
``Binary``, icons in ``Icon``) become ``Binary/<key>`` members. Table streams themselves are
dropped; ``[5]SummaryInformation`` and ``[5]DigitalSignature`` (the MSI's Authenticode blob) stay.
If the tables cannot be read, the streams are kept as 7zz names them and the engine opens the
cabinets as ordinary members (file keys as names), with an error entry saying so.
"""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import olefile

from chainwatch.sandbox import UnsafePath, safe_relative
from chainwatch.unpack.interface import ExtractionSink, UnpackContext, Unpacker, UnpackError
from chainwatch.unpack.sevenzip import SevenZipUnpacker

MAX_TABLE_BYTES = 16 * 1024 * 1024
MAX_DIR_DEPTH = 64
_B64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._"


def decode_stream_name(name: str) -> str:
    """MSI packs stream names two characters per UTF-16 code unit; ``!`` prefixes table streams."""
    out = []
    for ch in name:
        c = ord(ch)
        if 0x3800 <= c < 0x4800:
            c -= 0x3800
            out.append(_B64[c & 0x3F])
            out.append(_B64[(c >> 6) & 0x3F])
        elif 0x4800 <= c < 0x4840:
            out.append(_B64[c - 0x4800])
        elif c == 0x4840:
            out.append("!")
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Column:
    name: str
    type: int
    size: int

    @property
    def is_string(self) -> bool:
        return bool(self.type & 0x0800) and not self.is_binary

    @property
    def is_binary(self) -> bool:
        return (self.type & ~0x1000) == 0x0900


class MsiDatabase:
    """Just enough of the MSI database format to read a few tables (all values as str/int/None)."""

    def __init__(self, ole: olefile.OleFileIO) -> None:
        self.ole = ole
        self.streams = {decode_stream_name(e[0]): e for e in ole.listdir(streams=True, storages=False) if len(e) == 1}
        pool = self._stream("!_StringPool")
        data = self._stream("!_StringData")
        if len(pool) < 4:
            raise UnpackError("MSI string pool missing")
        lo, hi = struct.unpack_from("<HH", pool, 0)
        codepage = lo | ((hi & ~0x8000) << 16)
        self.ref_size = 3 if hi & 0x8000 else 2
        encoding = {0: "cp1252", 65001: "utf-8"}.get(codepage, f"cp{codepage}")
        try:
            "".encode(encoding)
        except LookupError:
            encoding = "cp1252"
        self.strings: dict[int, str] = {}
        count = len(pool) // 4
        words = struct.unpack_from(f"<{count * 2}H", pool, 0)
        i, n, offset = 1, 1, 0
        while i < count:
            length, refs = words[i * 2], words[i * 2 + 1]
            if length == 0 and refs == 0:
                i += 1
                n += 1
                continue
            if length == 0:  # a string over 64 KiB: the length continues in the next pair
                if i + 1 >= count:
                    break
                length = (words[i * 2 + 3] << 16) + words[i * 2 + 2]
                i += 2
            else:
                i += 1
            self.strings[n] = data[offset : offset + length].decode(encoding, "replace")
            offset += length
            n += 1
        self.columns = self._read_columns()

    def _stream(self, name: str) -> bytes:
        entry = self.streams.get(name)
        if entry is None:
            return b""
        if self.ole.get_size(entry) > MAX_TABLE_BYTES:
            raise UnpackError(f"MSI table stream {name} is over {MAX_TABLE_BYTES} bytes", "limit")
        return self.ole.openstream(entry).read()

    def _read_columns(self) -> dict[str, list[Column]]:
        raw = self._stream("!_Columns")
        r = self.ref_size
        rows = len(raw) // (2 * r + 4)
        tables: dict[str, list[tuple[int, Column]]] = {}
        for k in range(rows):
            table = self._ref(raw, k * r, r)
            number = struct.unpack_from("<H", raw, rows * r + k * 2)[0] - 0x8000
            name = self._ref(raw, rows * (r + 2) + k * r, r)
            ctype = struct.unpack_from("<H", raw, rows * (2 * r + 2) + k * 2)[0] - 0x8000
            if table is None or name is None:
                continue
            col = Column(name, ctype, 0)
            col.size = 2 if col.is_binary else r if col.is_string else (2 if (ctype & 0xFF) <= 2 else 4)
            tables.setdefault(table, []).append((number, col))
        return {t: [c for _, c in sorted(cols, key=lambda x: x[0])] for t, cols in tables.items()}

    def _ref(self, raw: bytes, offset: int, size: int) -> str | None:
        value = int.from_bytes(raw[offset : offset + size], "little")
        return self.strings.get(value) if value else None

    def table(self, name: str) -> list[dict[str, str | int | None]]:
        cols = self.columns.get(name)
        if not cols:
            return []
        raw = self._stream("!" + name)
        row_size = sum(c.size for c in cols)
        rows = len(raw) // row_size if row_size else 0
        out: list[dict[str, str | int | None]] = [{} for _ in range(rows)]
        base = 0
        for col in cols:
            for k in range(rows):
                off = base + k * col.size
                value: str | int | None
                if col.is_string:
                    value = self._ref(raw, off, col.size)
                else:
                    n = int.from_bytes(raw[off : off + col.size], "little")
                    value = None if n == 0 else n - (0x8000 if col.size == 2 else 0x80000000)
                out[k][col.name] = value
            base += rows * col.size
        return out

    def binary_tables(self) -> set[str]:
        return {t for t, cols in self.columns.items() if any(c.is_binary for c in cols)}


def _long_name(value: str | None) -> str:
    """``SHORT~1|Long Name`` -> ``Long Name``; for Directory, the target part before ``:``."""
    if not value:
        return ""
    target = value.split(":", 1)[0]
    return target.split("|", 1)[-1]


def file_paths(db: MsiDatabase) -> dict[str, str]:
    """File table key -> installed path relative to the install root, e.g. ``ProgramFilesFolder/Demo/a.dll``."""
    directories = {str(d["Directory"]): d for d in db.table("Directory") if d.get("Directory")}
    cache: dict[str, str] = {}

    def dir_path(key: str) -> str:
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = key
        while current and current not in seen and len(chain) < MAX_DIR_DEPTH:
            if current in cache:
                chain.append(cache[current])
                break
            seen.add(current)
            row = directories.get(current)
            if row is None:
                break
            parent = row.get("Directory_Parent")
            name = _long_name(row.get("DefaultDir"))  # type: ignore[arg-type]
            if not parent or parent == current:  # the root (TARGETDIR / SourceDir)
                break
            if name in ("", "."):
                # a standard folder (ProgramFilesFolder, SystemFolder...): its key says where it is
                name = current if current.endswith("Folder") else ""
            if name:
                chain.append(name)
            current = str(parent)
        path = "/".join(reversed([c for c in chain if c]))
        cache[key] = path
        return path

    components = {
        str(c["Component"]): str(c.get("Directory_") or "") for c in db.table("Component") if c.get("Component")
    }
    out: dict[str, str] = {}
    for row in db.table("File"):
        key = row.get("File")
        if not key:
            continue
        name = _long_name(row.get("FileName")) or str(key)  # type: ignore[arg-type]
        folder = dir_path(components.get(str(row.get("Component_")), ""))
        out[str(key)] = f"{folder}/{name}" if folder else name
    return out


class MsiUnpacker(Unpacker):
    name = "msi"
    priority = 35
    handles = ("archive/msi",)

    def __init__(self) -> None:
        self.sevenzip = SevenZipUnpacker()

    def unpack(self, src: Path, sink: ExtractionSink, ctx: UnpackContext) -> None:
        paths: dict[str, str] | None = None
        cabinets: set[str] = set()
        binary_tables: set[str] = set()
        try:
            with olefile.OleFileIO(str(src)) as ole:
                db = MsiDatabase(ole)
                paths = file_paths(db)
                binary_tables = db.binary_tables()
                for media in db.table("Media"):
                    cab = media.get("Cabinet")
                    if isinstance(cab, str) and cab.startswith("#"):
                        cabinets.add(cab[1:])
                    elif cab:
                        sink.error(str(cab), "external cabinet: shipped beside the MSI, not inside it", "info")
        except UnpackError:
            raise
        except Exception as exc:  # olefile / struct errors on a corrupt database
            sink.error("", f"MSI tables unreadable ({type(exc).__name__}: {exc}); members keep their stream "
                       f"and cabinet key names", "unreadable")
        self.sevenzip.extract_into(src, "archive/msi", sink.dest, sink, ctx)
        if paths is not None:
            self._arrange(sink, ctx, paths, cabinets, binary_tables)
        sink.adopt_tree()

    def _arrange(self, sink: ExtractionSink, ctx: UnpackContext, paths: dict[str, str], cabinets: set[str],
                 binary_tables: set[str]) -> None:
        dest = sink.dest
        for entry in sorted(os.listdir(dest)):
            p = dest / entry
            if p.is_symlink() or not p.is_file():
                continue
            if entry.startswith("!"):  # database tables (read above); summary info and signatures stay
                p.unlink()
                continue
            table, dot, key = entry.partition(".")
            if entry in cabinets or _is_cabinet(p):
                self._open_cabinet(p, sink, ctx, paths)
                continue
            if dot and table in binary_tables:
                _move(p, dest, f"{table}/{key}", sink)

    def _open_cabinet(self, cab: Path, sink: ExtractionSink, ctx: UnpackContext, paths: dict[str, str]) -> None:
        scratch = sink.dest.parent / f"{sink.dest.name}.{cab.name}.d"
        scratch.mkdir(mode=0o700)
        try:
            try:
                self.sevenzip.extract_into(cab, "archive/cab", scratch, sink, ctx)
            except UnpackError as exc:
                sink.error(cab.name, f"embedded cabinet unreadable: {exc}", exc.kind)
                return
            for dirpath, _dirs, files in os.walk(scratch, followlinks=False):
                for f in files:
                    p = Path(dirpath) / f
                    key = p.relative_to(scratch).as_posix()
                    target = paths.get(key)
                    if target is None:
                        sink.error(key, f"cabinet member {key} has no File table row; kept under {cab.name}/", "info")
                        target = f"{cab.name}/{key}"
                    _move(p, sink.dest, target, sink)
            cab.unlink()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _is_cabinet(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"MSCF"


def _move(src: Path, dest_root: Path, name: str, sink: ExtractionSink) -> None:
    """Move an extracted file to its installed path inside ``dest_root`` (never outside it)."""
    if src.is_symlink():
        src.unlink()
        return
    try:
        rel = safe_relative(name)
    except UnsafePath as exc:
        sink.error(name, f"skipped: {exc}", "unsafe-path")
        src.unlink()
        return
    target = dest_root / rel
    n = 2
    while target.exists() or target.is_symlink():
        target = dest_root / f"{rel}~{n}"
        n += 1
    for parent in reversed(target.relative_to(dest_root).parents):
        q = dest_root / parent
        if q.is_symlink() or (q.exists() and not q.is_dir()):
            sink.error(name, "skipped: a parent path is a file in this package", "unsafe-path")
            src.unlink()
            return
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, target)


UNPACKERS = [MsiUnpacker()]
