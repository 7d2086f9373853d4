"""End to end through ``chainwatch.scan``: the engine discovers the pe/authenticode/dotnet analyzers and
the rules, and a 3CX-style d3dcompiler_47.dll comes out malicious while the real one stays clean."""

from __future__ import annotations

from pathlib import Path

import chainwatch
from chainwatch.models import Severity, Verdict
from chainwatch.options import ScanOptions
from tests.binary.test_pe_support import VCRUNTIME, sigflip


def test_scan_sigflipped_dll_is_malicious(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "d3dcompiler_47.dll"
    sigflip(corpus / VCRUNTIME, out, payload_size=16384)
    report = chainwatch.scan(out, ScanOptions(jobs=1))
    assert report.verdict == Verdict.MALICIOUS
    slack = [f for f in report.findings if f.rule == "authenticode.cert-table-slack"]
    assert slack and slack[0].severity == Severity.CRITICAL and slack[0].evidence["sigflip_tag"]
    record = report.inventory[0]
    assert record.features["authenticode"]["status"] == "valid"
    assert record.features["pe"]["version_info"]["CompanyName"] == "Microsoft Corporation"


def test_scan_original_dll_has_no_pe_or_authenticode_finding_above_low(corpus: Path) -> None:
    report = chainwatch.scan(corpus / VCRUNTIME, ScanOptions(jobs=1))
    mine = [f for f in report.findings if f.rule.split(".")[0] in ("pe", "authenticode")]
    assert all(f.severity <= Severity.LOW for f in mine), [f.to_dict() for f in mine]
    assert report.inventory[0].features["authenticode"]["status"] == "valid"
