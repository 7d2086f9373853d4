"""Structural tampering with LIEF's builder: a new executable section holding the entry point, and an added
``VirtualProtect`` import (the 3CX ffmpeg.dll loader needed one)."""

from __future__ import annotations

from pathlib import Path

import lief
import pytest

from chainwatch.binary.pe import pe_facts
from chainwatch.models import Severity
from tests.binary.test_pe_support import VCRUNTIME, analyze, by_rule

SPEEDUPS = "binaries/pe/unsigned/markupsafe-3.0.3/_speedups.cp311-win_amd64.pyd"


@pytest.fixture(autouse=True)
def _quiet_lief() -> None:
    lief.logging.disable()


def _add_entry_section(src: Path, dst: Path) -> int:
    binary = lief.PE.parse(str(src))
    section = lief.PE.Section(".stub")
    section.content = list(b"\x90" * 60 + b"\xe9\x00\x00\x00\x00")
    chars = lief.PE.Section.CHARACTERISTICS
    section.characteristics = int(chars.MEM_EXECUTE | chars.MEM_READ | chars.CNT_CODE)
    added = binary.add_section(section)
    binary.optional_header.addressof_entrypoint = added.virtual_address
    binary.write(str(dst))
    return added.virtual_address


def test_new_executable_section_with_entry_point(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "_speedups.pyd"
    entry = _add_entry_section(corpus / SPEEDUPS, out)
    before = pe_facts(corpus / SPEEDUPS)
    record, findings = analyze(out)
    facts = record.features["pe"]
    assert facts["entrypoint"] == entry and facts["entry_section"] == ".stub"
    assert facts["section_count"] == before["section_count"] + 1
    assert facts["sections"][-1]["executable"] is True
    hits = by_rule(findings, "pe.entry-outside-code")
    assert [f.severity for f in hits] == [Severity.MEDIUM]
    assert hits[0].evidence["entry_section"] == ".stub" and hits[0].evidence["main_code_section"] == ".text"
    assert not by_rule(pe_rules_findings := analyze(corpus / SPEEDUPS)[1], "pe.entry-outside-code"), pe_rules_findings


def test_new_entry_section_in_a_signed_dll_breaks_the_signature(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    _add_entry_section(corpus / VCRUNTIME, out)
    record, findings = analyze(out)
    assert record.features["authenticode"]["status"] != "valid"
    assert by_rule(findings, "pe.entry-outside-code")


def test_added_virtualprotect_import(corpus: Path, tmp_path: Path) -> None:
    binary = lief.PE.parse(str(corpus / SPEEDUPS))
    binary.get_import("KERNEL32.dll").add_entry("VirtualProtect")
    config = lief.PE.Builder.config_t()
    config.imports = True
    out = tmp_path / "_speedups.pyd"
    binary.write(str(out), config)
    before = pe_facts(corpus / SPEEDUPS)
    after = pe_facts(out)
    assert "VirtualProtect" not in before["imports"]["kernel32.dll"]
    assert "VirtualProtect" in after["imports"]["kernel32.dll"]
    assert after["imphash"] != before["imphash"]
