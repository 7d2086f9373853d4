"""Speed of ``chainwatch.scan`` on big real artifacts: full scan and inventory only.

    python bench/bench_scan.py                    # xgboost 3.1.3 wheel (116 MB, 218 MB unpacked) + the av wheel
    python bench/bench_scan.py --jobs 1           # one worker (the per-core figure)
    python bench/bench_scan.py --artifact PATH    # any other artifact, besides the pinned ones
    python bench/bench_scan.py --repeat 3 --only xgboost

The xgboost wheel is fetched once with ``pip download --no-deps`` into ``bench/out/cache`` and checked
against its pinned sha256 (the pin lives in ``bench/bench_inventory.py``); the PyAV 14.0.1 win_amd64
wheel (26 MB, 95 MB unpacked, 234 members, 83 DLLs/pyds) is taken from ``../shared/corpus`` when present.
Every scan runs in a fresh process; the figures are wall seconds, CPU seconds of the whole process tree
(the scan, its pool workers, any 7zz), peak RSS of the process tree (sampled every 20 ms) and throughput
in unpacked MB per wall second and per CPU second. On a loaded machine compare CPU seconds: wall time
then says more about the neighbours than about chainwatch. Goals (issues 2-4): inventory of a >= 100 MB
wheel < 3 s and < 300 MB on 2 cores; a diff (two scans + matching) of two >= 100 MB releases < 10 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = Path(os.environ.get("CHAINWATCH_SHARED", REPO.parent / "shared"))
AV_WHEEL = SHARED / "corpus" / "releases" / "app-win" / "14.0.1" / "av-14.0.1-cp311-cp311-win_amd64.whl"
AV_SHA256 = "25d817747929babe8b4a2a8dc06ce0562cc5d64a09231faa4d3b2b0037f3d71b"  # manifest + PyPI

sys.path.insert(0, str(HERE))
from bench_inventory import ARTIFACTS, GOAL_RSS_MB, GOAL_SECONDS, fetch, measure, sha256_of  # noqa: E402


def unpacked_mb(path: Path) -> tuple[float, int]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            return sum(i.file_size for i in infos) / 1e6, len(infos)
    except zipfile.BadZipFile:
        return path.stat().st_size / 1e6, 1


def artifacts(only: str | None, extra: list[str]) -> list[Path]:
    found: list[Path] = []
    if only in (None, "xgboost"):
        found.append(fetch(ARTIFACTS["xgboost"]))
    if only in (None, "av"):
        if AV_WHEEL.exists():
            digest = sha256_of(AV_WHEEL)
            if digest != AV_SHA256:
                print(f"note: {AV_WHEEL.name} has sha256 {digest} (pin {AV_SHA256}); scanning it anyway")
            found.append(AV_WHEEL)
        else:
            print(f"skipped: {AV_WHEEL} not present (the shared corpus is not mounted)")
    found.extend(Path(p) for p in extra)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=0, help="scan workers (0 = one per core)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", choices=("xgboost", "av"), help="one of the pinned artifacts only")
    ap.add_argument("--artifact", action="append", default=[], help="also scan this file or folder")
    ap.add_argument("--mode", choices=("both", "full", "inventory"), default="both")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    load = os.getloadavg()[0]
    print(f"{cores} cores, load average {load:.1f}, jobs={args.jobs or cores}")
    if load > cores:
        print("warning: the machine is busy: wall times are inflated; CPU seconds are the fair figure")
    modes = [("full scan", "all"), ("inventory only", "none")]
    if args.mode != "both":
        modes = [m for m in modes if m[0].startswith(args.mode)]
    header = f"{'artifact':46} {'mode':15} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7} {'MB/s':>7} {'MB/CPU s':>9}  result"
    rows: list[str] = []
    for path in artifacts(args.only, args.artifact):
        size_mb, members = unpacked_mb(path)
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, {size_mb:.1f} MB unpacked, {members} members",
              flush=True)
        for label, analyzers in modes:
            for _ in range(args.repeat):
                wall, rss_mb, result = measure(path, args.jobs, analyzers)
                cpu = float(result["cpu"])
                row = (f"{path.name[:46]:46} {label:15} {wall:7.2f} {cpu:7.2f} {rss_mb:7.0f} {size_mb / wall:7.1f} "
                       f"{size_mb / cpu:9.1f}  {result['members']} records, {result['errors']} errors, "
                       f"{result['verdict']}")
                print(row, flush=True)
                rows.append(row)
    print()
    print(header)
    print("\n".join(rows))
    print(f"goals: inventory < {GOAL_SECONDS:g} s wall and < {GOAL_RSS_MB:g} MB on 2 cores (>= 100 MB wheel)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
