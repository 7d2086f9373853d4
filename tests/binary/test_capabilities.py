"""Capability rules: a crafted buffer and a patched real DLL with the 3CX ffmpeg.dll loader traits fire;
the corpus stays at low or below."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import lief
import pytest

from chainwatch.binary.capabilities import BinaryFeatures, compiled_rules, find_capabilities, rule_infos
from chainwatch.models import MemberRecord, Severity
from chainwatch.rules.capability_rules import RULES, LoaderChain

from .corpus_util import analyze_corpus_file, analyze_file, corpus_binaries

# Hand-assembled x86-64, the loader shape described for 3CX's ffmpeg.dll (Elastic, Nextron write-ups):
LOADER_STUB = bytes.fromhex(
    "41b840000000"  # mov r8d, PAGE_EXECUTE_READWRITE
    "4c8d4c2430"  # lea r9, [rsp+0x30]
    "ff1500100000"  # call [rip+0x1000]  (VirtualProtect through the IAT)
    "8138feedface"  # cmp dword [rax], 0xCEFAEDFE  (the FE ED FA CE tag)
    "75f0"  # jne (keep searching)
    "88440440"  # mov [rsp+rax+0x40], al  (S[i] = i)
    "ffc0"  # inc eax
    "3d00010000"  # cmp eax, 0x100
    "7cf5"  # jl
    "25ff000000"  # and eax, 0xff  (j mod 256)
    "ffe3"  # jmp rbx  (into the decrypted buffer)
)
LOADER_NAMES = b"\x00".join(
    [b"VirtualProtect", b"GetModuleFileNameW", b"CreateFileW", b"ReadFile", b"GetFileSize", b"d3dcompiler_47.dll"]
)
LOADER_IMPORTS = {"VirtualProtect", "GetModuleFileNameW", "CreateFileW", "ReadFile", "GetFileSize", "CloseHandle"}


def ids(caps: list[dict]) -> set[str]:
    return {c["id"] for c in caps}


def test_rule_pack_compiles_once_and_has_attack_ids() -> None:
    assert compiled_rules() is compiled_rules()
    infos = rule_infos()
    for cap_id in ("exec-memory", "payload-marker-search", "payload-from-file", "crypto-rc4", "crypto-aes",
                   "crypto-xor", "process-injection", "download-execute", "browser-credential-theft",
                   "persistence", "anti-analysis", "long-sleep"):
        assert infos[cap_id].attack.startswith("T"), cap_id


def test_crafted_buffer_with_3cx_loader_traits() -> None:
    buffer = b"\xcc" * 4096 + LOADER_STUB + b"\x90" * 512 + LOADER_NAMES + b"\x00" * 1024
    caps = find_capabilities(buffer, BinaryFeatures(LOADER_IMPORTS, []))
    assert {"exec-memory", "payload-marker-search", "payload-from-file", "crypto-rc4"} <= ids(caps)
    by_id = {c["id"]: c for c in caps}
    marker = by_id["payload-marker-search"]["evidence"]["strings"][0]
    assert marker["offset"] == 4096 + 17 and marker["data"] == "81 38 fe ed fa ce"
    assert "VirtualProtect" in by_id["exec-memory"]["evidence"]["imports"]
    record = MemberRecord(path="ffmpeg.dll", size=len(buffer), type="pe", features={"capabilities": {"items": caps}})
    findings = [f for rule in RULES for f in rule.check(record)]
    chain = [f for f in findings if f.rule == "capability.loader-chain"]
    assert len(chain) == 1 and chain[0].severity is Severity.HIGH
    assert set(chain[0].evidence["capabilities"]) == {
        "exec-memory", "payload-marker-search", "payload-from-file", "crypto-rc4",
    }
    # Each capability alone stays at low or info.
    assert all(f.severity <= Severity.LOW for f in findings if f.rule != "capability.loader-chain")


def test_chain_without_a_marker_search_stays_low() -> None:
    caps = [
        {"id": c, "name": c, "attack": "", "common": False, "evidence": {"strings": []}}
        for c in ("exec-memory", "payload-from-file", "crypto-rc4")
    ]
    record = MemberRecord(path="big.pyd", size=1, type="pe", features={"capabilities": {"items": caps}})
    [chain] = list(LoaderChain().check(record))
    assert chain.severity is Severity.LOW


def test_one_trait_alone_is_not_a_chain() -> None:
    buffer = b"\xcc" * 256 + LOADER_STUB[:17] + LOADER_NAMES  # exec memory, no marker, no RC4
    caps = find_capabilities(buffer, BinaryFeatures(set(), []))
    assert "exec-memory" in ids(caps) and "crypto-rc4" not in ids(caps)
    record = MemberRecord(path="x.dll", size=1, type="pe", features={"capabilities": {"items": caps}})
    assert list(LoaderChain().check(record)) == []


def test_patched_real_dll_gets_the_loader_chain(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "binaries/pe/unsigned/libusb-package-1.0.30.0/libusb-1.0.dll"
    _, clean = analyze_file(src)
    assert not [f for f in clean if f.rule == "capability.loader-chain"]
    pe = lief.PE.parse(str(src))
    text = pe.get_section(".text")
    rdata = pe.get_section(".rdata")
    dst = tmp_path / "ffmpeg.dll"
    shutil.copyfile(src, dst)
    code_at = text.offset + text.size // 2
    names_at = rdata.offset + rdata.size // 2
    with dst.open("r+b") as fh:
        fh.seek(code_at)
        fh.write(LOADER_STUB)
        fh.seek(names_at)
        fh.write(LOADER_NAMES)
    _, findings = analyze_file(dst)
    [chain] = [f for f in findings if f.rule == "capability.loader-chain"]
    assert chain.severity is Severity.HIGH
    marker = chain.evidence["capabilities"]["payload-marker-search"]["strings"][0]
    assert marker["offset"] == code_at + 17


def test_section_name_that_is_not_utf8_stays_text(corpus: Path, tmp_path: Path) -> None:
    """LIEF hands such a name over as bytes; facts must hold text, or the JSON report cannot be written."""
    import json
    import struct

    from chainwatch.binary.capabilities import binary_features

    data = bytearray((corpus / "binaries/pe/unsigned/libusb-package-1.0.30.0/libusb-1.0.dll").read_bytes())
    pe_at = struct.unpack_from("<I", data, 0x3C)[0]
    first_section = pe_at + 24 + struct.unpack_from("<H", data, pe_at + 20)[0]
    data[first_section:first_section + 8] = b"\xff\xfe.tx\x80\x00\x00\x00"
    dst = tmp_path / "odd.dll"
    dst.write_bytes(bytes(data))
    features = binary_features(dst)
    assert features.sections[0]["name"] == "\ufffd\ufffd.tx\ufffd"
    json.dumps(features.sections)
    assert analyze_file(dst)[0] is not None


def _no_finding_above_low(path: Path, logical: str) -> list[str]:
    _, findings = analyze_file(path, logical)
    return [f"{f.path}: {f.rule} {f.severity.value}" for f in findings if f.severity > Severity.LOW]


def test_corpus_binaries_stay_at_low_or_below(corpus: Path) -> None:
    bad: list[str] = []
    for path in corpus_binaries(corpus):
        _, findings = analyze_corpus_file(path)
        bad += [f"{f.path}: {f.rule} {f.severity.value}" for f in findings if f.severity > Severity.LOW]
    assert bad == []


@pytest.mark.slow
def test_corpus_release_wheels_stay_at_low_or_below(corpus: Path, tmp_path: Path) -> None:
    """Every DLL/.pyd inside the two av wheels (FFmpeg, codecs, MinGW runtime)."""
    bad: list[str] = []
    seen: set[int] = set()  # the two releases share 33 byte-identical DLLs: scan each once
    for wheel in sorted((corpus / "releases").rglob("*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if not info.filename.endswith((".dll", ".pyd", ".so", ".dylib")) or info.CRC in seen:
                    continue
                seen.add(info.CRC)
                member = tmp_path / Path(info.filename).name
                member.write_bytes(zf.read(info))
                bad += _no_finding_above_low(member, f"{wheel.name}!/{info.filename}")
                member.unlink()
    assert bad == []
