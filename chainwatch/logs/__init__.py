"""Network/process log hunting: indicator hits and beacons in DNS, proxy, Zeek, Suricata and Sysmon logs.

Data flow: files --readers/ (format sniffed, gzip/zstd/bz2/xz opened transparently)--> LogRecord stream
--match.LogMatcher--> hit aggregates per (host, indicator) --beacon--> per (source, destination) series
scored for regularity --findings--> ``Report`` (command "hunt-logs") with ``extra["timeline"]``.

Large uncompressed Zeek dns logs take a bytes-level path (``fastdns``) and are split across workers.
``generator`` writes a realistic 3CX scenario in every supported format for tests and demos.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainwatch.intel.model import Indicator
    from chainwatch.logs.hunt import HuntOptions
    from chainwatch.models import Report


def hunt_logs(paths: Sequence[str | Path], indicators: Iterable[Indicator],
              options: HuntOptions | None = None) -> Report:
    """Hunt ``paths`` (files or directories) for ``indicators`` and beacons; returns the report."""
    from chainwatch.logs.findings import build_report
    from chainwatch.logs.hunt import HuntOptions, hunt
    from chainwatch.logs.match import LogMatcher

    options = options or HuntOptions()
    matcher = LogMatcher.from_indicators(indicators)
    report = build_report(hunt(paths, matcher, options), [str(p) for p in paths], options)
    report.stats["indicators"] = matcher.count
    return report


__all__ = ["hunt_logs"]
