"""Hunt throughput: chainwatch hunt vs Debian's ``yara -r -p 2`` vs LOKI, same tree, same signature-base.

Environment:
  BENCH_ROOTS   colon-separated folders to sweep (default: /usr/lib/python3 and ../shared/corpus;
                BENCH_FULL=1 uses /usr and ../shared/corpus, about 5.4 GB)
  SIGBASE       signature-base checkout (default ../shared/intel/signature-base)
  YARA_MAX_SECONDS stops yara early; its rate is then reported as an upper bound (it logs no progress).
  LOKI_DIR      a LOKI checkout (github.com/Neo23x0/Loki, never committed) with LOKI_PYTHON its venv's
                python; LOKI is skipped when unset. LOKI_MAX_SECONDS stops it early (throughput is then
                measured on the files it logged as done).
  BENCH_JOBS    chainwatch workers (default 2, like yara -p 2)
  BENCH_SKIP    comma list of tools to skip: chainwatch,yara,loki (a skipped tool's figures from the last
                run on the same tree are kept, marked "earlier run")

Prints MB/s and files/s for each tool over the same tree and the ratios; peak RSS of each tool's
process tree (sampled; pages shared by forked workers count once per process) and peak PSS (shared
pages split among the processes that map them: the memory the tree really holds).
Goals: >= 1.0x yara -r, >= 20x LOKI, chainwatch peak memory < 1 GB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
SHARED = Path(os.environ.get("CHAINWATCH_SHARED", REPO.parent / "shared"))
SIGBASE = Path(os.environ.get("SIGBASE", SHARED / "intel" / "signature-base"))
EXTERNALS = ["filename", "filepath", "extension", "filetype", "md5", "owner"]


def roots() -> list[Path]:
    if os.environ.get("BENCH_ROOTS"):
        return [Path(p) for p in os.environ["BENCH_ROOTS"].split(":") if p]
    if os.environ.get("BENCH_FULL"):
        return [Path("/usr"), SHARED / "corpus"]
    return [Path("/usr/lib/python3"), SHARED / "corpus"]


def tree_size(folders: list[Path]) -> tuple[int, int]:
    files = size = 0
    for root in folders:
        for dirpath, _dirs, names in os.walk(root):
            for n in names:
                p = os.path.join(dirpath, n)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if os.path.isfile(p) and not os.path.islink(p):
                    files += 1
                    size += st.st_size
    return files, size


def warm(folders: list[Path]) -> None:
    """Read the tree once so every tool sees the same (hot) page cache."""
    for root in folders:
        for dirpath, _dirs, names in os.walk(root):
            for n in names:
                p = os.path.join(dirpath, n)
                if os.path.islink(p):
                    continue
                try:
                    with open(p, "rb") as fh:
                        while fh.read(1 << 22):
                            pass
                except OSError:
                    pass


def run_measured(cmd: list[str], cwd: Path | None = None, max_seconds: float | None = None,
                 env: dict[str, str] | None = None) -> tuple[float, int, int, int, bool]:
    """(wall seconds, peak RSS and peak PSS of the process tree in bytes, exit code, stopped early)."""
    start = time.monotonic()
    out = open(OUT / f"{Path(cmd[0]).name}-{int(start)}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    ps = psutil.Process(proc.pid)
    peak = peak_pss = 0
    stopped = False
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
            # PSS splits pages shared by forked workers (the compiled rules) among them; RSS counts them in each
            peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in procs))
        except (psutil.Error, AttributeError):
            pass
        if max_seconds and time.monotonic() - start > max_seconds:
            proc.terminate()
            stopped = True
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            break
        time.sleep(0.2)
    proc.wait()
    out.close()
    return time.monotonic() - start, peak, peak_pss, proc.returncode, stopped


def bench_chainwatch(folders: list[Path], jobs: int) -> dict:
    cache = OUT / "cache"
    py = sys.executable
    base = [py, "-m", "chainwatch", "hunt", *map(str, folders), "--no-store", "--no-builtin",
            "--signature-base", str(SIGBASE), "--cache-dir", str(cache), "-j", str(jobs), "-q",
            "-f", "json", "--fail-on", "critical", "--no-archives"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # compile once (cached by the rule set's hash), not timed: the same as yarac for yara
    code = (f"from pathlib import Path; import sys; sys.path.insert(0, {str(REPO)!r});"
            "from chainwatch.hunt.run import plan_hunt, HuntOptions;"
            "from chainwatch.intel.importers.signature_base import read_signature_base;"
            f"p = plan_hunt(read_signature_base(Path({str(SIGBASE)!r})), HuntOptions(cache_dir=Path({str(cache)!r})));"
            "print(p.load_report.to_dict())")
    subprocess.run([py, "-c", code], check=True, env=env)
    report_file = OUT / "chainwatch-hunt.json"
    seconds, peak, peak_pss, rc, _ = run_measured([*base, "-o", str(report_file)], env=env)
    report = json.loads(report_file.read_text())
    return {"seconds": seconds, "peak_rss": peak, "peak_pss": peak_pss, "rc": rc,
            "hits": len(report["findings"]),
            "yara_rules": report.get("hunt", {}).get("yara", {}).get("rules_loaded")}


def bench_yara(folders: list[Path]) -> dict | None:
    yara, yarac = shutil.which("yara"), shutil.which("yarac")
    if not yara or not yarac:
        print("yara not installed (apt-get install yara): skipped")
        return None
    combined = OUT / "signature-base-all.yar"
    with combined.open("w", encoding="utf-8") as out:
        for f in sorted(SIGBASE.joinpath("yara").iterdir()):
            if f.suffix in (".yar", ".yara"):
                out.write(f.read_text(encoding="utf-8", errors="replace") + "\n")
    defines = [x for e in EXTERNALS for x in ("-d", f"{e}=")]
    compiled = OUT / "signature-base-all.yarc"
    subprocess.run([yarac, *defines, str(combined), str(compiled)], check=True)
    total_s, peak, peak_pss, hits, stopped_any = 0.0, 0, 0, 0, False
    limit = float(os.environ.get("YARA_MAX_SECONDS", "0")) or None
    for root in folders:
        cmd = [yara, "-C", "-r", "-p", "2", *defines, str(compiled), str(root)]
        seconds, p, pss, _rc, stopped = run_measured(cmd, max_seconds=limit and limit - total_s)
        total_s += seconds
        peak, peak_pss = max(peak, p), max(peak_pss, pss)
        stopped_any |= stopped
        if stopped:
            break
    log = sorted(OUT.glob("yara-*.log"))
    hits = sum(1 for f in log[-len(folders):] for line in f.read_text(errors="replace").splitlines()
               if line and not line.startswith(("error", "warning")))
    # yara logs matches only, so a stopped run gives no count of files done: its rate is then an upper bound
    return {"seconds": total_s, "peak_rss": peak, "peak_pss": peak_pss, "hits": hits,
            "unfinished": stopped_any}


def bench_loki(folders: list[Path]) -> dict | None:
    loki_dir = os.environ.get("LOKI_DIR")
    if not loki_dir:
        print("LOKI_DIR not set: LOKI skipped")
        return None
    loki = Path(loki_dir)
    python = os.environ.get("LOKI_PYTHON", sys.executable)
    sb = loki / "signature-base"
    if not sb.exists():  # LOKI reads ./signature-base; point it at the same checkout
        sb.mkdir()
        (sb / "iocs").symlink_to(SIGBASE / "iocs")
        (sb / "yara").symlink_to(SIGBASE / "yara")
        (sb / "misc").mkdir()
        (sb / "misc" / "file-type-signatures.txt").write_text("")
    limit = float(os.environ.get("LOKI_MAX_SECONDS", "0")) or None
    total_s, peak, peak_pss, stopped_any, done_files, done_bytes = 0.0, 0, 0, False, 0, 0
    for root in folders:
        log = OUT / f"loki-{root.name}.log"
        log.unlink(missing_ok=True)
        cmd = [python, "loki.py", "-p", str(root), "--noprocscan", "--nopesieve", "--dontwait", "--intense",
               "--noindicator", "--nolevcheck", "--printall", "-s", str(1024 * 1024), "-l", str(log)]
        seconds, p, pss, _rc, stopped = run_measured(cmd, cwd=loki, max_seconds=limit)
        total_s += seconds
        peak, peak_pss = max(peak, p), max(peak_pss, pss)
        stopped_any |= stopped
        if log.exists():
            for line in log.read_text(errors="replace").splitlines():
                if "Scanning " in line and " TYPE: " in line and " SIZE: " in line:
                    done_files += 1
                    try:
                        done_bytes += int(line.rsplit("SIZE: ", 1)[1].split()[0])
                    except (IndexError, ValueError):
                        pass
    return {"seconds": total_s, "peak_rss": peak, "peak_pss": peak_pss,
            "stopped_early": stopped_any, "files_done": done_files,
            "bytes_done": done_bytes}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    folders = roots()
    files, size = tree_size(folders)
    print(f"tree: {', '.join(map(str, folders))}: {files} files, {size / 1e9:.2f} GB; rules: {SIGBASE}")
    warm(folders)
    skip = set(os.environ.get("BENCH_SKIP", "").split(","))
    jobs = int(os.environ.get("BENCH_JOBS", "2"))
    results: dict[str, dict] = {}
    if "chainwatch" not in skip:
        results["chainwatch"] = bench_chainwatch(folders, jobs)
    if "yara" not in skip and (r := bench_yara(folders)):
        results["yara -r -p 2"] = r
    if "loki" not in skip and (r := bench_loki(folders)):
        results["LOKI"] = r
    previous = OUT / "bench_hunt.json"
    if skip and previous.is_file():  # a skipped tool keeps its figures from an earlier run on the same tree
        old = json.loads(previous.read_text())
        if (old.get("files"), old.get("bytes"), old.get("roots")) == (files, size, [str(f) for f in folders]):
            for name, r in old.get("results", {}).items():
                if name not in results:
                    results[name] = {**r, "earlier_run": True}
    print(f"\n{'tool':14} {'seconds':>9} {'MB/s':>8} {'files/s':>9} {'peak RSS MB':>12} {'PSS MB':>7}  notes")
    rates: dict[str, float] = {}
    for name, r in results.items():
        if r.get("stopped_early"):
            mbs, fps = r["bytes_done"] / 1e6 / r["seconds"], r["files_done"] / r["seconds"]
            note = f"stopped after {r['seconds']:.0f}s: {r['files_done']} files / {r['bytes_done'] / 1e6:.0f} MB done"
        elif r.get("unfinished"):
            mbs, fps = size / 1e6 / r["seconds"], files / r["seconds"]
            note = f"stopped after {r['seconds']:.0f}s before the end of the tree: MB/s and files/s are upper bounds"
        else:
            mbs, fps = size / 1e6 / r["seconds"], files / r["seconds"]
            note = f"hits={r.get('hits', '?')}" + (f" rules={r['yara_rules']}" if r.get("yara_rules") else "")
        if r.get("earlier_run"):
            note += " (earlier run, same tree)"
        rates[name] = mbs
        pss = f"{r['peak_pss'] / 1e6:7.0f}" if r.get("peak_pss") else f"{'':>7}"
        print(f"{name:14} {r['seconds']:9.1f} {mbs:8.2f} {fps:9.1f} {r['peak_rss'] / 1e6:12.0f} {pss}  {note}")
    cw = rates.get("chainwatch")
    if cw:
        for other in ("yara -r -p 2", "LOKI"):
            if rates.get(other):
                bound = ">= " if results[other].get("unfinished") else ""
                print(f"chainwatch / {other}: {bound}{cw / rates[other]:.2f}x")
        peak = results["chainwatch"]["peak_rss"] / 1e6
        pss = results["chainwatch"].get("peak_pss", 0) / 1e6
        print(f"chainwatch peak memory: {peak:.0f} MB RSS summed over its processes, {pss:.0f} MB PSS "
              f"({'under' if peak < 1000 else 'OVER'} the 1 GB goal)")
    (OUT / "bench_hunt.json").write_text(json.dumps({"files": files, "bytes": size, "roots": [str(f) for f in folders],
                                                       "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
