"""CLI: chainwatch diff / baseline / components on real corpus packages."""

from __future__ import annotations

import json
from pathlib import Path

from chainwatch.cli import main


def test_baseline_then_diff_against_it(corpus: Path, tmp_path: Path, capsys):
    db = str(tmp_path / "cw.db")
    six = corpus / "packages/pypi/six"
    assert main(["baseline", "add", "six", str(six / "six-1.16.0-py2.py3-none-any.whl"), "--version", "1.16.0",
                 "--db", db, "-q", "-j", "1"]) == 0
    assert main(["baseline", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "six\t1.16.0" in out
    code = main(["diff", "--baseline", "six", str(six / "six-1.17.0-py2.py3-none-any.whl"), "--db", db, "-f", "json",
                 "-q", "-j", "1"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["command"] == "diff" and " -> " in doc["target"]
    assert doc["verdict"] == "clean"
    changes = doc["changes"]
    assert changes["unchanged"] >= 1
    assert any(m["path"].endswith("six.py") for m in changes["modified"])


def test_diff_two_paths_and_usage_errors(corpus: Path, tmp_path: Path, capsys):
    npm = corpus / "packages/npm/ms"
    code = main(["diff", str(npm / "ms-2.1.2.tgz"), str(npm / "ms-2.1.3.tgz"), "--no-store", "-f", "json", "-q",
                 "-j", "1"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["verdict"] == "clean"
    assert main(["diff", str(npm / "ms-2.1.2.tgz"), "--no-store"]) == 2
    assert main(["diff", "--baseline", "nothing-recorded", str(npm / "ms-2.1.3.tgz"), "--db",
                 str(tmp_path / "empty.db")]) == 2


def test_components_learn_and_list(corpus: Path, tmp_path: Path, capsys):
    db = str(tmp_path / "cw.db")
    dll = corpus / "binaries/pe/signed-microsoft/v14.42.34433/vcruntime140.dll"
    assert main(["components", "learn", str(dll), "--db", db, "-q", "-j", "1"]) == 0
    assert "learned" in capsys.readouterr().out
    assert main(["components", "list", "--db", db]) == 0
