from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema.validators import validator_for

from chainwatch.models import Finding, Report, ScanError, Severity
from chainwatch.report import render
from chainwatch.report.sarif import MAX_RESULTS, build_sarif, fingerprint, member_uri, rule_name
from tests.report.samples import HOSTILE_NAME


@pytest.fixture(scope="module")
def sarif_validator(shared: Path) -> jsonschema.protocols.Validator:
    schema_path = shared / "schemas" / "sarif-schema-2.1.0.json"
    if not schema_path.is_file():
        pytest.skip(f"{schema_path} is absent")
    schema = json.loads(schema_path.read_text())
    cls = validator_for(schema)  # the schema declares draft-04
    cls.check_schema(schema)
    # FormatChecker checks "uri"/"uri-reference" when rfc3986-validator (or rfc3987) is installed
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator: Any, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_sarif_validates_against_the_official_schema(sarif_validator, malicious: Report, clean: Report) -> None:
    for report in (malicious, clean):
        doc = json.loads(render(report, "sarif"))
        assert _errors(sarif_validator, doc) == []


def test_schema_check_is_not_vacuous(sarif_validator, malicious: Report) -> None:
    doc = json.loads(render(malicious, "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["runs"][0]["tool"]["driver"]["name"]
    assert len(_errors(sarif_validator, doc)) >= 2


def test_uris_are_valid_relative_references(malicious: Report) -> None:
    rfc3986 = pytest.importorskip("rfc3986_validator")
    doc = json.loads(render(malicious, "sarif"))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    hostile = ["/abs/x.msi!/a b/c:d.dll", "C:\\Users\\x.exe", "../../etc/passwd", "a?b#c%d", "\udcff\u202ename",
               "", "日本/ファイル.txt", HOSTILE_NAME]
    for uri in uris + [member_uri(p) for p in hostile]:
        assert rfc3986.validate_rfc3986(uri, rule="URI_reference"), uri
        assert not uri.startswith("/") and ":" not in uri.split("/", 1)[0]
        assert ".." not in uri.split("/")
    assert member_uri("app.msi!/APPDIR/ffmpeg.dll") == "app.msi!/APPDIR/ffmpeg.dll"  # readable when it can be


def test_github_code_scanning_requirements(malicious: Report) -> None:
    doc = json.loads(render(malicious, "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "chainwatch" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == {f.rule for f in malicious.findings}  # one descriptor per rule id
    for rule in rules.values():
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert "security" in rule["properties"]["tags"]
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert len(rule["properties"]["tags"]) <= 20
    assert float(rules["authenticode.cert-table-slack"]["properties"]["security-severity"]) >= 9.0
    assert 7.0 <= float(rules["pe.unexpected-export-loader"]["properties"]["security-severity"]) < 9.0
    assert rules["pe.unexpected-export-loader"]["helpUri"] == "https://attack.mitre.org/techniques/T1574/002/"

    results = run["results"]
    assert len(results) == len(malicious.findings)
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["authenticode.cert-table-slack"] == "error"
    assert levels["strings.network-indicator"] == "warning"
    assert levels["script.obfuscated"] == "note"
    for r in results:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["message"]["text"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["region"]["startLine"] == 1  # GitHub requires a region
        assert loc["artifactLocation"]["uri"]
        assert len(r["partialFingerprints"]["chainwatch/v1"]) == 32
        assert isinstance(r["properties"]["evidence"], dict)
        logical = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert logical in {f.path for f in malicious.findings}
    # evidence bytes are hex in the document
    slack = next(r for r in results if r["ruleId"] == "authenticode.cert-table-slack")
    assert slack["properties"]["evidence"]["head"].startswith("feedface")
    # artifacts carry the inventory hashes
    art = run["artifacts"][slack["locations"][0]["physicalLocation"]["artifactLocation"]["index"]]
    record = next(m for m in malicious.inventory if m.path == slack["properties"]["member"])
    assert art["hashes"]["sha-256"] == record.sha256


def test_scan_errors_become_tool_notifications(malicious: Report) -> None:
    inv = json.loads(render(malicious, "sarif"))["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is True
    notes = inv["toolExecutionNotifications"]
    assert len(notes) == len(malicious.errors)
    assert {n["descriptor"]["id"] for n in notes} == {"chainwatch.scan-error.password", "chainwatch.scan-error.limit"}
    assert all(n["message"]["text"] for n in notes)


def test_fingerprints_are_stable_and_distinguish_evidence() -> None:
    a = Finding("strings.network-indicator", Severity.MEDIUM, "p", "m", {"url": "https://a.example"})
    b = Finding("strings.network-indicator", Severity.MEDIUM, "p", "other words", {"url": "https://a.example"})
    c = Finding("strings.network-indicator", Severity.MEDIUM, "p", "m", {"url": "https://b.example"})
    assert fingerprint(a) == fingerprint(b)  # message wording does not matter
    assert fingerprint(a) != fingerprint(c)
    assert rule_name("authenticode.cert-table-slack") == "AuthenticodeCertTableSlack"


def test_results_are_capped_for_github(sarif_validator) -> None:
    assert MAX_RESULTS == 25_000
    findings = [Finding("strings.url", Severity.INFO, f"a!/f{i}", "u", {"i": i}) for i in range(55)]
    findings.append(Finding("pe.loader", Severity.CRITICAL, "a!/z.dll", "loader"))
    doc = build_sarif(Report(target="a", findings=findings), max_results=50)
    assert _errors(sarif_validator, doc) == []
    run = doc["runs"][0]
    assert len(run["results"]) == 50
    assert run["results"][0]["ruleId"] == "pe.loader"  # the most severe are kept
    assert run["invocations"][0]["toolExecutionNotifications"][-1]["descriptor"]["id"] == "chainwatch.sarif-truncated"


def test_finding_without_member_path_points_at_the_artifact(sarif_validator) -> None:
    report = Report(target="/tmp/dist/pkg-1.0.tar.gz", findings=[Finding("package.typosquat", Severity.HIGH, "", "m")],
                    errors=[ScanError("", "whole artifact unreadable")])
    doc = json.loads(render(report, "sarif"))
    assert _errors(sarif_validator, doc) == []
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "pkg-1.0.tar.gz"


def test_automation_category_is_stable_across_versions(malicious: Report) -> None:
    first = json.loads(render(malicious, "sarif"))["runs"][0]["automationDetails"]["id"]
    malicious.artifact["version"] = "18.12.417"
    assert json.loads(render(malicious, "sarif"))["runs"][0]["automationDetails"]["id"] == first
    assert first == "chainwatch/scan/3CXDesktopApp/"
