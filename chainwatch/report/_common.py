"""Helpers every renderer shares: safe display of attacker-controlled text, evidence in short form,
ordering of findings, and rule metadata looked up from the rule registry.

Member names, evidence strings and messages come from the artifact under analysis; they may carry
terminal escape sequences, bidi overrides ("Trojan Source") or zero-width characters. ``visible``
turns those into printable escapes before any renderer shows them.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import PurePath
from typing import Any

from chainwatch.models import Finding, Report, Severity

# Characters shown as escapes: C0/C1 controls, format characters (bidi overrides, zero-width joiners),
# line/paragraph separators and unassigned/private code points.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"}

SEVERITY_ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]

VERDICT_WORDS = {
    "clean": "nothing at or above the reporting threshold",
    "suspicious": "needs a human look before you trust it",
    "malicious": "do not install or run",
}


def visible(text: object, keep_newlines: bool = False) -> str:
    """Return ``text`` with invisible or terminal-controlling characters written as ``\\xNN``/``\\uNNNN``."""
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def to_jsonable(value: Any) -> Any:
    """Make evidence JSON-able without losing what it says: bytes become hex, sets sorted lists."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        items = [to_jsonable(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    return str(value)


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` hook: only called for values json cannot encode itself."""
    converted = to_jsonable(value)
    if converted is value:  # pragma: no cover - to_jsonable always converts unknown objects to str
        return str(value)
    return converted


def display_value(value: Any, limit: int = 48) -> str:
    """One value in short, readable form: hex for bytes, counts for long collections."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        text = raw[:24].hex(" ") + (f" … ({len(raw)} bytes)" if len(raw) > 24 else "")
        return text
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "—"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{visible(k)}={display_value(v, 16)}" for k, v in list(value.items())[:3])
        return truncate("{" + inner + (", …" if len(value) > 3 else "") + "}", limit)
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if not items:
            return "[]"
        if all(isinstance(i, Mapping) and "value" in i for i in items):  # facts like [{"value", "offset"}]
            items = [i["value"] for i in items]
        if all(isinstance(i, str | int | float) for i in items):
            shown = ", ".join(visible(display_value(i, limit)) for i in items[:3])
            return truncate(shown + (f" (+{len(items) - 3})" if len(items) > 3 else ""), limit)
        return f"[{len(items)} item{'s' if len(items) != 1 else ''}]"
    return truncate(visible(value), limit)


# Evidence keys that tell the most in one glance come first in the short form.
_KEY_PRIORITY = (
    "before", "after", "old", "new", "value", "match", "indicator", "domain", "url", "ip", "offset", "length",
    "size", "entropy", "signer", "subject", "thumbprint", "sha256",
)


def short_evidence(evidence: Mapping[str, Any] | None, max_items: int = 3, limit: int = 80, sep: str = ", ") -> str:
    """Key evidence in short form, e.g. ``offset=0x1a2b0, length=2048, entropy=7.98``."""
    if not evidence:
        return ""
    original = list(evidence)
    keys = sorted(original, key=lambda k: (_KEY_PRIORITY.index(k) if k in _KEY_PRIORITY else len(_KEY_PRIORITY),
                                           original.index(k)))
    parts = []
    for key in keys[:max_items]:
        value = evidence[key]
        if isinstance(value, int) and not isinstance(value, bool) and "offset" in key.lower():
            shown = hex(value)
        else:
            shown = display_value(value, limit)
        parts.append(truncate(f"{visible(key)}={shown}", limit))
    text = sep.join(parts)
    if len(keys) > max_items:
        text += f"{sep}(+{len(keys) - max_items} more)"
    return text


def finding_sort_key(finding: Finding) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.path, finding.rule)


def ranked_findings(report: Report) -> list[Finding]:
    """Findings most severe first, then by member path, then rule id (stable for snapshots and diffs)."""
    return sorted(report.findings, key=finding_sort_key)


def group_by_path(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by member, members ordered by their worst finding."""
    groups: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=finding_sort_key):
        groups.setdefault(f.path, []).append(f)
    return groups


def human_size(size: int | float | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


def unpacked_bytes(stats: Mapping[str, Any]) -> int | None:
    """Unpacked bytes from a report's stats (the engine writes ``unpacked_bytes``; ``bytes`` is accepted)."""
    value = stats.get("unpacked_bytes", stats.get("bytes"))
    return int(value) if isinstance(value, int | float) else None


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts = {s: 0 for s in SEVERITY_ORDER}
    for f in findings:
        counts[f.severity] += 1
    return counts


@dataclasses.dataclass(frozen=True)
class RuleInfo:
    id: str
    description: str = ""
    severity: Severity | None = None
    attack: str | None = None


@cache
def _rule_catalog() -> dict[str, RuleInfo]:
    """Rule metadata from the registry; empty when rules cannot be loaded (renderers must still work)."""
    try:
        from chainwatch import registry

        rules = list(registry.member_rules()) + list(registry.inventory_rules())
    except Exception:  # a broken rule module must not stop a report from rendering
        return {}
    catalog: dict[str, RuleInfo] = {}
    for rule in rules:
        rule_id = getattr(rule, "id", "")
        if rule_id and rule_id not in catalog:
            sev = getattr(rule, "severity", None)
            catalog[rule_id] = RuleInfo(
                id=rule_id,
                description=str(getattr(rule, "description", "") or ""),
                severity=Severity.parse(sev) if sev else None,
                attack=getattr(rule, "attack", None),
            )
    return catalog


def rule_info(rule_id: str) -> RuleInfo:
    return _rule_catalog().get(rule_id, RuleInfo(id=rule_id))


def attack_url(technique: str) -> str | None:
    """MITRE ATT&CK page of a technique id such as ``T1574.002``."""
    t = technique.strip().upper()
    if not t.startswith("T") or not t[1:].replace(".", "").isdigit():
        return None
    return "https://attack.mitre.org/techniques/" + t.replace(".", "/") + "/"
