import json
import zipfile
from pathlib import Path

import pytest

from chainwatch.cli import main


def test_scan_json_contract_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("a.txt", "hello")
    rc = main(["scan", str(target), "--no-store", "-f", "json", "--inventory", "-q"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    for key in ("tool", "version", "target", "verdict", "score", "findings", "errors", "inventory"):
        assert key in out
    assert out["tool"] == "chainwatch" and out["verdict"] == "clean"
    assert {m["path"] for m in out["inventory"]} == {"pkg-1.0.zip", "pkg-1.0.zip!/a.txt"}


def test_missing_target_is_exit_2(tmp_path: Path) -> None:
    assert main(["scan", str(tmp_path / "nope"), "--no-store"]) == 2


def test_usage_error_is_exit_2() -> None:
    assert main(["scan"]) == 2


def test_history_lists_recorded_scans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "tool-3.1.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("a.txt", "hello")
    db = str(tmp_path / "cw.db")
    assert main(["scan", str(target), "--db", db, "-f", "json", "-q"]) == 0
    capsys.readouterr()
    assert main(["history", "tool", "--db", db, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["version"], r["verdict"]) for r in rows] == [("tool", "3.1", "clean")]


def test_min_severity_hides_info_in_terminal_but_json_keeps_all(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from chainwatch.cli.common import render
    from chainwatch.models import Finding, Report, Severity

    report = Report(target="x", findings=[
        Finding("capability.crypto-rc4", Severity.INFO, "a.dll", "rc4 loop"),
        Finding("authenticode.cert-table-slack", Severity.HIGH, "b.dll", "slack"),
    ])
    text = render(report, "terminal", False, color=False, min_severity="low")
    assert "authenticode.cert-table-slack" in text and "capability.crypto-rc4" not in text
    assert "1 finding below low not listed" in text
    data = json.loads(render(report, "json", False, min_severity="low"))
    assert [f["rule"] for f in data["findings"]] == ["capability.crypto-rc4", "authenticode.cert-table-slack"]
