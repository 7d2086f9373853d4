"""Content-based type detection (never by name alone).

Types are slash-separated, most general first: ``pe``, ``pe/dotnet``, ``pe/nsis``, ``elf``, ``macho``,
``macho/fat``, ``archive/zip``, ``archive/tar``, ``compressed/gzip``, ``script/python``,
``image/png``, ``text``, ``data``. Names only refine text types (``.py`` vs ``.js``) and zip flavours.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

HEAD_BYTES = 64 * 1024

ARCHIVE_TYPES = (
    "archive/zip",
    "archive/tar",
    "archive/ar",
    "archive/rpm",
    "archive/7z",
    "archive/cab",
    "archive/msi",
    "archive/dmg",
    "archive/asar",
    "archive/xar",
    "archive/iso",
    "archive/rar",
    "archive/cpio",
    "archive/crx",
    "pe/nsis",  # a PE (the binary analyzers see it) that is also opened as an installer
    "compressed/gzip",
    "compressed/bzip2",
    "compressed/xz",
    "compressed/zstd",
)


def is_container_type(kind: str) -> bool:
    return kind.startswith(("archive/", "compressed/", "installer/")) or kind == "pe/nsis"


# Containers whose bytes are a compressed stream. Their TLSH would measure nothing (two compressions of
# nearly equal content differ from the first changed byte on), so they get hashes but no TLSH; their
# members, once opened, carry it.
COMPRESSED_CONTAINER_TYPES = frozenset({
    "archive/zip", "archive/7z", "archive/cab", "archive/rar", "archive/crx", "archive/dmg", "archive/xar",
    "compressed/gzip", "compressed/bzip2", "compressed/xz", "compressed/zstd",
})


def wants_tlsh(kind: str) -> bool:
    """Whether a member of this type gets a TLSH digest (not for compressed containers)."""
    return kind not in COMPRESSED_CONTAINER_TYPES


def is_binary_type(kind: str) -> bool:
    return kind.split("/", 1)[0] in ("pe", "elf", "macho")


_SCRIPT_EXT = {
    ".py": "script/python",
    ".pyw": "script/python",
    ".pyi": "script/python",
    ".js": "script/javascript",
    ".mjs": "script/javascript",
    ".cjs": "script/javascript",
    ".jsx": "script/javascript",
    ".ts": "script/typescript",
    ".tsx": "script/typescript",
    ".mts": "script/typescript",
    ".cts": "script/typescript",
    ".sh": "script/shell",
    ".bash": "script/shell",
    ".ps1": "script/powershell",
    ".psm1": "script/powershell",
    ".bat": "script/batch",
    ".cmd": "script/batch",
    ".vbs": "script/vbscript",
    ".rb": "script/ruby",
    ".pl": "script/perl",
    ".php": "script/php",
    ".lua": "script/lua",
}
_TEXT_EXT = {
    ".json": "text/json",
    ".toml": "text/toml",
    ".yaml": "text/yaml",
    ".yml": "text/yaml",
    ".xml": "text/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".rst": "text/rst",
    ".txt": "text/plain",
    ".cfg": "text/ini",
    ".ini": "text/ini",
    ".pth": "text/pth",
    ".css": "text/css",
    ".csv": "text/csv",
    ".map": "text/json",
}


def _ext(name: str) -> str:
    base = name.rsplit("/", 1)[-1].lower()
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def _pe_kind(head: bytes) -> str | None:
    if len(head) < 0x40 or head[:2] != b"MZ":
        return None
    (e_lfanew,) = struct.unpack_from("<I", head, 0x3C)
    if e_lfanew + 24 > len(head) or head[e_lfanew : e_lfanew + 4] != b"PE\0\0":
        return "dos"
    opt = e_lfanew + 24
    if opt + 2 > len(head):
        return "pe"
    (magic,) = struct.unpack_from("<H", head, opt)
    # data directory 14 = CLR runtime header (.NET)
    dd_off = opt + (96 if magic == 0x10B else 112)
    clr = dd_off + 14 * 8
    if clr + 8 <= len(head):
        rva, size = struct.unpack_from("<II", head, clr)
        if rva and size:
            return "pe/dotnet"
    return "pe"


_MACHO_MAGICS = {b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"}


def _is_fat_macho(head: bytes) -> bool:
    # 0xCAFEBABE is shared with Java class files: fat Mach-O has a small arch count and cputypes.
    if head[:4] not in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf") or len(head) < 28:
        return False
    (nfat,) = struct.unpack_from(">I", head, 4)
    if not 0 < nfat < 20:
        return False
    (cputype,) = struct.unpack_from(">I", head, 8)
    return (cputype & 0x00FFFFFF) in (7, 12, 18, 0x100000C & 0xFFFFFF, 1, 6, 10, 13, 14, 16)


NSIS_SIGNATURE = b"\xef\xbe\xad\xdeNullsoftInst"
DMG_TRAILER = b"koly"
_SELF_DESCRIBING = ("pe", "elf", "macho", "archive/zip", "archive/tar", "archive/7z")


def _is_asar(head: bytes) -> bool:
    """Electron asar: a Chromium pickle (u32 4, u32 header size, u32 payload, u32 length) then JSON."""
    if len(head) < 24 or head[:4] != b"\x04\x00\x00\x00":
        return False
    (header_size,) = struct.unpack_from("<I", head, 4)
    (payload, strlen) = struct.unpack_from("<II", head, 8)
    return payload + 4 == header_size and strlen <= payload and head[16:24] == b'{"files"'


def _pe_overlay_offset(head: bytes) -> int | None:
    """End of the last section's raw data, i.e. where an appended payload (NSIS, SFX) starts."""
    try:
        (e_lfanew,) = struct.unpack_from("<I", head, 0x3C)
        (nsections,) = struct.unpack_from("<H", head, e_lfanew + 6)
        (opt_size,) = struct.unpack_from("<H", head, e_lfanew + 20)
        table = e_lfanew + 24 + opt_size
        end = 0
        for i in range(min(nsections, 96)):
            raw_size, raw_ptr = struct.unpack_from("<II", head, table + i * 40 + 16)
            end = max(end, raw_ptr + raw_size)
        return end or None
    except struct.error:
        return None


def detect_file(path: str | os.PathLike[str], name: str | None = None) -> str:
    """``detect`` plus the checks that need more than the head of the file.

    * NSIS installers: the ``NullsoftInst`` first header sits after the PE stub (past the head).
    * DMG (UDIF): the ``koly`` trailer is in the last 512 bytes; the data fork comes first.
    A ``.dmg`` name without the trailer is not trusted.
    """
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
        size = os.fstat(fh.fileno()).st_size
        kind = detect(head, name if name is not None else p.name, size)
        if kind == "pe" and size > len(head):
            overlay = _pe_overlay_offset(head)
            if overlay is not None and overlay < size:
                # NSIS looks for its header at 512-byte steps from the end of its stub
                start = overlay - overlay % 512
                fh.seek(start)
                window = fh.read(64 * 1024 + len(NSIS_SIGNATURE))
                for off in range(0, max(len(window) - 20, 0), 512):
                    if window[off + 4 : off + 4 + len(NSIS_SIGNATURE)] == NSIS_SIGNATURE:
                        return "pe/nsis"
        if size >= 1024 and not kind.startswith(_SELF_DESCRIBING):
            fh.seek(size - 512)
            if fh.read(4) == DMG_TRAILER:
                return "archive/dmg"
    return kind


def _looks_text(head: bytes) -> bool:
    if not head:
        return True
    if b"\0" in head[:8192]:
        return False
    sample = head[:8192]
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # cut in the middle of a multibyte char
            return True
    printable = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return printable / len(sample) > 0.95


def detect(head: bytes, name: str = "", size: int | None = None) -> str:
    """Return the content type of a file from its first bytes (and its name for text flavours)."""
    ext = _ext(name)
    if head.startswith(b"MZ"):
        kind = _pe_kind(head)
        if kind == "pe" and NSIS_SIGNATURE in head:
            return "pe/nsis"
        if kind and kind != "dos":
            return kind
        # NSIS and other stubs are PE too; handled above. A bare DOS header stays "dos".
        if kind == "dos":
            return "dos"
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head[:4] in _MACHO_MAGICS:
        return "macho"
    if _is_fat_macho(head):
        return "macho/fat"
    if head[:4] == b"\xca\xfe\xba\xbe":
        return "java/class"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or head.startswith(b"PK\x07\x08"):
        return "archive/zip"
    if head.startswith(b"Cr24") and len(head) > 16:
        return "archive/crx"
    if head.startswith(b"\x1f\x8b"):
        return "compressed/gzip"
    if head.startswith(b"BZh") and len(head) > 4 and head[3:4].isdigit():
        return "compressed/bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "compressed/xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "compressed/zstd"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "archive/7z"
    if head.startswith(b"MSCF"):
        return "archive/cab"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "archive/msi" if ext in (".msi", ".msp", ".msm", "") else "ole"
    if head.startswith(b"!<arch>\n"):
        return "archive/ar"
    if head.startswith(b"\xed\xab\xee\xdb"):
        return "archive/rpm"
    if head.startswith(b"xar!"):
        return "archive/xar"
    if head.startswith(b"Rar!\x1a\x07"):
        return "archive/rar"
    if head[:6] in (b"070701", b"070702", b"070707"):
        return "archive/cpio"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "archive/tar"
    if _is_asar(head):
        return "archive/asar"
    if len(head) >= 0x8006 and head[0x8001:0x8006] in (b"CD001", b"BEA01"):  # ISO 9660 / UDF
        return "archive/iso"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"\x00\x00\x01\x00" and len(head) > 6:
        return "image/ico"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF"):
        return "document/pdf"
    if head.startswith(b"\x00asm"):
        return "wasm"
    if head.startswith(b"SQLite format 3\0"):
        return "data/sqlite"
    if len(head) >= 4 and head[2:4] == b"\r\n" and ext in (".pyc", ".pyo"):
        return "bytecode/python"
    if _looks_text(head):
        if head.startswith(b"#!"):
            line = head[:128].split(b"\n", 1)[0].lower()
            for key, kind in (
                (b"python", "script/python"),
                (b"node", "script/javascript"),
                (b"bash", "script/shell"),
                (b"/sh", "script/shell"),
                (b"perl", "script/perl"),
                (b"ruby", "script/ruby"),
                (b"pwsh", "script/powershell"),
            ):
                if key in line:
                    return kind
            return "script/shell"
        if ext in _SCRIPT_EXT:
            return _SCRIPT_EXT[ext]
        if ext in _TEXT_EXT:
            return _TEXT_EXT[ext]
        if ext == ".svg" or head.lstrip()[:5] == b"<svg ":
            return "image/svg"
        return "text"
    if ext in (".pyc", ".pyo"):
        return "bytecode/python"
    return "data"
