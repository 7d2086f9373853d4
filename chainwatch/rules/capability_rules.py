"""Findings from capabilities (``features["capabilities"]``): one rule per capability, plus combinations.

A single capability is info when benign software commonly has it (IsDebuggerPresent is in every MSVC
runtime) and low otherwise. Only combinations go higher: 3CX's ``ffmpeg.dll`` read a sibling file, looked
for the ``FE ED FA CE`` tag, RC4-decrypted what followed, made it executable and jumped to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainwatch.binary.capabilities import CapabilityInfo, rule_infos
from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule


def capabilities_of(record: MemberRecord) -> dict[str, dict[str, Any]]:
    """Capabilities by id (accepts the analyzer's ``{"items": [...]}`` or a bare list)."""
    facts = record.features.get("capabilities")
    items = facts.get("items", []) if isinstance(facts, dict) else facts if isinstance(facts, list) else []
    return {c["id"]: c for c in items if isinstance(c, dict) and "id" in c}


class CapabilityRule(MemberRule):
    """``capability.<id>``: the member has this capability (info if common, else low)."""

    def __init__(self, info: CapabilityInfo) -> None:
        self.info = info
        self.id = f"capability.{info.id}"
        self.severity = Severity.INFO if info.common else Severity.LOW
        self.description = info.name
        self.attack = info.attack or None

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        cap = capabilities_of(record).get(self.info.id)
        if cap:
            yield self.finding(record.path, f"capability: {cap['name']}", cap["evidence"])


class LoaderChain(MemberRule):
    """Executable memory + a payload located in data (file or marker) + a decryption loop, in one file."""

    id = "capability.loader-chain"
    severity = Severity.HIGH
    description = (
        "One file makes memory executable, locates a payload by a marker or in another file, and has a "
        "decryption loop: the shape of the 3CX ffmpeg.dll loader (SigFlip-style)."
    )
    attack = "T1027.009"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        caps = capabilities_of(record)
        if "exec-memory" not in caps:
            return
        decrypt = [c for c in ("crypto-rc4", "crypto-xor") if c in caps]
        locate = [c for c in ("payload-marker-search", "payload-from-file") if c in caps]
        if not decrypt or not locate:
            return
        severity = Severity.HIGH if "payload-marker-search" in caps else Severity.MEDIUM
        parts = ["exec-memory", *locate, *decrypt]
        yield self.finding(
            record.path,
            "loader shape: " + " + ".join(parts),
            {"capabilities": {p: caps[p]["evidence"] for p in parts}},
            severity=severity,
        )


RULES: list[MemberRule] = [CapabilityRule(info) for info in sorted(rule_infos().values(), key=lambda i: i.id)]
RULES.append(LoaderChain())
