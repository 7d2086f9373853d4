"""Report format interface: a format turns one ``Report`` into text and never computes anything new.

A module in this package that defines ``FORMATS = [...]`` is discovered by
``chainwatch.registry.report_formats()``; adding a format is adding one file.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from chainwatch.models import Report, Severity


@dataclass(frozen=True)
class RenderOptions:
    include_inventory: bool = False
    color: bool | None = None  # None = auto (colour when stdout is a terminal and NO_COLOR is unset)
    width: int | None = None  # None = terminal width (or 120 when not a terminal)
    # findings below this are summarised, not listed, by formats meant for people and code scanning
    # (terminal, SARIF); JSON, HTML and CycloneDX always carry every finding
    min_severity: Severity = Severity.INFO


class ReportFormat(abc.ABC):
    name: str = ""  # "terminal", "json", "sarif", "cyclonedx", "html"
    needs_output_file: bool = False  # html requires -o FILE
    description: str = ""

    @abc.abstractmethod
    def render(self, report: Report, options: RenderOptions) -> str:
        """Return the whole document as text."""
