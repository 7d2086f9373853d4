"""Package vetting evaluation: chainwatch vs GuardDog on the very same artifacts, in the same run.

    python bench/eval_packages.py [--jobs 2] [--guarddog-sample 60] [--guarddog-venv DIR]
                                  [--benign-pypi DIR ...] [--benign-npm DIR] [--show-misses] [--skip-full]

* recall on ../shared/malware/pypi-dev.zip (per sample and per cluster_id, and on two halves split by a
  hash of cluster_id: "dev" and "holdout"); samples are read from the zip in memory, before either tool
  is timed, and never extracted (GuardDog needs a path: each sample is written to a private temporary
  directory only for the duration of its own scan);
* false-positive rate on the benign PyPI set (bench/fetch_benign_pypi.py -> bench/out/benign-pypi)
  and the benign npm set (bench/fetch_npm.sh -> bench/out/benign-npm);
* time per package and throughput on ``--jobs`` worker processes;
* GuardDog 3.x (its own venv: bench/out/guarddog-venv or --guarddog-venv) on a seeded sample of the same
  artifacts (N malicious and N benign, half PyPI and half npm), with chainwatch's figures on exactly that
  sample printed beside it; wall time on the same number of workers (one pool per tool, both fed the same
  task list, largest artifact first, so neither waits on a long tail) and CPU seconds (children's rusage
  for GuardDog, per-package process time for chainwatch), since the machine may be shared.
  GuardDog counts as "flagged" when it reports any issue (its published evaluation) and, separately,
  when its risk label is suspicious or high_risk.

"flagged" for chainwatch = the engine verdict (chainwatch.scoring) is not "clean".
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CHAINWATCH_SHARED", REPO.parent / "shared"))
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

ZIP_PASSWORD = b"infected"


def half(cluster_id: str) -> str:
    return "dev" if hashlib.sha256(cluster_id.encode()).digest()[0] % 2 == 0 else "holdout"


# ------------------------------------------------------------------------------ chainwatch side


def _judge_bytes(data: bytes, label: str) -> dict[str, Any]:
    from chainwatch.packages.analyze import analyze_package
    from chainwatch.packages.files import PackageReadError, from_bytes
    from chainwatch.packages.judge import judge, verdict_of

    t = time.perf_counter()
    cpu = time.process_time()
    try:
        facts = analyze_package(from_bytes(data, label))
        findings = judge(facts)
        verdict = verdict_of(findings)
        top = [f"{f.rule}:{f.severity.value}" for f in findings if f.severity.value in ("medium", "high", "critical")]
    except PackageReadError as exc:
        verdict, top = "error", [str(exc)[:120]]
    return {"verdict": verdict, "top": top, "seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu}


def read_sample(row: dict[str, str]) -> bytes:
    """One sample's bytes, decrypted from the password zip in memory (ZipCrypto in pure Python: slow)."""
    with zipfile.ZipFile(SHARED / "malware" / "pypi-dev.zip") as zf:
        return zf.read(f"{row['name']}/{row['version']}/{row['file']}", pwd=ZIP_PASSWORD)


def read_samples(rows: list[dict[str, str]], jobs: int) -> list[tuple[dict[str, str], bytes]]:
    """Every sample decrypted before any tool is timed: opening the evaluation's password zip is not
    either tool's work (it cost 2.4 s of the 60-sample side-by-side, a quarter of chainwatch's wall)."""
    data, _ = run_pool(read_sample, rows, jobs)
    return list(zip(rows, data, strict=True))


def judge_malware(sample: tuple[dict[str, str], bytes]) -> dict[str, Any]:
    """Worker: judge one sample already read from the zip (in memory; never written out)."""
    row, data = sample
    out = _judge_bytes(data, row["file"])
    out.update({"id": f"{row['name']}/{row['version']}/{row['file']}", "cluster": row["cluster_id"]})
    return out


def judge_path(path: str) -> dict[str, Any]:
    out = _judge_bytes(Path(path).read_bytes(), Path(path).name)
    out["id"] = Path(path).name
    return out


def run_pool(func: Any, items: list[Any], jobs: int) -> tuple[list[dict[str, Any]], float]:
    t = time.perf_counter()
    if jobs <= 1:
        results = [func(i) for i in items]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(func, items, chunksize=1))  # big packages must not queue behind each other
    return results, time.perf_counter() - t


# ------------------------------------------------------------------------------ GuardDog side


GUARDDOG_VENV = [OUT / "guarddog-venv"]  # set from --guarddog-venv


def guarddog_bin() -> Path | None:
    p = GUARDDOG_VENV[0] / "bin" / "guarddog"
    return p if p.exists() else None


def _guarddog_env() -> dict[str, str]:
    """Point GuardDog at a fresh copy of its shipped popular-package caches, so it does not stall
    on refresh attempts to hosts this network cannot reach (that would be unfair to it)."""
    env = dict(os.environ)
    cache = OUT / "guarddog-cache"
    if not cache.is_dir():
        src = next((GUARDDOG_VENV[0] / "lib").glob("python3*/site-packages/guarddog/analyzer/metadata/resources"),
                   None)
        cache.mkdir(parents=True, exist_ok=True)
        if src:
            for f in src.iterdir():
                if f.suffix == ".json":
                    doc = json.loads(f.read_text())
                    if isinstance(doc, dict):
                        doc["downloaded_timestamp"] = int(time.time())
                    (cache / f.name).write_text(json.dumps(doc))
                else:
                    (cache / f.name).write_bytes(f.read_bytes())
    else:
        for f in cache.glob("*.json"):
            doc = json.loads(f.read_text())
            if isinstance(doc, dict) and time.time() - doc.get("downloaded_timestamp", 0) > 3 * 86400:
                doc["downloaded_timestamp"] = int(time.time())
                f.write_text(json.dumps(doc))
    env["GUARDDOG_TOP_PACKAGES_CACHE_LOCATION"] = str(cache)
    env["GUARDDOG_PARALLELISM"] = "1"
    return env


def guarddog_scan(ecosystem: str, path: Path, env: dict[str, str]) -> dict[str, Any]:
    exe = guarddog_bin()
    t = time.perf_counter()
    try:
        proc = subprocess.run([str(exe), ecosystem, "scan", str(path), "--output-format", "json"],
                              capture_output=True, text=True, timeout=900, env=env)
        doc = json.loads(proc.stdout[proc.stdout.find("{"):]) if "{" in proc.stdout else {}
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return {"flagged": None, "label": f"error: {exc}"[:80], "seconds": time.perf_counter() - t}
    issues = int(doc.get("issues") or 0)
    label = (doc.get("risk_score") or {}).get("label", "")
    return {"flagged": issues > 0, "label_flagged": label in ("suspicious", "high_risk"), "label": label,
            "issues": issues, "seconds": time.perf_counter() - t}


def guarddog_malware(sample: tuple[dict[str, str], bytes], env: dict[str, str]) -> dict[str, Any]:
    row, data = sample
    with tempfile.TemporaryDirectory(prefix="cw-gd-") as tmp:
        path = Path(tmp) / row["file"]
        path.write_bytes(data)
        return guarddog_scan("pypi", path, env)


def _task_size(task: tuple[str, Any]) -> int:
    kind, ref = task
    return len(ref[1]) if kind == "malware" else Path(ref).stat().st_size


def judge_task(task: tuple[str, Any]) -> dict[str, Any]:
    """Worker: one side-by-side task, ("malware", (csv row, bytes)) or ("pypi" | "npm", path)."""
    kind, ref = task
    return judge_malware(ref) if kind == "malware" else judge_path(ref)


def guarddog_task(task: tuple[str, Any], env: dict[str, str]) -> dict[str, Any]:
    kind, ref = task
    return guarddog_malware(ref, env) if kind == "malware" else guarddog_scan(kind, Path(ref), env)


# ------------------------------------------------------------------------------ report


def rate(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} = {100 * sum(flags) / max(1, len(flags)):.1f}%"


def full_run(args: argparse.Namespace, rows: list[dict[str, str]], pypi_files: list[str],
             npm_files: list[str]) -> dict[str, Any]:
    print(f"chainwatch on {len(rows)} malicious PyPI samples, {len(pypi_files)} benign PyPI, {len(npm_files)} benign "
          f"npm artifacts; {args.jobs} worker processes")
    mal, t_mal = run_pool(judge_malware, read_samples(rows, args.jobs), args.jobs)
    ben_py, t_py = run_pool(judge_path, pypi_files, args.jobs)
    ben_npm, t_npm = run_pool(judge_path, npm_files, args.jobs)

    flagged = [r["verdict"] not in ("clean",) for r in mal]
    clusters: dict[str, list[bool]] = {}
    halves: dict[str, list[bool]] = {"dev": [], "holdout": []}
    half_clusters: dict[str, dict[str, list[bool]]] = {"dev": {}, "holdout": {}}
    for r, f in zip(mal, flagged, strict=True):
        clusters.setdefault(r["cluster"], []).append(f)
        halves[half(r["cluster"])].append(f)
        half_clusters[half(r["cluster"])].setdefault(r["cluster"], []).append(f)
    n_total = len(mal) + len(ben_py) + len(ben_npm)
    t_total = t_mal + t_py + t_npm
    cpu_total = sum(r["cpu"] for r in mal + ben_py + ben_npm)
    print("\n== chainwatch (full sets)")
    print(f"recall, samples:              {rate(flagged)}  (errors: {sum(r['verdict'] == 'error' for r in mal)})")
    print(f"recall, clusters (any hit):   {rate([any(v) for v in clusters.values()])}")
    for h in ("dev", "holdout"):
        print(f"recall, {h:8s} half:        samples {rate(halves[h])}; clusters "
              f"{rate([any(v) for v in half_clusters[h].values()])}")
    fp_py = [r["verdict"] != "clean" for r in ben_py]
    fp_npm = [r["verdict"] != "clean" for r in ben_npm]
    print(f"benign PyPI flagged:          {rate(fp_py)}")
    print(f"benign npm flagged:           {rate(fp_npm)}")
    print(f"time: {t_total:.1f} s wall for {n_total} packages = {1000 * t_total / max(1, n_total):.1f} ms/package "
          f"({n_total / max(t_total, 1e-9):.1f} packages/s on {args.jobs} workers); CPU {cpu_total:.1f} s = "
          f"{1000 * cpu_total / max(1, n_total):.1f} ms/package; median CPU per package "
          f"{1000 * sorted(r['cpu'] for r in mal + ben_py + ben_npm)[n_total // 2]:.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.show_misses:
        for r in mal:
            if r["verdict"] == "clean":
                print("  MISS", r["id"], r["cluster"])
        for r in ben_py + ben_npm:
            if r["verdict"] != "clean":
                print("  FP  ", r["id"], r["verdict"], r["top"][:4])
    return {
        "recall_samples": sum(flagged) / len(flagged), "recall_clusters": sum(any(v) for v in clusters.values())
        / len(clusters), "recall_dev": sum(halves["dev"]) / max(1, len(halves["dev"])),
        "recall_holdout": sum(halves["holdout"]) / max(1, len(halves["holdout"])),
        "fp_pypi": sum(fp_py) / max(1, len(fp_py)), "fp_npm": sum(fp_npm) / max(1, len(fp_npm)),
        "packages": n_total, "seconds": t_total, "cpu_seconds": cpu_total, "jobs": args.jobs,
        "misses": [r["id"] for r in mal if r["verdict"] == "clean"],
        "false_positives": [(r["id"], r["top"]) for r in ben_py + ben_npm if r["verdict"] != "clean"],
    }


def side_by_side(args: argparse.Namespace, rows: list[dict[str, str]], pypi_files: list[str],
                 npm_files: list[str]) -> dict[str, Any]:
    """Both tools on one seeded sample: N malicious, N benign (half PyPI, half npm); wall and CPU time."""
    rng = random.Random(args.seed)
    n = args.guarddog_sample
    m_idx = sorted(rng.sample(range(len(rows)), min(n, len(rows))))
    p_idx = sorted(rng.sample(range(len(pypi_files)), min(n - n // 2, len(pypi_files))))
    n_idx = sorted(rng.sample(range(len(npm_files)), min(n // 2, len(npm_files))))
    env = _guarddog_env()
    print(f"\n== side by side on the same seeded sample (seed {args.seed}): {len(m_idx)} malicious, "
          f"{len(p_idx)} benign PyPI, {len(n_idx)} benign npm; each tool {args.jobs} at a time, one pool per "
          f"tool, the same largest-first order for both")
    sub_items = [rows[i] for i in m_idx]
    tasks: list[tuple[str, Any]] = ([("malware", sample) for sample in read_samples(sub_items, args.jobs)]
                                    + [("pypi", pypi_files[i]) for i in p_idx] + [("npm", npm_files[i]) for i in n_idx])
    order = sorted(range(len(tasks)), key=lambda i: -_task_size(tasks[i]))  # big first: a short tail for both
    ordered = [tasks[i] for i in order]
    cw_ordered, t_cw = run_pool(judge_task, ordered, args.jobs)
    cpu_cw = sum(r["cpu"] for r in cw_ordered)
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        gd_ordered = list(pool.map(lambda task: guarddog_task(task, env), ordered))
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t_gd = time.perf_counter() - t
    cpu_gd = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    cw_all: list[dict[str, Any]] = [{}] * len(tasks)
    gd_all: list[dict[str, Any]] = [{}] * len(tasks)
    for pos, i in enumerate(order):
        cw_all[i], gd_all[i] = cw_ordered[pos], gd_ordered[pos]
    a, b = len(sub_items), len(sub_items) + len(p_idx)
    cw_m, cw_p, cw_n = cw_all[:a], cw_all[a:b], cw_all[b:]
    gd_m, gd_p, gd_n = gd_all[:a], gd_all[a:b], gd_all[b:]
    n_sub = len(m_idx) + len(p_idx) + len(n_idx)

    def f(x: list[dict[str, Any]], key: str) -> list[bool]:
        return [bool(r.get(key)) for r in x]

    cw = {"recall": [r["verdict"] != "clean" for r in cw_m], "fp_pypi": [r["verdict"] != "clean" for r in cw_p],
          "fp_npm": [r["verdict"] != "clean" for r in cw_n]}
    benign_cw = cw["fp_pypi"] + cw["fp_npm"]
    print(f"{'':28s}{'chainwatch':>22s}{'GuardDog (any issue)':>26s}{'GuardDog (risk label)':>26s}")
    print(f"{'recall (malicious PyPI)':28s}{rate(cw['recall']):>22s}{rate(f(gd_m, 'flagged')):>26s}"
          f"{rate(f(gd_m, 'label_flagged')):>26s}")
    print(f"{'benign PyPI flagged':28s}{rate(cw['fp_pypi']):>22s}{rate(f(gd_p, 'flagged')):>26s}"
          f"{rate(f(gd_p, 'label_flagged')):>26s}")
    print(f"{'benign npm flagged':28s}{rate(cw['fp_npm']):>22s}{rate(f(gd_n, 'flagged')):>26s}"
          f"{rate(f(gd_n, 'label_flagged')):>26s}")
    print(f"{'benign flagged (all)':28s}{rate(benign_cw):>22s}{rate(f(gd_p + gd_n, 'flagged')):>26s}"
          f"{rate(f(gd_p + gd_n, 'label_flagged')):>26s}")
    print(f"{'wall seconds per package':28s}{t_cw / n_sub:>22.3f}{t_gd / n_sub:>26.3f}")
    print(f"{'CPU seconds per package':28s}{cpu_cw / n_sub:>22.3f}{cpu_gd / n_sub:>26.3f}")
    print(f"{'throughput (packages/s)':28s}{n_sub / t_cw:>22.2f}{n_sub / t_gd:>26.3f}")
    cw_each = sorted(r["seconds"] for r in cw_m + cw_p + cw_n)
    gd_each = sorted(r["seconds"] for r in gd_m + gd_p + gd_n)

    def pct(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0

    for label, q in (("median", 0.5), ("90th percentile", 0.9), ("slowest", 1.0)):
        print(f"{'per-package wall, ' + label:28s}{pct(cw_each, q):>22.3f}{pct(gd_each, q):>26.3f}")
    names = [r["id"] for r in cw_m + cw_p + cw_n]
    by_cw = sorted(zip(cw_m + cw_p + cw_n, gd_m + gd_p + gd_n, names, strict=True), key=lambda x: -x[0]["seconds"])
    print("slowest for chainwatch (chainwatch s / GuardDog s): " + "; ".join(
        f"{name.rsplit('/', 1)[-1]} {c['seconds']:.1f}/{g['seconds']:.1f}" for c, g, name in by_cw[:5]))
    print(f"throughput ratio chainwatch / GuardDog: {t_gd / max(t_cw, 1e-9):.1f}x wall, "
          f"{cpu_gd / max(cpu_cw, 1e-9):.1f}x CPU (GuardDog errors: "
          f"{sum(r['flagged'] is None for r in gd_m + gd_p + gd_n)}; load average {load_before:.1f} before GuardDog, "
          f"{os.getloadavg()[0]:.1f} after)")
    return {
        "sample": {"malicious": len(m_idx), "benign_pypi": len(p_idx), "benign_npm": len(n_idx), "seed": args.seed},
        "chainwatch": {k: sum(v) / max(1, len(v)) for k, v in cw.items()} | {"seconds": t_cw, "cpu_seconds": cpu_cw},
        "guarddog_any_issue": {"recall": sum(f(gd_m, "flagged")) / max(1, len(gd_m)),
                               "fp_pypi": sum(f(gd_p, "flagged")) / max(1, len(gd_p)),
                               "fp_npm": sum(f(gd_n, "flagged")) / max(1, len(gd_n))},
        "guarddog_risk_label": {"recall": sum(f(gd_m, "label_flagged")) / max(1, len(gd_m)),
                                "fp_pypi": sum(f(gd_p, "label_flagged")) / max(1, len(gd_p)),
                                "fp_npm": sum(f(gd_n, "label_flagged")) / max(1, len(gd_n))},
        "guarddog_seconds": t_gd, "guarddog_cpu_seconds": cpu_gd, "ratio_wall": t_gd / max(t_cw, 1e-9),
        "per_package_seconds": {"chainwatch": cw_each, "guarddog": gd_each},
        "ratio_cpu": cpu_gd / max(cpu_cw, 1e-9),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for both tools (default 2)")
    ap.add_argument("--guarddog-sample", type=int, default=60,
                    help="malicious artifacts run through GuardDog, and as many benign ones (half PyPI, half npm); "
                         "0 = skip")
    ap.add_argument("--guarddog-venv", default=str(OUT / "guarddog-venv"), help="venv with guarddog 3.x installed")
    ap.add_argument("--skip-full", action="store_true", help="only the side-by-side sample (no full-set run)")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--benign-pypi", nargs="*", default=None, help="dirs of benign PyPI archives")
    ap.add_argument("--benign-npm", default=str(OUT / "benign-npm"))
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--json", default=str(OUT / "eval-packages.json"))
    args = ap.parse_args()

    rows = list(csv.DictReader(open(SHARED / "malware" / "pypi-dev.csv", encoding="utf-8")))  # noqa: SIM115
    pypi_dirs = [Path(d) for d in args.benign_pypi] if args.benign_pypi else sorted(OUT.glob("benign-pypi*"))
    seen: set[str] = set()
    pypi_files: list[str] = []
    for d in pypi_dirs:
        for p in sorted(d.glob("*")):
            if p.suffix in (".gz", ".whl", ".zip") and p.name not in seen:
                seen.add(p.name)
                pypi_files.append(str(p))
    npm_files = sorted(str(p) for p in Path(args.benign_npm).glob("*.tgz"))

    summary: dict[str, Any] = {}
    if not args.skip_full:
        summary["chainwatch"] = full_run(args, rows, pypi_files, npm_files)
    GUARDDOG_VENV[0] = Path(args.guarddog_venv)
    if args.guarddog_sample and guarddog_bin():
        summary["side_by_side"] = side_by_side(args, rows, pypi_files, npm_files)
    elif args.guarddog_sample:
        print("\nGuardDog not installed: python -m venv bench/out/guarddog-venv && "
              "bench/out/guarddog-venv/bin/pip install guarddog")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=2, default=str))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
