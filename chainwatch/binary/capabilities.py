"""Capabilities of a binary: our YARA-X rule pack plus Python predicates over imports and sections.

A capability is a behaviour (shellcode loading, reading a payload out of another file, RC4/AES/XOR
decryption, injection, download-and-execute, browser credential theft, persistence, anti-analysis, long
sleeps), with an ATT&CK technique and the evidence that raised it (matched strings with offsets, imports,
sections). Alone, most are things benign software also does, so rules keep them info/low; the
combinations (3CX ``ffmpeg.dll``: executable memory + marker search + RC4 in one file) are what matter.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parent.parent / "data" / "capabilities"
SCAN_TIMEOUT_SECONDS = 30
MAX_MATCHES_PER_PATTERN = 8  # evidence kept per pattern (the scanner also stops counting there)
MAX_EVIDENCE_BYTES = 48


@dataclass(frozen=True)
class CapabilityInfo:
    id: str
    name: str
    attack: str
    common: bool  # benign software commonly has it: info alone


# Capabilities raised by Python predicates (not by a YARA rule of the same id).
PREDICATE_CAPABILITIES: dict[str, CapabilityInfo] = {
    "rwx-section": CapabilityInfo("rwx-section", "has a section that is both writable and executable", "T1027", True),
    "packed-section": CapabilityInfo(
        "packed-section", "has a large executable section with near-random content (packed or encrypted)",
        "T1027.002", True,
    ),
}

# Imports that, when all groups are present, raise a capability even without a rule match, and
# that are listed as evidence when the capability is raised.
IMPORT_PREDICATES: dict[str, list[frozenset[str]]] = {
    "process-injection": [frozenset({"WriteProcessMemory", "NtWriteVirtualMemory"}),
                          frozenset({"CreateRemoteThread", "CreateRemoteThreadEx", "NtCreateThreadEx",
                                     "QueueUserAPC", "SetThreadContext", "RtlCreateUserThread"})],
    "download-execute": [frozenset({"URLDownloadToFileW", "URLDownloadToFileA", "InternetOpenUrlW",
                                    "InternetOpenUrlA", "WinHttpOpenRequest"}),
                         frozenset({"CreateProcessW", "CreateProcessA", "ShellExecuteW", "ShellExecuteA",
                                    "ShellExecuteExW", "WinExec"})],
}
EVIDENCE_IMPORTS: dict[str, frozenset[str]] = {
    "exec-memory": frozenset({"VirtualAlloc", "VirtualAllocEx", "VirtualProtect", "VirtualProtectEx",
                              "NtAllocateVirtualMemory", "NtProtectVirtualMemory", "mprotect", "mmap",
                              "vm_protect", "mach_vm_protect"}),
    "payload-from-file": frozenset({"CreateFileW", "CreateFileA", "ReadFile", "GetFileSize", "GetFileSizeEx",
                                    "GetModuleFileNameW", "GetModuleFileNameA", "fopen", "fread", "open", "read"}),
    "process-injection": frozenset({"WriteProcessMemory", "CreateRemoteThread", "CreateRemoteThreadEx",
                                    "QueueUserAPC", "SetThreadContext", "NtMapViewOfSection",
                                    "NtUnmapViewOfSection", "task_for_pid", "mach_vm_write"}),
    "download-execute": frozenset({"URLDownloadToFileW", "URLDownloadToFileA", "InternetOpenUrlW",
                                   "WinHttpOpenRequest", "CreateProcessW", "CreateProcessA", "ShellExecuteW",
                                   "ShellExecuteExW", "WinExec"}),
    "anti-analysis": frozenset({"IsDebuggerPresent", "CheckRemoteDebuggerPresent", "NtQueryInformationProcess",
                                "ptrace"}),
    "long-sleep": frozenset({"Sleep", "SleepEx", "nanosleep", "usleep", "sleep"}),
    "persistence": frozenset({"CreateServiceW", "CreateServiceA", "RegSetValueExW", "RegSetValueExA"}),
}


class CapabilityScanError(RuntimeError):
    """The rule pack could not be compiled or the scan failed (timeout, unreadable file)."""


@functools.cache
def compiled_rules() -> Any:
    """The rule pack, compiled once per process (every ``.yar`` file in its own namespace)."""
    import yara_x

    compiler = yara_x.Compiler()
    for path in sorted(RULES_DIR.glob("*.yar")):
        compiler.new_namespace(path.stem)
        try:
            compiler.add_source(path.read_text(encoding="utf-8"), origin=str(path.name))
        except yara_x.CompileError as exc:
            raise CapabilityScanError(f"capability rule file {path.name} does not compile: {exc}") from exc
    return compiler.build()


def rule_infos() -> dict[str, CapabilityInfo]:
    """Capability metadata by id, from the rule pack and the predicates (a fresh dict the caller may keep)."""
    return dict(_rule_infos())


@functools.cache
def _rule_infos() -> dict[str, CapabilityInfo]:
    """Parsed once per process: re-reading the rule files for every member cost more than the YARA scan."""
    infos: dict[str, CapabilityInfo] = dict(PREDICATE_CAPABILITIES)
    for path in sorted(RULES_DIR.glob("*.yar")):
        meta: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            for key in ("capability", "name", "attack", "common"):
                if line.startswith(f"{key} = "):
                    meta[key] = line.split("=", 1)[1].strip().strip('"')
            if "capability" in meta and "common" in meta:
                cap = meta["capability"]
                infos.setdefault(cap, CapabilityInfo(cap, meta["name"], meta["attack"], meta["common"] == "true"))
                meta = {}
    return infos


def _evidence_bytes(raw: bytes) -> str:
    clipped = raw[:MAX_EVIDENCE_BYTES]
    if all(0x20 <= b < 0x7F for b in clipped):
        return clipped.decode("ascii")
    if len(clipped) % 2 == 0 and clipped[1::2] == b"\x00" * (len(clipped) // 2):
        text = clipped[0::2]
        if all(0x20 <= b < 0x7F for b in text):
            return text.decode("ascii")
    return clipped.hex(" ")


def yara_matches(data: bytes, timeout: int = SCAN_TIMEOUT_SECONDS) -> list[dict[str, Any]]:
    """Rules of the pack that match ``data``, with the matching patterns and their offsets."""
    import yara_x

    scanner = yara_x.Scanner(compiled_rules())
    scanner.set_timeout(timeout)
    scanner.max_matches_per_pattern(MAX_MATCHES_PER_PATTERN)
    try:
        results = scanner.scan(data)
    except yara_x.TimeoutError as exc:
        raise CapabilityScanError(f"capability scan timed out after {timeout}s") from exc
    except yara_x.ScanError as exc:
        raise CapabilityScanError(f"capability scan failed: {exc}") from exc
    out = []
    for rule in results.matching_rules:
        meta = dict(rule.metadata)
        strings = []
        for pattern in rule.patterns:
            for match in pattern.matches[:MAX_MATCHES_PER_PATTERN]:
                raw = data[match.offset : match.offset + match.length]
                strings.append({"pattern": pattern.identifier, "offset": match.offset, "data": _evidence_bytes(raw)})
        out.append({"rule": f"{rule.namespace}.{rule.identifier}", "meta": meta, "strings": strings})
    return out


@dataclass
class BinaryFeatures:
    """What the predicates look at: imported names and sections (any format, via LIEF)."""

    imports: set[str]
    sections: list[dict[str, Any]]
    format: str | None = None


def _symbol_text(name: str | bytes) -> str:
    """LIEF gives a symbol or section name that is not valid UTF-8 as ``bytes``: decode it (bad bytes
    replaced), so facts and reports only ever hold text."""
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else name


def binary_features(path: Path | str) -> BinaryFeatures:
    """Imports and sections of a PE/ELF/Mach-O (first slice of a fat file); empty for other files."""
    import lief

    lief.logging.disable()
    try:
        binary = lief.parse(str(path))
    except Exception:
        return BinaryFeatures(set(), [])
    if not isinstance(binary, (lief.PE.Binary, lief.ELF.Binary, lief.MachO.Binary)):
        return BinaryFeatures(set(), [])  # nothing parsed, or a COFF object (no imports API)
    imports: set[str] = set()
    for fn in binary.imported_functions:
        name = _symbol_text(fn.name)
        if isinstance(binary, lief.MachO.Binary) and name.startswith("_"):
            name = name[1:]
        if name:
            imports.add(name)
    sections = []
    for section in binary.sections:
        executable = writable = False
        if isinstance(section, lief.PE.Section):
            chars = int(section.characteristics)
            executable, writable = bool(chars & 0x20000000), bool(chars & 0x80000000)
        elif isinstance(section, lief.ELF.Section):
            flags = int(section.flags)
            executable, writable = bool(flags & 0x4), bool(flags & 0x1)
        elif isinstance(binary, lief.MachO.Binary) and isinstance(section, lief.MachO.Section):
            executable = bool(int(section.flags) & 0x80000400)
            segment = binary.get_segment(section.segment_name)
            writable = bool(segment is not None and int(segment.init_protection) & 2)
        sections.append(
            {"name": _symbol_text(section.name), "size": int(section.size), "entropy": round(float(section.entropy), 3),
             "executable": executable, "writable": writable}
        )
    return BinaryFeatures(imports, sections, type(binary).__module__.rsplit(".", 1)[-1])


def _section_predicates(features: BinaryFeatures) -> Iterable[tuple[str, dict[str, Any]]]:
    rwx = [s["name"] for s in features.sections if s["executable"] and s["writable"] and s["size"]]
    if rwx:
        yield "rwx-section", {"sections": rwx}
    packed = [
        {"name": s["name"], "size": s["size"], "entropy": s["entropy"]}
        for s in features.sections
        if s["executable"] and s["size"] >= 16 * 1024 and s["entropy"] >= 7.2
    ]
    if packed:
        yield "packed-section", {"sections": packed}


def find_capabilities(
    data: bytes, features: BinaryFeatures, timeout: int = SCAN_TIMEOUT_SECONDS
) -> list[dict[str, Any]]:
    """The ``capabilities`` facts: ``[{id, name, attack, common, evidence}]`` sorted by id."""
    infos = _rule_infos()
    found: dict[str, dict[str, Any]] = {}

    def entry(cap_id: str) -> dict[str, Any]:
        if cap_id not in found:
            info = infos.get(cap_id) or CapabilityInfo(cap_id, cap_id, "", True)
            found[cap_id] = {
                "id": info.id, "name": info.name, "attack": info.attack, "common": info.common,
                "evidence": {"rules": [], "strings": [], "imports": []},
            }
        return found[cap_id]

    for match in yara_matches(data, timeout):
        cap = entry(str(match["meta"].get("capability") or match["rule"]))
        cap["evidence"]["rules"].append(match["rule"])
        cap["evidence"]["strings"].extend(match["strings"])
    for cap_id, groups in IMPORT_PREDICATES.items():
        if all(features.imports & group for group in groups):
            entry(cap_id)["evidence"]["rules"].append(f"imports.{cap_id}")
    for cap_id, evidence in _section_predicates(features):
        cap = entry(cap_id)
        cap["evidence"]["rules"].append(f"sections.{cap_id}")
        cap["evidence"].update(evidence)
    for cap_id, cap in found.items():
        cap["evidence"]["imports"] = sorted(features.imports & EVIDENCE_IMPORTS.get(cap_id, frozenset()))
    return [found[k] for k in sorted(found)]


def analyze_capabilities(
    path: Path | str, max_bytes: int, timeout: int = SCAN_TIMEOUT_SECONDS
) -> list[dict[str, Any]]:
    """Read up to ``max_bytes`` of the file, scan it and evaluate the predicates.

    LIEF's parse (which holds its own copy of the file) is done and freed before the bytes are read
    for YARA, so a large binary is in memory once at a time, not twice.
    """
    features = binary_features(path)
    with Path(path).open("rb") as fh:
        data = fh.read(max_bytes)
    return find_capabilities(data, features, timeout)
