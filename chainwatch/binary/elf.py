"""ELF facts (LIEF): what a release diff needs to see an xz-style tamper.

xz-utils 5.6.0/5.6.1 hooked ``RSA_public_decrypt`` through an IFUNC resolver and GOT writes in
``liblzma.so``; a new constructor (``.init_array`` entry), a new DT_NEEDED or an RPATH are the other
cheap ways to run code at load time. These facts are plain values so the diff can compare them.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from chainwatch.analyzers.interface import AnalysisError
from chainwatch.binary import entropy

MAX_SYMBOLS = 5000  # imported/exported names kept (counts are always exact)
MAX_SECTIONS = 512
MAX_ARRAY_ENTRIES = 4096
ENTROPY_BYTES = 16 * 1024 * 1024  # bytes of one section used for its entropy


def _quiet_lief() -> Any:
    import lief

    lief.logging.disable()
    return lief


def _section_flags(section: Any) -> str:
    """``readelf``-style flag letters: W(rite) A(lloc) X(exec) (M)erge (S)trings (T)LS."""
    raw = int(section.flags)
    letters = [(0x1, "W"), (0x2, "A"), (0x4, "X"), (0x10, "M"), (0x20, "S"), (0x400, "T")]
    return "".join(ch for bit, ch in letters if raw & bit)


def _segment_flags(segment: Any) -> str:
    raw = int(segment.flags)
    return ("R" if raw & 4 else "") + ("W" if raw & 2 else "") + ("X" if raw & 1 else "")


def _enum_name(value: Any) -> str:
    text = str(value)
    return text.rsplit(".", 1)[-1]


def _irelative_types() -> frozenset[Any]:
    """The IRELATIVE relocation type of every architecture LIEF knows (``X86_64_IRELATIVE``, ...)."""
    kinds = _quiet_lief().ELF.Relocation.TYPE
    return frozenset(getattr(kinds, name) for name in dir(kinds) if name.endswith("IRELATIVE"))


def _section_of(binary: Any, address: int) -> str | None:
    try:
        section = binary.section_from_virtual_address(address)
    except Exception:
        return None
    return section.name if section is not None else None


def _array_facts(binary: Any, tag_name: str, section_name: str) -> dict[str, Any]:
    """Entries of DT_INIT_ARRAY / DT_PREINIT_ARRAY (relocations applied), else of the section."""
    import lief

    entries: list[int] = []
    source = None
    tag = getattr(lief.ELF.DynamicEntry.TAG, tag_name, None)
    entry = binary.get(tag) if tag is not None and binary.has(tag) else None
    if entry is not None and hasattr(entry, "array"):
        entries = [int(x) for x in list(entry.array)[:MAX_ARRAY_ENTRIES]]
        source = "dynamic"
    elif binary.has_section(section_name):
        entries = _pointer_array(binary, binary.get_section(section_name))
        source = "section"
    return {
        "count": len(entries),
        "entries": [{"address": addr, "section": _section_of(binary, addr)} for addr in entries if addr],
        "source": source,
    }


def _pointer_array(binary: Any, section: Any) -> list[int]:
    width = 8 if _enum_name(binary.header.identity_class) == "ELF64" else 4
    little = _enum_name(binary.header.identity_data) == "LSB"
    fmt = ("<" if little else ">") + ("Q" if width == 8 else "I")
    raw = bytes(section.content)[: MAX_ARRAY_ENTRIES * width]
    return [struct.unpack_from(fmt, raw, i)[0] for i in range(0, len(raw) - width + 1, width)]


def _ctors(binary: Any) -> dict[str, Any]:
    """Old-style ``.ctors`` list: -1, constructors..., 0."""
    if not binary.has_section(".ctors"):
        return {"count": 0, "entries": []}
    all_ones = {0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF}
    entries = [p for p in _pointer_array(binary, binary.get_section(".ctors")) if p and p not in all_ones]
    return {"count": len(entries), "entries": [{"address": a, "section": _section_of(binary, a)} for a in entries]}


def _build_id(binary: Any) -> str | None:
    for note in binary.notes:
        if _enum_name(note.type) == "GNU_BUILD_ID":
            return bytes(note.description).hex()
    return None


def _dynamic_strings(binary: Any, tag_name: str) -> list[str]:
    import lief

    tag = getattr(lief.ELF.DynamicEntry.TAG, tag_name)
    out: list[str] = []
    for entry in binary.dynamic_entries:
        if entry.tag == tag:
            value = getattr(entry, "paths", None) or getattr(entry, "runpath", None) or getattr(entry, "rpath", None)
            if isinstance(value, list):
                out.extend(str(v) for v in value)
            elif value:
                out.extend(str(value).split(":"))
    return out


def elf_facts(path: Path | str) -> dict[str, Any]:
    """Facts of one ELF file (keys per docs/ARCHITECTURE.md ``elf``). Raises ``AnalysisError``."""
    lief = _quiet_lief()
    with Path(path).open("rb") as fh:
        ident = fh.read(64)
    # LIEF returns an object with an uninitialised header for a bad e_ident, so check it ourselves.
    if len(ident) < 52 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise AnalysisError("not a readable ELF file (bad e_ident: class/data byte or too short)")
    try:
        binary = lief.ELF.parse(str(path))
    except Exception as exc:
        raise AnalysisError(f"ELF parser failed: {exc}") from exc
    if binary is None:
        raise AnalysisError("not a readable ELF file (LIEF could not parse it)")
    try:
        return _facts(binary)
    except (RuntimeError, ValueError, TypeError, struct.error) as exc:
        raise AnalysisError(f"ELF structures unreadable: {exc}") from exc


def _facts(binary: Any) -> dict[str, Any]:
    header = binary.header
    sections: list[dict[str, Any]] = []
    for section in list(binary.sections)[:MAX_SECTIONS]:
        flags = _section_flags(section)
        nobits = _enum_name(section.type) == "NOBITS"
        content = b"" if nobits else memoryview(section.content)[:ENTROPY_BYTES]
        sections.append(
            {
                "name": section.name,
                "type": _enum_name(section.type),
                "size": int(section.size),
                "offset": int(section.offset),
                "address": int(section.virtual_address),
                "entropy": entropy(content),
                "flags": flags,
                "executable": "X" in flags,
                "writable": "W" in flags,
            }
        )
    segments: list[dict[str, Any]] = [
        {
            "type": _enum_name(seg.type),
            "flags": _segment_flags(seg),
            "offset": int(seg.file_offset),
            "address": int(seg.virtual_address),
            "file_size": int(seg.physical_size),
            "memory_size": int(seg.virtual_size),
        }
        for seg in binary.segments
    ]

    imports: list[str] = []
    exports: list[str] = []
    ifuncs: list[dict[str, Any]] = []
    import_count = export_count = 0
    symbols = list(binary.dynamic_symbols) + (list(binary.symtab_symbols) if binary.has_section(".symtab") else [])
    seen_ifunc: set[str] = set()
    for sym in binary.dynamic_symbols:
        if not sym.name:
            continue
        if sym.imported:
            import_count += 1
            if len(imports) < MAX_SYMBOLS:
                imports.append(sym.name)
        elif sym.exported:
            export_count += 1
            if len(exports) < MAX_SYMBOLS:
                exports.append(sym.name)
    # enum members compared directly: a name lookup per symbol cost ~1 s on a 250k-symbol library
    gnu_ifunc = _quiet_lief().ELF.Symbol.TYPE.GNU_IFUNC
    for sym in symbols:
        if sym.type == gnu_ifunc and sym.name and sym.name not in seen_ifunc:
            seen_ifunc.add(sym.name)
            ifuncs.append({"name": sym.name, "resolver": int(sym.value), "defined": not sym.imported})
    irelative_types = _irelative_types()
    irelative = sum(1 for r in binary.relocations if r.type in irelative_types)

    try:
        entry_section = _section_of(binary, binary.entrypoint) if binary.entrypoint else None
    except Exception:
        entry_section = None
    elf_class = _enum_name(header.identity_class)
    return {
        "type": _enum_name(header.file_type),
        "machine": _enum_name(header.machine_type),
        "class": elf_class,
        "endianness": _enum_name(header.identity_data),
        "entrypoint": int(binary.entrypoint),
        "entry_section": entry_section,
        "interpreter": binary.interpreter if binary.has_interpreter else None,
        "soname": next((str(e.name) for e in binary.dynamic_entries if _enum_name(e.tag) == "SONAME"), None),
        "needed": [str(lib) for lib in binary.libraries],
        "rpath": _dynamic_strings(binary, "RPATH"),
        "runpath": _dynamic_strings(binary, "RUNPATH"),
        "init_array": _array_facts(binary, "INIT_ARRAY", ".init_array"),
        "preinit_array": _array_facts(binary, "PREINIT_ARRAY", ".preinit_array"),
        "ctors": _ctors(binary),
        "ifuncs": ifuncs,
        "irelative_relocations": irelative,
        "imports": imports,
        "import_count": import_count,
        "exports": exports,
        "export_count": export_count,
        "build_id": _build_id(binary),
        "stripped": not binary.has_section(".symtab"),
        "textrel": any(_enum_name(e.tag) == "TEXTREL" for e in binary.dynamic_entries),
        "sections": sections,
        "segments": segments,
        "rwx_segments": [s for s in segments if s["type"] == "LOAD" and "W" in s["flags"] and "X" in s["flags"]],
        "exec_stack": any(s["type"] == "GNU_STACK" and "X" in s["flags"] for s in segments),
        "high_entropy_exec_sections": [
            s["name"] for s in sections if s["executable"] and s["size"] >= 4096 and s["entropy"] >= 7.2
        ],
    }


__all__ = ["elf_facts"]
