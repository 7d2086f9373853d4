from __future__ import annotations

import re

from chainwatch.models import Finding, Report, ScanError, Severity
from chainwatch.report import RenderOptions, render

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _plain(report: Report, **kw) -> str:
    return render(report, "terminal", RenderOptions(color=False, width=kw.pop("width", 160), **kw))


def test_mentions_verdict_score_and_every_rule(malicious: Report) -> None:
    out = _plain(malicious)
    assert "MALICIOUS" in out and "100/100" in out
    assert malicious.target in out
    for f in malicious.findings:
        assert f.rule in out
    assert "Why the score is 100" in out and "+60" in out
    for e in malicious.errors:
        assert e.message in out


def test_findings_are_ranked_by_severity(malicious: Report) -> None:
    out = _plain(malicious)
    order = sorted(malicious.findings, key=lambda f: -f.severity.rank)
    positions = [out.index(f.rule) for f in order]
    assert positions == sorted(positions)


def test_key_evidence_in_short_form(malicious: Report) -> None:
    out = _plain(malicious, width=220)
    assert "offset=0x4adf78" in out  # offsets in hex
    assert "url=https://raw.githubusercontent.com" in out


def test_no_colour_unless_asked(malicious: Report) -> None:
    assert not ANSI.search(_plain(malicious))
    coloured = render(malicious, "terminal", RenderOptions(color=True, width=160))
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured).count("authenticode.cert-table-slack") >= 1


def test_compact_summary_when_clean(clean: Report) -> None:
    out = _plain(clean)
    assert len(out.strip().splitlines()) <= 2
    assert "clean" in out and "no findings" in out and clean.target in out


def test_inventory_table_when_asked(clean: Report) -> None:
    out = _plain(clean, include_inventory=True)
    assert "Inventory (2 members)" in out
    for m in clean.inventory:
        assert m.sha256[:16] in out and m.type in out
    assert "Inventory" not in _plain(clean)


def test_hostile_text_cannot_control_the_terminal() -> None:
    nasty = "evil\x1b]0;pwned\x07\x1b[2J[bold red]fake[/]\u202egpj.exe"
    report = Report(target="t", findings=[Finding("x.name", Severity.HIGH, f"t!/{nasty}", nasty, {"k": nasty})],
                    errors=[ScanError(nasty, nasty)])
    for color in (False, True):
        out = render(report, "terminal", RenderOptions(color=color, width=200))
        text = ANSI.sub("", out)
        assert "\x1b]" not in out and "\x07" not in out and "\u202e" not in out and "\x1b[2J" not in out
        assert "[bold red]fake[/]" in text  # markup is printed literally, not interpreted
        assert "\\x1b" in text and "\\u202e" in text


def test_changes_summary_for_diff_reports(clean: Report) -> None:
    clean.extra["changes"] = {"added": ["a.dll", {"path": "b.dll"}], "modified": [{"path": "c.dll"}]}
    out = _plain(clean)
    assert "Changes" in out and "a.dll, b.dll" in out and "c.dll" in out


def test_long_inventories_are_cut_with_a_pointer(clean: Report, monkeypatch) -> None:
    from chainwatch.report import terminal

    monkeypatch.setattr(terminal, "TERMINAL_INVENTORY_ROWS", 1)
    out = _plain(clean, include_inventory=True)
    assert clean.inventory[0].sha256[:16] in out and clean.inventory[1].sha256[:16] not in out
    assert "1 more members not shown" in out
    assert "Member types" in out and "script/python" in out


def test_timeline_summary_per_host(clean: Report) -> None:
    clean.extra["timeline"] = [
        {"host": "WS-01", "time": "2023-03-29T10:00:00Z", "kind": "hit", "label": "x"},
        {"host": "WS-01", "time": "2023-03-29T10:07:00Z", "kind": "beacon"},
        {"host": "WS-02", "time": 1680084000, "kind": "hit"},
        {"host": "WS-03", "time": "never"},
    ]
    out = _plain(clean)
    assert "Timeline per host" in out
    assert "WS-01" in out and "2023-03-29 10:07:00" in out and "WS-02" in out and "WS-03" not in out
