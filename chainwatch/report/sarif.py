"""``--format sarif``: SARIF 2.1.0 that validates against the OASIS schema and that GitHub code scanning
accepts (rules with security-severity and tags, a region on every location, partialFingerprints).

Members live inside artifacts, not in a source tree, so each result points at the member's logical path
(``app.msi!/APPDIR/ffmpeg.dll``) written as a relative URI, and the logical path itself is kept in
``logicalLocations`` and ``properties``.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from chainwatch._version import __version__
from chainwatch.models import Finding, Report, ScanError, Severity
from chainwatch.report._common import (
    attack_url,
    json_default,
    ranked_findings,
    rule_info,
    to_jsonable,
    visible,
)
from chainwatch.report.interface import RenderOptions, ReportFormat

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/chainwatch/chainwatch"
FINGERPRINT_KEY = "chainwatch/v1"
MAX_RESULTS = 25_000  # GitHub code scanning rejects runs with more results than this
PRETTY_LIMIT = 5_000  # above this many results, write compact JSON (Python's indenting encoder is slow)

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity to its labels: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}
PRECISION = {
    Severity.CRITICAL: "high",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "medium",
    Severity.INFO: "low",
}
_URI_SAFE = "/!-._~"  # unreserved characters plus the path separator and the '!' of 'container!/member'


@lru_cache(maxsize=65536)
def member_uri(path: str) -> str:
    """A valid relative URI reference for a logical member path.

    Backslashes become '/', leading '/' and drive letters stop it from being absolute, every other
    character outside the unreserved set is percent-encoded (so ':' cannot start a scheme and '%', '#',
    '?' and spaces survive), and '.'/'..' segments are encoded so the URI never resolves upwards.
    """
    text = path.replace("\\", "/")
    text = text.lstrip("/") or "."
    segments = []
    for segment in text.split("/"):
        if segment in (".", ".."):
            segments.append(segment.replace(".", "%2E"))
        else:
            segments.append(quote(segment, safe=_URI_SAFE[1:], errors="surrogateescape"))
    uri = "/".join(segments)
    return uri or "."


def fingerprint(finding: Finding, evidence_json: Any = None) -> str:
    """Stable id of a finding across runs: rule + member path + the evidence that identifies it."""
    plain = to_jsonable(finding.evidence) if evidence_json is None else evidence_json
    evidence = json.dumps(plain, sort_keys=True, default=str)
    digest = hashlib.sha256("\x00".join((finding.rule, finding.path, evidence)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def rule_name(rule_id: str) -> str:
    """Friendly PascalCase name of a rule id: ``authenticode.cert-table-slack`` -> ``AuthenticodeCertTableSlack``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part) or "Rule"


def _rule_descriptor(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    info = rule_info(rule_id)
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=info.severity or Severity.INFO)
    attack = info.attack or next((f.attack for f in findings if f.attack), None)
    example = findings[0].message if findings else ""
    short = info.description or example or rule_id
    short_text = visible(short.split(". ")[0].rstrip("."))[:200] or rule_id
    full = visible(info.description or example or rule_id)
    help_lines = [full]
    if attack:
        help_lines.append(f"MITRE ATT&CK: {attack}" + (f" ({attack_url(attack)})" if attack_url(attack) else ""))
    help_lines.append("Each result carries the structured evidence (offsets, bytes, before/after values) in "
                      "properties.evidence; the member path is inside the scanned artifact.")
    tags = ["security", "supply-chain", rule_id.split(".", 1)[0]]
    if attack:
        tags.append(f"external/mitre-attack/{attack}")
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": short_text},
        "fullDescription": {"text": full},
        "help": {"text": "\n".join(help_lines), "markdown": "\n\n".join(help_lines)},
        "defaultConfiguration": {"level": LEVEL[info.severity or worst]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[worst],
            "precision": PRECISION[worst],
            "severity": (info.severity or worst).value,
        },
    }
    url = attack_url(attack) if attack else None
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _location(path: str, artifact_index: int | None) -> dict[str, Any]:
    artifact_location: dict[str, Any] = {"uri": member_uri(path)}
    if artifact_index is not None:
        artifact_location["index"] = artifact_index
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact_location, "region": {"startLine": 1}},
    }
    if path:
        location["logicalLocations"] = [{"fullyQualifiedName": path, "name": path.rsplit("/", 1)[-1] or path,
                                         "kind": "resource"}]
    return location


def _artifacts(report: Report, paths: list[str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """SARIF artifact entries (with hashes from the inventory) for the members that have results."""
    records = {m.path: m for m in report.inventory}
    artifacts: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for path in paths:
        if path in index:
            continue
        entry: dict[str, Any] = {"location": {"uri": member_uri(path)}}
        record = records.get(path)
        if record is not None:
            entry["length"] = int(record.size)
            hashes = {k: v for k, v in (("md5", record.md5), ("sha-1", record.sha1), ("sha-256", record.sha256))
                      if v}
            if hashes:
                entry["hashes"] = hashes
            entry["properties"] = {"type": record.type, "entropy": record.entropy}
            if "!/" in path or record.parent:
                entry["roles"] = ["analysisTarget"]
        index[path] = len(artifacts)
        artifacts.append(entry)
    return artifacts, index


def _result(finding: Finding, rule_index: int, artifact_index: int | None, target_name: str) -> dict[str, Any]:
    evidence = to_jsonable(finding.evidence)
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "member": finding.path,
        "evidence": evidence,
    }
    if finding.attack:
        properties["attack"] = finding.attack
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": visible(finding.message) or finding.rule},
        "locations": [_location(finding.path or target_name, artifact_index)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, evidence)},
        "properties": properties,
    }


def _notification(error: ScanError) -> dict[str, Any]:
    return {
        "level": "error" if error.kind == "error" else "warning",
        "message": {"text": visible(f"{error.path}: {error.message}" if error.path else error.message)},
        "descriptor": {"id": f"chainwatch.scan-error.{error.kind}"},
        "locations": [_location(error.path, None)] if error.path else [],
        "properties": {"kind": error.kind, "member": error.path},
    }


def build_sarif(report: Report, max_results: int = MAX_RESULTS,
                min_severity: Severity = Severity.INFO) -> dict[str, Any]:
    findings = [f for f in ranked_findings(report) if f.severity >= min_severity]
    truncated = max(0, len(findings) - max_results)
    findings = findings[:max_results]
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    rule_ids = sorted(by_rule)
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    artifacts, artifact_index = _artifacts(report, [f.path for f in findings if f.path])
    notifications = [_notification(e) for e in report.errors]
    # A finding about the artifact as a whole may have no member path; point it at the artifact itself.
    target_name = report.target.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "artifact"
    artifact_name = visible(str((report.artifact or {}).get("name") or target_name)).replace("/", "_")
    if truncated:
        notifications.append({
            "level": "warning",
            "message": {"text": f"{truncated} lower-ranked results left out (GitHub accepts {max_results} per run)"},
            "descriptor": {"id": "chainwatch.sarif-truncated"},
        })
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "chainwatch",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(r, by_rule[r]) for r in rule_ids],
            }
        },
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": notifications,
            "properties": {"command": report.command, "target": report.target},
        }],
        "results": [_result(f, rule_index[f.rule], artifact_index.get(f.path), target_name) for f in findings],
        # One category per command and artifact (not version), so GitHub closes alerts a new release fixed
        # and keeps uploads for different artifacts of one commit apart.
        "automationDetails": {"id": f"chainwatch/{report.command}/{artifact_name}/"},
        "columnKind": "unicodeCodePoints",
        "properties": {
            "target": report.target,
            "verdict": report.verdict.value,
            "score": report.score,
            "scoreBreakdown": [s.to_dict() for s in report.score_breakdown],
            "artifact": to_jsonable(report.artifact),
        },
    }
    if artifacts:
        run["artifacts"] = artifacts
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


class SarifFormat(ReportFormat):
    name = "sarif"
    description = "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers"

    def render(self, report: Report, options: RenderOptions) -> str:
        document = build_sarif(report, min_severity=options.min_severity)
        indent = 2 if len(document["runs"][0]["results"]) <= PRETTY_LIMIT else None
        return json.dumps(document, indent=indent, default=json_default) + "\n"


FORMATS = [SarifFormat()]
