"""STIX 2.1 exports: indicators (our packs or the store) as a bundle, and hunt hits as sightings."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import stix2

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.models import Report

_NS = uuid.UUID("6f1b7a52-0c4e-4f4e-9d1e-2f6c6b0a7c11")  # chainwatch's namespace for deterministic STIX ids
_HASH = {IndicatorKind.MD5: "MD5", IndicatorKind.SHA1: "SHA-1", IndicatorKind.SHA256: "SHA-256"}
IDENTITY = stix2.Identity(id="identity--" + str(uuid.uuid5(_NS, "chainwatch")), name="chainwatch",
                          identity_class="system", created="2026-01-01T00:00:00Z", modified="2026-01-01T00:00:00Z")


def _q(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def stix_pattern(kind: IndicatorKind, value: str) -> str | None:
    """The STIX 2.1 pattern of one indicator, or None for kinds STIX has no object path for."""
    if kind in _HASH:
        return f"[file:hashes.'{_HASH[kind]}' = {_q(value)}]"
    if kind == IndicatorKind.DOMAIN:
        return f"[domain-name:value = {_q(value)}]"
    if kind in (IndicatorKind.IP, IndicatorKind.CIDR):
        return f"[{'ipv6-addr' if ':' in value else 'ipv4-addr'}:value = {_q(value)}]"
    if kind == IndicatorKind.URL:
        return f"[url:value = {_q(value)}]"
    if kind == IndicatorKind.EMAIL:
        return f"[email-addr:value = {_q(value)}]"
    if kind == IndicatorKind.MUTEX:
        return f"[mutex:name = {_q(value)}]"
    if kind == IndicatorKind.CERT_SERIAL:
        return f"[x509-certificate:serial_number = {_q(value)}]"
    if kind == IndicatorKind.CERT_THUMBPRINT:
        algo = "SHA-1" if len(value) == 40 else "SHA-256"
        return f"[x509-certificate:hashes.'{algo}' = {_q(value)}]"
    if kind == IndicatorKind.SIGNER:
        return f"[x509-certificate:subject = {_q(value)}]"
    if kind == IndicatorKind.FILENAME:
        return f"[file:name MATCHES {_q(value)}]"
    if kind == IndicatorKind.SOFTWARE and "@" in value:
        name, _, version = value.partition("@")
        return f"[software:name = {_q(name)} AND software:version = {_q(version)}]"
    return None


def indicator_id(kind: str, value: str, source: str) -> str:
    return "indicator--" + str(uuid.uuid5(_NS, f"{kind}\0{value}\0{source}"))


def _stix_time(value: str | None, default: str) -> str:
    if not value:
        return default
    v = value if "T" in value else value + "T00:00:00Z"
    return v if v.endswith("Z") or "+" in v else v + "Z"


def stix_indicator(ind: Indicator, created: str) -> stix2.Indicator | None:
    labels = {"x_chainwatch_source": ind.source, "x_chainwatch_kind": ind.kind.value}
    refs = [{"source_name": ", ".join(ind.extra.get("reported_by", [])) or ind.source, "url": ind.reference}] \
        if ind.reference else []
    common: dict[str, Any] = dict(
        id=indicator_id(ind.kind.value, ind.value, ind.source), created=created, modified=created,
        created_by_ref=IDENTITY.id, valid_from=_stix_time(ind.first_seen, created),
        confidence=max(0, min(100, ind.score)), description=ind.description or None,
        indicator_types=["malicious-activity"], external_references=refs or None, allow_custom=True, **labels,
    )
    if ind.expires:
        common["valid_until"] = _stix_time(ind.expires, created)
    if ind.kind == IndicatorKind.YARA:
        return stix2.Indicator(name=str(ind.extra.get("file") or "yara"), pattern=ind.value, pattern_type="yara",
                               **common)
    pattern = stix_pattern(ind.kind, ind.value)
    if pattern is None:
        return None
    return stix2.Indicator(name=f"{ind.kind.value}: {ind.value[:80]}", pattern=pattern, pattern_type="stix",
                           **common)


def bundle_json(bundle: stix2.Bundle) -> str:
    """Indented JSON of a bundle. stix2's own ``serialize(pretty=True)`` re-sorts every property against the whole
    bundle, quadratic in its size (minutes for the ~9k signature-base indicators); plain serialize is linear."""
    return json.dumps(json.loads(bundle.serialize()), indent=2, ensure_ascii=False)


def export_bundle(indicators: Iterable[Indicator]) -> tuple[stix2.Bundle, int]:
    """A STIX 2.1 bundle of indicators, their campaigns and ``indicates`` relationships; also returns skips."""
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    objects: list[Any] = [IDENTITY]
    campaigns: dict[str, stix2.Campaign] = {}
    skipped = 0
    for ind in indicators:
        sdo = stix_indicator(ind, created)
        if sdo is None:
            skipped += 1
            continue
        objects.append(sdo)
        if ind.campaign:
            camp = campaigns.get(ind.campaign)
            if camp is None:
                camp = stix2.Campaign(id="campaign--" + str(uuid.uuid5(_NS, ind.campaign)), name=ind.campaign,
                                      created=created, modified=created, created_by_ref=IDENTITY.id)
                campaigns[ind.campaign] = camp
                objects.append(camp)
            objects.append(stix2.Relationship(
                id="relationship--" + str(uuid.uuid5(_NS, sdo.id + camp.id)), relationship_type="indicates",
                source_ref=sdo.id, target_ref=camp.id, created=created, modified=created))
    return stix2.Bundle(objects=objects, allow_custom=True), skipped


def export_sightings(report: Report, host: str | None = None) -> stix2.Bundle:
    """Hunt hits as STIX 2.1 sightings of the indicators they matched, sighted by this host."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    where = stix2.Identity(id="identity--" + str(uuid.uuid5(_NS, "host:" + (host or socket.gethostname()))),
                           name=host or socket.gethostname(), identity_class="system", created=now, modified=now)
    objects: list[Any] = [IDENTITY, where]
    seen: set[str] = set()
    for f in report.findings:
        ref = f.evidence.get("indicator") if isinstance(f.evidence, dict) else None
        if not isinstance(ref, dict) or not ref.get("kind"):
            continue
        kind = IndicatorKind(ref["kind"])
        value = str(ref.get("value", ""))
        ind_id = indicator_id(kind.value, value, str(ref.get("source", "")))
        if ind_id not in seen:
            seen.add(ind_id)
            pattern = stix_pattern(kind, value)
            objects.append(stix2.Indicator(
                id=ind_id, created=now, modified=now, valid_from=now, created_by_ref=IDENTITY.id,
                name=f"{kind.value}: {value[:80]}", description=ref.get("description") or None,
                pattern=pattern or f"rule {f.evidence.get('rule', 'unknown')}",
                pattern_type="stix" if pattern else "yara", allow_custom=True,
                x_chainwatch_source=ref.get("source"), x_chainwatch_campaign=ref.get("campaign")))
        objects.append(stix2.Sighting(
            id="sighting--" + str(uuid.uuid5(_NS, f"{ind_id}\0{f.path}\0{f.rule}")), created=now, modified=now,
            sighting_of_ref=ind_id, where_sighted_refs=[where.id], first_seen=now, last_seen=now, count=1,
            created_by_ref=IDENTITY.id, description=f.message, allow_custom=True,
            x_chainwatch_path=f.path, x_chainwatch_rule=f.rule, x_chainwatch_severity=f.severity.value))
    return stix2.Bundle(objects=objects, allow_custom=True)
