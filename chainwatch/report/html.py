"""``--format html -o FILE``: one self-contained page (inline CSS and a little inline JS, no external
assets) with the verdict, the score explained, findings grouped by member with their evidence as
readable tables, errors, the inventory, and, when a command supplies them, the side-by-side view of
changes (``chainwatch diff``) and per-host timelines (``chainwatch hunt-logs``).

Adding a section is adding a function to ``SECTIONS``: ``(report, options) -> Section | None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chainwatch._version import __version__
from chainwatch.models import Report
from chainwatch.report._common import (
    SEVERITY_ORDER,
    VERDICT_WORDS,
    attack_url,
    group_by_path,
    human_size,
    severity_counts,
    unpacked_bytes,
)
from chainwatch.report._html import anchor_id, badge, esc, kv_table, page
from chainwatch.report._html_changes import render_changes
from chainwatch.report._html_timeline import render_timeline
from chainwatch.report.interface import RenderOptions, ReportFormat

MAX_INVENTORY_ROWS = 100_000


@dataclass(frozen=True)
class Section:
    id: str  # element id and nav anchor (a constant, never attacker-controlled)
    title: str
    body: str
    count: int | None = None


def verdict_banner(report: Report) -> str:
    verdict = report.verdict.value
    counts = severity_counts(report.findings)
    chips = "".join(f"{badge(s)}&nbsp;{counts[s]} " for s in SEVERITY_ORDER if counts[s])
    artifact = report.artifact or {}
    facts = [(k, artifact[k]) for k in ("name", "version", "type") if artifact.get(k) not in (None, "")]
    if artifact.get("size") is not None:
        facts.append(("size", human_size(artifact["size"])))
    if artifact.get("sha256"):
        facts.append(("sha256", artifact["sha256"]))
    stats = report.stats or {}
    if stats.get("members") is not None:
        facts.append(("members", stats["members"]))
    if unpacked_bytes(stats) is not None:
        facts.append(("unpacked", human_size(unpacked_bytes(stats))))
    if stats.get("seconds") is not None:
        facts.append(("time", f"{float(stats['seconds']):.2f} s"))
    fact_html = "".join(f"<dt>{esc(k)}</dt><dd><code>{esc(v)}</code></dd>" for k, v in facts)
    return (
        f'<header class="banner verdict-{verdict}">'
        f'<div class="brand">chainwatch {esc(report.command)} <span class="muted">v{esc(__version__)}</span></div>'
        f'<div class="verdict"><span class="word">{esc(verdict.upper())}</span>'
        f'<span class="score">{report.score}<small>/100</small></span></div>'
        f'<div class="what">{esc(VERDICT_WORDS.get(verdict, ""))}</div>'
        f'<div class="target"><code>{esc(report.target)}</code></div>'
        f'<div class="counts">{chips or "no findings"}'
        f"{f' · {len(report.errors)} errors' if report.errors else ''}</div>"
        f"<dl class=\"facts\">{fact_html}</dl></header>"
    )


def score_section(report: Report, options: RenderOptions) -> Section | None:
    if not report.score_breakdown:
        body = f"<p>Score {report.score}/100: no finding added points.</p>"
        return Section("score", "Score", body)
    items = sorted(report.score_breakdown, key=lambda s: (-s.points, -s.severity.rank, s.rule, s.path))
    total = sum(s.points for s in items) or 1
    rows = []
    for s in items:
        width = max(2, round(200 * s.points / max(total, 100)))
        bar = (f'<svg width="200" height="10" aria-hidden="true"><rect width="{width}" height="10" '
               f'class="bar bar-{s.severity.value}"/></svg>')
        rows.append(f'<tr><td class="num">+{s.points}</td><td>{bar}</td><td>{badge(s.severity)}</td>'
                    f'<td><code>{esc(s.rule)}</code></td><td><a href="#{anchor_id("m", s.path)}">'
                    f"<code>{esc(s.path)}</code></a></td></tr>")
    capped = sum(s.points for s in items)
    note = f'<p class="muted">Points sum to {capped}; the score is capped at {report.score}.</p>' \
        if capped != report.score else ""
    body = (f"<p>Every point of the score comes from a finding below. Score <b>{report.score}</b>/100.</p>"
            '<table class="grid sortable"><thead><tr><th>points</th><th></th><th>severity</th><th>rule</th>'
            f"<th>member</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{note}")
    return Section("score", "Why this score", body)


def findings_section(report: Report, options: RenderOptions) -> Section | None:
    if not report.findings:
        return Section("findings", "Findings", '<p class="ok">No findings.</p>', 0)
    groups = group_by_path(report.findings)
    records = {m.path: m for m in report.inventory}
    parts = ['<div class="filters"><input type="search" id="finding-filter" placeholder="filter findings…" '
             'aria-label="filter findings">'
             + "".join(f'<label><input type="checkbox" class="sev-toggle" value="{s.value}" checked> '
                       f"{s.value}</label>" for s in SEVERITY_ORDER) + "</div>"]
    for path, findings in groups.items():
        record = records.get(path)
        meta = ""
        if record is not None:
            meta = (f'<span class="muted">{esc(record.type)} · {esc(human_size(record.size))} · sha256 '
                    f"<code>{esc(record.sha256[:16])}</code></span>")
        items = []
        for f in findings:
            attack = ""
            if f.attack:
                url = attack_url(f.attack)
                attack = (f' <a class="attack" href="{esc(url)}" rel="noreferrer noopener">{esc(f.attack)}</a>'
                          if url else f' <span class="attack">{esc(f.attack)}</span>')
            items.append(
                f'<div class="finding" data-sev="{f.severity.value}">'
                f"<div class=\"fhead\">{badge(f.severity)} <code class=\"rule\">{esc(f.rule)}</code>{attack}</div>"
                f'<p class="msg">{esc(f.message)}</p>{kv_table(f.evidence)}</div>'
            )
        worst = findings[0].severity.value
        parts.append(f'<section class="member worst-{worst}" id="{anchor_id("m", path)}">'
                     f"<h3><code>{esc(path or report.target)}</code> {meta}</h3>{''.join(items)}</section>")
    return Section("findings", "Findings by member", "".join(parts), len(report.findings))


def errors_section(report: Report, options: RenderOptions) -> Section | None:
    if not report.errors:
        return None
    rows = "".join(f"<tr><td>{esc(e.kind)}</td><td><code>{esc(e.path)}</code></td><td>{esc(e.message)}</td></tr>"
                   for e in report.errors)
    body = ("<p>Parts that could not be read or were cut short; the scan went on without them.</p>"
            '<table class="grid sortable"><thead><tr><th>kind</th><th>member</th><th>message</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")
    return Section("errors", "Errors", body, len(report.errors))


def inventory_section(report: Report, options: RenderOptions) -> Section | None:
    if not (options.include_inventory and report.inventory):
        return None
    worst: dict[str, str] = {}
    for path, findings in group_by_path(report.findings).items():
        worst[path] = findings[0].severity.value
    rows = []
    for m in report.inventory[:MAX_INVENTORY_ROWS]:
        flag = worst.get(m.path)
        link = (f'<a href="#{anchor_id("m", m.path)}"><code>{esc(m.path)}</code></a> {badge(flag)}' if flag
                else f"<code>{esc(m.path)}</code>")
        rows.append(f'<tr><td>{link}</td><td>{esc(m.type)}</td><td class="num" data-v="{int(m.size)}">'
                    f"{esc(human_size(m.size))}</td><td><code title=\"{esc(m.sha256)}\">{esc(m.sha256[:16])}"
                    f'</code></td><td class="num">{m.entropy:.2f}</td><td><code>{esc(m.tlsh or "")[:20]}</code>'
                    "</td></tr>")
    more = (f'<p class="muted">{len(report.inventory) - MAX_INVENTORY_ROWS} more members not shown; use '
            "--format json --inventory for all.</p>" if len(report.inventory) > MAX_INVENTORY_ROWS else "")
    body = ('<div class="filters"><input type="search" id="inventory-filter" placeholder="filter members…" '
            'aria-label="filter members"></div>'
            '<table class="grid sortable" id="inventory"><thead><tr><th>member</th><th>type</th><th>size</th>'
            f"<th>sha256</th><th>entropy</th><th>tlsh</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{more}")
    return Section("inventory", "Inventory", body, len(report.inventory))


def changes_section(report: Report, options: RenderOptions) -> Section | None:
    if "changes" not in report.extra:
        return None
    changes = report.extra["changes"]
    total = sum(len(v) for v in changes.values() if isinstance(v, list)) if isinstance(changes, dict) else None
    return Section("changes", "What changed", render_changes(changes, report.findings), total)


def timeline_section(report: Report, options: RenderOptions) -> Section | None:
    if "timeline" not in report.extra:
        return None
    timeline = report.extra["timeline"]
    return Section("timeline", "Timeline per host", render_timeline(timeline),
                   len(timeline) if isinstance(timeline, list) else None)


SectionRenderer = Callable[[Report, RenderOptions], "Section | None"]
SECTIONS: list[SectionRenderer] = [
    score_section,
    changes_section,
    timeline_section,
    findings_section,
    errors_section,
    inventory_section,
]

CSS = """
:root{--bg:#fbfbfc;--fg:#1d2329;--muted:#6a737d;--line:#e3e6ea;--card:#fff;--crit:#8b0000;--high:#d73a49;
--med:#d98e04;--low:#2f81c7;--info:#8a939c;--ok:#1a7f37}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
background:var(--bg);color:var(--fg)}main{max-width:1200px;margin:0 auto;padding:0 20px 40px}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
pre{white-space:pre-wrap;margin:0}a{color:#0b5cad}.muted{color:var(--muted)}.ok{color:var(--ok)}
.banner{padding:18px 24px;color:#fff;display:grid;grid-template-columns:1fr auto;gap:4px 20px}
.verdict-clean{background:linear-gradient(90deg,#1a7f37,#2ea44f)}
.verdict-suspicious{background:linear-gradient(90deg,#9a6700,#d4a72c)}
.verdict-malicious{background:linear-gradient(90deg,#82071e,#cf222e)}
.banner .brand{grid-column:1/3;opacity:.85}.banner .muted{color:#fff;opacity:.7}
.banner .verdict{display:flex;gap:18px;align-items:baseline}.banner .word{font-size:30px;font-weight:700;
letter-spacing:.04em}.banner .score{font-size:30px;font-weight:700}.banner small{font-size:14px;opacity:.8}
.banner .what{font-style:italic}.banner .target{grid-column:1/3}.banner code{color:#fff}
.banner .counts{grid-column:1/3}.facts{grid-column:1/3;display:grid;grid-template-columns:max-content 1fr;
gap:0 12px;margin:6px 0 0}.facts dt{opacity:.8}.facts dd{margin:0}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 20px;z-index:2}
nav a{margin-right:16px;text-decoration:none}h2{margin:28px 0 10px;border-bottom:2px solid var(--line)}
.sev{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}.sev-medium{background:var(--med)}
.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.bar-critical{fill:var(--crit)}.bar-high{fill:var(--high)}.bar-medium{fill:var(--med)}.bar-low{fill:var(--low)}
.bar-info{fill:var(--info)}
table{border-collapse:collapse}table.grid{width:100%;background:var(--card)}
.grid th,.grid td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.grid th{background:#f3f4f6;cursor:pointer;user-select:none}td.num{text-align:right;white-space:nowrap}
.member{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;
margin:12px 0;padding:6px 14px}.member h3{font-size:14px;margin:6px 0}
.worst-critical{border-left-color:var(--crit)}.worst-high{border-left-color:var(--high)}
.worst-medium{border-left-color:var(--med)}.worst-low{border-left-color:var(--low)}
.finding{border-top:1px dashed var(--line);padding:8px 0}.finding .msg{margin:4px 0 6px}
.rule{font-weight:600}.attack{font-size:12px;margin-left:6px}
table.ev{margin:2px 0}table.ev th{text-align:left;font-weight:500;color:var(--muted);padding:2px 10px 2px 0;
vertical-align:top;white-space:nowrap}table.ev td{padding:2px 0;vertical-align:top}
table.ev.sub th,table.ev.sub td{border:1px solid var(--line);padding:2px 6px}ul.ev{margin:0;padding-left:18px}
pre.hex{background:#f6f8fa;padding:6px;border-radius:4px;overflow:auto}pre.long{max-height:320px;overflow:auto}
.filters{margin:8px 0;display:flex;gap:12px;align-items:center}.filters input[type=search]{padding:4px 8px;
min-width:280px}.hidden{display:none}
.chips .chip{display:inline-block;padding:2px 10px;border-radius:10px;margin-right:8px;background:#eef1f4}
.kind{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;color:#fff;background:var(--info)}
.kind-added{background:#1a7f37}.kind-removed{background:#82071e}.kind-modified{background:#9a6700}
.kind-renamed{background:#2f81c7}
.change{background:var(--card);border:1px solid var(--line);border-radius:6px;margin:10px 0;padding:6px 14px}
.change.flagged{border-left:5px solid var(--high)}.change h4{margin:6px 0}ul.why{margin:4px 0;padding-left:18px}
table.sbs{width:100%;table-layout:fixed}table.sbs th,table.sbs td{border:1px solid var(--line);padding:3px 6px;
vertical-align:top;text-align:left}table.sbs thead th:first-child{width:18%}
table.sbs tr.changed td.before{background:#ffebe9}table.sbs tr.changed td.after{background:#dafbe1}
table.sbs tr.new td.after{background:#dafbe1}table.sbs tr.gone td.before{background:#ffebe9}
table.sbs tr.same{color:var(--muted)}
svg.timeline{background:var(--card);border:1px solid var(--line);border-radius:6px}
svg .lane,svg .tick{font-size:11px;fill:var(--muted)}svg .grid{stroke:#eef0f2}svg .axis{stroke:#9aa1a9}
.legend{margin-right:14px;font-size:12px}.host h3{font-size:14px}
footer{color:var(--muted);font-size:12px;margin-top:30px}
"""

SCRIPT = """
(function(){
function cellValue(td){var v=td.getAttribute('data-v');if(v!==null)return parseFloat(v);
var t=td.textContent.trim();var n=parseFloat(t.replace(/^\\+/,''));
return (isNaN(n)||!/^[+\\d.]/.test(t))?t.toLowerCase():n;}
document.querySelectorAll('table.sortable').forEach(function(table){
table.querySelectorAll('thead th').forEach(function(th,i){th.addEventListener('click',function(){
var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);var asc=th.getAttribute('data-asc')!=='1';
table.querySelectorAll('thead th').forEach(function(o){o.removeAttribute('data-asc');});
th.setAttribute('data-asc',asc?'1':'0');
rows.sort(function(a,b){var x=cellValue(a.cells[i]),y=cellValue(b.cells[i]);
if(typeof x!==typeof y){x=String(x);y=String(y);}return (x<y?-1:x>y?1:0)*(asc?1:-1);});
rows.forEach(function(r){body.appendChild(r);});});});});
function applyFindings(){var box=document.getElementById('finding-filter');if(!box)return;
var q=box.value.toLowerCase();var on={};
document.querySelectorAll('.sev-toggle').forEach(function(c){on[c.value]=c.checked;});
document.querySelectorAll('section.member').forEach(function(sec){var shown=0;
sec.querySelectorAll('.finding').forEach(function(f){
var ok=on[f.getAttribute('data-sev')]&&(!q||sec.textContent.toLowerCase().indexOf(q)>=0);
f.classList.toggle('hidden',!ok);if(ok)shown++;});sec.classList.toggle('hidden',shown===0);});}
var ff=document.getElementById('finding-filter');if(ff)ff.addEventListener('input',applyFindings);
document.querySelectorAll('.sev-toggle').forEach(function(c){c.addEventListener('change',applyFindings);});
var inv=document.getElementById('inventory-filter');if(inv)inv.addEventListener('input',function(){
var q=inv.value.toLowerCase();document.querySelectorAll('#inventory tbody tr').forEach(function(r){
r.classList.toggle('hidden',q&&r.textContent.toLowerCase().indexOf(q)<0);});});
})();
"""


def render_html(report: Report, options: RenderOptions) -> str:
    sections = [s for s in (fn(report, options) for fn in SECTIONS) if s is not None]
    nav = "".join(
        f'<a href="#{s.id}">{esc(s.title)}{f" ({s.count})" if s.count is not None else ""}</a>' for s in sections
    )
    body = "".join(f'<section id="{s.id}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections)
    footer = (f"<footer>chainwatch {esc(__version__)} · {esc(report.command)} · "
              "everything shown from the artifact is escaped; nothing in it was executed.</footer>")
    document = f"{verdict_banner(report)}<nav>{nav}</nav><main>{body}{footer}</main>"
    title = f"chainwatch {report.command}: {report.verdict.value} · {report.target}"
    return page(title, document, CSS, SCRIPT)


class HtmlFormat(ReportFormat):
    name = "html"
    needs_output_file = True
    description = "a self-contained HTML page (needs -o FILE)"

    def render(self, report: Report, options: RenderOptions) -> str:
        return render_html(report, options)


FORMATS = [HtmlFormat()]
