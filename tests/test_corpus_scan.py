"""`chainwatch scan` over every corpus file: inventory types and hashes match the manifest, verdict clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainwatch import ScanOptions, Severity, Verdict, scan
from tests.conftest import shared_dir

_SHARED = shared_dir()
_MANIFEST = json.loads((_SHARED / "corpus" / "manifest.json").read_text()) if _SHARED else {"files": []}
_FILES = _MANIFEST["files"]

_ROOT_TYPES = {
    "PE": {"pe", "pe/dotnet"},
    "ELF": {"elf"},
    "Mach-O": {"macho", "macho/fat"},
}
_KIND_TYPES = {"wheel": {"archive/zip"}, "sdist": {"compressed/gzip"}, "npm": {"compressed/gzip"}}


def _expected_types(entry: dict) -> set[str]:
    analysis = entry.get("analysis") or {}
    fmt = analysis.get("format")
    if fmt == "PE":
        return {"pe/dotnet"} if analysis.get("dotnet") else {"pe"}
    if fmt == "Mach-O":
        return {"macho/fat"} if analysis.get("fat") else {"macho"}
    if fmt:
        return _ROOT_TYPES[fmt]
    return _KIND_TYPES[entry["kind"]]


_PARAMS = [pytest.param(f, id=f["path"]) for f in _FILES] or [
    pytest.param({}, id="corpus", marks=pytest.mark.skip(reason="../shared is not present (CI provides it)"))
]


@pytest.mark.parametrize("entry", _PARAMS)
def test_corpus_file_inventory_and_verdict(corpus: Path, entry: dict) -> None:
    report = scan(corpus / entry["path"], ScanOptions(jobs=1))
    by_path = {m.path: m for m in report.inventory}
    root = by_path[Path(entry["path"]).name]
    assert root.sha256 == entry["sha256"]
    assert root.size == entry["size"]
    assert root.type in _expected_types(entry), (root.type, entry.get("analysis"))
    if entry["kind"] in ("wheel", "sdist", "npm"):
        assert root.container and len(report.inventory) > 1
    for pe in entry.get("pe_members", []):
        member = by_path[f"{root.path}!/{pe['member']}"]
        assert member.sha256 == pe["sha256"]
        assert member.type.startswith("pe")
    for m in report.inventory:
        if m.type != "directory":
            assert len(m.sha256) == 64 and len(m.md5) == 32 and len(m.sha1) == 40
            assert 0.0 <= m.entropy <= 8.0
    assert not report.errors, report.errors
    assert all(f.severity <= Severity.LOW for f in report.findings), [f.to_dict() for f in report.findings]
    assert report.verdict == Verdict.CLEAN
