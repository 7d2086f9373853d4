"""Speed: chainwatch diff on two >= 100 MB real releases vs diffoscope on the same pair.

    .venv/bin/python bench/bench_diff.py [--pair xgboost|catboost] [--diffoscope-timeout 900]

Pairs (downloaded once from PyPI and sha256-checked against the digests PyPI publishes, into demo/.cache/):
- ``xgboost`` (default): 3.1.2 -> 3.1.3 manylinux_2_28_x86_64 wheels, 116 MB each, 218 MB unpacked, one
  217 MB ELF library and 48 Python files.
- ``catboost``: 1.2.7 -> 1.2.8 cp311 win_amd64 wheels, ~100 MB each, 375 MB unpacked, a 360 MB PE module.
diffoscope is installed into its own venv under bench/out/ (`pip install diffoscope`) on first run.
Goal: chainwatch < 10 s on 2 cores. Prints wall and CPU seconds and the ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from demo.pinned import pypi_file  # noqa: E402

OUT = REPO / "bench" / "out"
PAIRS = {
    "xgboost": (
        ("xgboost", "3.1.2", "xgboost-3.1.2-py3-none-manylinux_2_28_x86_64.whl",
         "24879ac75c0ee21acae0101f791bc43303f072a86d70fdfc89dae10a0008767f"),
        ("xgboost", "3.1.3", "xgboost-3.1.3-py3-none-manylinux_2_28_x86_64.whl",
         "687504d1d76dc797df08b0dbe8b83d58629cdc06df52378f617164d16142bf2c"),
    ),
    "catboost": (
        ("catboost", "1.2.7", "catboost-1.2.7-cp311-cp311-win_amd64.whl",
         "99819152f9ae149adadfe95c17c8912eb450adf66cff7dcc34865e7b7bc5b31d"),
        ("catboost", "1.2.8", "catboost-1.2.8-cp311-cp311-win_amd64.whl",
         "8985dd217fe79161b05ed251c5f8a18130e2330d5c77559ac91b99b0cf781e6b"),
    ),
}


def diffoscope_bin() -> Path:
    venv = OUT / "diffoscope-venv"
    exe = venv / "bin" / "diffoscope"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "diffoscope"], check=True)
    return exe


def _cpu() -> float:
    """CPU seconds of this process and its finished children (pool workers, TLSH helpers, 7zz)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn) -> tuple[float, object]:
    started, cpu = time.monotonic(), _cpu()
    value = fn()
    secs = time.monotonic() - started
    print(f"  ... {secs:.1f} s wall, {_cpu() - cpu:.1f} CPU s", flush=True)
    return secs, value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diffoscope-timeout", type=float, default=900.0)
    ap.add_argument("--skip-diffoscope", action="store_true")
    ap.add_argument("--pair", choices=sorted(PAIRS), default="xgboost")
    ap.add_argument("--only-incremental", action="store_true", help="time only the default diff (no baseline/full)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    old_pin, new_pin = PAIRS[args.pair]
    old, new = pypi_file(*old_pin), pypi_file(*new_pin)
    print(f"load average {os.getloadavg()[0]:.1f}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"pair: {old.name} ({old.stat().st_size / 1e6:.1f} MB) -> {new.name} ({new.stat().st_size / 1e6:.1f} MB); "
          f"{cores} cores")

    from chainwatch.diff import diff_artifacts
    from chainwatch.engine import scan
    from chainwatch.options import ScanOptions
    from chainwatch.store import open_store

    options = ScanOptions(jobs=0)
    rows: list[tuple[str, float, str]] = []
    secs, report = timed(lambda: diff_artifacts(old, new, options))
    counts = report.extra["changes"]["counts"]  # type: ignore[attr-defined]
    rows.append(("chainwatch diff OLD NEW (incremental)", secs,
                 f"{report.verdict.value}, {len(report.findings)} findings, {counts}"))  # type: ignore[attr-defined]
    if not args.only_incremental:
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            store = open_store(Path(tmp) / "bench.db")
            scan(old, options, store=store, name=old_pin[0], version=old_pin[1])  # recorded once, not timed
            from chainwatch.diff.baselines import load_baseline

            secs, report = timed(lambda: diff_artifacts(load_baseline(store, old_pin[0]), new, options, store=store))
            rows.append(("chainwatch diff --baseline NAME NEW", secs, f"{report.verdict.value}"))  # type: ignore[attr-defined]
            store.close()
        secs, report = timed(lambda: diff_artifacts(old, new, options, incremental=False))
        rows.append(("chainwatch diff OLD NEW (full scans)", secs, f"{report.verdict.value}"))  # type: ignore[attr-defined]

    if not args.skip_diffoscope:
        exe = diffoscope_bin()
        out_txt = OUT / f"diffoscope-{args.pair}.txt"
        started = time.monotonic()
        try:
            proc = subprocess.run([str(exe), "--text", str(out_txt), str(old), str(new)], capture_output=True,
                                  timeout=args.diffoscope_timeout, check=False)
            dsecs = time.monotonic() - started
            rows.append(("diffoscope OLD NEW", dsecs, f"exit {proc.returncode}"))
        except subprocess.TimeoutExpired:
            dsecs = args.diffoscope_timeout
            rows.append((f"diffoscope OLD NEW (stopped at {args.diffoscope_timeout:g} s)", dsecs, "timeout"))

    print(f"\n{'run':48} {'seconds':>8}  result")
    for name, secs, note in rows:
        print(f"{name:48} {secs:8.1f}  {note}")
    if not args.skip_diffoscope:
        best = rows[0][1]
        bound = ">=" if rows[-1][2] == "timeout" else ""
        print(f"\nratio diffoscope / chainwatch (incremental): {bound}{rows[-1][1] / best:.1f}x")
    print(f"goal: < 10 s on 2 cores -> {'met' if rows[0][1] < 10 else 'NOT met'} ({rows[0][1]:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
