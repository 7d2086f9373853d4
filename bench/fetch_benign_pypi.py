"""Download the benign PyPI development set straight from the registry: nothing is built or run.

    python bench/fetch_benign_pypi.py [OUTDIR] [LIST.csv]     (default OUTDIR: bench/out/benign-pypi)

``LIST.csv`` is ``../shared/benign/pypi-dev.csv`` (name, version, kind). For kind ``sdist`` the release's
source archive is taken, for ``wheel`` its pure-Python wheel (``py3-none-any`` or ``py2.py3-none-any``);
a release without one is reported and skipped. ``../shared/benign/fetch.sh`` does the same through
``pip download``, which prepares each sdist's metadata by running its build backend; this script only
reads PyPI's simple index (JSON form, PEP 691) and downloads the file. Existing files are kept.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CHAINWATCH_SHARED", HERE.parent.parent / "shared"))
INDEX = "https://pypi.org/simple/"
PURE_WHEELS = ("-py3-none-any.whl", "-py2.py3-none-any.whl")


def _get(url: str, accept: str = "*/*") -> bytes:
    req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "chainwatch-bench"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return bytes(r.read())


def _version_of(filename: str) -> str | None:
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) >= 5 else None
    for ext in (".tar.gz", ".zip"):
        if filename.endswith(ext):
            return filename[:-len(ext)].rsplit("-", 1)[-1]
    return None


def fetch(name: str, version: str, kind: str, out: Path) -> str:
    page = urllib.parse.urljoin(INDEX, re.sub(r"[-_.]+", "-", name).lower() + "/")
    try:
        files = json.loads(_get(page, "application/vnd.pypi.simple.v1+json"))["files"]
    except (OSError, ValueError, KeyError) as exc:
        return f"failed: {exc}"
    wanted = [f for f in files if not f.get("yanked") and _version_of(f["filename"]) == version and (
        f["filename"].endswith(PURE_WHEELS) if kind == "wheel" else f["filename"].endswith((".tar.gz", ".zip")))]
    if not wanted:
        return f"failed: no {kind} of {version}"
    dest = out / wanted[0]["filename"]
    if dest.exists():
        return "kept"
    try:
        dest.write_bytes(_get(urllib.parse.urljoin(page, wanted[0]["url"])))
    except OSError as exc:
        return f"failed: {exc}"
    return "downloaded"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "out" / "benign-pypi"
    out.mkdir(parents=True, exist_ok=True)
    with open(sys.argv[2] if len(sys.argv) > 2 else SHARED / "benign" / "pypi-dev.csv") as f:
        rows = [r for r in csv.reader(f) if len(r) >= 3 and r[0] != "name"]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda r: fetch(r[0], r[1], r[2], out), rows))
    for row, res in zip(rows, results, strict=True):
        if res.startswith("failed"):
            print(f"{row[0]}=={row[1]} ({row[2]}): {res}")
    print({k: sum(r.startswith(k) for r in results) for k in ("kept", "downloaded", "failed")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
