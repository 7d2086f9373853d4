"""Storage interface: SQLite today; a PostgreSQL implementation can serve a team later."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from chainwatch.models import Report


@dataclass(frozen=True)
class StoredArtifact:
    id: int
    name: str
    version: str | None
    sha256: str | None
    target: str
    scanned_at: str
    verdict: str
    score: int


class Store(abc.ABC):
    @abc.abstractmethod
    def save_report(self, report: Report) -> int:
        """Record a scan (inventory and findings); returns its id."""

    @abc.abstractmethod
    def artifacts(self, name: str | None = None) -> list[StoredArtifact]:
        """Recorded scans, newest first, optionally of one artifact name."""

    @abc.abstractmethod
    def load_report(self, artifact_id: int, with_inventory: bool = True) -> Report:
        """A recorded scan, with its inventory."""

    @abc.abstractmethod
    def latest(self, name: str, before_version: str | None = None) -> StoredArtifact | None:
        """The newest recorded scan of ``name`` (optionally other than ``before_version``)."""

    @abc.abstractmethod
    def find_by_sha256(self, sha256: str) -> StoredArtifact | None:
        """A scan of exactly these bytes, if any (lets callers skip re-scanning)."""

    @abc.abstractmethod
    def close(self) -> None: ...
