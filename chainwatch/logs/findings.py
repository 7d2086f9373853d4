"""Turn hunt results into findings, a per-host timeline and a ``Report`` (command "hunt-logs")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainwatch.intel.model import severity_for_score
from chainwatch.logs.beacon import Beacon
from chainwatch.logs.hits import HitAggregate
from chainwatch.logs.hunt import HuntOptions, HuntResult
from chainwatch.logs.timeparse import iso
from chainwatch.models import Finding, Report, ScanError, Severity
from chainwatch.scoring import score_findings

BEACON_THRESHOLDS = ((0.85, Severity.HIGH), (0.75, Severity.MEDIUM), (0.6, Severity.LOW))
FIELD_VERBS = {"domain": "looked up or contacted", "answer": "got a DNS answer with", "dst_ip": "connected to",
               "url": "fetched", "path": "fetched", "ja3": "used the TLS fingerprint", "cert": "saw the certificate",
               "hash": "saw a file with hash"}




def beacon_severity(beacon: Beacon, ioc_destinations: set[tuple[str, str]]) -> Severity:
    if beacon.allowlisted:
        return Severity.INFO
    severity = Severity.INFO
    for threshold, level in BEACON_THRESHOLDS:
        if beacon.score >= threshold:
            severity = level
            break
    if beacon.internal and severity > Severity.LOW:
        severity = Severity.LOW
    if (beacon.src, beacon.name) in ioc_destinations and severity >= Severity.LOW:
        severity = max(severity, Severity.HIGH, key=lambda s: s.rank)
    return severity


def hit_finding(agg: HitAggregate) -> Finding:
    ind = agg.indicator
    verb = FIELD_VERBS.get(sorted(agg.fields)[0], "matched")
    values = ", ".join(sorted(agg.values)[:3])
    campaign = f" ({ind.campaign})" if ind.campaign else ""
    who = f"{agg.host}" + (f" [{', '.join(sorted(agg.images)[:2])}]" if agg.images else "")
    message = (f"{who} {verb} {values}, a {ind.kind.value} indicator{campaign} from {ind.source}: "
               f"{agg.count} time(s) between {iso(agg.first)} and {iso(agg.last)}")
    evidence: dict[str, Any] = {
        "host": agg.host,
        "images": sorted(agg.images),
        "indicator": {"kind": ind.kind.value, "value": ind.value, "source": ind.source, "campaign": ind.campaign,
                      "score": ind.score, "description": ind.description, "reference": ind.reference},
        "matched_values": sorted(agg.values),
        "matched_fields": sorted(agg.fields),
        "record_kinds": sorted(agg.kinds),
        "first_seen": iso(agg.first),
        "last_seen": iso(agg.last),
        "count": agg.count,
        "samples": agg.samples,
    }
    return Finding(rule="logs.ioc-hit", severity=severity_for_score(ind.score), path=agg.host, message=message,
                   evidence=evidence, attack="T1071")


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def beacon_finding(beacon: Beacon, rank: int, severity: Severity) -> Finding:
    c = beacon.components
    span = c["last"] - c["first"]
    target = beacon.name if beacon.name == beacon.dst else f"{beacon.dst} ({beacon.name})"
    reasons = "; ".join(beacon.reasons)
    message = (f"{beacon.src} contacts {target} every ~{_duration(c['median_interval_s'])} "
               f"(MADM {_duration(c['interval_madm_s'])}) over {_duration(span)}, {c['contacts']} contacts; "
               f"beacon score {beacon.score:.2f}" + (f"; {reasons}" if reasons else ""))
    evidence = {
        "rank": rank,
        "src": beacon.src,
        "dst": beacon.dst,
        "name": beacon.name,
        "image": beacon.image,
        "record_kinds": beacon.kinds,
        "score": beacon.score,
        "components": {k: v for k, v in c.items() if k not in ("first", "last")},
        "first_seen": iso(c["first"]),
        "last_seen": iso(c["last"]),
        "reasons": beacon.reasons,
        "allowlisted": beacon.allowlisted,
        "internal": beacon.internal,
    }
    return Finding(rule="logs.beacon", severity=severity, path=beacon.src, message=message, evidence=evidence,
                   attack="T1071")


def build_report(result: HuntResult, targets: Sequence[str], options: HuntOptions | None = None,
                 warnings: Sequence[str] = ()) -> Report:
    options = options or HuntOptions()
    part = result.partial
    findings: list[Finding] = []
    timeline: list[dict[str, Any]] = []
    aggregates = sorted(part.hits.hits.values(), key=lambda a: (-a.indicator.score, a.host, a.first))
    ioc_destinations: set[tuple[str, str]] = set()
    for agg in aggregates:
        findings.append(hit_finding(agg))
        for value in agg.values:
            ioc_destinations.add((agg.host, value))
        label = f"{sorted(agg.values)[0]}" + (f" ({agg.indicator.campaign})" if agg.indicator.campaign else "")
        timeline.append({"host": agg.host, "time": iso(agg.first), "kind": "ioc", "label": f"first hit: {label}"})
        if agg.last > agg.first:
            timeline.append({"host": agg.host, "time": iso(agg.last), "kind": "ioc",
                             "label": f"last hit: {label} ({agg.count} total)"})
    ranked: list[dict[str, Any]] = []
    emitted = 0
    for rank, beacon in enumerate(result.beacons, 1):
        severity = beacon_severity(beacon, ioc_destinations)
        if len(ranked) < 50:
            ranked.append({"rank": rank, "src": beacon.src, "dst": beacon.dst, "name": beacon.name,
                           "score": beacon.score, "severity": severity.value, "allowlisted": beacon.allowlisted})
        if severity == Severity.INFO and not (options.include_allowlisted and beacon.allowlisted):
            continue
        if emitted >= options.max_beacon_findings:
            continue
        emitted += 1
        findings.append(beacon_finding(beacon, rank, severity))
        if severity >= Severity.MEDIUM:  # low beacons are common benign rhythms; keep the plot readable
            c = beacon.components
            timeline.append({"host": beacon.src, "time": iso(c["first"]), "kind": "beacon",
                             "label": f"beacon to {beacon.name} starts (score {beacon.score:.2f})"})
            timeline.append({"host": beacon.src, "time": iso(c["last"]), "kind": "beacon",
                             "label": f"beacon to {beacon.name} last seen"})
    timeline.sort(key=lambda e: (e["host"], e["time"]))
    # stable: ioc hits before beacons at equal severity, beacons keep their rank order
    findings.sort(key=lambda f: (-f.severity.rank, f.rule != "logs.ioc-hit"))
    score, breakdown, verdict = score_findings(findings)
    errors = [ScanError(path, message, kind) for path, message, kind in part.errors]
    errors.extend(ScanError("hunt-logs", w, "error") for w in warnings)
    if part.pairs.dropped:
        errors.append(ScanError("hunt-logs", f"{part.pairs.dropped} events beyond the pair limit were not scored "
                                "for beacons", "limit"))
    return Report(
        target=", ".join(str(t) for t in targets),
        verdict=verdict,
        score=score,
        findings=findings,
        errors=errors,
        score_breakdown=breakdown,
        stats={"files": result.files, "records": part.records, "records_by_kind": dict(part.kinds),
               "formats": dict(part.formats), "pairs": part.pairs.pair_count,
               "beacons_scored": max(part.pairs.scored, len(result.beacons)),
               "seconds": round(result.seconds, 3)},
        extra={"timeline": timeline, "beacons": ranked},
        command="hunt-logs",
    )
