"""PE structure findings: packed code, odd entry points, appended data on signed files, checksum, TLS.

Each stays at ``low`` or below on unmodified upstream builds (the development corpus); the higher
levels need a combination that compilers do not produce (writable+executable packed code, entry point
outside any executable section).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule

PACKED_ENTROPY = 7.2
PACKED_MIN_RAW = 16 * 1024


def _pe(record: MemberRecord) -> dict[str, Any] | None:
    facts = record.features.get("pe")
    return facts if isinstance(facts, dict) else None


def _auth(record: MemberRecord) -> dict[str, Any]:
    facts = record.features.get("authenticode")
    return facts if isinstance(facts, dict) else {}


class PackedSection(MemberRule):
    id = "pe.packed-section"
    severity = Severity.LOW
    attack = "T1027.002"  # Obfuscated Files or Information: Software Packing
    description = (
        f"An executable section with entropy above {PACKED_ENTROPY} bits/byte: compressed or encrypted code. "
        "Low alone (some protectors are legitimate); medium when the section is also writable (unpack in place)."
    )

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _pe(record)
        for section in (facts or {}).get("sections", []):
            if not section.get("executable") or section.get("entropy", 0) <= PACKED_ENTROPY:
                continue
            if section.get("raw_size", 0) < PACKED_MIN_RAW:
                continue
            writable = bool(section.get("writable"))
            yield self.finding(
                record.path,
                f"executable section {section['name']!r} has entropy {section['entropy']:.2f} over "
                f"{section['raw_size']} bytes" + (" and is writable" if writable else ""),
                {k: section.get(k) for k in ("name", "raw_offset", "raw_size", "virtual_size", "entropy",
                                             "characteristics", "writable")},
                Severity.MEDIUM if writable else Severity.LOW,
            )


class EntryOutsideCode(MemberRule):
    id = "pe.entry-outside-code"
    severity = Severity.MEDIUM
    attack = "T1574"  # Hijack Execution Flow (e.g. a loader stub added at the entry point)
    description = (
        "The entry point lies outside any section, in a non-executable section, or in a last section added "
        "after the main code (writable or not): where injectors and packers put their stub."
    )

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _pe(record)
        if not facts or not facts.get("entrypoint"):
            return
        sections = facts.get("sections", [])
        index = facts.get("entry_section_index")
        evidence: dict[str, Any] = {"entrypoint": facts["entrypoint"], "entry_section": facts.get("entry_section")}
        if index is None or index >= len(sections):
            yield self.finding(record.path, f"entry point {facts['entrypoint']:#x} is outside every section",
                               evidence)
            return
        section = sections[index]
        evidence["section"] = {k: section.get(k) for k in ("name", "characteristics", "executable", "writable",
                                                            "entropy", "raw_size")}
        evidence["section_index"] = index
        evidence["section_count"] = len(sections)
        if not section.get("executable"):
            yield self.finding(
                record.path,
                f"entry point {facts['entrypoint']:#x} is in non-executable section {section['name']!r}",
                evidence,
            )
        elif index == len(sections) - 1 and section.get("writable") and len(sections) > 1:
            yield self.finding(
                record.path,
                f"entry point {facts['entrypoint']:#x} is in the last section {section['name']!r}, which is "
                "writable and executable",
                evidence,
            )
        elif index == len(sections) - 1 and any(s.get("executable") for s in sections[:index]):
            # Linkers put code first; an entry point in a trailing code section after the main one is
            # what "add a section, point the entry at it" injectors leave behind.
            earlier = next(s["name"] for s in sections[:index] if s.get("executable"))
            yield self.finding(
                record.path,
                f"entry point {facts['entrypoint']:#x} is in the last section {section['name']!r}, an extra code "
                f"section after the main code section {earlier!r}",
                dict(evidence, main_code_section=earlier),
            )


class AppendedData(MemberRule):
    """Data after the sections of a signed file. Bytes after the certificate table are the business of
    ``authenticode.data-after-cert-table`` (high); here it is data *before* the table, which the signature
    covers: signed installers keep their payload there, so low when the signature is valid, medium when
    it is not (nothing vouches for the data)."""

    id = "pe.appended-data"
    severity = Severity.MEDIUM
    attack = "T1027.009"
    description = "A signed PE carries overlay data beyond its sections (outside the certificate table)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _pe(record)
        auth = _auth(record)
        overlay = (facts or {}).get("overlay")
        if not overlay or not auth.get("signed"):
            return
        before = [r for r in overlay.get("regions", []) if not r.get("after_cert_table")]
        size = sum(r["size"] for r in before)
        if not size:
            return
        if overlay.get("all_zero") and size <= 7:
            return  # 8-byte alignment before the certificate table
        valid = auth.get("status") == "valid"
        severity = Severity.LOW if valid else Severity.MEDIUM
        if overlay.get("all_zero") and size <= 4096:
            severity = Severity.INFO
        yield self.finding(
            record.path,
            f"{size} bytes of overlay data after the last section of a signed file"
            + (" (covered by the valid signature)" if valid else f" (signature {auth.get('status')})"),
            {"regions": before, "size": size, "entropy": overlay.get("entropy"), "head_hex": overlay.get("head_hex"),
             "signature_status": auth.get("status")},
            severity,
        )


class ChecksumMismatch(MemberRule):
    id = "pe.checksum-mismatch"
    severity = Severity.LOW
    attack = "T1554"
    description = (
        "A signed file whose stored PE checksum differs from the computed one: release tooling computes it "
        "before signing, so a mismatch means bytes changed afterwards."
    )

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _pe(record)
        checksum = (facts or {}).get("checksum") or {}
        if not _auth(record).get("signed") or not checksum.get("stored") or checksum.get("valid"):
            return
        yield self.finding(
            record.path,
            f"stored PE checksum {checksum['stored']:#x} differs from the computed {checksum['computed']:#x}",
            {"stored": checksum["stored"], "computed": checksum["computed"]},
        )


class TlsCallbacks(MemberRule):
    id = "pe.tls-callbacks"
    severity = Severity.INFO
    attack = "T1546"  # code that runs before the entry point
    description = "TLS callbacks run before the entry point (common in runtimes, also used by loaders)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        callbacks = ((_pe(record) or {}).get("tls_callbacks")) or []
        if callbacks:
            yield self.finding(
                record.path,
                f"{len(callbacks)} TLS callback(s) run before the entry point",
                {"callbacks_rva": callbacks[:32], "count": len(callbacks)},
            )


RULES = [PackedSection(), EntryOutsideCode(), AppendedData(), ChecksumMismatch(), TlsCallbacks()]
