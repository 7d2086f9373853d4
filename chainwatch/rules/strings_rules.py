"""Findings from network indicators and decoded strings (``features["strings"]``).

Alone these are info/low: most binaries embed a homepage or a CRL URL. An indicator that was hidden
(single-byte XOR, base64) is worth a look, which is what 3CX's macOS dylib did with XOR 0x7a.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule

_BINARY_TYPES = ("pe", "elf", "macho")
_NETWORK_KINDS = ("urls", "domains", "ips")


def _strings(record: MemberRecord) -> dict[str, Any] | None:
    facts = record.features.get("strings")
    return facts if isinstance(facts, dict) else None


def _is_binary(record: MemberRecord) -> bool:
    return record.type.split("/", 1)[0] in _BINARY_TYPES


class NetworkIndicators(MemberRule):
    id = "strings.network-indicators"
    severity = Severity.INFO
    description = "A binary embeds URLs, domains or IP addresses."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _strings(record)
        if not facts or not _is_binary(record):
            return
        found = {k: facts.get(k, [])[:25] for k in _NETWORK_KINDS if facts.get(k)}
        if found:
            counts = ", ".join(f"{len(facts[k])} {k}" for k in found)
            yield self.finding(record.path, f"network indicators in the binary: {counts}", found)


class EncodedIndicator(MemberRule):
    id = "strings.encoded-indicator"
    severity = Severity.LOW
    description = "A URL, domain, address or user agent is stored XOR- or base64-encoded."
    attack = "T1027"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _strings(record)
        if not facts:
            return
        decoded = [d for d in facts.get("decoded", []) if d.get("indicators")]
        if decoded:
            encodings = sorted({d["encoding"] for d in decoded})
            yield self.finding(
                record.path,
                f"{len(decoded)} hidden string(s) with network indicators ({', '.join(encodings)}), "
                f"first at offset {decoded[0]['offset']}: {decoded[0]['value'][:120]!r}",
                {"decoded": decoded[:25]},
            )


class WalletAddress(MemberRule):
    id = "strings.wallet-address"
    severity = Severity.LOW
    description = "A cryptocurrency wallet address (checksum-valid where the format has one)."
    attack = "T1657"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _strings(record)
        wallets = facts.get("wallets") if facts else None
        if wallets:
            message = f"{len(wallets)} cryptocurrency wallet address(es)"
            yield self.finding(record.path, message, {"wallets": wallets[:25]})


class UserAgent(MemberRule):
    id = "strings.user-agent"
    severity = Severity.INFO
    description = "A binary carries an HTTP user-agent string (it speaks HTTP itself)."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _strings(record)
        agents = facts.get("user_agents") if facts else None
        if agents and _is_binary(record):
            yield self.finding(record.path, f"user agent {agents[0]['value'][:100]!r}", {"user_agents": agents[:10]})


RULES = [NetworkIndicators(), EncodedIndicator(), WalletAddress(), UserAgent()]
