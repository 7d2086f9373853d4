"""Release diff: compare a release with the one before it (``chainwatch diff``).

``diff_artifacts(old, new, options)`` is the public entry point (exported as ``chainwatch.diff``).
"""

from chainwatch.diff.engine import diff_artifacts, diff_reports

__all__ = ["diff_artifacts", "diff_reports"]
