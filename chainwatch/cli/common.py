"""Options and output handling shared by every command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chainwatch.models import Report, Severity
from chainwatch.options import Limits, ScanOptions

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITIES = [s.value for s in Severity]


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    t = text.strip().lower().rstrip("b").rstrip("i")
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("output")
    g.add_argument("--format", "-f", default="terminal",
                   help="terminal (default), json, sarif, cyclonedx, html")
    g.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (required for html)")
    g.add_argument("--inventory", action="store_true", help="include the member inventory in the report")
    g.add_argument("--fail-on", default="high", choices=SEVERITIES,
                   help="exit 1 when a finding is at or above this severity (default: high)")
    g.add_argument("--min-severity", default="low", choices=SEVERITIES,
                   help="lowest severity listed in terminal and SARIF output (default: low; JSON and HTML "
                        "always carry every finding)")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def add_store_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("store")
    g.add_argument("--db", metavar="PATH", help="SQLite store (default: $CHAINWATCH_DB or the user data dir)")
    g.add_argument("--no-store", action="store_true", help="do not record this run in the store")


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    d = Limits()
    g = parser.add_argument_group("limits (hostile input)")
    g.add_argument("--max-depth", type=int, help=f"container nesting depth (default {d.max_depth})")
    g.add_argument("--max-members", type=int, help=f"members in the whole tree (default {d.max_members})")
    g.add_argument("--max-total", type=_size, metavar="SIZE", help="unpacked bytes in total (default 8G)")
    g.add_argument("--max-member-size", type=_size, metavar="SIZE", help="one unpacked member (default 2G)")
    g.add_argument("--max-ratio", type=float, help=f"compression ratio of a member (default {d.max_ratio:g})")
    g.add_argument("--member-timeout", type=float, metavar="SECONDS",
                   help=f"analysis time per member (default {d.member_seconds:g})")
    g.add_argument("--password", help="password for encrypted zips (research samples: infected)")
    g.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: one per core)")


def options_from_args(args: argparse.Namespace, **settings: Any) -> ScanOptions:
    limits = Limits().with_overrides(
        max_depth=getattr(args, "max_depth", None),
        max_members=getattr(args, "max_members", None),
        max_total_bytes=getattr(args, "max_total", None),
        max_member_bytes=getattr(args, "max_member_size", None),
        max_ratio=getattr(args, "max_ratio", None),
        member_seconds=getattr(args, "member_timeout", None),
    )
    password = getattr(args, "password", None)
    return ScanOptions(
        limits=limits,
        password=password.encode() if password else None,
        jobs=getattr(args, "jobs", 0) or 0,
        progress=not getattr(args, "quiet", False),
        settings=settings,
    )


def open_store_from_args(args: argparse.Namespace) -> Any:
    if getattr(args, "no_store", False):
        return None
    from chainwatch.store import open_store

    return open_store(Path(args.db) if getattr(args, "db", None) else None)


def open_required_store(args: argparse.Namespace, needed_for: str) -> Any:
    """The store, or None after telling the user that ``needed_for`` needs it (``--no-store`` was given)."""
    store = open_store_from_args(args)
    if store is None:
        print(f"chainwatch: error: {needed_for} needs the store (drop --no-store)", file=sys.stderr)
    return store


def render(report: Report, fmt: str, include_inventory: bool, color: bool | None = None,
           min_severity: str = "low") -> str:
    from chainwatch import registry

    formats = registry.report_formats()
    if fmt in formats:
        from chainwatch.report.interface import RenderOptions

        options = RenderOptions(include_inventory=include_inventory, color=color,
                                min_severity=Severity.parse(min_severity))
        return str(formats[fmt].render(report, options))
    if fmt == "json":
        return json.dumps(report.to_dict(include_inventory=include_inventory), indent=2, default=str)
    if fmt == "terminal":
        lines = [f"{report.target}: {report.verdict.value} (score {report.score})"]
        lines += [f"  [{f.severity.value}] {f.rule} {f.path}: {f.message}" for f in report.findings]
        lines += [f"  error: {e.path}: {e.message}" for e in report.errors]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r}; available: {', '.join(sorted({*formats, 'json', 'terminal'}))}")


def exit_code(report: Report, fail_on: str) -> int:
    threshold = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(f.severity >= threshold for f in report.findings) else EXIT_OK


def emit_report(report: Report, args: argparse.Namespace) -> int:
    fmt = args.format
    if fmt == "html" and not args.output:
        raise ValueError("--format html needs -o FILE")
    to_terminal = not args.output and sys.stdout.isatty()
    text = render(report, fmt, args.inventory, color=to_terminal if fmt == "terminal" else False,
                  min_severity=getattr(args, "min_severity", "low"))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return exit_code(report, args.fail_on)


class Progress:
    """A rich progress bar on stderr for long work; silent when not a terminal or --quiet."""

    def __init__(self, enabled: bool, description: str = "scanning") -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None
        self.description = description

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.fields[path]}", style="dim"), console=Console(stderr=True), transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.description, total=None, path="")
        return self

    def update(self, done: int, total: int, path: str) -> None:
        if self._progress is not None:
            short = path if len(path) < 60 else "…" + path[-59:]
            self._progress.update(self._task, completed=done, total=max(total, done), path=short)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
