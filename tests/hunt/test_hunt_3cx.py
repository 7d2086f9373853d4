"""The 3CX traits, built at test time, are found by the built-in pack and by signature-base's 3CX rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.hunt.run import HuntOptions, hunt
from chainwatch.intel.packs import builtin_indicators
from chainwatch.intel.store import IndicatorStore
from chainwatch.models import Report, Severity
from tests.hunt.fixtures import build_3cx_tree


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("victim")
    return root, build_3cx_tree(root, corpus)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yara-cache")


def _hits(report: Report) -> dict[str, set[str]]:
    """path -> rule names / finding kinds that hit it."""
    out: dict[str, set[str]] = {}
    for f in report.findings:
        name = f.evidence.get("rule") or f.rule
        out.setdefault(f.path, set()).add(name)
    return out


def test_builtin_pack_finds_every_trait(tree: tuple[Path, dict[str, Path]], cache: Path) -> None:
    root, paths = tree
    report = hunt([root], builtin_indicators(), HuntOptions(jobs=1, cache_dir=cache))
    hits = _hits(report)
    d3d = str(paths["d3dcompiler"])
    assert {"CW_SigFlip_Tag_In_Certificate_Table", "CW_3CX_RC4_Key"} <= hits[d3d]
    assert "CW_ICO_PNG_Dollar_Base64_Trailer" in hits[str(paths["ico"])]
    assert str(paths["plain_ico"]) not in hits  # a plain icon is not flagged
    assert str(paths["clean_dll"]) not in hits  # the untouched signed DLL is clean
    assert "CW_SigFlip_Tag_In_Certificate_Table" not in hits.get(str(paths["tag_outside"]), set())
    # installed-software checks: asar, package.json, Info.plist, uninstall export
    for key in ("asar", "package", "plist", "reg"):
        assert "hunt.software" in hits[str(paths[key])], key
    assert str(paths["fixed_package"]) not in hits  # 18.12.422 is the fixed build
    # the trojanized DLL inside the installer archive is found under its logical path
    inner = str(paths["msi"]) + "!/APPDIR/d3dcompiler_47.dll"
    assert "CW_SigFlip_Tag_In_Certificate_Table" in hits[inner]
    assert "hunt.filename" in hits[str(paths["msi"])]
    # every hit names its indicator, source and campaign
    for f in report.findings:
        ind = f.evidence["indicator"]
        assert ind["source"].startswith("builtin:")
        assert ind["campaign"] and "3CX" in ind["campaign"]
    sw = next(f for f in report.findings if f.rule == "hunt.software" and f.path == str(paths["asar"]))
    assert sw.evidence["version"] == "18.12.416" and sw.evidence["fixed"] == "18.12.422"
    assert report.max_severity() is not None and report.max_severity() >= Severity.HIGH
    assert report.stats["archive_members"] >= 2


def test_signature_base_3cx_rules_find_the_traits(tree: tuple[Path, dict[str, Path]], cache: Path,
                                                  shared: Path) -> None:
    from chainwatch.intel.importers.signature_base import read_signature_base

    root, paths = tree
    report = hunt([root], read_signature_base(shared / "intel" / "signature-base"),
                  HuntOptions(jobs=1, cache_dir=cache))
    hits = _hits(report)
    assert "APT_SUSP_NK_3CX_RC4_Key_Mar23_1" in hits[str(paths["d3dcompiler"])]
    assert "APT_SUSP_NK_3CX_RC4_Key_Mar23_1" in hits[str(paths["msi"]) + "!/APPDIR/d3dcompiler_47.dll"]
    assert "hunt.filename" in hits[str(paths["msi"])]  # signature-base's 3CX installer name IOC (Windows form)
    f = next(f for f in report.findings if f.evidence.get("rule") == "APT_SUSP_NK_3CX_RC4_Key_Mar23_1")
    assert f.evidence["indicator"]["source"] == "signature-base:yara/gen_mal_3cx_compromise_mar23.yar"
    assert any(s["bytes"] == b"3jB(2bsG#@c7".hex() for s in f.evidence["strings"])
    assert report.extra["hunt"]["yara"]["percent_loaded"] >= 99.0


def test_parallel_hunt_and_resume(tree: tuple[Path, dict[str, Path]], cache: Path, tmp_path: Path) -> None:
    from chainwatch.store import open_store

    root, _paths = tree
    store = open_store(tmp_path / "cw.db")
    indicators = list(builtin_indicators())
    IndicatorStore(store.conn)  # schema present through the migration runner too
    full = hunt([root], indicators, HuntOptions(jobs=2, cache_dir=cache), conn=store.conn)
    # pretend the run was interrupted: reopen it and forget half the journal
    store.conn.execute("UPDATE hunt_run SET finished_at=NULL")
    done = [r[0] for r in store.conn.execute("SELECT path FROM hunt_done ORDER BY path")]
    store.conn.executemany("DELETE FROM hunt_done WHERE path=?", [(p,) for p in done[: len(done) // 2]])
    store.conn.commit()
    resumed = hunt([root], indicators, HuntOptions(jobs=1, cache_dir=cache), conn=store.conn)
    assert resumed.stats["files_resumed"] == len(done) - len(done) // 2
    assert resumed.stats["files_scanned"] == len(done) // 2
    key = lambda f: (f.rule, f.path, f.message)  # noqa: E731
    assert sorted(map(key, resumed.findings)) == sorted(map(key, full.findings))
    store.close()


def test_exclusions_and_size_cap(tree: tuple[Path, dict[str, Path]], cache: Path) -> None:
    root, paths = tree
    report = hunt([root], builtin_indicators(),
                  HuntOptions(jobs=1, cache_dir=cache, excludes=("*.ico", "*/Downloads/*"), max_file_size=4096))
    hits = _hits(report)
    assert str(paths["ico"]) not in hits and str(paths["msi"]) not in hits
    # the DLL is over the 4 KiB YARA cap: no rule hit, and the cap is reported
    assert "CW_SigFlip_Tag_In_Certificate_Table" not in hits.get(str(paths["d3dcompiler"]), set())
    assert any(e.kind == "limit" and e.path == str(paths["d3dcompiler"]) for e in report.errors)


def test_trojanized_dll_inside_a_real_msi(tmp_path: Path, corpus: Path, cache: Path) -> None:
    import os

    from tests.hunt.fixtures import RC4_KEY, VCRUNTIME, sigflip_tamper
    from tests.unpack import builders

    if not builders.have("wixl"):
        pytest.skip("msitools' wixl (to build an MSI) is not installed")
    tampered = sigflip_tamper((corpus / VCRUNTIME).read_bytes(), RC4_KEY + os.urandom(64))
    work = tmp_path / "build"
    work.mkdir()
    msi = builders.msi_installer(work, {"d3dcompiler_47.dll": tampered, "3CXDesktopApp.exe": b"MZ" + bytes(64)})
    target = tmp_path / "drop"
    target.mkdir()
    (target / "setup.msi").write_bytes(msi.read_bytes())
    report = hunt([target], builtin_indicators(), HuntOptions(jobs=1, cache_dir=cache))
    inner = [f for f in report.findings
             if "!/" in f.path and f.path.endswith("d3dcompiler_47.dll")
             and f.evidence.get("rule") == "CW_SigFlip_Tag_In_Certificate_Table"]
    assert inner, [f.path for f in report.findings]
    assert inner[0].path.startswith(str(target / "setup.msi") + "!/")
