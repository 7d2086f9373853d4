"""Mach-O facts (LIEF), thin and fat, with our own reading of the code signature.

Why our own: the ``LC_CODE_SIGNATURE`` SuperBlob is small and documented (Apple ``cs_blobs.h``), and the
facts that matter for a supply-chain diff (ad-hoc vs linker-signed vs Developer ID, Team ID, CDHash,
entitlements, CMS signer and signing time, whether the pages still match their hashes) are not all
exposed by LIEF. 3CX's macOS ``libffmpeg.dylib`` was signed "Developer ID Application: 3CX (33CF4654HL)"
and notarized: the signature was real, so what changed is the code, the dylibs and the strings.
"""

from __future__ import annotations

import hashlib
import plistlib
import struct
import warnings
from pathlib import Path
from typing import Any

from chainwatch.analyzers.interface import AnalysisError
from chainwatch.binary import entropy

MAX_SYMBOLS = 5000
MAX_SLICES = 16
MAX_SECTIONS = 512
MAX_CODE_SLOTS = 1 << 20  # pages checked against the CodeDirectory (4 GiB of code at 4 KiB pages)
ENTROPY_BYTES = 16 * 1024 * 1024

# cs_blobs.h
CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSMAGIC_REQUIREMENTS = 0xFADE0C01
CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xFADE7171
CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xFADE7172
CSMAGIC_BLOBWRAPPER = 0xFADE0B01
CSSLOT_CODEDIRECTORY = 0
CSSLOT_ENTITLEMENTS = 5
CSSLOT_DER_ENTITLEMENTS = 7
CSSLOT_ALTERNATE_CODEDIRECTORIES = range(0x1000, 0x1005)
CSSLOT_SIGNATURESLOT = 0x10000
CS_ADHOC = 0x2
CS_RUNTIME = 0x10000
CS_LINKER_SIGNED = 0x20000
_FLAG_NAMES = {
    0x1: "valid", 0x2: "adhoc", 0x4: "get-task-allow", 0x100: "hard", 0x200: "kill", 0x800: "restrict",
    0x1000: "enforcement", 0x2000: "library-validation", 0x10000: "runtime", 0x20000: "linker-signed",
}
_HASH_TYPES = {1: "sha1", 2: "sha256", 3: "sha256", 4: "sha384"}
_HASH_STRENGTH = {1: 1, 3: 2, 2: 3, 4: 4}


_MAGICS = (
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf",
)


class CodeSignatureError(ValueError):
    """The SuperBlob is malformed (lengths or offsets out of range)."""


def _u32(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 4 > len(data):
        raise CodeSignatureError(f"read past the end of the signature at {offset}")
    return int(struct.unpack_from(">I", data, offset)[0])


def _cstring(data: bytes, offset: int, limit: int = 1024) -> str:
    end = data.find(b"\x00", offset, offset + limit)
    return data[offset : end if end != -1 else offset + limit].decode("utf-8", "replace")


def _blob(sig: bytes, offset: int) -> tuple[int, bytes]:
    """(magic, whole blob) at ``offset`` of the SuperBlob."""
    magic, length = _u32(sig, offset), _u32(sig, offset + 4)
    if length < 8 or offset + length > len(sig):
        raise CodeSignatureError(f"blob at {offset} claims {length} bytes")
    return magic, sig[offset : offset + length]


def parse_code_directory(cd: bytes) -> dict[str, Any]:
    """Fields of one CodeDirectory blob, its CDHash and its page hashes."""
    version, flags = _u32(cd, 8), _u32(cd, 12)
    hash_offset, ident_offset = _u32(cd, 16), _u32(cd, 20)
    n_special, n_code, code_limit = _u32(cd, 24), _u32(cd, 28), _u32(cd, 32)
    if len(cd) < 44:
        raise CodeSignatureError("CodeDirectory shorter than its fixed header")
    hash_size, hash_type, _platform, page_log2 = cd[36], cd[37], cd[38], cd[39]
    team_id = None
    if version >= 0x20200 and len(cd) >= 52:
        team_offset = _u32(cd, 48)
        if team_offset:
            team_id = _cstring(cd, team_offset)
    if version >= 0x20300 and len(cd) >= 64:
        code_limit = struct.unpack_from(">Q", cd, 56)[0] or code_limit
    algo = _HASH_TYPES.get(hash_type)
    digest = hashlib.new(algo, cd).digest() if algo else b""
    page_hashes = []
    if n_code <= MAX_CODE_SLOTS and hash_offset + n_code * hash_size <= len(cd):
        page_hashes = [cd[hash_offset + i * hash_size : hash_offset + (i + 1) * hash_size] for i in range(n_code)]
    return {
        "version": f"0x{version:x}",
        "flags": flags,
        "flag_names": [name for bit, name in _FLAG_NAMES.items() if flags & bit],
        "identifier": _cstring(cd, ident_offset) if ident_offset else None,
        "team_id": team_id,
        "hash_type": algo or f"unknown:{hash_type}",
        "hash_type_id": hash_type,
        "special_slots": n_special,
        "code_slots": n_code,
        "code_limit": code_limit,
        "page_size": 1 << page_log2 if page_log2 else 0,
        "cdhash": digest[:20].hex() if digest else None,  # Apple's CDHash: the digest cut to 20 bytes
        "cd_digest_full": digest.hex() if digest else None,
        "_page_hashes": page_hashes,
        "_hash_size": hash_size,
    }


def _parse_cms(payload: bytes, primary_cd: bytes | None) -> dict[str, Any]:
    """Signer of the CMS blob: identity, Team ID (subject OU), signing time, chain, messageDigest check."""
    from asn1crypto import cms

    out: dict[str, Any] = {"present": bool(payload)}
    if not payload:
        return out
    try:
        info = cms.ContentInfo.load(payload)
        signed = info["content"]
        certs = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
        signers = list(signed["signer_infos"] or [])
    except (ValueError, TypeError, KeyError) as exc:
        out["error"] = f"CMS blob unreadable: {exc}"
        return out
    out["certificates"] = [c.subject.human_friendly for c in certs]
    if not signers:
        return out
    signer = signers[0]
    sid = signer["sid"].chosen
    cert = None
    for candidate in certs:
        try:
            if (
                candidate.serial_number == sid["serial_number"].native
                and candidate.issuer == sid["issuer"]
            ):
                cert = candidate
                break
        except (KeyError, TypeError, ValueError):
            continue
    if cert is not None:
        subject = cert.subject.native
        out["identity"] = subject.get("common_name")
        out["team_id"] = subject.get("organizational_unit_name")
        out["organization"] = subject.get("organization_name")
        out["issuer"] = cert.issuer.human_friendly
        out["serial"] = format(cert.serial_number, "x")
        out["thumbprint_sha1"] = hashlib.sha1(cert.dump()).hexdigest()
    attrs = signer["signed_attrs"]
    digest_algo = signer["digest_algorithm"]["algorithm"].native
    for attr in attrs or []:
        kind = attr["type"].native
        if kind == "signing_time":
            out["signing_time"] = attr["values"][0].native.isoformat()
        elif kind == "message_digest" and primary_cd is not None:
            try:
                expected = hashlib.new(digest_algo, primary_cd).digest()
            except ValueError:
                continue
            out["cd_digest_matches"] = attr["values"][0].native == expected
    return out


def parse_code_signature(sig: bytes, slice_data: bytes | memoryview | None = None) -> dict[str, Any]:
    """Facts of an embedded signature SuperBlob (``LC_CODE_SIGNATURE`` bytes).

    ``slice_data`` (the bytes of the Mach-O slice) lets us check the page hashes of the code.
    """
    if _u32(sig, 0) != CSMAGIC_EMBEDDED_SIGNATURE:
        raise CodeSignatureError(f"not an embedded-signature SuperBlob (magic 0x{_u32(sig, 0):08x})")
    length, count = _u32(sig, 4), _u32(sig, 8)
    if length > len(sig) or count > 64:
        raise CodeSignatureError(f"SuperBlob length {length} / count {count} out of range")
    sig = sig[:length]
    directories: list[tuple[int, bytes]] = []
    entitlements: dict[str, Any] | None = None
    der_entitlements = None
    cms_payload: bytes | None = None
    slots: list[int] = []
    for i in range(count):
        slot, offset = _u32(sig, 12 + 8 * i), _u32(sig, 16 + 8 * i)
        slots.append(slot)
        magic, blob = _blob(sig, offset)
        is_directory_slot = slot == CSSLOT_CODEDIRECTORY or slot in CSSLOT_ALTERNATE_CODEDIRECTORIES
        if is_directory_slot and magic == CSMAGIC_CODEDIRECTORY:
            directories.append((slot, blob))
        elif slot == CSSLOT_ENTITLEMENTS and magic == CSMAGIC_EMBEDDED_ENTITLEMENTS:
            entitlements = _entitlements_xml(blob[8:])
        elif slot == CSSLOT_DER_ENTITLEMENTS and magic == CSMAGIC_EMBEDDED_DER_ENTITLEMENTS:
            der_entitlements = {"size": len(blob) - 8, "sha256": hashlib.sha256(blob[8:]).hexdigest()}
        elif slot == CSSLOT_SIGNATURESLOT and magic == CSMAGIC_BLOBWRAPPER:
            cms_payload = blob[8:]
    if not directories:
        raise CodeSignatureError("no CodeDirectory in the signature")
    parsed = [(slot, blob, parse_code_directory(blob)) for slot, blob in directories]
    primary_blob = next((blob for slot, blob, _ in parsed if slot == CSSLOT_CODEDIRECTORY), parsed[0][1])
    # The CDHash the system uses is the one of the strongest hash type present.
    best = max(parsed, key=lambda p: _HASH_STRENGTH.get(p[2]["hash_type_id"], 0))[2]
    cms = _parse_cms(cms_payload or b"", primary_blob)

    flags = best["flags"]
    if flags & CS_LINKER_SIGNED:
        kind = "linker-signed"
    elif flags & CS_ADHOC:
        kind = "adhoc"
    elif str(cms.get("identity") or "").startswith("Developer ID Application"):
        kind = "developer-id"
    else:
        kind = "other"
    facts: dict[str, Any] = {
        "kind": kind,
        "identifier": best["identifier"],
        "team_id": best["team_id"] or cms.get("team_id"),
        "identity": cms.get("identity"),
        "cdhash": best["cdhash"],
        "hash_type": best["hash_type"],
        "cdhashes": {p[2]["hash_type"]: p[2]["cdhash"] for p in parsed},
        "flags": best["flag_names"],
        "hardened_runtime": bool(flags & CS_RUNTIME),
        "entitlements": entitlements,
        "der_entitlements": der_entitlements,
        "signing_time": cms.get("signing_time"),
        "cms": {k: v for k, v in cms.items() if k not in ("identity", "signing_time")},
        "slots": slots,
        "code_limit": best["code_limit"],
    }
    if slice_data is not None:
        facts["code_hashes"] = _check_pages(best, slice_data)
    return facts


def _entitlements_xml(raw: bytes) -> dict[str, Any]:
    try:
        value = plistlib.loads(raw)
    except Exception as exc:
        return {"error": f"unreadable entitlements: {exc}", "size": len(raw)}
    keys = sorted(value) if isinstance(value, dict) else []
    return {"keys": keys, "values": {k: value[k] for k in keys if isinstance(value[k], bool | str | int)}}


def _check_pages(cd: dict[str, Any], slice_data: bytes | memoryview) -> dict[str, Any]:
    """Re-hash the code pages; a page that no longer matches means bytes changed after signing."""
    algo = _HASH_TYPES.get(cd["hash_type_id"])
    page = cd["page_size"] or 4096
    hashes = cd["_page_hashes"]
    if not algo or not hashes:
        return {"checked": 0, "mismatched": 0, "first_mismatch_offset": None}
    limit = min(cd["code_limit"], len(slice_data))
    size = cd["_hash_size"]
    mismatched = 0
    first = None
    for i, expected in enumerate(hashes):
        start = i * page
        if start >= limit:
            break
        actual = hashlib.new(algo, slice_data[start : min(start + page, limit)]).digest()[:size]
        if actual != expected:
            mismatched += 1
            first = start if first is None else first
    return {"checked": len(hashes), "mismatched": mismatched, "first_mismatch_offset": first}


# ---------------------------------------------------------------- load commands and slices

_DYLIB_KEYS = {
    "LOAD_DYLIB": "dylibs",
    "LOAD_WEAK_DYLIB": "weak_dylibs",
    "REEXPORT_DYLIB": "reexport_dylibs",
    "LAZY_LOAD_DYLIB": "lazy_dylibs",
    "LOAD_UPWARD_DYLIB": "upward_dylibs",
}


def _name(value: Any) -> str:
    return str(value).rsplit(".", 1)[-1]


def _prot(value: int) -> str:
    return ("r" if value & 1 else "-") + ("w" if value & 2 else "-") + ("x" if value & 4 else "-")


def _slice_facts(binary: Any, file_bytes: bytes) -> dict[str, Any]:
    header = binary.header
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # LIEF enums warn on values they do not know
        filetype, cpu = _name(header.file_type), _name(header.cpu_type)
    if filetype.isdigit() or cpu.isdigit() or header.nb_cmds > 4096 or header.sizeof_cmds > len(file_bytes):
        raise ValueError(f"implausible Mach-O header (filetype {filetype}, cpu {cpu}, {header.nb_cmds} commands)")
    facts: dict[str, Any] = {
        "arch": cpu.lower(),
        "cpu_subtype": int(header.cpu_subtype),
        "filetype": filetype,
        "header_flags": [_name(f) for f in header.flags_list],
        "offset": int(binary.fat_offset),
        "load_commands": [],
        **{key: [] for key in _DYLIB_KEYS.values()},
        "rpaths": [],
        "id_dylib": None,
        "uuid": None,
    }
    for command in binary.commands:
        cmd = _name(command.command)
        facts["load_commands"].append(cmd)
        if cmd in _DYLIB_KEYS:
            facts[_DYLIB_KEYS[cmd]].append(str(command.name))
        elif cmd == "ID_DYLIB":
            facts["id_dylib"] = str(command.name)
        elif cmd == "RPATH":
            facts["rpaths"].append(str(command.path))
        elif cmd == "UUID":
            facts["uuid"] = bytes(command.uuid).hex()
        elif cmd in ("LOAD_DYLINKER", "ID_DYLINKER"):
            facts["dylinker"] = str(command.name)
    imports = [s.name for s in binary.imported_functions if s.name]
    exports = [s.name for s in binary.exported_functions if s.name]
    facts["imports"] = imports[:MAX_SYMBOLS]
    facts["import_count"] = len(imports)
    facts["exports"] = exports[:MAX_SYMBOLS]
    facts["export_count"] = len(exports)
    facts["segments"] = [
        {"name": seg.name, "init_prot": _prot(seg.init_protection), "max_prot": _prot(seg.max_protection)}
        for seg in binary.segments
    ]
    sections = []
    init_funcs = 0
    pointer_size = 8 if "64" in _name(header.magic) else 4
    for section in list(binary.sections)[:MAX_SECTIONS]:
        kind = _name(section.type)
        zerofill = kind in ("ZEROFILL", "GB_ZEROFILL", "THREAD_LOCAL_ZEROFILL")
        content = b"" if zerofill else bytes(section.content)[:ENTROPY_BYTES]
        flags = int(section.flags)
        if kind == "MOD_INIT_FUNC_POINTERS":
            init_funcs += len(content) // pointer_size
        sections.append(
            {
                "name": section.name,
                "segment": section.segment_name,
                "type": kind,
                "size": int(section.size),
                "entropy": entropy(content),
                "executable": bool(flags & 0x80000400),  # S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS
            }
        )
    facts["sections"] = sections
    facts["init_funcs"] = init_funcs
    facts["rwx_segments"] = [s["name"] for s in facts["segments"] if s["init_prot"] == "rwx"]

    facts["codesign"] = {"kind": "none"}
    if binary.has_code_signature:
        sig = bytes(binary.code_signature.content)
        start = int(binary.fat_offset)
        try:
            facts["codesign"] = parse_code_signature(sig, memoryview(file_bytes)[start:])
        except CodeSignatureError as exc:
            facts["codesign"] = {"kind": "other", "error": str(exc)}
    return facts


_MACHOLIB_DYLIB_KEYS = {
    "LC_LOAD_DYLIB": "dylibs",
    "LC_LOAD_WEAK_DYLIB": "weak_dylibs",
    "LC_REEXPORT_DYLIB": "reexport_dylibs",
    "LC_LAZY_LOAD_DYLIB": "lazy_dylibs",
    "LC_LOAD_UPWARD_DYLIB": "upward_dylibs",
}


def _macholib_facts(path: Path, data: bytes) -> dict[str, Any]:
    """Fallback when LIEF cannot read the file: load commands, dylibs, rpaths, signature (via macholib)."""
    from macholib import mach_o
    from macholib.MachO import MachO

    try:
        parsed = MachO(str(path))
    except Exception as exc:  # macholib raises bare ValueError, struct.error, KeyError
        raise AnalysisError(f"Mach-O unreadable by LIEF and macholib: {exc}") from exc
    slices = []
    for header in parsed.headers[:MAX_SLICES]:
        facts: dict[str, Any] = {
            "arch": str(mach_o.CPU_TYPE_NAMES.get(header.header.cputype, header.header.cputype)).lower(),
            "filetype": str(mach_o.MH_FILETYPE_SHORTNAMES.get(header.header.filetype, header.header.filetype)).upper(),
            "offset": int(header.offset),
            "load_commands": [],
            **{key: [] for key in _MACHOLIB_DYLIB_KEYS.values()},
            "rpaths": [],
            "codesign": {"kind": "none"},
            "parser": "macholib",
        }
        for load_command, command, payload in header.commands:
            name = mach_o.LC_NAMES.get(load_command.cmd, f"0x{load_command.cmd:x}")
            facts["load_commands"].append(name.removeprefix("LC_"))
            text = payload.rstrip(b"\x00").decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            if name in _MACHOLIB_DYLIB_KEYS:
                facts[_MACHOLIB_DYLIB_KEYS[name]].append(text)
            elif name == "LC_RPATH":
                facts["rpaths"].append(text)
            elif name == "LC_CODE_SIGNATURE":
                start = header.offset + command.dataoff
                try:
                    facts["codesign"] = parse_code_signature(
                        data[start : start + command.datasize], memoryview(data)[header.offset :]
                    )
                except CodeSignatureError as exc:
                    facts["codesign"] = {"kind": "other", "error": str(exc)}
        slices.append(facts)
    return {"fat": len(parsed.headers) > 1, "slices": slices, "parser": "macholib"}


def macho_facts(path: Path | str, max_bytes: int = 512 * 1024 * 1024) -> dict[str, Any]:
    """Facts of one thin or fat Mach-O (keys per docs/ARCHITECTURE.md ``macho``)."""
    import lief

    lief.logging.disable()
    path = Path(path)
    if path.stat().st_size > max_bytes:
        raise AnalysisError(f"Mach-O larger than {max_bytes} bytes")
    data = path.read_bytes()
    if len(data) < 32 or data[:4] not in _MAGICS:
        raise AnalysisError("not a Mach-O file (bad magic or too short)")
    try:
        fat = lief.MachO.parse(str(path))
    except Exception as exc:
        raise AnalysisError(f"Mach-O parser failed: {exc}") from exc
    if fat is None or fat.size == 0:
        return _macholib_facts(path, data)
    slices = []
    for index in range(min(fat.size, MAX_SLICES)):
        binary = fat.at(index)
        try:
            slices.append(_slice_facts(binary, data))
        except (CodeSignatureError, ValueError, struct.error) as exc:
            slices.append({"error": f"slice {index}: {exc}"})
    if not any("arch" in s for s in slices):
        raise AnalysisError("no readable Mach-O slice: " + "; ".join(s.get("error", "") for s in slices))
    return {"fat": fat.size > 1 or data[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"), "slices": slices}
