"""PE facts on real corpus files, cross-checked against pefile where it is an independent oracle."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pefile
import pytest

from chainwatch.analyzers.interface import AnalysisError, MemberContext
from chainwatch.analyzers.pe import ANALYZERS, PeAnalyzer
from chainwatch.binary import BinaryFormatError, entropy
from chainwatch.binary.pe import pe_facts
from chainwatch.models import MemberRecord
from chainwatch.options import Limits
from tests.binary.test_pe_support import VCRUNTIME, analyze, corpus_pe_paths


def _oracle(path: Path) -> pefile.PE:
    """pefile with only the export, import and delay-import directories parsed (the rest is slow)."""
    pe = pefile.PE(str(path), fast_load=True)
    pe.parse_data_directories(directories=[0, 1, 13])
    return pe


APP_WHEEL = "releases/app-win/14.0.1/av-14.0.1-cp311-cp311-win_amd64.whl"


def test_every_corpus_pe_loads_and_agrees_with_pefile(corpus: Path) -> None:
    paths = corpus_pe_paths(corpus)
    assert len(paths) == 14
    for path in paths:
        facts = pe_facts(path)
        oracle = _oracle(path)
        assert facts["entrypoint"] == oracle.OPTIONAL_HEADER.AddressOfEntryPoint
        if path.stat().st_size < 700_000:  # pefile's checksum is pure Python: keep the test quick
            assert facts["checksum"]["computed"] == oracle.generate_checksum(), path
        assert facts["checksum"]["stored"] == oracle.OPTIONAL_HEADER.CheckSum
        assert [s["name"] for s in facts["sections"]] == [
            s.Name.rstrip(b"\0").decode("latin-1") for s in oracle.sections
        ]
        if hasattr(oracle, "DIRECTORY_ENTRY_IMPORT"):
            assert facts["imphash"] == oracle.get_imphash(), path
            want = {d.dll.decode().lower() for d in oracle.DIRECTORY_ENTRY_IMPORT}
            assert set(facts["imports"]) == want
        if hasattr(oracle, "DIRECTORY_ENTRY_EXPORT"):
            assert len(facts["exports"]) == len(oracle.DIRECTORY_ENTRY_EXPORT.symbols)
        assert facts["timestamp"] == oracle.FILE_HEADER.TimeDateStamp
        raw = path.read_bytes()
        for section, theirs in zip(facts["sections"], oracle.sections, strict=True):
            assert 0.0 <= section["entropy"] <= 8.0
            assert section["entropy"] == pytest.approx(theirs.get_entropy(), abs=1e-3)
            body = raw[theirs.PointerToRawData : theirs.PointerToRawData + theirs.SizeOfRawData]
            assert section["sha256"] == hashlib.sha256(body).hexdigest()


def test_vcruntime_facts(corpus: Path) -> None:
    facts = pe_facts(corpus / VCRUNTIME)
    assert facts["machine"] == "AMD64" and facts["is_dll"] and facts["pe32_plus"]
    assert facts["entry_section"] == ".text"
    assert facts["checksum"]["valid"] is True
    assert facts["version_info"]["CompanyName"] == "Microsoft Corporation"
    assert facts["version_info"]["OriginalFilename"].lower() == "vcruntime140.dll"
    for key in ("ProductName", "FileVersion", "ProductVersion", "FileDescription", "LegalCopyright", "InternalName"):
        assert facts["version_info"].get(key), key
    assert facts["pdb"].endswith("vcruntime140.amd64.pdb")
    assert facts["rich_header"] and facts["rich_header"]["entries"]
    assert "kernel32.dll" in facts["imports"]
    assert "memcpy" in facts["exports"]
    assert facts["overlay"] is None  # the only bytes after the sections are the certificate table
    assert facts["reproducible_build"] is True  # its COFF timestamp (2051) is a hash, not a date
    assert facts["security_directory"]["size"] > 0


def test_msvcp_has_delay_imports_or_none_and_forwarders_are_strings(corpus: Path) -> None:
    facts = pe_facts(corpus / "binaries/pe/signed-microsoft/v14.44.35112/msvcp140.dll")
    oracle = _oracle(corpus / "binaries/pe/signed-microsoft/v14.44.35112/msvcp140.dll")
    want = {d.dll.decode().lower() for d in getattr(oracle, "DIRECTORY_ENTRY_DELAY_IMPORT", [])}
    assert set(facts["delay_imports"]) == want
    assert all(isinstance(f, str) and "->" in f for f in facts["forwarders"])


def test_shim_coff_symbol_table_is_not_overlay(corpus: Path) -> None:
    """shim keeps its COFF symbol + string table after the sections: that is not appended data."""
    facts = pe_facts(corpus / "binaries/pe/signed-microsoft/shimx64.efi.signed")
    assert facts["subsystem"] == "EFI_APPLICATION"
    last = facts["sections"][-1]
    symbols = facts["coff_symbol_table"]
    assert symbols["offset"] == last["raw_offset"] + last["raw_size"] and symbols["symbols"] > 1000
    overlay = facts["overlay"]  # only the zero alignment before the certificate table is left
    assert overlay["all_zero"] and overlay["size"] <= 7
    assert overlay["offset"] + overlay["size"] == facts["security_directory"]["offset"]


def test_data_disguised_as_a_symbol_table_stays_overlay(corpus: Path, tmp_path: Path) -> None:
    import random
    import struct

    from chainwatch.binary.pe import parse_layout

    data = bytearray((corpus / "binaries/pe/unsigned/7za.exe").read_bytes())
    layout = parse_layout(bytes(data))
    at = len(data)
    blob = random.Random(5).randbytes(4000)
    data += struct.pack("<I", 10) + b"\0" * 176 + struct.pack("<I", 4 + len(blob)) + blob
    struct.pack_into("<II", data, layout.e_lfanew + 12, at, 10)  # PointerToSymbolTable, NumberOfSymbols
    out = tmp_path / "7za.exe"
    out.write_bytes(bytes(data))
    facts = pe_facts(out)
    assert facts["coff_symbol_table"] is None
    assert facts["overlay"]["offset"] == at and facts["overlay"]["size"] == len(data) - at


def test_unsigned_mingw_dlls_from_the_app_wheel_all_load(corpus: Path, tmp_path: Path) -> None:
    """All 83 PEs (33 bundled MinGW DLLs + 50 .pyd) of the PyAV wheel give facts without error."""
    count = 0
    with zipfile.ZipFile(corpus / APP_WHEEL) as wheel:
        for info in wheel.infolist():
            if not info.filename.endswith((".dll", ".pyd")):
                continue
            out = tmp_path / Path(info.filename).name
            out.write_bytes(wheel.read(info))
            record, findings = analyze(out, logical=f"{APP_WHEEL}!/{info.filename}")
            assert record.features["pe"]["sections"], info.filename
            assert record.features["authenticode"]["status"] == "unsigned"
            assert all(f.severity.rank <= 1 for f in findings), [f.to_dict() for f in findings]
            out.unlink()
            count += 1
    assert count == 83


def test_entropy_matches_definition() -> None:
    assert entropy(b"") == 0.0
    assert entropy(b"\0" * 1000) == 0.0
    assert entropy(bytes(range(256)) * 512) == 8.0  # > 64 KiB: exercises the paired-count path
    assert entropy(b"ab" * 40000 + b"c") == pytest.approx(1.0003, abs=1e-3)


@pytest.mark.parametrize(
    "payload",
    [b"", b"MZ", b"MZ" + b"\0" * 62, b"MZ" + b"\0" * 58 + b"\x40\0\0\0" + b"PE\0\0" + b"\0" * 20,
     b"\x7fELF" + b"\0" * 100],
)
def test_malformed_input_is_a_clear_error(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "bad.dll"
    path.write_bytes(payload)
    with pytest.raises(BinaryFormatError):
        pe_facts(path)
    record = MemberRecord(path="bad.dll", size=len(payload), type="pe")
    with pytest.raises(AnalysisError):
        PeAnalyzer().analyze(MemberContext(record, path, Limits(), head=payload))


def test_truncated_real_dll_does_not_crash(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / VCRUNTIME).read_bytes()
    for cut in (0x200, 0x1000, len(data) // 2):
        path = tmp_path / f"cut{cut}.dll"
        path.write_bytes(data[:cut])
        for analyzer in ANALYZERS:
            record = MemberRecord(path=path.name, size=cut, type="pe")
            try:
                facts = analyzer.analyze(MemberContext(record, path, Limits(), head=data[:cut]))
            except AnalysisError:
                continue
            assert isinstance(facts, dict)
