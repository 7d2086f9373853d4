"""intel: --db after the action, a closed pipe, and bundle JSON that stays linear in size."""
import json
from pathlib import Path

import pytest

from chainwatch.cli import main
from chainwatch.intel.export import bundle_json, export_bundle
from chainwatch.intel.packs import builtin_indicators


def test_db_after_the_action(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cw.db")
    assert main(["intel", "import", "builtin", "--db", db]) == 0
    capsys.readouterr()
    assert main(["intel", "stats", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["indicators"] > 0


def test_bundle_json_is_indented_stix() -> None:
    bundle, _ = export_bundle(builtin_indicators())
    doc = json.loads(bundle_json(bundle))
    assert doc["type"] == "bundle"
    assert any(o["type"] == "indicator" for o in doc["objects"])
