"""Building blocks of the HTML report: escaping, evidence as readable tables, the page shell.

Every string that reaches the page goes through ``esc`` (HTML-escaped after invisible characters are
made visible). The page also carries a Content-Security-Policy that only allows its own inline style
and script by hash, so even a missed escape could not run injected script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping
from typing import Any

from chainwatch.models import Severity
from chainwatch.report._common import visible

MAX_DEPTH = 6
MAX_ITEMS = 200
MAX_TEXT = 400
HEX_BYTES = 256


def esc(value: Any) -> str:
    """HTML-escape anything for text or a quoted attribute value."""
    return html.escape(visible(value if isinstance(value, str) else str(value)), quote=True)


def anchor_id(prefix: str, key: str) -> str:
    """A stable, safe element id for an attacker-controlled key (never the key itself)."""
    return prefix + "-" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def badge(severity: Severity | str) -> str:
    sev = severity.value if isinstance(severity, Severity) else str(severity)
    cls = re.sub(r"[^a-z]", "", sev.lower()) or "info"
    return f'<span class="sev sev-{cls}">{esc(sev)}</span>'


def hexdump(data: bytes) -> str:
    """Offset / hex / ASCII lines for the first bytes of a value."""
    shown = data[:HEX_BYTES]
    lines = []
    for off in range(0, len(shown), 16):
        chunk = shown[off:off + 16]
        hex_part = " ".join(f"{b:02x}" for b in chunk)
        ascii_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {hex_part:<47}  {ascii_part}")
    if len(data) > HEX_BYTES:
        lines.append(f"… {len(data) - HEX_BYTES} more bytes ({len(data)} in all)")
    return '<pre class="hex">' + esc("\n".join(lines)) + "</pre>"


def _scalar(key: str, value: Any) -> str:
    if value is None:
        return '<span class="muted">—</span>'
    if isinstance(value, bool):
        return f'<span class="bool">{"yes" if value else "no"}</span>'
    if isinstance(value, int):
        if "offset" in key.lower() or key.lower() in ("rva", "entrypoint", "address", "va"):
            return f"<code>{value:#x}</code> <span class=\"muted\">({value})</span>"
        return f"<code>{value}</code>"
    if isinstance(value, float):
        return f"<code>{value:.4g}</code>"
    text = visible(str(value), keep_newlines=True)
    if len(text) > MAX_TEXT:
        return (f"<details><summary><code>{html.escape(text[:120])}</code>… ({len(text)} chars)</summary>"
                f'<pre class="long">{html.escape(text)}</pre></details>')
    if "\n" in text:
        return f'<pre class="long">{html.escape(text)}</pre>'
    return f"<code>{html.escape(text)}</code>"


def value_html(value: Any, key: str = "", depth: int = 0) -> str:
    """Evidence value as HTML: dicts as key/value tables, lists of records as tables, bytes as hex."""
    if isinstance(value, bytes | bytearray | memoryview):
        return hexdump(bytes(value))
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return f'<span class="muted">{{{len(value)} keys}}</span>'
        return kv_table(value, depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if not items:
            return '<span class="muted">none</span>'
        if depth >= MAX_DEPTH:
            return f'<span class="muted">[{len(items)} items]</span>'
        more = f'<li class="muted">… {len(items) - MAX_ITEMS} more</li>' if len(items) > MAX_ITEMS else ""
        items = items[:MAX_ITEMS]
        if all(isinstance(i, Mapping) for i in items):
            columns: list[str] = []
            for i in items:
                for k in i:
                    if k not in columns:
                        columns.append(k)
            if len(columns) <= 8:
                head = "".join(f"<th>{esc(c)}</th>" for c in columns)
                rows = "".join(
                    "<tr>" + "".join(f"<td>{value_html(i.get(c), str(c), depth + 1)}</td>" for c in columns) + "</tr>"
                    for i in items
                )
                tail = f'<tr><td class="muted" colspan="{len(columns)}">… more rows</td></tr>' if more else ""
                return f'<table class="ev sub"><thead><tr>{head}</tr></thead><tbody>{rows}{tail}</tbody></table>'
        if all(not isinstance(i, Mapping | list | tuple | bytes) for i in items) and len(items) <= 12:
            return ", ".join(_scalar(key, i) for i in items)
        return '<ul class="ev">' + "".join(f"<li>{value_html(i, key, depth + 1)}</li>" for i in items) + more + "</ul>"
    return _scalar(key, value)


def before_after(before: Any, after: Any, depth: int = 0) -> str:
    """A before/after pair side by side; for two dicts, one row per key with changed rows marked."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = list(before) + [k for k in after if k not in before]
        rows = []
        for key in keys[:MAX_ITEMS]:
            cls = "same" if key in before and key in after and before[key] == after[key] else "changed"
            left = value_html(before[key], str(key), depth + 1) if key in before else '<span class="muted">—</span>'
            right = value_html(after[key], str(key), depth + 1) if key in after else '<span class="muted">—</span>'
            rows.append(f'<tr class="{cls}"><th>{esc(key)}</th><td class="before">{left}</td>'
                        f'<td class="after">{right}</td></tr>')
    else:
        rows = [f'<tr class="changed"><th></th><td class="before">{value_html(before, "before", depth + 1)}</td>'
                f'<td class="after">{value_html(after, "after", depth + 1)}</td></tr>']
    return ('<table class="sbs"><thead><tr><th></th><th>before</th><th>after</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def kv_table(data: Mapping[str, Any], depth: int = 0, cls: str = "ev") -> str:
    if not data:
        return '<span class="muted">no evidence</span>'
    if "before" in data and "after" in data and depth < MAX_DEPTH:
        rest = {k: v for k, v in data.items() if k not in ("before", "after")}
        pair = before_after(data["before"], data["after"], depth)
        return pair + (kv_table(rest, depth, cls) if rest else "")
    rows = []
    for i, (key, value) in enumerate(data.items()):
        if i >= MAX_ITEMS:
            rows.append(f'<tr><td colspan="2" class="muted">… {len(data) - MAX_ITEMS} more keys</td></tr>')
            break
        rows.append(f"<tr><th>{esc(key)}</th><td>{value_html(value, str(key), depth)}</td></tr>")
    return f'<table class="{cls}"><tbody>{"".join(rows)}</tbody></table>'


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page(title: str, body: str, css: str, script: str) -> str:
    """A self-contained document: no external assets; inline style and script allowed by hash only."""
    csp = (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=True)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
