"""Value types shared by every stage: members, findings, errors, reports.

The JSON contract (``Report.to_dict``) is relied upon by other tools: extend it, never break it.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from chainwatch._version import __version__


class Severity(enum.StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        return value if isinstance(value, Severity) else cls(str(value).lower())

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Verdict(enum.StrEnum):
    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    MALICIOUS = "malicious"


@dataclass(frozen=True)
class Finding:
    """One reason to look at a member, with the evidence a person can check."""

    rule: str
    severity: Severity
    path: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    attack: str | None = None  # MITRE ATT&CK technique id, e.g. "T1574.002"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "evidence": self.evidence,
        }
        if self.attack:
            out["attack"] = self.attack
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=data["rule"],
            severity=Severity.parse(data["severity"]),
            path=data.get("path", ""),
            message=data.get("message", ""),
            evidence=dict(data.get("evidence") or {}),
            attack=data.get("attack"),
        )


@dataclass(frozen=True)
class ScanError:
    """Something that could not be read or was cut short; the scan goes on without it."""

    path: str
    message: str
    kind: str = "error"  # "limit", "unreadable", "password", "timeout", "unsafe-path", "link", "error"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanError:
        return cls(path=data["path"], message=data["message"], kind=data.get("kind", "error"))


@dataclass
class MemberRecord:
    """Inventory entry: what one file inside the artifact is, by content."""

    path: str  # logical path, e.g. "3cx.msi!/APPDIR/ffmpeg.dll"
    size: int
    type: str  # e.g. "pe", "pe/dotnet", "elf", "macho", "macho/fat", "script/python", "archive/zip"
    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    tlsh: str | None = None
    entropy: float = 0.0
    depth: int = 0
    parent: str | None = None
    container: bool = False  # True when chainwatch opened it and its members are in the inventory
    features: dict[str, Any] = field(default_factory=dict)  # analyzer name -> facts (JSON-able)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemberRecord:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def name(self) -> str:
        """Base name of the member (last path component after the last '!/' or '/')."""
        tail = self.path.rsplit("!/", 1)[-1]
        return tail.rsplit("/", 1)[-1]

    @property
    def inner_path(self) -> str:
        """Path inside its innermost container (after the last '!/')."""
        return self.path.rsplit("!/", 1)[-1]


@dataclass(frozen=True)
class ScoreItem:
    """How many points one finding added to the score (points sum to the score)."""

    rule: str
    path: str
    severity: Severity
    points: int

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "path": self.path, "severity": self.severity.value, "points": self.points}


@dataclass
class Report:
    """The result document of a scan; every renderer reads only this."""

    target: str
    verdict: Verdict = Verdict.CLEAN
    score: int = 0
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    inventory: list[MemberRecord] = field(default_factory=list)
    score_breakdown: list[ScoreItem] = field(default_factory=list)
    artifact: dict[str, Any] = field(default_factory=dict)  # name, version, sha256, size, type
    stats: dict[str, Any] = field(default_factory=dict)  # members, bytes, seconds
    extra: dict[str, Any] = field(default_factory=dict)  # command-specific sections (e.g. "changes")
    command: str = "scan"

    def to_dict(self, include_inventory: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tool": "chainwatch",
            "version": __version__,
            "command": self.command,
            "target": self.target,
            "verdict": self.verdict.value,
            "score": self.score,
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "score_breakdown": [s.to_dict() for s in self.score_breakdown],
            "artifact": self.artifact,
            "stats": self.stats,
        }
        out.update(self.extra)
        if include_inventory:
            out["inventory"] = [m.to_dict() for m in self.inventory]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        core = {
            "tool", "version", "command", "target", "verdict", "score", "findings", "errors",
            "score_breakdown", "artifact", "stats", "inventory",
        }
        return cls(
            target=data["target"],
            verdict=Verdict(data.get("verdict", "clean")),
            score=int(data.get("score", 0)),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            errors=[ScanError.from_dict(e) for e in data.get("errors", [])],
            inventory=[MemberRecord.from_dict(m) for m in data.get("inventory", [])],
            score_breakdown=[
                ScoreItem(s["rule"], s["path"], Severity.parse(s["severity"]), int(s["points"]))
                for s in data.get("score_breakdown", [])
            ],
            artifact=dict(data.get("artifact") or {}),
            stats=dict(data.get("stats") or {}),
            extra={k: v for k, v in data.items() if k not in core},
            command=data.get("command", "scan"),
        )

    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)
