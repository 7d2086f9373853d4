"""The per-host timeline of the HTML report (``report.extra["timeline"]``): one inline SVG plot per host,
one lane per kind of event, a dot per event with its label as a tooltip.

Input: a list of ``{"host", "time", "kind", "label"}``; time is ISO 8601 or epoch seconds (or
milliseconds). Unparseable entries are counted, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chainwatch.report._html import anchor_id, esc

PALETTE = ("#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
SEVERE_KINDS = {"hit", "ioc", "indicator", "alert", "beacon", "critical", "high", "malicious"}
WIDTH, LEFT, RIGHT, LANE, TOP = 960, 150, 20, 22, 14
MAX_EVENTS_PER_HOST = 5000


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch (UTC) of an ISO string or an epoch number; None when unparseable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e14:  # microseconds
            seconds /= 1e6
        elif seconds > 1e11:  # milliseconds
            seconds /= 1e3
        return seconds if math.isfinite(seconds) else None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            try:
                return parse_time(float(text))
            except ValueError:
                return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _fmt(ts: float, span: float) -> str:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    if span < 120:
        return dt.strftime("%H:%M:%S")
    if span < 2 * 86400:
        return dt.strftime("%m-%d %H:%M")
    return dt.strftime("%Y-%m-%d")


def _events_by_host(timeline: Any) -> tuple[dict[str, list[tuple[float, str, str, Any]]], int]:
    hosts: dict[str, list[tuple[float, str, str, Any]]] = {}
    skipped = 0
    if not isinstance(timeline, list):
        return hosts, 0
    for event in timeline:
        if not isinstance(event, Mapping):
            skipped += 1
            continue
        ts = parse_time(event.get("time"))
        if ts is None:
            skipped += 1
            continue
        host = str(event.get("host") or "unknown host")
        kind = str(event.get("kind") or "event")
        hosts.setdefault(host, []).append((ts, kind, str(event.get("label") or ""), event.get("time")))
    return hosts, skipped


def render_timeline(timeline: Any) -> str:
    hosts, skipped = _events_by_host(timeline)
    if not hosts:
        note = f" ({skipped} entries without a readable time)" if skipped else ""
        return f'<p class="muted">No timeline events{esc(note)}.</p>'
    all_times = [e[0] for events in hosts.values() for e in events]
    start, end = min(all_times), max(all_times)
    span = max(end - start, 1.0)
    kinds = sorted({e[1] for events in hosts.values() for e in events},
                   key=lambda k: (k.lower() not in SEVERE_KINDS, k))
    colors = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(kinds)}
    legend = "".join(
        f'<span class="legend"><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" '
        f'fill="{colors[k]}"/></svg> {esc(k)}</span>' for k in kinds
    )
    plot_width = WIDTH - LEFT - RIGHT
    parts = [f'<p class="muted">{len(all_times)} events on {len(hosts)} host{"s" if len(hosts) != 1 else ""}, '
             f'{esc(_fmt(start, span))} – {esc(_fmt(end, span))} UTC'
             + (f"; {skipped} entries without a readable time left out" if skipped else "") + f"</p>{legend}"]
    ranked = sorted(hosts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for host, events in ranked:
        events.sort(key=lambda e: e[0])
        host_kinds = [k for k in kinds if any(e[1] == k for e in events)]
        lane = {k: i for i, k in enumerate(host_kinds)}
        height = TOP + LANE * len(host_kinds) + 28
        svg = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
               f'aria-label="timeline of {esc(host)}">']
        for k, i in lane.items():
            y = TOP + i * LANE + LANE / 2
            svg.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" class="lane">{esc(k)}</text>')
            svg.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        axis_y = TOP + LANE * len(host_kinds) + 4
        svg.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{axis_y}" y2="{axis_y}" class="axis"/>')
        for n in range(5):
            ts = start + span * n / 4
            x = LEFT + plot_width * n / 4
            anchor = "start" if n == 0 else "end" if n == 4 else "middle"
            svg.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 4}" class="axis"/>'
                       f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="{anchor}" class="tick">'
                       f"{esc(_fmt(ts, span))}</text>")
        shown = events[:MAX_EVENTS_PER_HOST]
        for ts, kind, label, raw in shown:
            x = LEFT + plot_width * (ts - start) / span
            y = TOP + lane[kind] * LANE + LANE / 2
            tip = f"{raw} · {kind}" + (f" · {label}" if label else "")
            svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colors[kind]}" fill-opacity="0.8">'
                       f"<title>{esc(tip)}</title></circle>")
        svg.append("</svg>")
        more = (f'<p class="muted">{len(events) - MAX_EVENTS_PER_HOST} more events not drawn</p>'
                if len(events) > MAX_EVENTS_PER_HOST else "")
        rows = "".join(
            f"<tr><td><code>{esc(raw)}</code></td><td>{esc(kind)}</td><td>{esc(label)}</td></tr>"
            for _ts, kind, label, raw in shown[:1000]
        )
        parts.append(
            f'<article class="host" id="{anchor_id("host", host)}"><h3>{esc(host)} '
            f'<span class="muted">({len(events)} events)</span></h3>{"".join(svg)}{more}'
            f"<details><summary>events</summary><table class=\"grid sortable\"><thead><tr><th>time</th>"
            f"<th>kind</th><th>label</th></tr></thead><tbody>{rows}</tbody></table></details></article>"
        )
    return "".join(parts)
