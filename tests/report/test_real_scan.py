"""Every format on real scans of corpus artifacts (an sdist, a wheel, a signed DLL)."""

from __future__ import annotations

import html as htmllib
import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from jsonschema.validators import validator_for

from chainwatch.models import Report
from chainwatch.options import ScanOptions
from chainwatch.report import RenderOptions, render

ARTIFACTS = [
    "packages/pypi/requests/requests-2.34.2.tar.gz",
    "packages/pypi/six/six-1.17.0-py2.py3-none-any.whl",
    "binaries/pe/signed-microsoft/v14.42.34433/vcruntime140.dll",
]


@pytest.fixture(scope="module", params=ARTIFACTS, ids=lambda p: Path(p).name)
def scanned(request: pytest.FixtureRequest, corpus: Path) -> Report:
    import chainwatch

    path = corpus / request.param
    if not path.is_file():
        pytest.skip(f"{path} not in this corpus")
    return chainwatch.scan(path, ScanOptions(jobs=1))


def test_real_scan_in_every_format(scanned: Report, shared: Path) -> None:
    opts = RenderOptions(include_inventory=True, color=False, width=140)
    doc = json.loads(render(scanned, "json", opts))
    assert Report.from_dict(doc).to_dict(include_inventory=True) == scanned.to_dict(include_inventory=True)

    sarif_schema_path = shared / "schemas" / "sarif-schema-2.1.0.json"
    if sarif_schema_path.is_file():
        schema = json.loads(sarif_schema_path.read_text())
        validator = validator_for(schema)(schema)
        assert [e.message for e in validator.iter_errors(json.loads(render(scanned, "sarif", opts)))] == []

    bom_text = render(scanned, "cyclonedx", opts)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom_text) is None
    bom = json.loads(bom_text)
    names = {bom["metadata"]["component"]["name"]}
    stack = list(bom.get("components", []))
    while stack:
        c = stack.pop()
        names.add(c["name"])
        stack.extend(c.get("components", []))
    assert names == {m.path for m in scanned.inventory if m.type != "directory"}
    sha = {m.path: m.sha256 for m in scanned.inventory}
    root = bom["metadata"]["component"]
    assert {h["alg"]: h["content"] for h in root["hashes"]}["SHA-256"] == sha[root["name"]]

    page = render(scanned, "html", opts)
    text = htmllib.unescape(page)
    assert scanned.verdict.value.upper() in page
    for m in scanned.inventory:
        assert m.path in text

    terminal = render(scanned, "terminal", opts)
    assert scanned.verdict.value in terminal.lower()
    for f in scanned.findings:
        assert f.rule in terminal


def test_hostile_member_names_through_a_real_scan(tmp_path: Path, shared: Path) -> None:
    """A zip whose member names carry markup, terminal escapes and bidi overrides, scanned for real."""
    import zipfile

    import chainwatch

    names = ["<script>alert(1)</script>.js", "evil\x1b[2J\x1b]0;pwn\x07.txt", "invoice\u202efdp.exe",
             "a b/c:d?e#f%g.txt", "[bold red]markup[/].txt"]
    artifact = tmp_path / "hostile.zip"
    with zipfile.ZipFile(artifact, "w") as zf:
        for i, name in enumerate(names):
            zf.writestr(name, f"console.log({i})\n")
    report = chainwatch.scan(artifact, ScanOptions(jobs=1))
    inner = [m for m in report.inventory if m.parent]
    assert len(inner) >= len(names)
    opts = RenderOptions(include_inventory=True, color=True, width=200)

    page = render(report, "html", opts)
    assert "<script>alert(1)</script>" not in page and "\x1b" not in page and "\u202e" not in page
    assert page.count("<script>") == 1

    terminal = render(report, "terminal", opts)
    for bad in ("\x1b[2J", "\x1b]0", "\x07", "\u202e"):
        assert bad not in terminal
    assert "[bold red]markup[/]" in terminal

    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    assert list(validator_for(schema)(schema).iter_errors(json.loads(render(report, "sarif", opts)))) == []
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(render(report, "cyclonedx", opts)) is None
    assert Report.from_dict(json.loads(render(report, "json", opts))).inventory == report.inventory


def _slack_tampered_copy(source: Path, target: Path) -> None:
    """3CX technique on a real signed DLL: grow the certificate table over an appended payload."""
    import struct

    data = bytearray(source.read_bytes())
    (e_lfanew,) = struct.unpack_from("<I", data, 0x3C)
    (magic,) = struct.unpack_from("<H", data, e_lfanew + 24)
    security_dir = e_lfanew + 24 + (112 if magic == 0x20B else 96) + 4 * 8
    offset, size = struct.unpack_from("<II", data, security_dir)
    payload = b"\xfe\xed\xfa\xce" + bytes((i * 73 + 41) % 256 for i in range(4092))
    data += payload
    struct.pack_into("<II", data, security_dir, offset, size + len(payload))
    struct.pack_into("<I", data, offset, size + len(payload))
    target.write_bytes(data)


def test_real_finding_in_every_format(tmp_path: Path, corpus: Path, shared: Path) -> None:
    import chainwatch
    from chainwatch import registry

    if "authenticode.cert-table-slack" not in {r.id for r in registry.member_rules()}:
        pytest.skip("authenticode rules are not on this branch")
    source = corpus / "binaries/pe/signed-microsoft/v14.42.34433/vcruntime140.dll"
    dll = tmp_path / "vcruntime140.dll"
    _slack_tampered_copy(source, dll)
    report = chainwatch.scan(dll, ScanOptions(jobs=1))
    slack = next(f for f in report.findings if f.rule == "authenticode.cert-table-slack")
    opts = RenderOptions(include_inventory=True, color=False, width=160)

    terminal = render(report, "terminal", opts)
    assert report.verdict.value.upper() in terminal and slack.rule in terminal and "offset=0x" in terminal

    sarif = json.loads(render(report, "sarif", opts))
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    assert list(validator_for(schema)(schema).iter_errors(sarif)) == []
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == slack.rule)
    assert result["level"] == ("error" if slack.severity.rank >= 3 else "warning")
    assert result["properties"]["evidence"]["offset"] == slack.evidence["offset"]
    rule = next(r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == slack.rule)
    assert rule["fullDescription"]["text"] and float(rule["properties"]["security-severity"]) >= 7.0

    bom = render(report, "cyclonedx", opts)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom) is None
    assert f"{slack.severity.value} {slack.rule}" in bom

    page = htmllib.unescape(render(report, "html", opts))
    assert slack.message in page and f"{slack.evidence['offset']:#x}" in page
