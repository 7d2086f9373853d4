from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

from chainwatch.models import Finding, Report, Severity
from chainwatch.report import RenderOptions, render
from chainwatch.report._html_timeline import parse_time
from tests.report.samples import HOSTILE_NAME


class _Collector(HTMLParser):
    """Parses the page like a browser would and records what would execute or load."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.handlers: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag}.{name}")
            if name in ("src", "href") and value and not value.startswith("#") and tag != "a":
                self.external.append(value)
            if tag == "link":
                self.external.append(str(value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    c = _Collector()
    c.feed(page)
    return c


def test_hostile_member_names_are_escaped(malicious: Report) -> None:
    page = render(malicious, "html", RenderOptions(include_inventory=True))
    assert HOSTILE_NAME not in page
    assert "<img src=x" not in page
    assert htmllib.escape(HOSTILE_NAME) in page
    parsed = _parse(page)
    assert parsed.scripts == 1  # only our own script
    assert parsed.handlers == []
    assert "img" not in parsed.tags
    assert HOSTILE_NAME in "".join(parsed.text)  # shown to the reader as text


def test_self_contained_with_a_strict_csp(malicious: Report) -> None:
    page = render(malicious, "html", RenderOptions(include_inventory=True))
    parsed = _parse(page)
    assert parsed.external == []
    assert not re.search(r"src=\"(?:https?:)?//", page)
    # the only outbound links are reader-clicked references (ATT&CK pages), never loaded assets
    assert set(re.findall(r'href="(https?://[^/"]+)', page)) == {"https://attack.mitre.org"}
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src &#x27;none&#x27;" in csp.group(1) and "unsafe-inline" not in csp.group(1)
    assert ' style="' not in page  # inline style attributes would be blocked by the CSP


def test_every_finding_and_error_is_on_the_page(malicious: Report) -> None:
    page = render(malicious, "html", RenderOptions(include_inventory=True))
    text = htmllib.unescape(page)
    for f in malicious.findings:
        assert f.rule in text and f.message in text
    for e in malicious.errors:
        assert e.path in text and e.message in text
    assert page.count('class="finding"') == len(malicious.findings)
    assert page.count('<section class="member') == len({f.path for f in malicious.findings})
    assert "MALICIOUS" in page and ">100<" in page
    # evidence as key/value tables, bytes as hex, offsets in hex
    assert "<th>sigflip_tag</th>" in page
    assert "fe ed fa ce 3c 2f 73 63" in page
    assert "0x4adf78" in page
    # score explanation and inventory
    assert 'id="score"' in page and "+60" in page
    assert page.count("<tr>", page.index('id="inventory"')) >= len(malicious.inventory)


def test_inventory_only_when_asked(malicious: Report) -> None:
    assert 'id="inventory"' not in render(malicious, "html")


def test_clean_report_page(clean: Report) -> None:
    page = render(clean, "html")
    assert "verdict-clean" in page and "No findings." in page


def test_invisible_characters_are_made_visible() -> None:
    report = Report(target="t", findings=[Finding("x.bidi", Severity.LOW, "t!/exe.\u202efdp", "name\x1b[2J")])
    page = render(report, "html")
    assert "\u202e" not in page and "\x1b" not in page
    assert "\\u202e" in page and "\\x1b" in page


def test_changes_render_side_by_side(malicious: Report) -> None:
    d3d = malicious.findings[0].path
    malicious.extra["changes"] = {
        "modified": [
            {"path": d3d, "old_path": d3d,
             "before": {"sha256": "11" * 32, "cert_table_size": 9000, "version": "10.0.1"},
             "after": {"sha256": "22" * 32, "cert_table_size": 18856, "version": "10.0.1"},
             "delta": {"cert_table_size": {"before": 9000, "after": 18856}}},
            {"path": "app!/readme.txt", "before": {"size": 1}, "after": {"size": 2}},
        ],
        "added": [{"path": f"app!/{HOSTILE_NAME}", "type": "pe"}, "app!/plain-added.dll"],
        "removed": ["app!/gone.dll"],
        "renamed": [{"path": "app!/b.dll", "old_path": "app!/a.dll"}],
        "unknown-kind": 3,
    }
    page = render(malicious, "html")
    assert HOSTILE_NAME not in page
    section = page[page.index('<section id="changes">'):page.index('<section id="findings">')]
    assert section.count('<table class="sbs">') >= 3
    # the row of the changed fact is marked, the unchanged one is not
    assert re.search(r'<tr class="changed"><th>cert_table_size</th><td class="before"><code>9000</code>', section)
    assert re.search(r'<tr class="same"><th>version</th>', section)
    assert "app!/gone.dll" in section and "app!/a.dll</code> → <code>app!/b.dll" in section
    # the member with a finding comes before routine churn and links to its finding
    assert section.index(htmllib.escape(d3d)) < section.index("readme.txt")
    assert "authenticode.cert-table-slack" in section
    for kind, n in (("modified", 2), ("added", 2), ("removed", 1), ("renamed", 1)):
        assert f"{n} {kind}</span>" in section


def test_changes_tolerate_missing_and_odd_keys(malicious: Report) -> None:
    for changes in ({}, {"modified": [{}]}, {"added": "x"}, [], None, {"modified": [{"path": "p", "delta": [1, 2]}]}):
        malicious.extra["changes"] = changes
        assert 'id="changes"' in render(malicious, "html")


def test_timeline_renders_one_svg_per_host(malicious: Report) -> None:
    malicious.extra["timeline"] = [
        {"host": "WS-01", "time": "2023-03-29T10:00:00Z", "kind": "hit", "label": "raw.githubusercontent.com"},
        {"host": "WS-01", "time": "2023-03-29T10:07:00+00:00", "kind": "beacon", "label": HOSTILE_NAME},
        {"host": "WS-02", "time": 1680084000, "kind": "hit", "label": "akamaicontainer.com"},
        {"host": "WS-03", "time": 1680084000123, "kind": "dns"},
        {"host": "WS-04", "time": "not a time", "kind": "hit"},
        "garbage",
    ]
    page = render(malicious, "html")
    section = page[page.index('<section id="timeline">'):page.index('<section id="findings">')]
    assert section.count('<svg class="timeline"') == 3
    assert section.count("<circle") == 4 + 3  # 4 events + 3 legend dots
    assert "2 entries without a readable time" in section
    assert HOSTILE_NAME not in page and htmllib.escape(HOSTILE_NAME) in section


def test_parse_time() -> None:
    assert parse_time("2023-03-29T10:00:00Z") == 1680084000.0
    assert parse_time(1680084000) == parse_time(1680084000000) == parse_time("1680084000") == 1680084000.0
    assert parse_time("yesterday") is None and parse_time(None) is None and parse_time(True) is None


def test_before_after_evidence_is_side_by_side() -> None:
    finding = Finding("delta.cert-table-grew", Severity.HIGH, "app!/d3dcompiler_47.dll", "certificate table grew",
                      {"before": {"size": 9000, "signer": "Microsoft"}, "after": {"size": 18856, "signer": "Microsoft"},
                       "offset": 4906872})
    page = render(Report(target="app", findings=[finding]), "html")
    assert re.search(r'<tr class="changed"><th>size</th><td class="before"><code>9000</code></td>'
                     r'<td class="after"><code>18856</code></td></tr>', page)
    assert '<tr class="same"><th>signer</th>' in page
    assert "<th>offset</th>" in page and "0x4adf78" in page
