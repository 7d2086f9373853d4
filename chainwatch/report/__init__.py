"""Renderers of a ``Report``: terminal, json, sarif, cyclonedx, html (one module per format).

A module here that defines ``FORMATS = [...]`` of ``ReportFormat`` instances is a ``--format`` choice.
Renderers never compute: they only read the ``Report``. Modules starting with ``_`` hold shared helpers.

Command-specific sections come through ``Report.extra`` and every renderer tolerates their absence:

* ``extra["changes"]`` (``chainwatch diff``): ``{"added": [...], "removed": [...], "renamed": [...],
  "modified": [{"path", "old_path", "before": {...}, "after": {...}, "delta": {...}}]}``; items may be
  bare paths. HTML shows a side-by-side view (``_html_changes.py``), terminal a summary.
* ``extra["timeline"]`` (log hunting): ``[{"host", "time", "kind", "label"}]`` with ISO 8601 or epoch
  times. HTML draws one SVG lane plot per host (``_html_timeline.py``).

HTML sections are plain functions in ``html.SECTIONS``; a new section is one more function.
"""

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
        fmt: ReportFormat = formats[name]
        return fmt
    except KeyError:
        raise ValueError(f"unknown report format {name!r} (choose from {', '.join(available_formats())})") from None


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    """Render ``report`` in the format named ``fmt``."""
    return get_format(fmt).render(report, options or RenderOptions())
