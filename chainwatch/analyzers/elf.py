"""ELF facts analyzer: ``features["elf"]`` (see ``chainwatch.binary.elf``)."""

from __future__ import annotations

from typing import Any

from chainwatch.analyzers.interface import MemberAnalyzer, MemberContext
from chainwatch.binary.elf import elf_facts
from chainwatch.models import MemberRecord


class ElfAnalyzer(MemberAnalyzer):
    name = "elf"
    version = 1

    def prepare(self) -> None:
        import lief  # noqa: F401 - loaded once in the parent, inherited by forked workers

    def applies(self, record: MemberRecord, head: bytes) -> bool:
        return record.type.split("/", 1)[0] == "elf" or head[:4] == b"\x7fELF"

    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        return elf_facts(ctx.fs_path)


ANALYZERS = [ElfAnalyzer()]
