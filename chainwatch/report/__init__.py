"""Renderers of a ``Report``: terminal, json, sarif, cyclonedx, html (one module per format)."""

from __future__ import annotations

from chainwatch.models import Report
from chainwatch.report.interface import RenderOptions, ReportFormat

__all__ = ["RenderOptions", "ReportFormat", "available_formats", "get_format", "render"]


def available_formats() -> list[str]:
    """Names accepted by ``--format``, in a stable order (terminal first)."""
    from chainwatch.registry import report_formats

    names = sorted(report_formats())
    if "terminal" in names:
        names.remove("terminal")
        names.insert(0, "terminal")
    return names


def get_format(name: str) -> ReportFormat:
    from chainwatch.registry import report_formats

    formats = report_formats()
    try:
        return formats[name]
    except KeyError:
        raise ValueError(f"unknown report format {name!r} (choose from {', '.join(available_formats())})") from None


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    """Render ``report`` in the format named ``fmt``."""
    return get_format(fmt).render(report, options or RenderOptions())
