"""chainwatch: catch supply-chain compromises of trusted software.

Public API (the CLI only wraps these):

* ``scan(path, options) -> Report``: open an artifact, inventory it, judge it.
* ``diff(old, new, options) -> Report``: compare release N+1 with release N (``report.extra["changes"]``).
* ``hunt(roots, indicators, options)`` (``chainwatch.hunt``), ``hunt_logs(paths, indicators)``
  (``chainwatch.logs``): are we already hit?
* ``Report``, ``Finding``, ``MemberRecord``, ``Severity``, ``Verdict``: the result document.
* ``ScanOptions``, ``Limits``: what to do and the hostile-input caps.
"""

from typing import TYPE_CHECKING, Any

from chainwatch._version import __version__
from chainwatch.models import Finding, MemberRecord, Report, ScanError, Severity, Verdict
from chainwatch.options import Limits, ScanOptions

if TYPE_CHECKING:  # the real names for type checkers; at run time they load on first use (below)
    from chainwatch.diff import diff_artifacts as diff
    from chainwatch.engine import scan


def __getattr__(name: str) -> Any:
    """``scan`` and ``diff`` load their engines (numpy, LIEF...) on first use: a process that only vets
    packages or hunts does not pay for importing them."""
    if name == "scan":
        from chainwatch.engine import scan

        return scan
    if name == "diff":
        from chainwatch.diff import diff_artifacts

        return diff_artifacts
    raise AttributeError(f"module 'chainwatch' has no attribute {name!r}")

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
