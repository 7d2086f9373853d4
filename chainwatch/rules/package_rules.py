"""Package rules: judge the ``package`` facts of a PyPI/npm package (see ``chainwatch.packages.judge``).

Rule ids emitted: package.exfiltration, package.download-exec, package.decoded-exec,
package.install-downloader, package.bot-token-endpoint, package.hidden-code, package.stealer,
package.install-network, package.install-exec, package.install-beacon, package.obfuscated-code,
package.persistence, package.shady-endpoint, package.typosquat, package.dependency-typosquat,
package.install-hook, package.embedded-executable, package.odd-version, package.empty-metadata,
package.capability, package.text-only, package.clipboard-hijack, package.bin-hijack.
"""

from __future__ import annotations

from collections.abc import Iterable

from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule


class PackageJudgement(MemberRule):
    id = "package"
    severity = Severity.INFO
    description = ("Combines package signals (install/import-time reach, source-to-sink flows, decoded payloads, "
                   "shady endpoints, typosquatting) into findings; single risky capabilities stay low/info.")
    attack = "T1195.002"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts_dict = record.features.get("package")
        if not facts_dict:
            return []
        from chainwatch.packages.analyze import PackageFacts
        from chainwatch.packages.judge import judge

        facts = PackageFacts.from_dict(facts_dict)
        base = record.path
        prefix = facts_dict.get("prefix") or ""
        joiner = "/" if record.type == "directory" else "!/"
        findings = judge(facts, base_path="")
        out = []
        for f in findings:
            inner = f.path
            path = f"{base}{joiner}{prefix}{inner}" if inner else base
            out.append(Finding(rule=f.rule, severity=f.severity, path=path, message=f.message, evidence=f.evidence,
                               attack=f.attack))
        return out


RULES = [PackageJudgement()]
