"""Helpers shared by the ELF/Mach-O/strings/capability tests: corpus listing and analysis of one file."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chainwatch.analyzers.capabilities import CapabilitiesAnalyzer
from chainwatch.analyzers.elf import ElfAnalyzer
from chainwatch.analyzers.interface import MemberContext
from chainwatch.analyzers.macho import MachoAnalyzer
from chainwatch.analyzers.strings import StringsAnalyzer
from chainwatch.models import Finding, MemberRecord
from chainwatch.options import Limits
from chainwatch.rules import capability_rules, elf_rules, macho_rules, strings_rules

ANALYZERS = [ElfAnalyzer(), MachoAnalyzer(), StringsAnalyzer(), CapabilitiesAnalyzer()]
RULES = [*elf_rules.RULES, *macho_rules.RULES, *strings_rules.RULES, *capability_rules.RULES]


def kind_of(head: bytes) -> str:
    """A minimal content type (the engine's detector does this for real scans)."""
    if head[:4] == b"\x7fELF":
        return "elf"
    if head[:4] in (b"\xca\xfe\xba\xbe",):
        return "macho/fat"
    if head[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce"):
        return "macho"
    if head[:2] == b"MZ":
        return "pe"
    return "data"


def analyze_file(path: Path, logical: str | None = None) -> tuple[MemberRecord, list[Finding]]:
    """Run our analyzers and rules on one file, as the engine would."""
    head = path.read_bytes()[:65536]
    record = MemberRecord(path=logical or str(path), size=path.stat().st_size, type=kind_of(head))
    for analyzer in ANALYZERS:
        if analyzer.applies(record, head):
            ctx = MemberContext(record=record, fs_path=path, limits=Limits(), head=head)
            record.features[analyzer.name] = analyzer.analyze(ctx)
    findings = [f for rule in RULES for f in rule.check(record)]
    json.dumps(record.features)  # facts must be JSON-able
    return record, findings


def corpus_binaries(corpus: Path) -> list[Path]:
    manifest: dict[str, Any] = json.loads((corpus / "manifest.json").read_text())
    return [corpus / f["path"] for f in manifest["files"] if f["kind"] == "binary"]


@functools.cache
def analyze_corpus_file(path: Path) -> tuple[MemberRecord, list[Finding]]:
    """``analyze_file`` once per read-only corpus file per test session (several tests read the same)."""
    return analyze_file(path)
