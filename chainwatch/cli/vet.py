"""``chainwatch vet FILE``: judge every package a requirements/lock file pins."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chainwatch.cli.common import (
    EXIT_ERROR,
    add_output_options,
    add_store_options,
    emit_report,
    open_store_from_args,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "vet", help="vet the packages of a dependency file (requirements.txt, lockfiles)",
        description="Resolve every pinned package of requirements.txt, pyproject.toml, poetry.lock, uv.lock, "
                    "Pipfile.lock, package-lock.json, pnpm-lock.yaml or yarn.lock; download it from PyPI/npm "
                    "(cached by hash, parallel, resumable) or take it from --offline DIR; judge each one; print a "
                    "per-package table. Packages already judged (same sha256) are not judged again.")
    p.add_argument("lockfile", help="dependency file")
    p.add_argument("--offline", metavar="DIR", help="take artifacts from DIR (file names name-version.*); no network")
    p.add_argument("--no-metadata", action="store_true",
                   help="skip registry metadata checks (release age, maintainer change, new install scripts)")
    p.add_argument("--jobs", "-j", type=int, default=0, help="analysis processes (default: one per core)")
    p.add_argument("--download-threads", type=int, default=8, help="parallel downloads (default 8)")
    p.add_argument("--all", action="store_true", help="list every package in the table, not only flagged ones")
    p.add_argument("--allow-unvetted", action="store_true",
                   help="exit 0/1 by findings even when some packages could not be fetched or read "
                        "(default: exit 2, so a CI gate never passes on packages nobody looked at)")
    add_output_options(p)
    add_store_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chainwatch.cli.common import Progress
    from chainwatch.packages.lockfiles import LockfileError
    from chainwatch.packages.vet import vet

    store = open_store_from_args(args)
    try:
        with Progress(not args.quiet, "vetting") as bar:
            report = vet(args.lockfile, offline_dir=args.offline, store=store, jobs=args.jobs,
                         download_threads=args.download_threads, metadata=not args.no_metadata,
                         progress=bar.update)
    except (LockfileError, FileNotFoundError) as exc:
        print(f"chainwatch: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if store is not None:
            store.close()
    if args.format == "terminal" and not args.output:
        print_table(report.extra.get("packages", []), show_all=args.all)
        print_summary(report)
        from chainwatch.cli.common import exit_code

        return _with_unvetted(exit_code(report, args.fail_on), report, args)
    return _with_unvetted(emit_report(report, args), report, args)


def _with_unvetted(code: int, report: Any, args: argparse.Namespace) -> int:
    """EXIT_ERROR when packages went unvetted (unless --allow-unvetted): "clean" must mean "all looked at"."""
    unvetted = int(report.stats.get("unvetted", 0))
    if unvetted and not args.allow_unvetted:
        print(f"chainwatch: {unvetted} package(s) could not be vetted (not fetched or unreadable); exit "
              f"{EXIT_ERROR} (use --allow-unvetted to gate on findings only)", file=sys.stderr)
        return max(code, EXIT_ERROR)
    return code


def print_table(packages: list[dict[str, Any]], show_all: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    from chainwatch.packages.vet import verdict_rank

    console = Console()
    rows = sorted(packages, key=lambda p: (-verdict_rank(p["verdict"]), -p["score"], p["name"]))
    if not show_all:
        rows = [p for p in rows if p["verdict"] != "clean"] or []
    table = Table(title=f"{len(packages)} packages vetted" + ("" if show_all else f", {len(rows)} shown "
                                                               "(use --all for every package)"))
    for col in ("package", "version", "verdict", "score", "top finding", "source"):
        table.add_column(col, overflow="fold")
    colours = {"malicious": "bold red", "suspicious": "yellow", "error": "magenta", "clean": "green"}
    for p in rows:
        top = next((f for f in p["findings"] if f["severity"] in ("critical", "high", "medium")), None)
        top_text = f"[{top['severity']}] {top['rule']}: {top['message']}" if top else (p.get("error") or "")
        verdict = f"[{colours.get(p['verdict'], '')}]{p['verdict']}[/]"
        table.add_row(f"{p['name']}", str(p["version"] or "(unpinned)"), verdict,
                      str(p["score"]), top_text[:160], p["status"])
    console.print(table)


def print_summary(report: Any) -> None:
    stats = report.stats
    verdicts = ", ".join(f"{k}: {v}" for k, v in sorted(stats.get("verdicts", {}).items()))
    unvetted = stats.get("unvetted", 0)
    verdict = report.verdict.value + (f", but {unvetted} package(s) NOT vetted" if unvetted else "")
    print(f"{report.target}: {verdict} ({stats.get('packages', 0)} packages; {verdicts}; "
          f"judged {stats.get('judged', 0)}, from cache {stats.get('cached', 0)}; {stats.get('seconds', 0)} s)")
