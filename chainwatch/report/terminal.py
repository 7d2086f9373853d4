"""Terminal output a person enjoys: a header with the verdict, findings ranked by severity, the score
explained point by point, errors, and (with ``--inventory``) the member table.

Everything attacker-controlled goes through ``visible`` and into ``rich.text.Text`` (never markup), so a
member named ``[red]x`` or carrying ANSI escapes prints as itself.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from chainwatch._version import __version__
from chainwatch.models import Report, Severity
from chainwatch.report._common import (
    SEVERITY_ORDER,
    VERDICT_WORDS,
    human_size,
    ranked_findings,
    severity_counts,
    short_evidence,
    truncate,
    unpacked_bytes,
    visible,
)
from chainwatch.report.interface import RenderOptions, ReportFormat

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
VERDICT_STYLE = {"clean": "bold green", "suspicious": "bold yellow", "malicious": "bold white on red"}
VERDICT_MARK = {"clean": "✔", "suspicious": "▲", "malicious": "✖"}
VERDICT_BORDER = {"clean": "green", "suspicious": "yellow", "malicious": "red"}


def _auto_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _auto_width() -> int:
    if sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((120, 40)).columns)
    return 120


def make_console(options: RenderOptions) -> tuple[Console, io.StringIO]:
    """A console that writes into a string; colour only when asked (or auto and on a terminal)."""
    color = _auto_color() if options.color is None else options.color
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=options.width or _auto_width(),
        force_terminal=color,
        color_system="truecolor" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )
    return console, buffer


def t(value: Any, style: str = "", keep_newlines: bool = False) -> Text:
    """Attacker-safe text cell."""
    return Text(visible(value, keep_newlines=keep_newlines), style=style)


def header(report: Report) -> RenderableType:
    verdict = report.verdict.value
    title = Text.assemble(("chainwatch ", "bold"), (report.command, "bold cyan"), f"  v{__version__}")
    line = Text.assemble(
        (f" {VERDICT_MARK.get(verdict, '')} {verdict.upper()} ", VERDICT_STYLE.get(verdict, "bold")),
        "  ",
        ("score ", "dim"),
        (f"{report.score}", "bold"),
        ("/100", "dim"),
        "  ",
        (VERDICT_WORDS.get(verdict, ""), "italic"),
    )
    body = Table.grid(padding=(0, 2))
    body.add_column(style="dim", no_wrap=True)
    body.add_column(overflow="fold")
    body.add_row("target", t(report.target, "bold"))
    artifact = report.artifact or {}
    facts = [
        f"{k} {visible(artifact[k])}" for k in ("name", "version", "type") if artifact.get(k) not in (None, "")
    ]
    if artifact.get("size") is not None:
        facts.append(human_size(artifact["size"]))
    if facts:
        body.add_row("artifact", t("  ·  ".join(facts)))
    if artifact.get("sha256"):
        body.add_row("sha256", t(artifact["sha256"]))
    stats = report.stats or {}
    counts = severity_counts(report.findings)
    summary = Text()
    summary.append(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}")
    for sev in SEVERITY_ORDER:
        if counts[sev]:
            summary.append("  ")
            summary.append(f"{counts[sev]} {sev.value}", SEVERITY_STYLE[sev])
    if report.errors:
        summary.append(f"  ·  {len(report.errors)} error{'s' if len(report.errors) != 1 else ''}", "yellow")
    members = stats.get("members", len(report.inventory) or None)
    if members is not None:
        summary.append(f"  ·  {members} members")
    if unpacked_bytes(stats) is not None:
        summary.append(f"  ·  {human_size(unpacked_bytes(stats))} unpacked")
    if stats.get("seconds") is not None:
        summary.append(f"  ·  {float(stats['seconds']):.2f} s")
    body.add_row("summary", summary)
    return Panel(Group(line, Text(), body), title=title, title_align="left", box=box.ROUNDED,
                 border_style=VERDICT_BORDER.get(verdict, ""))


def common_root_prefix(paths: list[str]) -> str:
    """``"app.msi!/"`` when every path lies inside the same top-level container, else ``""``."""
    roots = {p.split("!/", 1)[0] for p in paths if "!/" in p}
    if len(roots) != 1 or any("!/" not in p for p in paths):
        return ""
    return roots.pop() + "!/"


def findings_table(report: Report, width: int, min_severity: Severity = Severity.INFO) -> Table:
    table = Table(title="Findings", title_justify="left", title_style="bold", box=box.SIMPLE_HEAVY,
                  show_lines=False, expand=True)
    findings = [f for f in ranked_findings(report) if f.severity >= min_severity]
    prefix = common_root_prefix([f.path for f in findings])
    rule_width = min(36, max((len(f.rule) for f in findings), default=8))
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", style="bold", overflow="fold", min_width=rule_width)
    if prefix:
        table.title = Text.assemble("Findings", ("  (member paths inside ", "dim"), (visible(prefix[:-2]), "dim"),
                                    (")", "dim"))
    table.add_column("member", overflow="fold", ratio=3)
    table.add_column("message", overflow="fold", ratio=4)
    table.add_column("evidence", overflow="fold", ratio=3, style="dim")
    evidence_room = max(48, width // 3)
    for f in findings:
        rule = t(f.rule)
        if f.attack:
            rule.append(f"\n{visible(f.attack)}", "dim")
        table.add_row(
            Text(f.severity.value, SEVERITY_STYLE[f.severity]),
            rule,
            t(f.path[len(prefix):] if prefix and f.path.startswith(prefix) else f.path),
            t(f.message),
            t(short_evidence(f.evidence, max_items=3, limit=evidence_room, sep="\n"), keep_newlines=True),
        )
    return table


def score_table(report: Report) -> RenderableType:
    if not report.score_breakdown:
        return Text(f"Score {report.score}/100: no finding added points.", style="dim")
    table = Table(title=f"Why the score is {report.score}", title_justify="left", title_style="bold",
                  box=box.SIMPLE, expand=False)
    table.add_column("points", justify="right", style="bold")
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("member", overflow="fold")
    for item in sorted(report.score_breakdown, key=lambda s: (-s.points, -s.severity.rank, s.rule, s.path)):
        table.add_row(f"+{item.points}", Text(item.severity.value, SEVERITY_STYLE[item.severity]),
                      t(item.rule), t(item.path))
    total = sum(s.points for s in report.score_breakdown)
    if total != report.score:
        table.caption = f"sum {total}, capped to {report.score}"
    return table


def errors_table(report: Report) -> Table:
    table = Table(title="Errors (parts not fully examined; the scan went on)", title_justify="left",
                  title_style="bold yellow", box=box.SIMPLE, expand=True)
    table.add_column("kind", no_wrap=True, style="yellow")
    table.add_column("member", overflow="fold", ratio=2)
    table.add_column("message", overflow="fold", ratio=3)
    for e in report.errors:
        table.add_row(t(e.kind), t(e.path), t(e.message))
    return table


TERMINAL_INVENTORY_ROWS = 500  # more is unreadable in a terminal and slow to lay out


def inventory_types_table(report: Report) -> Table:
    """Members and bytes per detected type: the shape of the artifact at a glance."""
    totals: dict[str, list[int]] = {}
    for m in report.inventory:
        entry = totals.setdefault(m.type or "unknown", [0, 0])
        entry[0] += 1
        entry[1] += int(m.size or 0)
    table = Table(title="Member types", title_justify="left", title_style="bold", box=box.SIMPLE)
    table.add_column("type")
    table.add_column("members", justify="right")
    table.add_column("bytes", justify="right")
    for kind, (count, size) in sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0])):
        table.add_row(t(kind), str(count), human_size(size))
    return table


def inventory_table(report: Report) -> Table:
    table = Table(title=f"Inventory ({len(report.inventory)} members)", title_justify="left", title_style="bold",
                  box=box.SIMPLE, expand=True)
    hidden = len(report.inventory) - TERMINAL_INVENTORY_ROWS
    if hidden > 0:
        table.caption = (f"… {hidden} more members not shown; --format json --inventory (or html) lists them all")
    table.add_column("member", overflow="fold", ratio=1)
    table.add_column("type", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True, style="dim")
    table.add_column("entropy", justify="right", no_wrap=True)
    for m in report.inventory[:TERMINAL_INVENTORY_ROWS]:
        entropy = Text(f"{m.entropy:.2f}", "yellow" if m.entropy >= 7.2 and not m.container else "")
        table.add_row(t(m.path), t(m.type), human_size(m.size), (m.sha256 or "")[:16], entropy)
    return table


def changes_summary(report: Report) -> RenderableType | None:
    """One line per kind of change for ``chainwatch diff`` reports (report.extra["changes"])."""
    changes = report.extra.get("changes")
    if not isinstance(changes, dict):
        return None
    table = Table(title="Changes", title_justify="left", title_style="bold", box=box.SIMPLE, expand=False)
    table.add_column("change")
    table.add_column("members", justify="right")
    table.add_column("examples", overflow="fold")
    for kind in ("added", "removed", "modified", "renamed"):
        items = changes.get(kind) or []
        if not isinstance(items, list):
            continue
        names = []
        for item in items[:3]:
            path = item.get("path", "") if isinstance(item, dict) else item
            names.append(truncate(visible(path), 60))
        table.add_row(kind, str(len(items)), t(", ".join(names) + (" …" if len(items) > 3 else "")))
    return table


def timeline_summary(report: Report) -> RenderableType | None:
    """Events per host for log-hunting reports (report.extra["timeline"]); the HTML report plots them."""
    from chainwatch.report._html_timeline import parse_time

    timeline = report.extra.get("timeline")
    if not isinstance(timeline, list):
        return None
    hosts: dict[str, list[tuple[float, str]]] = {}
    for event in timeline:
        if isinstance(event, dict) and (ts := parse_time(event.get("time"))) is not None:
            hosts.setdefault(str(event.get("host") or "unknown host"), []).append((ts, str(event.get("kind") or "")))
    table = Table(title="Timeline per host", title_justify="left", title_style="bold", box=box.SIMPLE)
    for column in ("host", "events", "first (UTC)", "last (UTC)", "kinds"):
        table.add_column(column, justify="right" if column == "events" else "left", overflow="fold")
    for host, events in sorted(hosts.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        times = [e[0] for e in events]
        kinds: dict[str, int] = {}
        for _, kind in events:
            kinds[kind] = kinds.get(kind, 0) + 1
        table.add_row(t(host), str(len(events)), _utc(min(times)), _utc(max(times)),
                      t(", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))))
    return table


def _utc(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def compact_summary(report: Report) -> RenderableType:
    """The whole story when nothing was found."""
    verdict = report.verdict.value
    stats = report.stats or {}
    members = stats.get("members", len(report.inventory))
    line = Text.assemble(
        (f"{VERDICT_MARK.get(verdict, '')} {verdict} ", VERDICT_STYLE.get(verdict, "bold")),
        ("· score ", "dim"), (str(report.score), "bold"), ("/100 · ", "dim"),
        "no findings in ",
        (visible(report.target), "bold"),
        f" ({members} members"
        + (f", {human_size(unpacked_bytes(stats))} unpacked" if unpacked_bytes(stats) is not None else "")
        + (f", {float(stats['seconds']):.2f} s" if stats.get("seconds") is not None else "") + ")",
    )
    if report.errors:
        line.append(f" · {len(report.errors)} error{'s' if len(report.errors) != 1 else ''}", "yellow")
    return line


class TerminalFormat(ReportFormat):
    name = "terminal"
    description = "rich tables for a person at a terminal"

    def render(self, report: Report, options: RenderOptions) -> str:
        console, buffer = make_console(options)
        parts: list[RenderableType] = []
        changes = changes_summary(report)
        timeline = timeline_summary(report)
        if not report.findings and not report.errors and changes is None and timeline is None:
            parts.append(compact_summary(report))
        else:
            parts.append(header(report))
            if changes is not None:
                parts.append(changes)
            if timeline is not None:
                parts.append(timeline)
            shown = [f for f in report.findings if f.severity >= options.min_severity]
            hidden = len(report.findings) - len(shown)
            if shown:
                parts.append(findings_table(report, console.width, options.min_severity))
                parts.append(score_table(report))
            else:
                parts.append(Text("No findings.", style="green") if not hidden else
                             Text(f"No findings at or above {options.min_severity.value}.", style="green"))
            if hidden:
                parts.append(Text(f"{hidden} finding{'s' if hidden != 1 else ''} below "
                                  f"{options.min_severity.value} not listed (--min-severity info shows them; "
                                  f"JSON and HTML carry all)", style="dim"))
            if report.errors:
                parts.append(errors_table(report))
        if options.include_inventory and report.inventory:
            parts.append(inventory_types_table(report))
            parts.append(inventory_table(report))
        for part in parts:
            console.print(part)
        return buffer.getvalue()


FORMATS = [TerminalFormat()]
