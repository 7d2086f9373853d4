"""PE facts: headers, sections, imports/exports, Rich header, TLS, version info, checksum, overlay.

LIEF (C++) does the structural parsing because it is several times faster than pefile on large DLLs;
the byte-level work (entropy, checksum, layout of the certificate table) is done here with numpy and
``struct`` over an mmap, so a 50+ MB DLL stays well under two seconds.
"""

from __future__ import annotations

import hashlib
import itertools
import mmap
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from chainwatch.binary import BinaryFormatError, byte_histogram, entropy

MAX_SECTIONS = 96  # the PE loader's own limit
MAX_IMPORT_NAMES = 20_000
MAX_EXPORT_NAMES = 50_000
MAX_TLS_CALLBACKS = 256
SCN_MEM_EXECUTE = 0x20000000
SCN_MEM_WRITE = 0x80000000
SCN_CNT_CODE = 0x00000020
VERSION_KEYS = (
    "CompanyName",
    "ProductName",
    "FileVersion",
    "ProductVersion",
    "OriginalFilename",
    "InternalName",
    "FileDescription",
    "LegalCopyright",
)
MACHINES = {0x14C: "I386", 0x8664: "AMD64", 0xAA64: "ARM64", 0x1C0: "ARM", 0x1C4: "ARMNT", 0x200: "IA64",
            0xA641: "ARM64EC", 0xEBC: "EBC"}
SUBSYSTEMS = {1: "NATIVE", 2: "WINDOWS_GUI", 3: "WINDOWS_CUI", 7: "POSIX_CUI", 9: "WINDOWS_CE_GUI",
              10: "EFI_APPLICATION", 11: "EFI_BOOT_SERVICE_DRIVER", 12: "EFI_RUNTIME_DRIVER", 13: "EFI_ROM",
              14: "XBOX", 16: "WINDOWS_BOOT_APPLICATION"}


@dataclass(frozen=True)
class PeLayout:
    """Where the fields Authenticode and the checksum care about live in the file."""

    file_size: int
    e_lfanew: int
    machine: int
    characteristics: int
    timestamp: int
    magic: int  # 0x10B PE32, 0x20B PE32+
    optional_offset: int
    checksum_offset: int
    stored_checksum: int
    entrypoint: int
    size_of_headers: int
    subsystem: int
    number_of_rva: int
    security_entry_offset: int | None  # file offset of IMAGE_DIRECTORY_ENTRY_SECURITY (None if absent)
    security_offset: int  # the cert table's file offset (that entry's "VirtualAddress")
    security_size: int
    clr_rva: int
    clr_size: int
    symbol_table_offset: int  # COFF symbol table (MinGW/EFI builds keep it after the sections)
    symbol_count: int
    sections: tuple[tuple[str, int, int, int, int, int], ...]  # name, vaddr, vsize, raw_ptr, raw_size, flags

    @property
    def sections_end(self) -> int:
        """End of the last section's raw data (or the headers): where an overlay would start."""
        ends = [ptr + size for _, _, _, ptr, size, _ in self.sections if size and ptr]
        return min(max([self.size_of_headers, *ends]), self.file_size)


def parse_layout(buf: bytes | mmap.mmap) -> PeLayout:
    """Parse the DOS/COFF/optional headers and section table with ``struct`` (no third-party parser)."""
    size = len(buf)
    if size < 0x40 or buf[:2] != b"MZ":
        raise BinaryFormatError("not a PE file (no MZ header)")
    (e_lfanew,) = struct.unpack_from("<I", buf, 0x3C)
    if e_lfanew + 24 > size or buf[e_lfanew : e_lfanew + 4] != b"PE\0\0":
        raise BinaryFormatError(f"no PE signature at e_lfanew={e_lfanew:#x}")
    machine, nsections, timestamp, symtab_ptr, symbol_count, opt_size, characteristics = struct.unpack_from(
        "<HHIIIHH", buf, e_lfanew + 4
    )
    opt = e_lfanew + 24
    if opt + 2 > size:
        raise BinaryFormatError("truncated optional header")
    (magic,) = struct.unpack_from("<H", buf, opt)
    if magic not in (0x10B, 0x20B):
        raise BinaryFormatError(f"unknown optional header magic {magic:#x}")
    if opt + (96 if magic == 0x10B else 112) > size:
        raise BinaryFormatError("truncated optional header")
    (entrypoint,) = struct.unpack_from("<I", buf, opt + 16)
    (size_of_headers,) = struct.unpack_from("<I", buf, opt + 60)
    (stored_checksum,) = struct.unpack_from("<I", buf, opt + 64)
    (subsystem,) = struct.unpack_from("<H", buf, opt + 68)
    dd = opt + (96 if magic == 0x10B else 112)
    (number_of_rva,) = struct.unpack_from("<I", buf, dd - 4)
    number_of_rva = min(number_of_rva, 16)

    def directory(index: int) -> tuple[int | None, int, int]:
        entry = dd + index * 8
        if index >= number_of_rva or entry + 8 > opt + opt_size or entry + 8 > size:
            return None, 0, 0
        va, sz = struct.unpack_from("<II", buf, entry)
        return entry, va, sz

    sec_entry, sec_off, sec_size = directory(4)
    _, clr_rva, clr_size = directory(14)
    sections = []
    table = opt + opt_size
    if nsections > MAX_SECTIONS:
        raise BinaryFormatError(f"{nsections} sections (limit {MAX_SECTIONS})")
    for i in range(nsections):
        off = table + i * 40
        if off + 40 > size:
            raise BinaryFormatError("truncated section table")
        raw_name, vsize, vaddr, raw_size, raw_ptr = struct.unpack_from("<8sIIII", buf, off)
        (flags,) = struct.unpack_from("<I", buf, off + 36)
        name = raw_name.rstrip(b"\0").decode("latin-1")
        sections.append((name, vaddr, vsize, raw_ptr, raw_size, flags))
    return PeLayout(
        file_size=size, e_lfanew=e_lfanew, machine=machine, characteristics=characteristics, timestamp=timestamp,
        magic=magic, optional_offset=opt, checksum_offset=opt + 64, stored_checksum=stored_checksum,
        entrypoint=entrypoint, size_of_headers=size_of_headers, subsystem=subsystem, number_of_rva=number_of_rva,
        security_entry_offset=sec_entry, security_offset=sec_off, security_size=sec_size,
        clr_rva=clr_rva, clr_size=clr_size, symbol_table_offset=symtab_ptr, symbol_count=symbol_count,
        sections=tuple(sections),
    )


def compute_checksum(buf: bytes | mmap.mmap, checksum_offset: int) -> int:
    """The PE image checksum (the algorithm of imagehlp's CheckSumMappedFile), vectorised."""
    size = len(buf)
    data = np.frombuffer(buf, dtype=np.uint8, count=size)
    words = data[: size // 2 * 2].view("<u2")
    total = int(words.sum(dtype=np.uint64))
    if size & 1:
        total += int(data[-1])
    skip = checksum_offset // 2
    total -= int(words[skip : skip + 2].sum(dtype=np.uint64))  # the checksum field itself counts as zero
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (total + size) & 0xFFFFFFFF


def open_map(path: Path) -> tuple[Any, mmap.mmap | bytes]:
    """Map a file read-only (empty files cannot be mapped: return bytes)."""
    fh = path.open("rb")
    try:
        return fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except ValueError:
        return fh, b""


def coff_symbol_table(buf: bytes | mmap.mmap, layout: PeLayout) -> tuple[int, int] | None:
    """(offset, size) of a plausible COFF symbol + string table: symbols, then a 4-byte size and text.

    The string table must look like NUL-separated names, so appended data cannot pass as one."""
    ptr, count = layout.symbol_table_offset, layout.symbol_count
    if not ptr or not count or ptr < layout.sections_end or count > 10_000_000:
        return None
    strtab = ptr + count * 18
    if strtab + 4 > layout.file_size:
        return None
    (strtab_size,) = struct.unpack_from("<I", buf, strtab)
    if strtab_size < 4 or strtab + strtab_size > layout.file_size:
        return None
    text = memoryview(buf)[strtab + 4 : strtab + strtab_size]
    if len(text):
        counts = byte_histogram(np.frombuffer(text, dtype=np.uint8))
        if int(counts[0x20:0x7F].sum()) + int(counts[0]) < 0.95 * len(text):
            return None
    return ptr, count * 18 + strtab_size


def overlay_facts(buf: bytes | mmap.mmap, layout: PeLayout) -> dict[str, Any] | None:
    """Bytes past the last section that are not the certificate table (before and after it) nor a COFF
    symbol table."""
    start = layout.sections_end
    end = layout.file_size
    symbols = coff_symbol_table(buf, layout)
    if symbols and symbols[0] == start:
        start = min(end, start + symbols[1])
    if start >= end:
        return None
    pieces: list[tuple[int, int]] = []
    cert_lo, cert_hi = layout.security_offset, layout.security_offset + layout.security_size
    if layout.security_size and start <= cert_lo < end:
        if cert_lo > start:
            pieces.append((start, cert_lo - start))
        if cert_hi < end:
            pieces.append((cert_hi, end - cert_hi))
    else:
        pieces.append((start, end - start))
    if not pieces:
        return None
    first_off = pieces[0][0]
    total = sum(n for _, n in pieces)
    joined = b"".join(bytes(buf[o : o + n]) for o, n in pieces) if total <= 64 << 20 else bytes(buf[first_off:end])
    return {
        "offset": first_off,
        "size": total,
        "entropy": entropy(joined),
        "all_zero": joined.count(0) == len(joined),
        "head_hex": joined[:32].hex(),
        "regions": [{"offset": o, "size": n, "after_cert_table": bool(layout.security_size) and o >= cert_hi}
                    for o, n in pieces],
    }


def _section_facts(buf: bytes | mmap.mmap, layout: PeLayout) -> list[dict[str, Any]]:
    out = []
    for name, vaddr, vsize, raw_ptr, raw_size, flags in layout.sections:
        lo = min(raw_ptr, layout.file_size)
        hi = min(raw_ptr + raw_size, layout.file_size)
        raw = memoryview(buf)[lo:hi]
        out.append({
            "name": name,
            "virtual_address": vaddr,
            "virtual_size": vsize,
            "raw_offset": raw_ptr,
            "raw_size": raw_size,
            "entropy": entropy(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),  # lets a diff say which sections changed
            "characteristics": flags,
            "executable": bool(flags & SCN_MEM_EXECUTE),
            "writable": bool(flags & SCN_MEM_WRITE),
            "code": bool(flags & SCN_CNT_CODE),
        })
        raw.release()
    return out


def _entry_section(layout: PeLayout) -> tuple[str | None, int | None]:
    ep = layout.entrypoint
    if not ep:
        return None, None
    for index, (name, vaddr, vsize, _, raw_size, _) in enumerate(layout.sections):
        if vaddr <= ep < vaddr + max(vsize, raw_size):
            return name, index
    return None, None


def _lief_facts(path: Path, facts: dict[str, Any]) -> None:
    """Imports, exports, Rich header, TLS, version resource, PDB: from LIEF."""
    import lief

    lief.logging.disable()
    config = lief.PE.ParserConfig()
    config.parse_exceptions = False
    config.parse_reloc = False
    config.parse_signature = False  # Authenticode is parsed by chainwatch.binary.authenticode
    binary: Any = lief.PE.parse(str(path), config)  # LIEF's stubs are looser than its objects
    if binary is None:
        raise BinaryFormatError("LIEF could not parse the PE")

    imports: dict[str, list[str]] = {}
    count = 0
    for lib in binary.imports:
        names = imports.setdefault(lib.name.lower(), [])
        for entry in lib.entries:
            count += 1
            if count > MAX_IMPORT_NAMES:
                break
            names.append(f"ord{entry.ordinal}" if entry.is_ordinal else entry.name)
    delay: dict[str, list[str]] = {}
    for lib in binary.delay_imports:
        names = delay.setdefault(lib.name.lower(), [])
        for entry in lib.entries:
            count += 1
            if count > MAX_IMPORT_NAMES:
                break
            names.append(f"ord{entry.ordinal}" if entry.is_ordinal else entry.name)
    facts["imports"] = imports
    facts["delay_imports"] = delay
    facts["import_count"] = count
    facts["imphash"] = lief.PE.get_imphash(binary, lief.PE.IMPHASH_MODE.PEFILE) if imports else ""

    exports: list[str] = []
    forwarders: list[str] = []
    export_name = None
    if binary.has_exports:
        exp = binary.get_export()
        export_name = exp.name or None
        for entry in itertools.islice(exp.entries, MAX_EXPORT_NAMES):
            label = entry.name or f"ord{entry.ordinal}"
            exports.append(label)
            if entry.is_forwarded:
                fwd = entry.forward_information
                forwarders.append(f"{label}->{fwd.library}.{fwd.function}")
    facts["export_name"] = export_name
    facts["exports"] = exports
    facts["forwarders"] = forwarders

    rich = None
    if binary.has_rich_header:
        header = binary.rich_header
        rich = {
            "key": f"{header.key:08x}",
            "entries": [
                {"id": e.id, "build_id": e.build_id, "count": e.count} for e in itertools.islice(header.entries, 512)
            ],
        }
    facts["rich_header"] = rich
    try:  # a REPRO debug entry: the COFF timestamp is a content hash, not a date
        facts["reproducible_build"] = bool(binary.is_reproducible_build)
    except Exception:
        facts["reproducible_build"] = False

    callbacks: list[int] = []
    if binary.has_tls:
        image_base = binary.optional_header.imagebase
        callbacks = [int(va) - image_base for va in list(binary.tls.callbacks)[:MAX_TLS_CALLBACKS]]
    facts["tls_callbacks"] = callbacks

    facts["pdb"] = None
    try:
        codeview = binary.codeview_pdb
        if codeview is not None:
            facts["pdb"] = codeview.filename or None
            facts["pdb_guid"] = str(codeview.guid) if hasattr(codeview, "guid") else None
    except Exception:  # a malformed debug directory is not a reason to lose the other facts
        facts["pdb"] = None

    version_info: dict[str, str] = {}
    if binary.has_resources:
        try:
            manager = binary.resources_manager
            versions = manager.version if manager.has_version else []
            versions = versions if isinstance(versions, list) else [versions]
            for version in versions:
                string_info = version.string_file_info
                if string_info is None:
                    continue
                for table in string_info.children:
                    for entry in table.entries:
                        key, value = entry.key, entry.value
                        if key and key not in version_info:
                            version_info[key] = value.rstrip("\0")
                if version_info:
                    break
        except Exception:  # malformed resources: keep the rest
            version_info = {}
    facts["version_info"] = {k: version_info[k] for k in VERSION_KEYS if k in version_info} | {
        k: v for k, v in list(version_info.items())[:32] if k not in VERSION_KEYS
    }


def _symbols_fact(buf: bytes | mmap.mmap, layout: PeLayout) -> dict[str, int] | None:
    found = coff_symbol_table(buf, layout)
    return {"offset": found[0], "size": found[1], "symbols": layout.symbol_count} if found else None


def pe_facts(path: Path, *, with_lief: bool = True) -> dict[str, Any]:
    """All PE facts of the contract (``features["pe"]``) for one file."""
    fh, buf = open_map(path)
    try:
        layout = parse_layout(buf)
        entry_section, entry_index = _entry_section(layout)
        sections = _section_facts(buf, layout)
        computed = compute_checksum(buf, layout.checksum_offset)
        facts: dict[str, Any] = {
            "machine": MACHINES.get(layout.machine, f"{layout.machine:#x}"),
            "pe32_plus": layout.magic == 0x20B,
            "is_dll": bool(layout.characteristics & 0x2000),
            "subsystem": SUBSYSTEMS.get(layout.subsystem, str(layout.subsystem)),
            "timestamp": layout.timestamp,
            "timestamp_iso": _iso(layout.timestamp),
            "entrypoint": layout.entrypoint,
            "entry_section": entry_section,
            "entry_section_index": entry_index,
            "section_count": len(sections),
            "sections": sections,
            "size_of_headers": layout.size_of_headers,
            "dotnet": bool(layout.clr_rva and layout.clr_size),
            "checksum": {
                "stored": layout.stored_checksum,
                "computed": computed,
                "valid": layout.stored_checksum == computed,
            },
            "security_directory": {"offset": layout.security_offset, "size": layout.security_size},
            "overlay": overlay_facts(buf, layout),
            "coff_symbol_table": _symbols_fact(buf, layout),
        }
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()
        fh.close()
    if with_lief:
        _lief_facts(path, facts)
    return facts


def _iso(timestamp: int) -> str | None:
    try:
        return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None
