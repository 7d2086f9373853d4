"""Inventory speed and memory on a large real artifact: a >= 100 MB wheel from PyPI.

    python bench/bench_inventory.py                     # xgboost 3.1.3 (115 MB, one huge ELF)
    python bench/bench_inventory.py --artifact tensorflow-cpu   # 230 MB, thousands of members
    python bench/bench_inventory.py --profile           # where the time goes (cProfile, in-process)

The wheel is fetched once with ``pip download --no-deps`` into ``bench/out/cache`` and checked against
the pinned sha256 (the digest PyPI publishes for that file). ``chainwatch.scan`` then runs in a fresh
process; wall time and the peak RSS of the whole process tree (the scan, its pool workers and any 7zz)
are sampled every 20 ms. Goal: under 3 s and under 300 MB on 2 cores. The peer figure printed for
scale is ``unzip -t``-like work done by Python's zipfile alone (inflate + CRC, no hashing, no analysis).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / "out" / "cache"
GOAL_SECONDS = 3.0
GOAL_RSS_MB = 300.0


@dataclass(frozen=True)
class Artifact:
    requirement: str
    filename: str
    sha256: str  # as published by PyPI for this file
    platform: str
    python: str = "3.11"


ARTIFACTS = {
    "xgboost": Artifact("xgboost==3.1.3", "xgboost-3.1.3-py3-none-manylinux_2_28_x86_64.whl",
                        "687504d1d76dc797df08b0dbe8b83d58629cdc06df52378f617164d16142bf2c", "manylinux_2_28_x86_64"),
    "tensorflow-cpu": Artifact(
        "tensorflow-cpu==2.18.1",
        "tensorflow_cpu-2.18.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "810c75d7149d2da0cb2092187817b0dcabb80728ca9f9cf3a61f3f42fadd1298", "manylinux2014_x86_64"),
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(art: Artifact) -> Path:
    target = CACHE / art.filename
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", art.platform,
               "--python-version", art.python, "-d", str(CACHE), art.requirement]
        print("fetching:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    digest = sha256_of(target)
    if digest != art.sha256:
        target.unlink()
        raise SystemExit(f"sha256 mismatch for {art.filename}: {digest} != pinned {art.sha256}")
    return target


_RUN = """
import json, sys, time
from chainwatch import ScanOptions, scan
t = time.perf_counter()
analyzers = None if sys.argv[3] == "all" else ()
report = scan(sys.argv[1], ScanOptions(jobs=int(sys.argv[2]), analyzers=analyzers))
print(json.dumps({"seconds": time.perf_counter() - t, "members": len(report.inventory),
                  "errors": len(report.errors), "stats": report.stats, "verdict": report.verdict.value}))
"""


def measure(path: Path, jobs: int, analyzers: str = "all") -> tuple[float, float, dict[str, object]]:
    import json
    import resource

    import psutil

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = psutil.Popen([sys.executable, "-c", _RUN, str(path), str(jobs), analyzers], env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [proc, *proc.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.02)
    wall = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"scan failed:\n{err.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.decode().strip().splitlines()[-1])
    # CPU seconds of the scan and everything it waited for (pool workers, 7zz): robust to a busy machine
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak / 1e6, result


def peer_zipfile_test(path: Path) -> tuple[float, float]:
    """Inflate and CRC-check every member with zipfile alone: the floor any inventory pays (wall, CPU)."""
    t, c = time.perf_counter(), time.process_time()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as fh:
                while fh.read(1 << 20):
                    pass
    return time.perf_counter() - t, time.process_time() - c


def profile(path: Path, top: int, analyzers: tuple[str, ...] | None) -> None:
    import cProfile
    import pstats

    sys.path.insert(0, str(REPO))
    from chainwatch import ScanOptions, scan

    prof = cProfile.Profile()
    prof.enable()
    scan(path, ScanOptions(jobs=1, analyzers=analyzers))
    prof.disable()
    stats = pstats.Stats(prof).sort_stats("cumulative")
    stats.print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--artifact", choices=sorted(ARTIFACTS), default="xgboost")
    ap.add_argument("--jobs", type=int, default=0, help="scan workers (0 = one per core)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile one in-process scan (jobs=1)")
    ap.add_argument("--inventory-only", action="store_true",
                    help="no analyzers: unpack + hashes/TLSH/entropy only (the issue's 'inventory')")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    art = ARTIFACTS[args.artifact]
    wheel = fetch(art)
    size_mb = wheel.stat().st_size / 1e6
    with zipfile.ZipFile(wheel) as zf:
        infos = zf.infolist()
        unpacked_mb = sum(i.file_size for i in infos) / 1e6
    print(f"artifact: {wheel.name}  {size_mb:.1f} MB packed, {unpacked_mb:.1f} MB unpacked, {len(infos)} members, "
          f"{os.cpu_count()} cores")
    if args.profile:
        profile(wheel, args.top, () if args.inventory_only else None)
        return 0
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"warning: load average {load:.1f} on {os.cpu_count()} cores: wall times are inflated; compare CPU s")
    peer, peer_cpu = peer_zipfile_test(wheel)
    print(f"peer (zipfile inflate + CRC only, 1 core): {peer:.2f} s wall, {peer_cpu:.2f} s CPU")
    for i in range(args.repeat):
        wall, rss_mb, result = measure(wheel, args.jobs, "none" if args.inventory_only else "all")
        mode = "inventory only" if args.inventory_only else "full scan"
        print(f"run {i + 1} ({mode}): chainwatch scan {wall:.2f} s wall (in-scan {result['seconds']:.2f} s), "
              f"{result['cpu']:.2f} s CPU, peak RSS of the process tree {rss_mb:.0f} MB, "
              f"{result['members']} inventory records, "
              f"{result['errors']} errors, verdict {result['verdict']}")
        print(f"        vs goal: time {wall / GOAL_SECONDS:.2f}x of {GOAL_SECONDS:g} s, "
              f"memory {rss_mb / GOAL_RSS_MB:.2f}x of {GOAL_RSS_MB:g} MB; {wall / peer:.1f}x the zipfile-only floor "
              f"(CPU {float(result['cpu']) / peer_cpu:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
