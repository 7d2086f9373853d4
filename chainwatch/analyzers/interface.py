"""Analyzer extension point: per-type code that attaches facts ("features") to inventory members.

Analyzers compute facts, never verdicts: rules (``chainwatch.rules``) turn facts into findings.
Two kinds exist:

* ``MemberAnalyzer`` sees one file (e.g. PE/ELF/Mach-O facts, strings).
* ``TreeAnalyzer`` sees a container and every member below it (e.g. a Python or npm package,
  whose meaning only shows across files: setup.py + package metadata + code).

Both run inside executor workers: inputs are paths and plain values, outputs JSON-able dicts.
A module in this package that defines ``ANALYZERS = [...]`` is discovered automatically.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.models import MemberRecord
from chainwatch.options import Limits


@dataclass
class MemberContext:
    """What an analyzer may read about one member."""

    record: MemberRecord  # path, size, type, hashes already filled in
    fs_path: Path  # the bytes, inside the private temp dir (or the original file for the root)
    limits: Limits
    settings: dict[str, Any] = field(default_factory=dict)
    head: bytes = b""  # first bytes of the file (up to 64 KiB)

    def read(self, max_bytes: int | None = None) -> bytes:
        with self.fs_path.open("rb") as fh:
            return fh.read(-1 if max_bytes is None else max_bytes)


@dataclass
class TreeContext:
    """A container and its whole subtree (members keyed by their path below the container)."""

    container: MemberRecord
    root_dir: Path | None  # directory holding the extracted subtree, if any
    members: list[tuple[MemberRecord, Path]]  # every member below the container with its file
    limits: Limits
    settings: dict[str, Any] = field(default_factory=dict)


class MemberAnalyzer(abc.ABC):
    name: str = ""  # key under MemberRecord.features
    version: int = 1  # bump when the facts change shape (cache keys use it)

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Load heavy libraries, compile rules, read data files: called once in the parent before
        workers fork, so every worker inherits the work instead of repeating it."""

    @abc.abstractmethod
    def applies(self, record: MemberRecord, head: bytes) -> bool:
        """Cheap test on the detected type and the first bytes."""

    @abc.abstractmethod
    def analyze(self, ctx: MemberContext) -> dict[str, Any]:
        """Return facts about the member. Raise ``AnalysisError`` for a clear per-member error."""


class TreeAnalyzer(abc.ABC):
    name: str = ""
    version: int = 1

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """See ``MemberAnalyzer.prepare``."""

    @abc.abstractmethod
    def applies(self, container: MemberRecord, member_paths: list[str]) -> bool:
        """Decide from the container record and the relative paths of its members."""

    @abc.abstractmethod
    def analyze(self, ctx: TreeContext) -> dict[str, Any]:
        """Return facts about the container as a whole (stored in container.features[name])."""


class AnalysisError(Exception):
    """A member could not be analysed; becomes a report error, the scan goes on."""
