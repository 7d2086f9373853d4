"""ELF facts on the corpus (cross-checked with pyelftools) and on tampered copies built at test time."""

from __future__ import annotations

import shutil
from pathlib import Path

import lief
import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from chainwatch.analyzers.interface import AnalysisError
from chainwatch.binary.elf import elf_facts
from chainwatch.models import MemberRecord
from chainwatch.rules.elf_rules import IfuncInLibrary, RwxSegment

ELF_FILES = [
    "binaries/elf/debian-hello/hello",
    "binaries/elf/libusb-package/v1.0.26.4/libusb-1.0.so",
    "binaries/elf/libusb-package/v1.0.30.0/libusb-1.0.so",
    "binaries/elf/markupsafe/v3.0.2/_speedups.cpython-311-x86_64-linux-gnu.so",
    "binaries/elf/markupsafe/v3.0.3/_speedups.cpython-311-x86_64-linux-gnu.so",
]


def pyelftools_view(path: Path) -> dict:
    """The same facts read by an independent parser."""
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        needed, build_id, init_size = [], None, 0
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                needed = [t.needed for t in section.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
                init_size = next((t.entry.d_val for t in section.iter_tags() if t.entry.d_tag == "DT_INIT_ARRAYSZ"), 0)
            if section.name == ".note.gnu.build-id":
                build_id = next(n for n in section.iter_notes() if n["n_type"] == "NT_GNU_BUILD_ID")["n_desc"]
        interp = next((s.get_interp_name() for s in elf.iter_segments() if s["p_type"] == "PT_INTERP"), None)
        return {"needed": needed, "build_id": build_id, "init_count": init_size // 8, "interp": interp,
                "type": elf["e_type"], "sections": [s.name for s in elf.iter_sections()]}


@pytest.mark.parametrize("rel", ELF_FILES)
def test_corpus_facts_agree_with_pyelftools(corpus: Path, rel: str) -> None:
    path = corpus / rel
    facts = elf_facts(path)
    ref = pyelftools_view(path)
    assert facts["needed"] == ref["needed"]
    assert facts["build_id"] == ref["build_id"]
    assert facts["init_array"]["count"] == ref["init_count"]
    assert facts["interpreter"] == ref["interp"]
    assert facts["type"] == {"ET_DYN": "DYN", "ET_EXEC": "EXEC"}[ref["type"]]
    assert [s["name"] for s in facts["sections"]] == ref["sections"]
    assert facts["machine"] == "X86_64"
    for section in facts["sections"]:
        assert 0.0 <= section["entropy"] <= 8.0
    text = next(s for s in facts["sections"] if s["name"] == ".text")
    assert text["executable"] and not text["writable"] and text["entropy"] > 4.0
    assert all(e["section"] == ".text" for e in facts["init_array"]["entries"])
    assert facts["imports"] and facts["import_count"] >= len(facts["imports"])


def test_hello_is_a_pie_executable(corpus: Path) -> None:
    facts = elf_facts(corpus / ELF_FILES[0])
    assert facts["interpreter"] == "/lib64/ld-linux-x86-64.so.2"
    assert facts["entry_section"] == ".text"
    assert "puts" in facts["imports"] or "printf" in facts["imports"] or "__printf_chk" in facts["imports"]


def test_new_init_array_entry_shows(corpus: Path, tmp_path: Path) -> None:
    src = corpus / ELF_FILES[4]
    before = elf_facts(src)
    binary = lief.ELF.parse(str(src))
    entry = binary.get(lief.ELF.DynamicEntry.TAG.INIT_ARRAY)
    target = binary.get_section(".text").virtual_address + 0x40
    entry.append(target)
    out = tmp_path / "tampered.so"
    binary.write(str(out))
    after = elf_facts(out)
    assert after["init_array"]["count"] == before["init_array"]["count"] + 1
    assert [e["section"] for e in after["init_array"]["entries"]] == [".text", ".text"]
    assert after["build_id"] == before["build_id"]  # same build, different constructors


def test_new_needed_library_shows(corpus: Path, tmp_path: Path) -> None:
    src = corpus / ELF_FILES[2]
    binary = lief.ELF.parse(str(src))
    binary.add_library("libhook.so.5")
    out = tmp_path / "needed.so"
    binary.write(str(out))
    assert elf_facts(out)["needed"] == ["libhook.so.5", *elf_facts(src)["needed"]]


def test_ifunc_and_rwx_rules_on_facts(corpus: Path, tmp_path: Path) -> None:
    src = corpus / ELF_FILES[2]
    facts = elf_facts(src)
    record = MemberRecord(path="libusb-1.0.so", size=1, type="elf", features={"elf": facts})
    assert list(IfuncInLibrary().check(record)) == []
    assert list(RwxSegment().check(record)) == []
    # An IFUNC defined by a library (xz-utils' crc64 resolver shape) is an info fact.
    facts_ifunc = dict(facts, ifuncs=[{"name": "lzma_crc64", "resolver": 0x1234, "defined": True}])
    record.features["elf"] = facts_ifunc
    [finding] = IfuncInLibrary().check(record)
    assert finding.severity.value == "info" and finding.evidence["ifuncs"][0]["name"] == "lzma_crc64"


def test_ifunc_symbol_is_read(corpus: Path, tmp_path: Path) -> None:
    """Mark an exported function STT_GNU_IFUNC (as xz's crc64 resolver was) and read it back."""
    src = corpus / ELF_FILES[2]
    binary = lief.ELF.parse(str(src))
    sym = next(s for s in binary.dynamic_symbols if s.exported and s.name == "libusb_init")
    sym.type = lief.ELF.Symbol.TYPE.GNU_IFUNC
    out = tmp_path / "ifunc.so"
    binary.write(str(out))
    facts = elf_facts(out)
    assert [f["name"] for f in facts["ifuncs"]] == ["libusb_init"]
    record = MemberRecord(path="ifunc.so", size=1, type="elf", features={"elf": facts})
    [finding] = IfuncInLibrary().check(record)
    assert finding.rule == "elf.ifunc-in-library"


def test_broken_elf_is_a_clear_error(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.so"
    bad.write_bytes(b"\x7fELF" + b"\xff" * 60)
    with pytest.raises(AnalysisError):
        elf_facts(bad)
    truncated = tmp_path / "trunc.so"
    shutil.copyfile(corpus / ELF_FILES[0], truncated)
    with truncated.open("r+b") as fh:
        fh.truncate(2000)
    try:
        facts = elf_facts(truncated)  # LIEF may recover a partial view; it must not crash
    except AnalysisError:
        return
    assert facts["type"] == "DYN"


def test_runpath_added_shows_and_unsafe_entry_is_low(corpus: Path, tmp_path: Path) -> None:
    from chainwatch.rules.elf_rules import UnsafeRpath

    src = corpus / ELF_FILES[4]
    assert elf_facts(src)["runpath"] == []
    binary = lief.ELF.parse(str(src))
    binary.add(lief.ELF.DynamicEntryRunPath("$ORIGIN/../lib:/tmp/.cache"))
    out = tmp_path / "runpath.so"
    binary.write(str(out))
    facts = elf_facts(out)
    assert facts["runpath"] == ["$ORIGIN/../lib", "/tmp/.cache"]
    record = MemberRecord(path="runpath.so", size=1, type="elf", features={"elf": facts})
    [finding] = UnsafeRpath().check(record)
    assert finding.severity.value == "low" and finding.evidence["unsafe"] == ["/tmp/.cache"]
