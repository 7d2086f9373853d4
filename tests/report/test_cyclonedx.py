from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from chainwatch.models import MemberRecord, Report
from chainwatch.report import render


def _validate(text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, getattr(error, "data", error).message if error is not None else ""


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in components:
        yield c
        yield from _walk(c.get("components", []))


def _props(component: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in component.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def test_cyclonedx_validates_with_the_library_validator(malicious: Report, clean: Report) -> None:
    for report in (malicious, clean, Report(target="empty")):
        _validate(render(report, "cyclonedx"))


def test_validator_is_not_vacuous(malicious: Report) -> None:
    doc = json.loads(render(malicious, "cyclonedx"))
    doc["components"][0]["type"] = "not-a-type"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None


def test_every_member_is_a_component_with_hashes_and_facts(malicious: Report) -> None:
    doc = json.loads(render(malicious, "cyclonedx"))
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"
    root = doc["metadata"]["component"]
    assert root["name"] == malicious.inventory[0].path  # the artifact itself
    by_name = {c["name"]: c for c in _walk(doc["components"])}
    files = [m for m in malicious.inventory if m.type != "directory" and m.parent]
    assert set(by_name) == {m.path for m in files}
    for m in files:
        c = by_name[m.path]
        hashes = {h["alg"]: h["content"] for h in c["hashes"]}
        assert hashes == {"MD5": m.md5, "SHA-1": m.sha1, "SHA-256": m.sha256}
        props = _props(c)
        assert props["chainwatch:type"] == [m.type]
        assert float(props["chainwatch:entropy"][0]) == round(m.entropy, 4)
        assert props["chainwatch:size"] == [str(m.size)]
        if m.tlsh:
            assert props["chainwatch:tlsh"] == [m.tlsh]
    ffmpeg = next(c for name, c in by_name.items() if name.endswith("ffmpeg.dll"))
    assert ffmpeg["type"] == "library" and ffmpeg["version"] == "4.4.1"
    assert _props(ffmpeg)["chainwatch:pe:version_info:ProductName"] == ["FFmpeg"]
    assert "high pe.unexpected-export-loader" in _props(ffmpeg)["chainwatch:finding"]
    pkg = next(c for name, c in by_name.items() if name.endswith("package.json"))
    assert pkg["purl"] == "pkg:npm/3cx-desktop@18.12.416" and pkg["version"] == "18.12.416"
    meta = {p["name"]: p["value"] for p in doc["metadata"]["properties"]}
    assert meta["chainwatch:verdict"] == "malicious" and meta["chainwatch:score"] == "100"
    assert any(t["name"] == "chainwatch" for t in doc["metadata"]["tools"]["components"])


def test_members_of_containers_are_nested() -> None:
    records = [
        MemberRecord(path="app.zip", size=10, type="archive/zip", sha256="a" * 64, container=True),
        MemberRecord(path="app.zip!/lib", size=0, type="directory", depth=1, parent="app.zip", container=True),
        MemberRecord(path="app.zip!/lib/inner.whl", size=5, type="archive/zip", sha256="b" * 64, depth=1,
                     parent="app.zip!/lib", container=True,
                     features={"package": {"ecosystem": "pypi", "name": "Inner_Pkg", "version": "1.0"}}),
        MemberRecord(path="app.zip!/lib/inner.whl!/inner/__init__.py", size=1, type="script/python",
                     sha256="c" * 64, depth=2, parent="app.zip!/lib/inner.whl"),
        MemberRecord(path="app.zip!/lib/inner.whl!/inner/__init__.py", size=1, type="script/python",
                     sha256="d" * 64, depth=2, parent="app.zip!/lib/inner.whl"),  # duplicate name in a hostile zip
    ]
    text = render(Report(target="app.zip", inventory=records), "cyclonedx")
    _validate(text)
    doc = json.loads(text)
    assert doc["metadata"]["component"]["name"] == "app.zip"
    (wheel,) = doc["components"]  # the directory is flattened away; the wheel hangs off the root
    assert wheel["name"] == "app.zip!/lib/inner.whl" and wheel["purl"] == "pkg:pypi/inner-pkg@1.0"
    inner = wheel["components"]
    assert {c["hashes"][0]["content"][:1] for c in inner} == {"c", "d"}
    assert len({c["bom-ref"] for c in _walk(doc["components"])}) == 3
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert deps[doc["metadata"]["component"]["bom-ref"]] == [wheel["bom-ref"]]


def test_hostile_values_are_kept_as_data() -> None:
    records = [MemberRecord(path="x\x1b[31m<b>.exe", size=1, type="pe", md5="nothex", sha256="e" * 64)]
    text = render(Report(target="t", inventory=records), "cyclonedx")
    _validate(text)
    doc = json.loads(text)
    c = doc["metadata"]["component"]  # a single file scanned is the artifact itself
    assert "components" not in doc or doc["components"] == []
    assert c["name"] == "x\x1b[31m<b>.exe"  # names are data, JSON-escaped
    assert [h["alg"] for h in c["hashes"]] == ["SHA-256"]  # malformed hashes are left out, not emitted


def _comparable(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    doc.pop("serialNumber")
    doc["metadata"].pop("timestamp")
    return doc


def _nested_report() -> Report:
    records = [MemberRecord(path="r.zip", size=1, type="archive/zip", sha256="a" * 64, container=True)]
    for i in range(12):
        records.append(MemberRecord(path=f"r.zip!/p{i % 3}.whl", size=i, type="archive/zip", md5=f"{i:032x}",
                                    depth=1, parent="r.zip", container=True, tlsh=None if i % 2 else "T1AB",
                                    features={"package": {"ecosystem": "pypi", "name": f"p{i}", "version": "1"}}))
        records.append(MemberRecord(path=f"r.zip!/p{i % 3}.whl!/m{i}.py", size=i, type="script/python",
                                    sha1=f"{i:040x}", depth=2, parent=f"r.zip!/p{i % 3}.whl"))
    return Report(target="r.zip", inventory=records)


def test_direct_writer_equals_the_library_writer(malicious: Report, clean: Report) -> None:
    """Large inventories are written directly; on the same input both writers give the same document."""
    from chainwatch.report.cyclonedx import direct_document, library_document

    for report in (malicious, clean, _nested_report(), Report(target="empty")):
        direct = direct_document(report)
        _validate(direct)
        assert _comparable(direct) == _comparable(library_document(report))


def test_large_inventory_uses_the_direct_writer_and_validates(monkeypatch) -> None:
    from chainwatch.report import cyclonedx

    calls: list[str] = []
    monkeypatch.setattr(cyclonedx, "LIBRARY_LIMIT", 10)
    real_direct = cyclonedx.direct_document
    monkeypatch.setattr(cyclonedx, "direct_document", lambda *a: calls.append("direct") or real_direct(*a))
    text = render(_nested_report(), "cyclonedx")
    assert calls == ["direct"]
    _validate(text)
    assert len(list(_walk(json.loads(text)["components"]))) == 24  # every record, duplicate paths included
