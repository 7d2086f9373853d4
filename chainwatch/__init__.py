"""chainwatch: catch supply-chain compromises of trusted software.

Public API (the CLI only wraps these):

* ``scan(path, options) -> Report``: open an artifact, inventory it, judge it.
* ``diff(old, new, options) -> Report``: compare release N+1 with release N (``report.extra["changes"]``).
* ``hunt(roots, indicators, options)`` (``chainwatch.hunt``), ``hunt_logs(paths, indicators)``
  (``chainwatch.logs``): are we already hit?
* ``Report``, ``Finding``, ``MemberRecord``, ``Severity``, ``Verdict``: the result document.
* ``ScanOptions``, ``Limits``: what to do and the hostile-input caps.
"""

from chainwatch._version import __version__
from chainwatch.diff import diff_artifacts as diff
from chainwatch.engine import scan
from chainwatch.models import Finding, MemberRecord, Report, ScanError, Severity, Verdict
from chainwatch.options import Limits, ScanOptions

__all__ = [
    "Finding",
    "Limits",
    "MemberRecord",
    "Report",
    "ScanError",
    "ScanOptions",
    "Severity",
    "Verdict",
    "__version__",
    "diff",
    "scan",
]
