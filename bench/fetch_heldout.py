"""Download the held-out benign set: popular PyPI and npm packages the rules were never tuned on.

    python bench/fetch_heldout.py [OUTDIR] [LIST.csv]     (default OUTDIR: bench/out/heldout)

``bench/data/heldout-benign.csv`` pins one artifact per package (ecosystem, name, version, file name,
sha256): 200 PyPI names spread over ranks 1-1500 of ``chainwatch/data/popular/pypi.txt`` and 200 npm names
over ranks 1-2000 of ``npm.txt``, none of them in the development benign sets, chosen before any rule
change was made for them. Artifacts come straight from the registries (no pip, no npm: nothing is built
or run) into OUTDIR/pypi and OUTDIR/npm, each checked against its pinned sha256; existing good files are
kept. Then evaluate with::

    python bench/eval_packages.py --guarddog-sample 0 --benign-pypi OUTDIR/pypi --benign-npm OUTDIR/npm

Nine batches are pinned (``heldout-benign.csv``, ``-2`` to ``-9``), each drawn from names none of the
earlier sets held and each scanned first by code that had never seen it (``PACKAGES_RESULTS.md``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _get(url: str, timeout: int = 300) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "chainwatch-bench"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return bytes(r.read())


def _url(row: dict[str, str]) -> str:
    if row["ecosystem"] == "pypi":
        index = f"https://pypi.org/pypi/{row['name']}/json"
        meta = json.loads(_get(index))
        # a mirror may give file addresses relative to the index page
        return urllib.parse.urljoin(index, next(f["url"] for f in meta["releases"][row["version"]]
                                                if f["filename"] == row["file"]))
    name = row["name"].replace("/", "%2F")
    meta = json.loads(_get(f"https://registry.npmjs.org/{name}/{row['version']}"))
    return urllib.parse.urljoin("https://registry.npmjs.org/", meta["dist"]["tarball"])


def fetch(row: dict[str, str], out: Path) -> str:
    dest = out / row["ecosystem"] / row["file"]
    if dest.exists() and hashlib.sha256(dest.read_bytes()).hexdigest() == row["sha256"]:
        return "kept"
    try:
        data = _get(_url(row))
    except (OSError, ValueError, StopIteration, KeyError) as exc:
        return f"failed: {exc}"
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        return "failed: sha256 mismatch"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return "downloaded"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "out" / "heldout"
    with open(sys.argv[2] if len(sys.argv) > 2 else HERE / "data" / "heldout-benign.csv") as f:
        rows = list(csv.DictReader(f))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda r: fetch(r, out), rows))
    for row, res in zip(rows, results, strict=True):
        if res.startswith("failed"):
            print(f"{row['ecosystem']} {row['name']}=={row['version']}: {res}")
    print({k: sum(r.startswith(k) for r in results) for k in ("kept", "downloaded", "failed")})
    return 1 if any(r.startswith("failed") for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
