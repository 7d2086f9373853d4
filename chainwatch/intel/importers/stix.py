"""STIX 2.1 bundle importer: ``indicator`` objects whose STIX patterns map onto our indicator kinds.

Patterns are parsed with ``stix2patterns`` (the OASIS pattern grammar); every ``=`` comparison on a
mapped object path becomes one indicator. ``pattern_type: yara`` indicators become YARA rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chainwatch.intel.importers import MAX_FEED_BYTES, ImportError_
from chainwatch.intel.model import Indicator, IndicatorKind, hash_kind, normalize_value

_HASH_NAMES = {"md5": IndicatorKind.MD5, "sha-1": IndicatorKind.SHA1, "sha1": IndicatorKind.SHA1,
               "sha-256": IndicatorKind.SHA256, "sha256": IndicatorKind.SHA256}
_PATHS: dict[tuple[str, str], IndicatorKind] = {
    ("domain-name", "value"): IndicatorKind.DOMAIN,
    ("ipv4-addr", "value"): IndicatorKind.IP,
    ("ipv6-addr", "value"): IndicatorKind.IP,
    ("url", "value"): IndicatorKind.URL,
    ("email-addr", "value"): IndicatorKind.EMAIL,
    ("mutex", "name"): IndicatorKind.MUTEX,
    ("file", "name"): IndicatorKind.FILENAME,
    ("x509-certificate", "serial_number"): IndicatorKind.CERT_SERIAL,
    ("x509-certificate", "subject"): IndicatorKind.SIGNER,
}


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] == "'":
        v = v[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    return v


def pattern_values(pattern: str) -> list[tuple[IndicatorKind, str]]:
    """(kind, value) for every equality comparison in a STIX pattern we know how to hunt for."""
    from stix2patterns.pattern import Pattern

    try:
        comparisons = Pattern(pattern).inspect().comparisons
    except Exception as exc:  # the parser raises its own ParseException types
        raise ImportError_(f"unparseable STIX pattern {pattern[:80]!r}: {exc}") from exc
    out: list[tuple[IndicatorKind, str]] = []
    for obj, items in comparisons.items():
        for path, op, raw in items:
            if obj == "file" and op == "MATCHES" and path and path[0] == "name":
                out.append((IndicatorKind.FILENAME, _unquote(str(raw))))
                continue
            if op != "=" or not path:
                continue
            value = _unquote(str(raw))
            kind: IndicatorKind | None = None
            if obj == "file" and path[0] == "hashes" and len(path) > 1:
                kind = _HASH_NAMES.get(str(path[1]).lower()) or hash_kind(value)
            elif obj == "x509-certificate" and path[0] == "hashes" and len(path) > 1:
                kind = IndicatorKind.CERT_THUMBPRINT
            elif obj in ("ipv4-addr", "ipv6-addr") and "/" in value:
                kind = IndicatorKind.CIDR
            elif obj == "software" and path[0] in ("name", "version"):
                continue  # handled below as a pair
            else:
                kind = _PATHS.get((obj, str(path[0])))
            if kind is None:
                continue
            if kind == IndicatorKind.FILENAME:
                import re

                value = r"(?i)(^|[\\/])" + re.escape(value) + "$"
            out.append((kind, normalize_value(kind, value)))
        if obj == "software":
            names = [_unquote(str(r)) for p, o, r in items if p and p[0] == "name" and o == "="]
            versions = [_unquote(str(r)) for p, o, r in items if p and p[0] == "version" and o == "="]
            for n in names:
                for v in versions:
                    out.append((IndicatorKind.SOFTWARE, normalize_value(IndicatorKind.SOFTWARE, f"{n}@{v}")))
    return out


def _campaigns(objects: list[dict[str, Any]]) -> dict[str, str]:
    """indicator id -> campaign / intrusion-set / malware name via ``indicates`` relationships."""
    names = {o["id"]: o.get("name", "") for o in objects
             if o.get("type") in ("campaign", "intrusion-set", "malware", "threat-actor") and "id" in o}
    out: dict[str, str] = {}
    for o in objects:
        if (o.get("type") == "relationship" and o.get("relationship_type") == "indicates"
                and o.get("target_ref") in names):
            out.setdefault(o.get("source_ref", ""), names[o["target_ref"]])
    return out


def _reference(obj: dict[str, Any]) -> str | None:
    for ref in obj.get("external_references", []) or []:
        if ref.get("url"):
            return str(ref["url"])
    return None


def read_stix_bundle(path: Path, source: str | None = None) -> Iterator[Indicator]:
    if path.stat().st_size > MAX_FEED_BYTES:
        raise ImportError_(f"{path}: larger than {MAX_FEED_BYTES} bytes")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ImportError_(f"{path}: not JSON: {exc}") from exc
    yield from read_stix_objects(doc, source or f"stix:{path.name}")


def read_stix_objects(doc: dict[str, Any], source: str) -> Iterator[Indicator]:
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        raise ImportError_("not a STIX 2.1 bundle (type != bundle)")
    objects = [o for o in doc.get("objects", []) if isinstance(o, dict)]
    campaign_of = _campaigns(objects)
    for obj in objects:
        if obj.get("type") != "indicator" or obj.get("revoked"):
            continue
        score = int(obj.get("confidence", 75) or 75)
        common: dict[str, Any] = dict(
            source=source, score=score, description=obj.get("description") or obj.get("name") or "",
            campaign=campaign_of.get(obj.get("id", "")) or (obj.get("x_chainwatch_campaign")),
            first_seen=obj.get("valid_from"), expires=obj.get("valid_until"), reference=_reference(obj),
            extra={"stix_id": obj.get("id")},
        )
        ptype = obj.get("pattern_type", "stix")
        if ptype == "yara":
            yield Indicator(kind=IndicatorKind.YARA, value=obj.get("pattern", ""),
                            **{**common, "extra": {"stix_id": obj.get("id"), "file": obj.get("name") or obj.get("id")}})
            continue
        if ptype != "stix":
            continue
        try:
            values = pattern_values(obj.get("pattern", ""))
        except ImportError_:
            continue
        for kind, value in values:
            yield Indicator(kind=kind, value=value, **common)
