"""`chainwatch vet` at scale: a real 1,388-package npm lockfile and a 120-package requirements.txt,
interrupted part-way and re-run (it must resume from its cache, not start over).

    .venv/bin/python bench/bench_vet.py [--interrupt-after 60] [--requirements-only | --npm-only]

- npm: the ``npm-shrinkwrap.json`` that netlify-cli 15.0.0 publishes inside its npm tarball (lockfile v2,
  1,388 packages). The tarball is fetched once from the npm registry and checked against the sha512
  integrity the registry publishes; only the JSON lockfile is read from it (nothing is installed or run).
- PyPI: a requirements.txt pinning the first 120 packages of ``../shared/benign/pypi-dev.csv`` (popular
  packages at pinned versions); skipped without ../shared.

Each lockfile is vetted by ``chainwatch vet`` in a subprocess with its own store and download cache under
``bench/out/vet/``; the first run is stopped after ``--interrupt-after`` seconds with SIGINT to its process
group (as Ctrl-C in a terminal does), the second
runs to the end. Printed: packages judged in run 1, how many run 2 took from the cache, the verdict
counts, wall times and the exit code. The per-package table and progress bar are chainwatch's own output
(shown when run in a terminal).
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "vet"
SHARED = Path(os.environ.get("CHAINWATCH_SHARED", REPO.parent / "shared"))
NPM_TARBALL = "https://registry.npmjs.org/netlify-cli/-/netlify-cli-15.0.0.tgz"
NPM_INTEGRITY = "sha512-1vwkx/tkT9q2kf2LCJCUIiIxdL8TkCEP6dS0jj1ooOJqFlC2sGhxAf58MA6vTljQG1ruhVie/03QX51CRur+jQ=="
MAX_LOCKFILE_BYTES = 20 * 1024 * 1024


def npm_lockfile() -> Path:
    dest = OUT / "netlify-cli-15.0.0" / "npm-shrinkwrap.json"
    if dest.exists():
        return dest
    data = urllib.request.urlopen(NPM_TARBALL, timeout=120).read()
    algo, b64 = NPM_INTEGRITY.split("-", 1)
    if base64.b64encode(hashlib.new(algo, data).digest()).decode() != b64:
        raise SystemExit(f"{NPM_TARBALL}: integrity mismatch (expected {NPM_INTEGRITY})")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        member = tf.getmember("package/npm-shrinkwrap.json")
        if not member.isreg() or member.size > MAX_LOCKFILE_BYTES:
            raise SystemExit("unexpected npm-shrinkwrap.json entry in the tarball")
        fh = tf.extractfile(member)
        assert fh is not None
        text = fh.read()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(text)
    return dest


def requirements_file(count: int = 120) -> Path | None:
    csv_path = SHARED / "benign" / "pypi-dev.csv"
    if not csv_path.exists():
        print(f"skipped requirements.txt: {csv_path} not present (../shared not mounted)")
        return None
    with csv_path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))[:count]
    dest = OUT / "requirements" / "requirements.txt"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(f"{r['name']}=={r['version']}\n" for r in rows))
    return dest


def run_vet(lockfile: Path, db: Path, interrupt_after: float | None) -> tuple[float, int, dict]:
    env = dict(os.environ, CHAINWATCH_CACHE=str(OUT / "cache"), PYTHONPATH=str(REPO))
    report = db.with_suffix(f".run{int(time.time())}.json")
    cmd = [sys.executable, "-m", "chainwatch", "vet", str(lockfile), "--db", str(db), "--format", "json",
           "-o", str(report), "--all", "--allow-unvetted"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    try:
        code = proc.wait(timeout=interrupt_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)  # like Ctrl-C in a terminal: the whole process group
        code = proc.wait()
    secs = time.monotonic() - started
    doc = json.loads(report.read_text()) if report.exists() else {}
    return secs, code, doc


def cached_count(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM vet_results").fetchone()[0])
        except sqlite3.Error:
            return 0


def bench(name: str, lockfile: Path, interrupt_after: float) -> None:
    db = OUT / f"{name}.db"
    if db.exists():
        db.unlink()
    print(f"\n== {name}: {lockfile}")
    secs1, code1, _ = run_vet(lockfile, db, interrupt_after)
    judged_first = cached_count(db)
    print(f"run 1: stopped after {secs1:.1f} s (exit {code1}); {judged_first} packages judged and cached")
    secs2, code2, doc = run_vet(lockfile, db, None)
    stats = doc.get("stats", {})
    print(f"run 2: {secs2:.1f} s (exit {code2}); {stats.get('packages')} packages: judged {stats.get('judged')}, "
          f"from cache {stats.get('cached')}, not vetted {stats.get('unvetted')}; verdicts {stats.get('verdicts')}")
    if stats.get("cached", 0) < judged_first:
        print("WARNING: the second run did not take every package judged by the first from the cache")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interrupt-after", type=float, default=60.0, help="seconds before SIGINT in run 1")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--npm-only", action="store_true")
    group.add_argument("--requirements-only", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    if not args.requirements_only:
        bench("npm-netlify-cli", npm_lockfile(), args.interrupt_after)
    if not args.npm_only:
        req = requirements_file()
        if req is not None:
            bench("pypi-requirements", req, args.interrupt_after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
