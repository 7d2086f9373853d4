from __future__ import annotations

import pytest

from chainwatch import registry
from chainwatch.report import RenderOptions, available_formats, get_format, render
from chainwatch.report.interface import ReportFormat


def test_every_format_is_discovered() -> None:
    assert set(available_formats()) == {"terminal", "json", "sarif", "cyclonedx", "html"}
    assert available_formats()[0] == "terminal"
    assert all(isinstance(f, ReportFormat) for f in registry.report_formats().values())


def test_only_html_needs_an_output_file() -> None:
    assert [n for n in available_formats() if get_format(n).needs_output_file] == ["html"]


def test_unknown_format_is_a_clear_error(malicious) -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(malicious, "xml")


@pytest.mark.parametrize("fmt", ["terminal", "json", "sarif", "cyclonedx", "html"])
def test_every_format_renders_every_report_shape(fmt: str, malicious, clean) -> None:
    for report in (malicious, clean):
        for inventory in (False, True):
            text = render(report, fmt, RenderOptions(include_inventory=inventory, color=False, width=100))
            assert text.strip()
