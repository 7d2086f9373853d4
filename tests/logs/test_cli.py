"""``chainwatch hunt-logs`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chainwatch.cli import main

from .conftest import INDICATORS


def test_hunt_logs_cli_json_and_exit_code(scenario: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, manifest = scenario
    report_path = tmp_path / "r.json"
    code = main(["hunt-logs", str(out / "zeek"), str(out / "squid"), "--indicators", str(INDICATORS),
                 "-f", "json", "-o", str(report_path), "-j", "1"])
    assert code == 1  # findings at or above --fail-on high
    data = json.loads(report_path.read_text())
    assert data["command"] == "hunt-logs" and data["stats"]["indicators"] > 20
    assert {f["path"] for f in data["findings"] if f["rule"] == "logs.ioc-hit"} == {manifest["infected"]["ip"]}


def test_plain_indicator_list_and_clean_logs(scenario: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = scenario
    plain = tmp_path / "domains.txt"
    plain.write_text("# nothing in these logs\nnever-seen.example\n203.0.113.0/24\n")
    code = main(["hunt-logs", str(out / "csv"), "--indicators", str(plain), "--no-beacons", "-f", "json",
                 "-o", str(tmp_path / "r.json")])
    assert code == 0
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "clean"


def test_map_option_for_generic_csv(tmp_path: Path) -> None:
    log = tmp_path / "custom.csv"
    log.write_text("when;who;name\n2023-03-29T10:00:00Z;pc9;www.pbxsources.com\n")
    code = main(["hunt-logs", str(log), "--map", "ts=when,src=who,domain=name", "--indicators", str(INDICATORS),
                 "-f", "json", "-o", str(tmp_path / "r.json")])
    data = json.loads((tmp_path / "r.json").read_text())
    assert code == 1 and data["findings"][0]["path"] == "pc9"
