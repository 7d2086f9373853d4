"""Signature deltas: hidden data in the certificate table, signatures lost, broken or changing hands."""

from __future__ import annotations

from collections.abc import Iterable

from chainwatch.diff import facts as F
from chainwatch.diff.rules.interface import DeltaRule, DiffContext
from chainwatch.models import Finding, MemberRecord, Severity


class CertTableSlack(DeltaRule):
    id = "diff.cert-table-slack"
    severity = Severity.HIGH
    description = "Data appeared or grew inside/after the Authenticode certificate table (3CX d3dcompiler_47.dll)."
    attack = "T1027.009"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if new is None or not F.feat(new, "authenticode"):
            return
        after = F.cert_slack(new)
        before = F.cert_slack(old) if old is not None else {"bytes": 0}
        if after["bytes"] <= before.get("bytes", 0):
            return
        sev = Severity.CRITICAL if after["sigflip_tag"] or (F.signature_status(new) == "valid" and after["bytes"] > 64
                                                          and after["entropy"] > 6.0) else Severity.HIGH
        tag = " It starts with the SigFlip tag FEEDFACE." if after["sigflip_tag"] else ""
        valid = " The signature still verifies, so Windows shows the file as validly signed." \
            if F.signature_status(new) == "valid" else ""
        what = "appeared in" if before.get("bytes", 0) == 0 else "grew in"
        yield self.delta_finding(
            new, old, f"{after['bytes']} bytes of data {what} the certificate table of {new.name}, outside the "
                      f"signed content (entropy {after['entropy']}): a payload hidden in a signed file, as in the 3CX "
                      f"d3dcompiler_47.dll.{tag}{valid}",
            before=before, after=after, severity=sev, signer=F.signer(new),
        )


class SignatureLost(DeltaRule):
    id = "diff.signature-lost"
    severity = Severity.HIGH
    description = "A member that was signed is now unsigned, broken or untrusted."
    attack = "T1553.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or old.sha256 == new.sha256:
            return
        a, b = F.signature_status(old), F.signature_status(new)
        if a == "valid" and b in ("unsigned", "broken", "untrusted"):
            sev = Severity.MEDIUM if b == "untrusted" else Severity.HIGH
            words = {"unsigned": "is no longer signed", "broken": "has a broken signature (the file was modified "
                     "after signing)", "untrusted": "is signed by a chain that is no longer trusted"}[b]
            yield self.delta_finding(new, old, f"{new.name} was validly signed by {F.signer(old)} and now {words}",
                                     before={"status": a, "signer": F.signer(old)},
                                     after={"status": b, "signer": F.signer(new)}, severity=sev)
        ka, kb = F.macho_sign_kind(old), F.macho_sign_kind(new)
        if ka == "developer-id" and kb in ("none", "adhoc", None) and F.feat(new, "macho"):
            yield self.delta_finding(new, old, f"{new.name} lost its Developer ID signature (now {kb or 'unsigned'})",
                                     before=ka, after=kb)


def _serial(record: MemberRecord | None) -> str | None:
    sigs = F.signatures(record)
    return str(sigs[0].get("serial")) if sigs and sigs[0].get("serial") else None


class SignerChanged(DeltaRule):
    id = "diff.signer-changed"
    severity = Severity.HIGH
    description = "The signer of a member changed (subject or Team ID); a new certificate serial is noted."
    attack = "T1553.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or old.sha256 == new.sha256:
            return
        a, b = F.signer(old), F.signer(new)
        if a and b and a != b:
            yield self.delta_finding(new, old, f"{new.name} is now signed by {b!r} instead of {a!r}",
                                     before=a, after=b)
            return
        ta, tb = F.macho_team_id(old), F.macho_team_id(new)
        if ta and tb and ta != tb:
            yield self.delta_finding(new, old, f"{new.name} Team ID changed from {ta} to {tb}", before=ta, after=tb)
            return
        sa, sb = _serial(old), _serial(new)
        if a and a == b and sa and sb and sa != sb:
            yield self.delta_finding(new, old, f"{new.name} is signed by the same subject with a different "
                                               f"certificate (serial {sa} -> {sb}); usual after a renewal",
                                     before=sa, after=sb, severity=Severity.INFO, signer=b)


class SiblingSignerNew(DeltaRule):
    id = "diff.sibling-signer-new"
    severity = Severity.MEDIUM
    description = "A signed member sits next to files signed by someone no file of the previous release was."
    attack = "T1553.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if new is None or (old is not None and old.sha256 == new.sha256):
            return
        b = F.signer(new)
        if not b:
            return
        old_signers = {F.signer(r) for r in ctx.old_inventory} - {None}
        if not old_signers or b in old_signers:
            return
        siblings_signed = {s for r in ctx.new_siblings(new) if (s := F.signer(r)) is not None and s != b}
        if not siblings_signed:
            return
        yield self.delta_finding(
            new, old, f"{new.name} is signed by {b!r}, a signer no file of the previous release had, while its "
                      f"siblings are signed by {', '.join(sorted(siblings_signed))}",
            before=sorted(old_signers), after=b, siblings=sorted(siblings_signed),
        )


RULES = [CertTableSlack(), SignatureLost(), SignerChanged(), SiblingSignerNew()]
