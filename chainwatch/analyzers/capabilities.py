"""Capability analyzer: ``features["capabilities"]`` = ``[{id, name, attack, common, evidence}]``.

Runs our YARA-X rule pack (compiled once per worker process) and the Python predicates over imports
and sections. Applies to binaries and scripts (the ``curl | sh`` / ``IEX`` rule is for scripts).
Settings (``ScanOptions.settings["capabilities"]``): ``timeout`` seconds for one scan.
"""

from __future__ import annotations

from typing import Any

from chainwatch.analyzers.interface import AnalysisError, MemberAnalyzer, MemberContext
from chainwatch.binary.capabilities import (
    SCAN_TIMEOUT_SECONDS,
    CapabilityScanError,
    analyze_capabilities,
    compiled_rules,
)
from chainwatch.models import MemberRecord

_TOP_TYPES = ("pe", "elf", "macho", "script")


class CapabilitiesAnalyzer(MemberAnalyzer):
    name = "capabilities"
    version = 1

    def prepare(self) -> None:
        import lief  # noqa: F401 - loaded once in the parent, inherited by forked workers

        compiled_rules()

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        return not record.container and record.type.split("/", 1)[0] in _TOP_TYPES

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        timeout = int(ctx.settings.get("timeout", min(SCAN_TIMEOUT_SECONDS, ctx.limits.member_seconds)))
        try:
            found = analyze_capabilities(ctx.fs_path, ctx.limits.analyze_bytes, timeout=max(1, timeout))
        except CapabilityScanError as exc:
            raise AnalysisError(str(exc)) from exc
        # The facts contract stores a list; wrap it so the dict return type of analyzers holds.
        return {"items": found, "ids": [c["id"] for c in found]}


ANALYZERS = [CapabilitiesAnalyzer()]
