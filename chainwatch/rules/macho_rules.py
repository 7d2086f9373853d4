"""Single-file findings from Mach-O facts (``features["macho"]``).

Unsigned and ad-hoc/linker-signed slices are normal in wheels (info). Pages that no longer match their
CodeDirectory hashes, or a CMS signature over a different CodeDirectory, mean bytes changed after signing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule


def _slices(record: MemberRecord) -> list[dict[str, Any]]:
    facts = record.features.get("macho")
    if not isinstance(facts, dict):
        return []
    return [s for s in facts.get("slices", []) if isinstance(s, dict) and "arch" in s]


class Unsigned(MemberRule):
    id = "macho.unsigned"
    severity = Severity.INFO
    description = "A Mach-O slice has no code signature (normal for x86_64 wheels)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        archs = [s["arch"] for s in _slices(record) if s.get("codesign", {}).get("kind") == "none"]
        if archs:
            yield self.finding(record.path, f"no code signature on slice(s) {', '.join(archs)}", {"slices": archs})


class AdhocSigned(MemberRule):
    id = "macho.adhoc-signed"
    severity = Severity.INFO
    description = "A Mach-O slice is only ad-hoc or linker-signed (no signer identity)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        hits = [
            {"arch": s["arch"], "kind": s["codesign"]["kind"], "cdhash": s["codesign"].get("cdhash"),
             "identifier": s["codesign"].get("identifier")}
            for s in _slices(record)
            if s.get("codesign", {}).get("kind") in ("adhoc", "linker-signed")
        ]
        if hits:
            kinds = sorted({h["kind"] for h in hits})
            yield self.finding(record.path, f"{'/'.join(kinds)} signature only (no Developer ID)", {"slices": hits})


class SignedIdentity(MemberRule):
    id = "macho.signed"
    severity = Severity.INFO
    description = "A Mach-O slice carries a CMS signature with a signer identity (Developer ID or other)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        hits = [
            {"arch": s["arch"], "kind": s["codesign"]["kind"], "identity": s["codesign"].get("identity"),
             "team_id": s["codesign"].get("team_id"), "signing_time": s["codesign"].get("signing_time"),
             "cdhash": s["codesign"].get("cdhash")}
            for s in _slices(record)
            if s.get("codesign", {}).get("kind") in ("developer-id", "other") and s["codesign"].get("identity")
        ]
        if hits:
            yield self.finding(record.path, f"signed by {hits[0]['identity']}", {"slices": hits})


class SignatureMismatch(MemberRule):
    id = "macho.signature-mismatch"
    severity = Severity.MEDIUM
    description = "Code pages or the CodeDirectory no longer match the embedded signature (modified after signing)."
    attack = "T1554"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        for s in _slices(record):
            cs = s.get("codesign", {})
            pages = cs.get("code_hashes") or {}
            cms_ok = (cs.get("cms") or {}).get("cd_digest_matches")
            if pages.get("mismatched") or cms_ok is False:
                message = (
                    f"{s['arch']} slice: {pages.get('mismatched', 0)} of {pages.get('checked', 0)} code pages "
                    "differ from their signed hashes"
                )
                if cms_ok is False:
                    message += "; the CMS signature covers a different CodeDirectory"
                yield self.finding(
                    record.path,
                    message,
                    {"arch": s["arch"], "code_hashes": pages, "cms_cd_digest_matches": cms_ok,
                     "kind": cs.get("kind"), "cdhash": cs.get("cdhash")},
                )


class RwxSegment(MemberRule):
    id = "macho.rwx-segment"
    severity = Severity.INFO
    description = "A segment is mapped read-write-execute."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        for s in _slices(record):
            if s.get("rwx_segments"):
                yield self.finding(record.path, f"{s['arch']} slice maps {', '.join(s['rwx_segments'])} as rwx",
                                   {"arch": s["arch"], "segments": s["rwx_segments"]})


RULES = [Unsigned(), AdhocSigned(), SignedIdentity(), SignatureMismatch(), RwxSegment()]
