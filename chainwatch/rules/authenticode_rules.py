"""Authenticode findings: data hidden in or after the certificate table, modified or badly signed files.

Severities are chosen so that an unmodified upstream file never scores above ``low``: every signed PE
in the development corpus has only 0-7 zero bytes of alignment after its PKCS#7 blob and nothing after
the table, and all of its signatures verify to a shipped root.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule

ALIGNMENT_SLACK = 7
# Publishers whose name on a self-signed certificate is an impersonation attempt, not a hobby project.
WELL_KNOWN_PUBLISHERS = (
    "microsoft", "google", "apple", "adobe", "mozilla", "oracle", "intel", "nvidia", "amd", "vmware", "cisco",
    "citrix", "dell", "hewlett", "lenovo", "3cx", "solarwinds", "zoom", "slack", "github", "jetbrains",
)


def _facts(record: MemberRecord) -> dict[str, Any] | None:
    facts = record.features.get("authenticode")
    return facts if isinstance(facts, dict) and facts.get("signed") else None


def _slack_suspicious(slack: dict[str, Any] | None) -> bool:
    return slack is not None and not (slack.get("all_zero") and slack.get("length", 0) <= ALIGNMENT_SLACK)


class CertTableSlack(MemberRule):
    id = "authenticode.cert-table-slack"
    severity = Severity.HIGH
    attack = "T1027.009"  # Obfuscated Files or Information: Embedded Payloads
    description = (
        "Bytes inside the certificate table that the PKCS#7 signature does not cover (beyond <= 7 zero "
        "alignment bytes). The Authenticode digest skips the table, so the signature stays valid: this is "
        "how 3CX's d3dcompiler_47.dll carried its encrypted payload (SigFlip layout, CVE-2013-3900)."
    )

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _facts(record)
        table = (facts or {}).get("cert_table") or {}
        regions = [(entry, entry.get("slack")) for entry in table.get("entries", [])]
        regions.append((None, table.get("trailing")))
        for entry, slack in regions:
            if not _slack_suspicious(slack):
                continue
            if slack["sigflip_tag"]:
                severity, what = Severity.CRITICAL, "with the SigFlip tag FE ED FA CE FE ED FA CE"
            elif not slack["all_zero"]:
                severity, what = Severity.HIGH, f"of non-zero data (entropy {slack['entropy']:.2f} bits/byte)"
            else:
                severity, what = Severity.LOW, "of zero bytes (more than alignment needs)"
            where = "inside WIN_CERTIFICATE entry" if entry else "in the certificate table after its last entry"
            evidence = {
                "offset": slack["offset"],
                "length": slack["length"],
                "entropy": slack["entropy"],
                "all_zero": slack["all_zero"],
                "sigflip_tag": slack["sigflip_tag"],
                "sigflip_tag_offset": slack.get("sigflip_tag_offset"),
                "head_hex": slack.get("head_hex"),
                "entry_offset": entry["offset"] if entry else None,
                "entry_length": entry["length"] if entry else None,
                "pkcs7_length": entry.get("pkcs7_length") if entry else None,
                "signature_status": facts["status"] if facts else None,
            }
            yield self.finding(
                record.path,
                f"{slack['length']} bytes {what} hidden {where} at offset {slack['offset']:#x}, after the "
                f"PKCS#7 signature; the signature is {evidence['signature_status']} because the digest skips "
                "the certificate table",
                evidence,
                severity,
            )


class DataAfterCertTable(MemberRule):
    id = "authenticode.data-after-cert-table"
    severity = Severity.HIGH
    attack = "T1027.009"
    description = (
        "Non-zero bytes after the certificate table: added after signing. Verifiers disagree on whether they "
        "count (LIEF and chainwatch hash them, so the digest breaks; some loaders skip them)."
    )

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _facts(record)
        after = ((facts or {}).get("cert_table") or {}).get("data_after_table")
        if not after or after.get("all_zero"):
            return
        severity = Severity.CRITICAL if after.get("sigflip_tag") else Severity.HIGH
        yield self.finding(
            record.path,
            f"{after['size']} bytes (entropy {after['entropy']:.2f}) follow the certificate table at "
            f"{after['offset']:#x}: appended after signing (signing tools end the file with the table)",
            dict(after, signature_status=facts["status"] if facts else None),
            severity,
        )


class CertTableNotAtEnd(MemberRule):
    id = "authenticode.cert-table-not-at-end"
    severity = Severity.MEDIUM
    attack = "T1027"
    description = (
        "The certificate table is not where signing tools put it (after the sections, at the end of the file)."
    )

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _facts(record)
        table = (facts or {}).get("cert_table") or {}
        if not table:
            return
        evidence = {"offset": table.get("offset"), "size": table.get("size")}
        if table.get("overlaps_image"):
            yield self.finding(record.path, f"the certificate table at {table['offset']:#x} overlaps section data",
                               dict(evidence, overlaps_image=True), Severity.MEDIUM)
        after = table.get("data_after_table")
        if after and after.get("all_zero"):  # non-zero data is reported by data-after-cert-table
            yield self.finding(
                record.path,
                f"the certificate table is followed by {after['size']} zero bytes instead of ending the file",
                dict(evidence, data_after=after), Severity.LOW,
            )


class DigestMismatch(MemberRule):
    id = "authenticode.digest-mismatch"
    severity = Severity.HIGH
    attack = "T1554"  # Compromise Host Software Binary
    description = "The file's Authenticode digest differs from the signed one: it was modified after signing."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _facts(record)
        for sig in (facts or {}).get("signatures", []):
            if sig.get("parse_error") or sig.get("digest_matches") or sig.get("computed_digest") is None:
                continue
            yield self.finding(
                record.path,
                f"signed by {sig.get('signer_subject')} but modified after signing: the "
                f"{sig.get('digest_algorithm')} Authenticode digest no longer matches",
                {
                    "signer_subject": sig.get("signer_subject"),
                    "digest_algorithm": sig.get("digest_algorithm"),
                    "signed_digest": sig.get("signed_digest"),
                    "computed_digest": sig.get("computed_digest"),
                    "nested": sig.get("nested"),
                },
            )


class BadSignature(MemberRule):
    id = "authenticode.bad-signature"
    severity = Severity.HIGH
    attack = "T1553.002"  # Subvert Trust Controls: Code Signing
    description = "A signature that does not verify or cannot be parsed (forged, corrupted or truncated)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _facts(record)
        if not facts:
            return
        if facts.get("problem"):
            yield self.finding(record.path, f"broken signature: {facts['problem']}",
                               {"cert_table": facts.get("cert_table"), "problem": facts["problem"]})
        for sig in facts.get("signatures", []):
            if sig.get("parse_error"):
                yield self.finding(record.path, f"unparseable signature: {sig['parse_error']}",
                                   {"parse_error": sig["parse_error"], "nested": sig.get("nested")})
            elif not sig.get("signature_valid"):
                yield self.finding(
                    record.path,
                    f"the signature of {sig.get('signer_subject')} does not verify: {sig.get('signature_problem')}",
                    {
                        "signer_subject": sig.get("signer_subject"),
                        "problem": sig.get("signature_problem"),
                        "message_digest_matches": sig.get("message_digest_matches"),
                        "thumbprint_sha256": sig.get("thumbprint_sha256"),
                        "nested": sig.get("nested"),
                    },
                )
        for entry in (facts.get("cert_table") or {}).get("entries", []):
            if entry.get("type") != 2 or entry.get("error"):
                yield self.finding(
                    record.path,
                    f"WIN_CERTIFICATE entry at {entry['offset']:#x} is not a PKCS#7 signature "
                    f"(type {entry.get('type')}, {entry.get('error') or 'unexpected type'})",
                    {"entry": entry}, Severity.MEDIUM,
                )


class UntrustedChain(MemberRule):
    """Medium by default: an unknown CA or a self-signed certificate proves nothing either way, and some
    open-source projects self-sign. High when a self-signed certificate claims a well-known publisher's
    name, because that is impersonation rather than thrift."""

    id = "authenticode.untrusted-chain"
    severity = Severity.MEDIUM
    attack = "T1553.002"
    description = "The signature verifies but its certificate chain does not reach a trusted code-signing root."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _facts(record)
        if not facts or facts.get("status") != "untrusted":
            return
        for sig in facts.get("signatures", []):
            if sig.get("chain_trusted") or sig.get("parse_error") or not sig.get("signature_valid"):
                continue
            subject = (sig.get("signer_subject") or "").lower()
            impersonation = bool(sig.get("self_signed")) and any(w in subject for w in WELL_KNOWN_PUBLISHERS)
            kind = "self-signed certificate" if sig.get("self_signed") else "certificate from an untrusted CA"
            yield self.finding(
                record.path,
                f"signed with a {kind} ({sig.get('signer_subject')}): {sig.get('chain_problem')}"
                + ("; the name claims a well-known publisher" if impersonation else ""),
                {
                    "signer_subject": sig.get("signer_subject"),
                    "signer_issuer": sig.get("signer_issuer"),
                    "thumbprint_sha256": sig.get("thumbprint_sha256"),
                    "chain": sig.get("chain"),
                    "problem": sig.get("chain_problem"),
                    "self_signed": sig.get("self_signed"),
                    "nested": sig.get("nested"),
                },
                Severity.HIGH if impersonation else Severity.MEDIUM,
            )


RULES = [CertTableSlack(), DataAfterCertTable(), CertTableNotAtEnd(), DigestMismatch(), BadSignature(),
         UntrustedChain()]
