"""Strings and network-indicator analyzer for binaries and text: ``features["strings"]``.

Settings (``ScanOptions.settings["strings"]``): ``max_scan_bytes``, ``max_per_kind``, ``min_length``.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from chainwatch.analyzers.interface import MemberAnalyzer, MemberContext
from chainwatch.binary.strings import StringLimits, analyze_strings
from chainwatch.models import MemberRecord

_TOP_TYPES = ("pe", "elf", "macho", "data", "text", "script")


def limits_from_settings(settings: dict[str, Any]) -> StringLimits:
    known = {f.name for f in fields(StringLimits)}
    return StringLimits(**{k: int(v) for k, v in settings.items() if k in known})


class StringsAnalyzer(MemberAnalyzer):
    name = "strings"
    version = 1

    def prepare(self) -> None:
        analyze_strings(b"load the public-suffix list once: www.example.com")

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        return not record.container and record.type.split("/", 1)[0] in _TOP_TYPES

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        limits = limits_from_settings(ctx.settings)
        return analyze_strings(ctx.read(limits.max_scan_bytes), limits)


ANALYZERS = [StringsAnalyzer()]
