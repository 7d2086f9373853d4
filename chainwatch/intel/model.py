"""The indicator model shared by intel import/export, file hunting and log hunting."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from chainwatch.models import Severity


class IndicatorKind(enum.StrEnum):
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    FILENAME = "filename"  # regex on the file name / path (signature-base filename IOCs)
    DOMAIN = "domain"  # matches the domain and its subdomains
    IP = "ip"
    CIDR = "cidr"
    URL = "url"  # full URL or URL prefix
    URL_PATH = "url-path"  # path part only, e.g. "/IconStorages/images/main/icon"
    CERT_SERIAL = "cert-serial"
    CERT_THUMBPRINT = "cert-thumbprint"
    SIGNER = "signer"  # signer subject / name
    YARA = "yara"  # value = rule source text
    MUTEX = "mutex"  # mutex / event / named pipe names
    JA3 = "ja3"
    EMAIL = "email"
    SOFTWARE = "software"  # value "<product id>@<version>": an affected release of installed software
    KEYWORD = "keyword"  # plain string expected inside files or logs (signature-base keywords.txt)


HASH_KINDS = frozenset({IndicatorKind.MD5, IndicatorKind.SHA1, IndicatorKind.SHA256})
_HASH_BY_LENGTH = {32: IndicatorKind.MD5, 40: IndicatorKind.SHA1, 64: IndicatorKind.SHA256}
_HEX = frozenset("0123456789abcdef")


def hash_kind(value: str) -> IndicatorKind | None:
    """md5/sha1/sha256 by the length of a hex digest, or None when it is no hash."""
    v = value.strip().lower()
    kind = _HASH_BY_LENGTH.get(len(v))
    return kind if kind is not None and set(v) <= _HEX else None


def normalize_value(kind: IndicatorKind, value: str) -> str:
    """The canonical form stored and matched: lowercase hashes/domains, no trailing dot, no colons in serials."""
    v = value.strip()
    if kind in HASH_KINDS or kind in (IndicatorKind.CERT_THUMBPRINT, IndicatorKind.JA3):
        return v.lower().replace(":", "").replace(" ", "")
    if kind == IndicatorKind.CERT_SERIAL:
        return v.lower().replace(":", "").replace(" ", "").lstrip("0") or "0"
    if kind == IndicatorKind.DOMAIN:
        return v.lower().rstrip(".").replace("[.]", ".")
    if kind in (IndicatorKind.IP, IndicatorKind.CIDR, IndicatorKind.EMAIL):
        return v.lower().replace("[.]", ".").replace("[@]", "@")
    if kind == IndicatorKind.URL:
        return v.replace("hxxp", "http").replace("[.]", ".").replace("[:]", ":")
    if kind == IndicatorKind.SOFTWARE:
        return v.lower()
    return v


@dataclass(frozen=True)
class Indicator:
    kind: IndicatorKind
    value: str  # normalised: lowercase hashes/domains, no trailing dot
    source: str  # where it came from: "builtin:3cx", "signature-base:iocs/hash-iocs.txt", a STIX bundle name
    score: int = 75  # 0-100 confidence that a hit is malicious
    description: str = ""
    campaign: str | None = None
    first_seen: str | None = None  # ISO 8601
    last_seen: str | None = None
    expires: str | None = None
    reference: str | None = None  # URL of the public report the fact comes from
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. fp-regex for filename IOCs

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity used for de-duplication in the store."""
        return (self.kind.value, self.value, self.source)

    def is_expired(self, now_iso: str) -> bool:
        return bool(self.expires) and str(self.expires) < now_iso

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Indicator:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        values["kind"] = IndicatorKind(values["kind"])
        return cls(**values)


def severity_for_score(score: int) -> Severity:
    """Severity of a hit on an indicator with this confidence (0-100): one scale for files and logs."""
    if score >= 90:
        return Severity.CRITICAL
    if score >= 70:
        return Severity.HIGH
    if score >= 45:
        return Severity.MEDIUM
    if score >= 20:
        return Severity.LOW
    return Severity.INFO
