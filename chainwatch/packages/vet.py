"""``vet``: every package a dependency file pins -> located, downloaded, judged, cached by hash.

Downloads run on a thread pool; judging runs on a process pool (CPU bound). An artifact whose sha256
was judged before (by the same analysis version) is not judged again: its result comes from the store,
so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.models import Finding, Report, ScanError, Severity, Verdict
from chainwatch.packages import fetch
from chainwatch.packages.lockfiles import Dependency, parse_lockfile

ANALYSIS_VERSION = 3  # bump when judging changes, so cached results are recomputed


@dataclass
class VetResult:
    dependency: Dependency
    status: str  # "judged", "cached", "error"
    verdict: str = "clean"
    score: int = 0
    sha256: str | None = None
    filename: str | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ecosystem": self.dependency.ecosystem, "name": self.dependency.name, "version": self.dependency.version,
            "status": self.status, "verdict": self.verdict, "score": self.score, "sha256": self.sha256,
            "file": self.filename, "findings": [f.to_dict() for f in self.findings], "error": self.error,
            "seconds": round(self.seconds, 3),
        }


def judge_file(path: str, label: str) -> dict[str, Any]:
    """Work unit (runs in a worker process): analyse and judge one artifact; plain values out."""
    from chainwatch.packages.analyze import analyze_package
    from chainwatch.packages.files import PackageReadError
    from chainwatch.packages.judge import judge

    started = time.perf_counter()
    try:
        facts = analyze_package(path)
    except PackageReadError as exc:
        return {"error": str(exc), "seconds": time.perf_counter() - started}
    findings = judge(facts, base_path=label)
    return {"findings": [f.to_dict() for f in findings], "name": facts.name, "version": facts.version,
            "seconds": time.perf_counter() - started}


class VetCache:
    """Judged artifacts by sha256 in the store (table ``vet_results``, migration 0200)."""

    def __init__(self, store: Any) -> None:
        self.conn = store.conn if store is not None else None

    def get(self, sha256: str) -> list[Finding] | None:
        if self.conn is None:
            return None
        row = self.conn.execute("SELECT findings_json FROM vet_results WHERE sha256 = ? AND analysis_version = ?",
                                (sha256, ANALYSIS_VERSION)).fetchone()
        if row is None:
            return None
        return [Finding.from_dict(f) for f in json.loads(row[0])]

    def put(self, sha256: str, dep: Dependency, filename: str, verdict: str, score: int,
            findings: list[Finding]) -> None:
        if self.conn is None:
            return
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO vet_results (sha256, ecosystem, name, version, filename, verdict, score,"
                " findings_json, analysis_version, judged_at) VALUES (?,?,?,?,?,?,?,?,?,datetime('now'))",
                (sha256, dep.ecosystem, dep.name, dep.version, filename, verdict, score,
                 json.dumps([f.to_dict() for f in findings]), ANALYSIS_VERSION))


def _label(dep: Dependency) -> str:
    return f"{dep.name}=={dep.version}" if dep.ecosystem == "pypi" else f"{dep.name}@{dep.version}"


def vet(
    lockfile: str | Path,
    *,
    offline_dir: str | Path | None = None,
    store: Any = None,
    jobs: int = 0,
    download_threads: int = 8,
    metadata: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> Report:
    """Vet every package of a dependency file; returns a report with a per-package section."""
    from chainwatch.packages.release_checks import release_findings
    from chainwatch.scoring import score_findings

    started = time.monotonic()
    deps = parse_lockfile(lockfile)
    cache = VetCache(store)
    errors: list[ScanError] = []
    results: dict[str, VetResult] = {}
    total = len(deps)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    offline_index = fetch.index_directory(Path(offline_dir)) if offline_dir else None

    def obtain(dep: Dependency) -> fetch.Artifact:
        if offline_index is not None:
            art = fetch.find_offline(dep, Path(offline_dir), offline_index)  # type: ignore[arg-type]
        else:
            art = fetch.locate(dep, metadata=metadata)
            fetch.download(art)
        return art

    import os

    workers = jobs or os.cpu_count() or 1
    pool: Any = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    pending: dict[Future[Any], tuple[VetResult, fetch.Artifact]] = {}

    def collect(wait: bool) -> None:
        """Record judged packages (and cache them at once, so an interrupted run resumes from here)."""
        ready = list(as_completed(pending)) if wait else [f for f in pending if f.done()]
        for fut in ready:
            result, art = pending.pop(fut)
            try:
                out = fut.result()
            except Exception as exc:  # a worker died
                out = {"error": f"analysis failed: {type(exc).__name__}: {exc}"}
            _finish(result, art, out, list(result.findings), cache, errors)
            tick(_label(result.dependency))

    threads = ThreadPoolExecutor(max_workers=max(1, download_threads))
    try:
        located = {threads.submit(obtain, d): d for d in deps}
        for fut in as_completed(located):
            collect(wait=False)
            dep = located[fut]
            try:
                art = fut.result()
            except (fetch.FetchError, OSError) as exc:
                results[dep.key] = VetResult(dep, "error", error=str(exc))
                errors.append(ScanError(_label(dep), str(exc), "unreadable"))
                tick(_label(dep))
                continue
            dep = art.dependency
            assert art.path is not None
            sha = art.sha256 or fetch.sha256_file(art.path)
            art.sha256 = sha
            result = VetResult(dep, "judged", sha256=sha, filename=art.path.name)
            results[located[fut].key] = result
            extra = release_findings(dep.ecosystem, dep.name, dep.version or "", art.release) \
                if art.release and offline_index is None else []
            cached = cache.get(sha)
            if cached is not None:
                result.status = "cached"
                result.findings = cached + extra
                tick(_label(dep))
                continue
            result.findings = extra  # release findings are kept even if judging fails
            if pool is not None:
                pending[pool.submit(judge_file, str(art.path), _label(dep))] = (result, art)
            else:
                _finish(result, art, judge_file(str(art.path), _label(dep)), extra, cache, errors)
                tick(_label(dep))
        collect(wait=True)
    finally:
        # on Ctrl-C: drop queued downloads and judgements at once (running ones finish; all judged so far
        # is already in the cache)
        threads.shutdown(wait=False, cancel_futures=True)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ordered = [results[d.key] for d in deps if d.key in results]
    all_findings: list[Finding] = []
    for r in ordered:
        r.score, _, verdict = score_findings(r.findings)
        r.verdict = verdict.value if r.status != "error" else "error"
        all_findings.extend(r.findings)
    report = Report(target=str(lockfile), command="vet", findings=all_findings, errors=errors,
                    artifact={"file": Path(lockfile).name, "type": "dependency-file", "packages": len(deps)})
    from chainwatch.engine import finalize

    finalize(report)
    report.extra["packages"] = [r.to_dict() for r in ordered]
    counts: dict[str, int] = {}
    for r in ordered:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    report.stats = {"packages": len(ordered), "verdicts": counts,
                    "judged": sum(r.status == "judged" for r in ordered),
                    "cached": sum(r.status == "cached" for r in ordered),
                    "unvetted": sum(r.status == "error" for r in ordered), "seconds": round(time.monotonic() - started, 3)}  # noqa: E501
    return report


def _finish(result: VetResult, art: fetch.Artifact, out: dict[str, Any], extra: list[Finding], cache: VetCache,
            errors: list[ScanError]) -> None:
    from chainwatch.scoring import score_findings

    result.seconds = float(out.get("seconds", 0.0))
    if "error" in out:
        result.status = "error"
        result.error = out["error"]
        errors.append(ScanError(_label(result.dependency), out["error"], "unreadable"))
        return
    judged = [Finding.from_dict(f) for f in out["findings"]]
    score, _, verdict = score_findings(judged)
    assert result.sha256 is not None
    cache.put(result.sha256, result.dependency, art.path.name if art.path else "", verdict.value, score, judged)
    result.findings = judged + extra


def verdict_rank(v: str) -> int:
    return {"malicious": 3, "suspicious": 2, "error": 1, "clean": 0}.get(v, 0)


_ = (Severity, Verdict)
