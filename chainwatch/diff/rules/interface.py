"""Delta rules: findings that need both sides of a release (a member before and after).

A module in ``chainwatch.diff.rules`` that defines ``RULES = [...]`` is discovered automatically.
``check_pair`` sees one matched pair (either side may be None: added or removed member) and a
``DiffContext`` holding both inventories, so a rule can look at siblings and the artifact as a whole.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chainwatch.diff.match import Pair
from chainwatch.models import Finding, MemberRecord, Severity
from chainwatch.rules.interface import Rule


@dataclass
class DiffContext:
    old_inventory: list[MemberRecord]
    new_inventory: list[MemberRecord]
    pairs: list[Pair]
    old_artifact: dict[str, Any] = field(default_factory=dict)
    new_artifact: dict[str, Any] = field(default_factory=dict)
    release_date: datetime | None = None  # when NEW was published, if known
    old_release_date: datetime | None = None
    known_components: Callable[[MemberRecord], list[dict[str, Any]]] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.old_by_path = {r.path: r for r in self.old_inventory}
        self.new_by_path = {r.path: r for r in self.new_inventory}
        self.pair_of_new = {p.new.path: p for p in self.pairs if p.new is not None}

    def new_siblings(self, record: MemberRecord) -> list[MemberRecord]:
        return [r for r in self.new_inventory if r.parent == record.parent and r.path != record.path]

    def old_counterpart(self, record: MemberRecord) -> MemberRecord | None:
        pair = self.pair_of_new.get(record.path)
        return pair.old if pair else None

    @property
    def version_changed(self) -> bool | None:
        a, b = self.old_artifact.get("version"), self.new_artifact.get("version")
        if not a or not b:
            return None
        return str(a) != str(b)


class DeltaRule(Rule):
    """A rule over one matched pair of members."""

    @abc.abstractmethod
    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        """Yield findings for this pair."""

    def delta_finding(self, new: MemberRecord | None, old: MemberRecord | None, message: str,
                      before: Any = None, after: Any = None, severity: Severity | None = None,
                      **evidence: Any) -> Finding:
        record = new or old
        ev: dict[str, Any] = {"before": before, "after": after}
        if old is not None and new is not None and old.path != new.path:
            ev["old_path"] = old.path
        ev.update(evidence)
        return self.finding(record.path if record else "", message, ev, severity)
