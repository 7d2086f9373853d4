"""vet --offline on an unpinned requirement says why it was not vetted, not just "no artifact"."""
import json
import zipfile
from pathlib import Path

import pytest

from chainwatch.cli import main


def test_offline_unpinned_requirement_names_the_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    offline = tmp_path / "artifacts"
    offline.mkdir()
    with zipfile.ZipFile(offline / "six-1.17.0-py2.py3-none-any.whl", "w") as zf:
        zf.writestr("six.py", "x = 1\n")
    req = tmp_path / "requirements.txt"
    req.write_text("six>=1.0\n")
    rc = main(["vet", str(req), "--offline", str(offline), "--no-store", "-f", "json", "-q"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2  # a package nobody looked at fails the gate (--allow-unvetted for findings only)
    [pkg] = out["packages"] if "packages" in out else out["extra"]["packages"]
    assert pkg["verdict"] == "error"
    assert "not pinned" in pkg["error"]
