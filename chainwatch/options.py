"""Scan options and the hostile-input limits every parser obeys."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Caps on what an artifact may make us do. Each breach becomes an entry in ``Report.errors``."""

    max_depth: int = 12  # nesting of containers inside containers
    max_members: int = 200_000  # files in the whole artifact tree
    max_total_bytes: int = 8 * GiB  # unpacked bytes across the whole tree
    max_member_bytes: int = 2 * GiB  # one unpacked member
    max_ratio: float = 200.0  # unpacked/compressed size of one member (zip bombs)
    ratio_floor_bytes: int = 16 * MiB  # ratio is only enforced above this unpacked size
    member_seconds: float = 120.0  # analysis time of one member
    unpack_seconds: float = 300.0  # one external unpacker run (7zz)
    analyze_bytes: int = 512 * MiB  # members larger than this get hashes only, no deep analyzers

    def with_overrides(self, **kwargs: Any) -> Limits:
        return replace(self, **{k: v for k, v in kwargs.items() if v is not None})


@dataclass(frozen=True)
class ScanOptions:
    limits: Limits = field(default_factory=Limits)
    password: bytes | None = None  # for encrypted zips (research samples use b"infected")
    jobs: int = 0  # 0 = one worker per core; 1 = run in-process
    analyzers: tuple[str, ...] | None = None  # None = all registered analyzers
    skip_rules: tuple[str, ...] = ()
    temp_root: Path | None = None  # where the private temp dir is made (default: system temp)
    progress: bool = False
    settings: dict[str, Any] = field(default_factory=dict)  # analyzer-specific settings by name
    # TLSH only for members up to this size (None: all). A diff pairs most members by path and needs TLSH
    # only to find renamed files, so it defers TLSH of big members (~110 MB/s) until a rename search needs it.
    tlsh_max_bytes: int | None = None
