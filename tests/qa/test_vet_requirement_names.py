"""Any *.txt / *.in handed to vet is a pip requirements file, whatever its name (pip -r accepts any)."""
from pathlib import Path

import pytest

from chainwatch.packages.lockfiles import parse_lockfile


@pytest.mark.parametrize("filename", ["deps.txt", "dev.txt", "constraints.txt", "requirements.in"])
def test_requirements_file_under_any_name(tmp_path: Path, filename: str) -> None:
    path = tmp_path / filename
    path.write_text("six==1.17.0\nidna==3.20\n")
    assert [(d.name, d.version) for d in parse_lockfile(path)] == [("six", "1.17.0"), ("idna", "3.20")]
