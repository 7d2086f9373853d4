"""No unmodified corpus PE may get a finding above ``low`` from the PE and Authenticode rules."""

from __future__ import annotations

from pathlib import Path

from chainwatch.models import Severity
from chainwatch.rules import authenticode_rules, pe_rules
from tests.binary.test_pe_support import analyze, corpus_pe_paths


def test_no_corpus_pe_gets_a_finding_above_low(corpus: Path) -> None:
    seen_types = set()
    for path in corpus_pe_paths(corpus):
        record, findings = analyze(path, logical=str(path.relative_to(corpus)))
        seen_types.add(record.type)
        for name in ("pe", "authenticode"):
            assert name in record.features, (path, name)
        too_high = [f.to_dict() for f in findings if f.severity > Severity.LOW]
        assert not too_high, too_high
        for finding in findings:
            assert finding.evidence and finding.message and finding.path == record.path
        if record.type == "pe/dotnet":
            assert record.features["dotnet"]["strong_name"] is True
            assert record.features["pe"]["dotnet"] is True
    assert seen_types == {"pe", "pe/dotnet"}


def test_rule_ids_and_metadata() -> None:
    rules = authenticode_rules.RULES + pe_rules.RULES
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    assert {"authenticode.cert-table-slack", "authenticode.data-after-cert-table", "authenticode.digest-mismatch",
            "authenticode.bad-signature", "authenticode.untrusted-chain", "authenticode.cert-table-not-at-end",
            "pe.appended-data", "pe.packed-section", "pe.entry-outside-code", "pe.checksum-mismatch",
            "pe.tls-callbacks"} <= set(ids)
    for rule in rules:
        assert rule.description and rule.id.split(".")[0] in ("pe", "authenticode")


def test_packed_section_rule_on_synthetic_facts() -> None:
    from chainwatch.models import MemberRecord

    section = {"name": "UPX1", "raw_offset": 0x400, "raw_size": 200_000, "virtual_size": 400_000,
               "entropy": 7.9, "characteristics": 0xE0000040, "executable": True, "writable": True}
    record = MemberRecord(path="x.exe", size=1, type="pe", features={"pe": {"sections": [section]}})
    findings = list(pe_rules.PackedSection().check(record))
    assert [f.severity for f in findings] == [Severity.MEDIUM]
    record.features["pe"]["sections"][0] = dict(section, writable=False)
    assert [f.severity for f in pe_rules.PackedSection().check(record)] == [Severity.LOW]
    record.features["pe"]["sections"][0] = dict(section, entropy=6.9)
    assert not list(pe_rules.PackedSection().check(record))
