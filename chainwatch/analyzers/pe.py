"""PE analyzers: ``pe`` (headers, sections, imports...), ``authenticode`` (signatures, cert table), ``dotnet``.

Thin wrappers around ``chainwatch.binary``: they pick PE members, turn parser failures into
``AnalysisError`` and return the facts contract of docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from typing import Any

from chainwatch.analyzers.interface import AnalysisError, MemberAnalyzer, MemberContext
from chainwatch.binary import BinaryFormatError
from chainwatch.models import MemberRecord

DEFAULT_DOTNET_MAX_BYTES = 128 * 1024 * 1024  # .NET metadata of bigger files is not read


def _is_pe(record: MemberRecord, head: bytes) -> bool:
    if record.type.split("/", 1)[0] == "pe":
        return True
    return head[:2] == b"MZ" and record.type in ("", "data", "dos")


def _clr_present(head: bytes) -> bool:
    from chainwatch.binary.pe import parse_layout

    try:
        layout = parse_layout(head)
    except (BinaryFormatError, Exception):
        return False
    return bool(layout.clr_rva and layout.clr_size)


class PeAnalyzer(MemberAnalyzer):
    name = "pe"
    version = 1

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        return _is_pe(record, head)

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        from chainwatch.binary.pe import pe_facts

        try:
            return pe_facts(ctx.fs_path)
        except BinaryFormatError as exc:
            raise AnalysisError(f"PE: {exc}") from exc
        except (OSError, MemoryError) as exc:
            raise AnalysisError(f"PE: cannot read: {exc}") from exc


class AuthenticodeAnalyzer(MemberAnalyzer):
    name = "authenticode"
    version = 1

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        return _is_pe(record, head)

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        from chainwatch.binary.authenticode import authenticode_facts

        try:
            return authenticode_facts(ctx.fs_path)
        except BinaryFormatError as exc:
            raise AnalysisError(f"Authenticode: {exc}") from exc
        except (OSError, MemoryError) as exc:
            raise AnalysisError(f"Authenticode: cannot read: {exc}") from exc


class DotnetAnalyzer(MemberAnalyzer):
    name = "dotnet"
    version = 1

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        if record.type == "pe/dotnet":
            return True
        return _is_pe(record, head) and _clr_present(head)

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        from chainwatch.binary.dotnet import dotnet_facts

        limit = int(ctx.settings.get("dotnet_max_bytes", DEFAULT_DOTNET_MAX_BYTES))
        if ctx.record.size > limit:
            raise AnalysisError(f".NET: {ctx.record.size} bytes is over the {limit}-byte metadata limit")
        try:
            return dotnet_facts(ctx.fs_path)
        except BinaryFormatError as exc:
            raise AnalysisError(f".NET: {exc}") from exc
        except (OSError, MemoryError) as exc:
            raise AnalysisError(f".NET: cannot read: {exc}") from exc


ANALYZERS = [PeAnalyzer(), AuthenticodeAnalyzer(), DotnetAnalyzer()]
