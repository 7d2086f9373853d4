"""Targets that are neither a regular file nor a directory are refused (exit 2) instead of hanging."""
import os
import zipfile
from pathlib import Path

import pytest

from chainwatch.cli import main


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_scan_fifo_is_refused_not_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["scan", str(fifo), "--no-store", "-q"]) == 2
    assert "not a regular file or directory" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_scan_endless_device_is_refused() -> None:
    assert main(["scan", "/dev/zero", "--no-store", "-q"]) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_diff_with_fifo_side_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    good = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert main(["diff", str(good), str(fifo), "--no-store", "-q"]) == 2
