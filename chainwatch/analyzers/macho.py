"""Mach-O facts analyzer (thin and fat, with code signature): ``features["macho"]``."""

from __future__ import annotations

from typing import Any

from chainwatch.analyzers.interface import MemberAnalyzer, MemberContext
from chainwatch.binary.macho import macho_facts
from chainwatch.models import MemberRecord

_MAGICS = (
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",  # thin, both endians
)


class MachoAnalyzer(MemberAnalyzer):
    name = "macho"
    version = 1

    def prepare(self) -> None:
        import asn1crypto.cms  # noqa: F401 - CMS signer parsing
        import lief  # noqa: F401 - loaded once in the parent, inherited by forked workers

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        # Fat magic 0xcafebabe is shared with Java classes, so fat files rely on the type detector.
        return record.type.split("/", 1)[0] == "macho" or head[:4] in _MAGICS

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        return macho_facts(ctx.fs_path, max_bytes=ctx.limits.analyze_bytes)


ANALYZERS = [MachoAnalyzer()]
