"""The indicator model shared by intel import/export, file hunting and log hunting."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


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
