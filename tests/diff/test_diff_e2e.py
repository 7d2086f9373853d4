"""End to end on real corpus files: honest bumps stay clean, tampered copies are named (facts permitting)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainwatch import registry
from chainwatch.diff import diff_artifacts
from chainwatch.models import Verdict
from chainwatch.options import ScanOptions

OPTS = ScanOptions(jobs=1)


def need_analyzer(name: str) -> None:
    names = {a.name for a in registry.member_analyzers()} | {a.name for a in registry.tree_analyzers()}
    if name not in names:
        pytest.skip(f"analyzer {name!r} is not installed on this branch yet")


def release(tmp: Path, name: str, files: dict[str, Path | bytes]) -> Path:
    root = tmp / name
    root.mkdir()
    for rel, src in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, bytes):
            dest.write_bytes(src)
        else:
            shutil.copyfile(src, dest)
    return root


def test_signed_runtime_bump_is_clean(corpus: Path, tmp_path: Path):
    pe = corpus / "binaries/pe/signed-microsoft"
    old = release(tmp_path, "app-1.0", {"vcruntime140.dll": pe / "v14.42.34433/vcruntime140.dll",
                                        "msvcp140.dll": pe / "v14.42.34433/msvcp140.dll"})
    new = release(tmp_path, "app-1.1", {"vcruntime140.dll": pe / "v14.44.35112/vcruntime140.dll",
                                        "msvcp140.dll": pe / "v14.44.35112/msvcp140.dll"})
    report = diff_artifacts(old, new, OPTS)
    assert report.command == "diff" and report.target.endswith("app-1.1")
    assert report.verdict == Verdict.CLEAN, [f.to_dict() for f in report.findings]
    changes = report.extra["changes"]
    assert {m["path"] for m in changes["modified"]} == {"app-1.1/vcruntime140.dll", "app-1.1/msvcp140.dll"}
    assert changes["added"] == [] and changes["removed"] == []


def test_av_wheel_dlls_match_across_hash_suffixes(corpus: Path):
    """PyAV 14.0.0 -> 14.0.1: 33 bundled DLLs byte-identical, 50 .pyd rebuilt; dist-info renamed."""
    rel = corpus / "releases/app-win"
    report = diff_artifacts(rel / "14.0.0/av-14.0.0-cp311-cp311-win_amd64.whl",
                            rel / "14.0.1/av-14.0.1-cp311-cp311-win_amd64.whl", ScanOptions(analyzers=()))
    changes = report.extra["changes"]
    assert changes["added"] == [] and changes["removed"] == []
    modified = [m["path"] for m in changes["modified"]]
    assert sum(1 for n in modified if n.endswith(".pyd")) == 50
    assert not any(n.endswith(".dll") for n in modified)
    assert any(r["how"] == "normalised" and "dist-info" in r["path"] for r in changes["renamed"])
    assert report.verdict == Verdict.CLEAN


def test_sigflip_payload_in_signed_dll_is_critical(corpus: Path, tmp_path: Path):
    need_analyzer("authenticode")
    from demo.techniques import fake_payload, sigflip_inject

    dll = corpus / "binaries/pe/signed-microsoft/v14.42.34433/msvcp140.dll"
    old = release(tmp_path, "app-1.0", {"d3dcompiler_47.dll": dll})
    new = release(tmp_path, "app-1.1", {"d3dcompiler_47.dll": sigflip_inject(dll.read_bytes(), fake_payload(4096))})
    report = diff_artifacts(old, new, OPTS)
    top = report.findings[0]
    assert top.rule == "diff.cert-table-slack" and top.severity.value == "critical"
    assert top.evidence["after"]["sigflip_tag"] is True and top.evidence["before"]["bytes"] == 0
    assert report.verdict == Verdict.MALICIOUS


def test_loader_section_in_third_party_dll(corpus: Path, tmp_path: Path):
    need_analyzer("pe")
    from demo.techniques import add_loader

    src = corpus / "binaries/pe/unsigned/libusb-package-1.0.30.0/libusb-1.0.dll"
    add_loader(src, tmp_path / "trojan.dll")
    old = release(tmp_path, "app-1.0", {"libusb-1.0.dll": src})
    new = release(tmp_path, "app-1.1", {"libusb-1.0.dll": tmp_path / "trojan.dll"})
    report = diff_artifacts(old, new, OPTS)
    rules = {f.rule for f in report.findings}
    assert {"diff.new-exec-section", "diff.entrypoint-moved"} <= rules
    assert report.verdict == Verdict.MALICIOUS
    ep = next(f for f in report.findings if f.rule == "diff.entrypoint-moved")
    assert ep.evidence["after"]["section"] == ".text2"


def test_npm_preinstall_added(corpus: Path, tmp_path: Path):
    need_analyzer("package")
    from bench.variants import JS_EXFIL, npm_patch_release

    src = corpus / "packages/npm/ua-parser-js/ua-parser-js-0.7.28.tgz"
    new = npm_patch_release(src, tmp_path, package_edit=lambda d: d.setdefault("scripts", {}).update(
        {"preinstall": "node preinstall.js"}), add={"package/preinstall.js": JS_EXFIL})
    report = diff_artifacts(src, new, OPTS)
    assert any(f.rule == "diff.new-install-hook" for f in report.findings)
    assert report.verdict != Verdict.CLEAN


def test_incremental_and_full_scans_agree(corpus: Path, tmp_path: Path):
    """The incremental pair scan analyses only changed members but reaches the same findings."""
    need_analyzer("pe")
    from demo.techniques import add_loader

    src = corpus / "binaries/pe/unsigned/markupsafe-3.0.3/_speedups.cp311-win_amd64.pyd"
    add_loader(src, tmp_path / "trojan.pyd")
    same = corpus / "binaries/pe/unsigned/cffi-2.0.0/_cffi_backend.cp311-win_amd64.pyd"
    old = release(tmp_path, "pkg-1.0", {"_speedups.pyd": src, "_cffi_backend.pyd": same})
    new = release(tmp_path, "pkg-1.1", {"_speedups.pyd": tmp_path / "trojan.pyd", "_cffi_backend.pyd": same})
    fast = diff_artifacts(old, new, OPTS)
    full = diff_artifacts(old, new, OPTS, incremental=False)
    assert [(f.rule, f.path) for f in fast.findings] == [(f.rule, f.path) for f in full.findings]
    assert fast.verdict == full.verdict == Verdict.MALICIOUS
    unchanged = next(r for r in fast.inventory if r.path.endswith("_cffi_backend.pyd"))
    # identical bytes: fingerprinted, not analysed; only its signature is read, for the signing rules
    assert set(unchanged.features) <= {"authenticode"}


def test_deferred_tlsh_still_pairs_a_renamed_big_member(corpus: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    """A diff skips TLSH of big members that pair by path, but computes it for a rename search."""
    import importlib

    incremental = importlib.import_module("chainwatch.diff.incremental")  # chainwatch.diff is also the API function

    dll = (corpus / "binaries/pe/unsigned/cffi-2.0.0/_cffi_backend.cp311-win_amd64.pyd").read_bytes()
    edited = dll[:4096] + b"\x90" * 64 + dll[4160:]
    same = corpus / "binaries/pe/unsigned/markupsafe-3.0.3/_speedups.cp311-win_amd64.pyd"
    monkeypatch.setattr(incremental, "DEFERRED_TLSH_BYTES", 1024)  # both files count as "big" here
    old = release(tmp_path, "pkg-1.0", {"lib/_backend_v1.pyd": dll, "_speedups.pyd": same})
    new = release(tmp_path, "pkg-1.1", {"lib/_backend_v2.pyd": edited, "_speedups.pyd": same})
    report = diff_artifacts(old, new, OPTS)
    renamed = {r["path"]: r for r in report.extra["changes"]["renamed"]}
    pair = renamed.get("pkg-1.1/lib/_backend_v2.pyd")
    assert pair is not None and pair["how"] == "tlsh" and pair["distance"] is not None, report.extra["changes"]
    kept = next(r for r in report.inventory if r.path.endswith("_speedups.pyd"))
    assert kept.tlsh is None and kept.sha256  # paired by path: hashed, TLSH never needed


def test_new_signer_next_to_unchanged_signed_siblings(corpus: Path, tmp_path: Path):
    """The incremental diff reads the signatures of unchanged siblings, so a DLL signed by a newcomer
    beside Microsoft-signed runtime DLLs is named (a sideloading set-up), as in a full scan."""
    need_analyzer("authenticode")
    ms = corpus / "binaries/pe/signed-microsoft/v14.44.35112"
    runtime = {f"app/{p.name}": p for p in sorted(ms.glob("*.dll"))[:2]}
    other = corpus / "binaries/pe/signed-other/conpty.dll"
    old = release(tmp_path, "app-1.0", runtime)
    new = release(tmp_path, "app-1.1", {**runtime, "app/helper.dll": other})
    fast = diff_artifacts(old, new, OPTS)
    full = diff_artifacts(old, new, OPTS, incremental=False)
    rules = {f.rule for f in fast.findings}
    assert "diff.sibling-signer-new" in rules, sorted(rules)
    assert rules == {f.rule for f in full.findings}
