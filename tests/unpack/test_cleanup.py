"""The private temp dir is removed when a scan is interrupted (SIGTERM, Ctrl-C) in the middle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_SCAN = "import sys\nfrom chainwatch import ScanOptions, scan\nscan(sys.argv[1], ScanOptions(jobs=2))\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_scan_leaves_nothing_behind(tmp_path: Path, sig: signal.Signals) -> None:
    target = tmp_path / "big.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for i in range(30):
            zf.writestr(f"blob{i:02d}.bin", os.urandom(4 * 1024 * 1024))
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-c", _SCAN, str(target)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        sandboxes = list(temp.glob("chainwatch-*"))
        if sandboxes and any(sandboxes[0].rglob("*.bin")):
            break
        time.sleep(0.01)
    if proc.poll() is not None:
        pytest.skip("the scan finished before it could be interrupted")
    proc.send_signal(sig)
    proc.wait(timeout=60)
    if proc.returncode == 0:  # it exited between the poll and the signal: nothing was interrupted
        pytest.skip("the scan finished before the signal arrived")
    time.sleep(0.2)
    assert not any(temp.iterdir()), f"left behind: {list(temp.rglob('*'))[:5]}"
