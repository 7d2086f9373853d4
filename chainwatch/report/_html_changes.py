"""The side-by-side view of what changed between two releases (``report.extra["changes"]``, written by
``chainwatch diff``).

Shape (every key optional, items tolerated as bare paths):
``{"added": [...], "removed": [...], "renamed": [...],
   "modified": [{"path", "old_path", "before": {...}, "after": {...}, "delta": {...}}]}``
Members with findings come first, so a reviewer reads what matters before the routine churn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainwatch.models import Finding
from chainwatch.report._html import anchor_id, badge, esc, kv_table, value_html

MAX_ITEMS_PER_KIND = 500
KINDS = ("modified", "added", "removed", "renamed")
_NOT_FACTS = {"path", "old_path", "before", "after", "delta", "change", "kind"}


def _item_path(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("path") or item.get("new_path") or item.get("old_path") or "")
    return str(item)


def _facts(item: Any, side: str) -> dict[str, Any]:
    """Facts of one side of an item: ``before``/``after`` when given, else the item's other keys."""
    if not isinstance(item, Mapping):
        return {}
    explicit = item.get(side)
    if isinstance(explicit, Mapping):
        return dict(explicit)
    facts = item.get("facts")
    if isinstance(facts, Mapping):
        return dict(facts)
    return {k: v for k, v in item.items() if k not in _NOT_FACTS}


def _side_by_side(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """Two columns, one row per fact; rows whose value changed are marked."""
    keys = list(before)
    keys += [k for k in after if k not in before]
    if not keys:
        return ""
    rows = []
    for key in keys:
        in_before, in_after = key in before, key in after
        old, new = before.get(key), after.get(key)
        cls = "same" if in_before and in_after and old == new else "changed"
        if not in_before:
            cls = "new"
        elif not in_after:
            cls = "gone"
        left = value_html(old, str(key), 1) if in_before else '<span class="muted">—</span>'
        right = value_html(new, str(key), 1) if in_after else '<span class="muted">—</span>'
        rows.append(f'<tr class="{cls}"><th>{esc(key)}</th><td class="before">{left}</td>'
                    f'<td class="after">{right}</td></tr>')
    return ('<table class="sbs"><thead><tr><th>fact</th><th>before</th><th>after</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _finding_links(path: str, findings: dict[str, list[Finding]]) -> str:
    found = findings.get(path, [])
    if not found:
        return ""
    links = "".join(
        f'<li>{badge(f.severity)} <a href="#{anchor_id("m", f.path)}"><code>{esc(f.rule)}</code></a> '
        f"{esc(f.message)}</li>" for f in found
    )
    return f'<ul class="why">{links}</ul>'


def _worst(path: str, findings: dict[str, list[Finding]]) -> int:
    return max((f.severity.rank for f in findings.get(path, [])), default=-1)


def _render_item(kind: str, item: Any, findings: dict[str, list[Finding]]) -> str:
    path = _item_path(item)
    old_path = str(item.get("old_path") or "") if isinstance(item, Mapping) else ""
    title = f"<code>{esc(path)}</code>"
    if old_path and old_path != path:
        title = f"<code>{esc(old_path)}</code> → {title}"
    before = _facts(item, "before") if kind in ("modified", "renamed", "removed") else {}
    after = _facts(item, "after") if kind in ("modified", "renamed", "added") else {}
    if kind == "removed" and not before:
        before = _facts(item, "after")
    body = _side_by_side(before, after)
    delta = item.get("delta") if isinstance(item, Mapping) else None
    if isinstance(delta, Mapping) and delta:
        body += f'<details open><summary>what changed</summary>{kv_table(delta, 1)}</details>'
    elif delta:
        body += f"<div>{value_html(delta, 'delta', 1)}</div>"
    sev = _worst(path, findings)
    cls = f"change change-{kind}" + (" flagged" if sev >= 0 else "")
    return (f'<article class="{cls}" id="{anchor_id("c", kind + path)}"><h4><span class="kind kind-{kind}">'
            f"{kind}</span> {title}</h4>{_finding_links(path, findings)}{body}</article>")


def render_changes(changes: Any, findings: list[Finding]) -> str:
    if not isinstance(changes, Mapping):
        return '<p class="muted">No change data.</p>'
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    counts = []
    sections = []
    for kind in KINDS:
        items = changes.get(kind) or []
        if not isinstance(items, list):
            items = [items]
        counts.append(f'<span class="chip kind-{kind}">{len(items)} {kind}</span>')
        if not items:
            continue
        ordered = sorted(items, key=lambda i: (-_worst(_item_path(i), by_path), _item_path(i)))
        shown = ordered[:MAX_ITEMS_PER_KIND]
        flagged = [i for i in shown if _worst(_item_path(i), by_path) >= 0]
        routine = [i for i in shown if _worst(_item_path(i), by_path) < 0]
        html_items = "".join(_render_item(kind, i, by_path) for i in flagged)
        if routine:
            inner = "".join(_render_item(kind, i, by_path) for i in routine)
            html_items += (f"<details{' open' if not flagged and len(routine) <= 20 else ''}><summary>"
                           f"{len(routine)} {kind} without findings</summary>{inner}</details>")
        if len(items) > MAX_ITEMS_PER_KIND:
            html_items += f'<p class="muted">… {len(items) - MAX_ITEMS_PER_KIND} more not shown</p>'
        sections.append(f'<div class="changes-{kind}"><h3>{kind.capitalize()} ({len(items)})</h3>{html_items}</div>')
    return f'<p class="chips">{"".join(counts)}</p>' + "".join(sections)
