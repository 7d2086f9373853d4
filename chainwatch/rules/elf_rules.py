"""Single-file findings from ELF facts (``features["elf"]``).

Everything here is info or low on its own: IFUNCs, RWX segments and RPATHs exist in benign builds.
What made xz-utils visible is the *change* (a new IFUNC, a new constructor), which the diff rules read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import MemberRule

_UNSAFE_RPATH_PREFIXES = ("/tmp", "/var/tmp", "/dev/shm", "/home/", "/Users/")


def _elf(record: MemberRecord) -> dict[str, Any] | None:
    facts = record.features.get("elf")
    return facts if isinstance(facts, dict) else None


class IfuncInLibrary(MemberRule):
    id = "elf.ifunc-in-library"
    severity = Severity.INFO
    description = "A shared library defines GNU IFUNC symbols (resolvers run at load time, as in xz-utils)."
    attack = "T1574.006"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _elf(record)
        if not facts or facts.get("type") != "DYN":
            return
        defined = [f for f in facts.get("ifuncs", []) if f.get("defined")]
        if defined:
            yield self.finding(
                record.path,
                f"library defines {len(defined)} IFUNC symbol(s); their resolvers run before main",
                {"ifuncs": defined[:50], "irelative_relocations": facts.get("irelative_relocations", 0)},
            )


class RwxSegment(MemberRule):
    id = "elf.rwx-segment"
    severity = Severity.INFO
    description = "A loadable segment is writable and executable at once."
    attack = "T1027"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _elf(record)
        if facts and facts.get("rwx_segments"):
            yield self.finding(record.path, "a LOAD segment is mapped read-write-execute",
                               {"segments": facts["rwx_segments"]})


class ExecutableStack(MemberRule):
    id = "elf.exec-stack"
    severity = Severity.INFO
    description = "PT_GNU_STACK asks for an executable stack."

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _elf(record)
        if facts and facts.get("exec_stack"):
            yield self.finding(record.path, "the binary requests an executable stack", {"exec_stack": True})


class UnsafeRpath(MemberRule):
    id = "elf.unsafe-rpath"
    severity = Severity.LOW
    description = "RPATH/RUNPATH points at a temporary, user or relative directory (library hijack)."
    attack = "T1574.006"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _elf(record)
        if not facts:
            return
        paths = list(facts.get("rpath", [])) + list(facts.get("runpath", []))
        bad = [p for p in paths if p == "" or p.startswith(_UNSAFE_RPATH_PREFIXES)
               or (not p.startswith("/") and not p.startswith("$ORIGIN"))]
        if bad:
            yield self.finding(record.path, f"library search path includes {', '.join(repr(p) for p in bad)}",
                               {"rpath": facts.get("rpath", []), "runpath": facts.get("runpath", []), "unsafe": bad})


class PackedSection(MemberRule):
    id = "elf.packed-section"
    severity = Severity.LOW
    description = "A large executable section has near-random content (packed or encrypted code)."
    attack = "T1027.002"

    def check(self, record: MemberRecord) -> Iterable[Finding]:
        facts = _elf(record)
        if not facts:
            return
        names = facts.get("high_entropy_exec_sections")
        if names:
            sections = [s for s in facts.get("sections", []) if s.get("name") in names]
            yield self.finding(record.path, f"executable section(s) {', '.join(names)} look packed or encrypted",
                               {"sections": sections})


RULES = [IfuncInLibrary(), RwxSegment(), ExecutableStack(), UnsafeRpath(), PackedSection()]
