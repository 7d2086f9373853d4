from __future__ import annotations

import json

from chainwatch.models import Finding, Report, Severity
from chainwatch.report import RenderOptions, render


def test_json_is_exactly_the_contract(malicious: Report) -> None:
    for inventory in (False, True):
        text = render(malicious, "json", RenderOptions(include_inventory=inventory))
        doc = json.loads(text)
        assert doc == json.loads(json.dumps(malicious.to_dict(include_inventory=inventory), default=lambda b: b.hex()))
        assert ("inventory" in doc) is inventory
        assert text.startswith('{\n  "tool": "chainwatch"')  # indent 2


def test_contract_keys_and_types(malicious: Report) -> None:
    doc = json.loads(render(malicious, "json"))
    assert doc["tool"] == "chainwatch"
    assert doc["verdict"] in {"clean", "suspicious", "malicious"}
    assert 0 <= doc["score"] <= 100
    for f in doc["findings"]:
        assert set(f) >= {"rule", "severity", "path", "message", "evidence"}
        assert f["severity"] in {"info", "low", "medium", "high", "critical"}
    for e in doc["errors"]:
        assert set(e) >= {"path", "message"}


def test_json_round_trips_through_from_dict(malicious: Report) -> None:
    malicious.extra["changes"] = {"added": ["a.dll"], "removed": [], "modified": [], "renamed": []}
    doc = json.loads(render(malicious, "json", RenderOptions(include_inventory=True)))
    again = Report.from_dict(doc)
    assert again.target == malicious.target
    assert again.verdict == malicious.verdict and again.score == malicious.score
    assert [(f.rule, f.path, f.severity) for f in again.findings] == [
        (f.rule, f.path, f.severity) for f in malicious.findings
    ]
    assert again.errors == malicious.errors
    assert [m.sha256 for m in again.inventory] == [m.sha256 for m in malicious.inventory]
    assert again.score_breakdown == malicious.score_breakdown
    assert again.extra["changes"] == malicious.extra["changes"]
    # and rendering the round-tripped report gives the same document
    assert json.loads(render(again, "json", RenderOptions(include_inventory=True))) == doc


def test_bytes_in_evidence_become_hex_instead_of_crashing() -> None:
    report = Report(target="x.dll", findings=[
        Finding("pe.overlay", Severity.LOW, "x.dll", "overlay", {"head": b"MZ\x90\x00", "tags": {"b", "a"}}),
    ])
    doc = json.loads(render(report, "json"))
    assert doc["findings"][0]["evidence"] == {"head": "4d5a9000", "tags": ["a", "b"]}


def test_undecodable_member_names_stay_writable() -> None:
    report = Report(target="t", findings=[Finding("x.y", Severity.INFO, "t!/\udcff\u202ename", "m")])
    text = render(report, "json")
    text.encode("utf-8")  # lone surrogates are escaped, so the document can be written anywhere
    assert json.loads(text)["findings"][0]["path"] == "t!/\udcff\u202ename"
