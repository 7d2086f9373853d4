"""Rule interface: rules turn facts (``MemberRecord.features``) into findings.

A rule has an id (``area.what``, e.g. ``authenticode.cert-table-slack``), a default severity, a
plain-words description, an ATT&CK technique when one fits, and emits ``Finding`` objects whose
evidence is structured (offsets, bytes, before/after values).

* ``MemberRule`` looks at one inventory record (runs in the worker right after analyzers).
* ``InventoryRule`` looks at the whole inventory (e.g. signers of sibling files).

A module in this package that defines ``RULES = [...]`` is discovered automatically.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, MemberRecord, Severity


class Rule(abc.ABC):  # noqa: B024 - shared fields and helpers; subclasses add the check
    id: str = ""
    severity: Severity = Severity.INFO
    description: str = ""
    attack: str | None = None

    def finding(
        self,
        path: str,
        message: str,
        evidence: dict[str, Any] | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            path=path,
            message=message,
            evidence=evidence or {},
            attack=self.attack,
        )


class MemberRule(Rule):
    @abc.abstractmethod
    def check(self, record: MemberRecord) -> Iterable[Finding]:
        """Yield findings for one member."""


class InventoryRule(Rule):
    @abc.abstractmethod
    def check_inventory(self, inventory: list[MemberRecord]) -> Iterable[Finding]:
        """Yield findings that need more than one member."""
