"""Streaming content fingerprints of one file: hashes, TLSH and Shannon entropy in one read."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import tlsh as _tlsh
except ImportError:  # pragma: no cover - py-tlsh is a declared dependency
    _tlsh = None

CHUNK = 1024 * 1024
TLSH_MIN_BYTES = 50  # TLSH needs some content to produce a digest


@dataclass(frozen=True)
class Fingerprint:
    size: int
    md5: str
    sha1: str
    sha256: str
    tlsh: str | None
    entropy: float
    head: bytes


def entropy_of_counts(counts: np.ndarray, total: int) -> float:
    if total <= 0:
        return 0.0
    probs = counts[counts > 0] / total
    return float(-(probs * np.log2(probs)).sum())


def shannon_entropy(data: bytes) -> float:
    """Entropy in bits per byte (0..8)."""
    if not data:
        return 0.0
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    return entropy_of_counts(counts, len(data))


def fingerprint_file(path: Path, head_bytes: int = 64 * 1024, with_tlsh: bool = True) -> Fingerprint:
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    th = _tlsh.Tlsh() if (with_tlsh and _tlsh is not None) else None
    counts = np.zeros(256, dtype=np.int64)
    size = 0
    head = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            if size < head_bytes:
                head += chunk[: head_bytes - size]
            size += len(chunk)
            md5.update(chunk)
            sha1.update(chunk)
            sha256.update(chunk)
            if th is not None:
                th.update(chunk)
            counts += np.bincount(np.frombuffer(chunk, dtype=np.uint8), minlength=256)
    digest: str | None = None
    if th is not None and size >= TLSH_MIN_BYTES:
        try:
            th.final()
            value = th.hexdigest()
        except ValueError:  # "not enough variation in input" (e.g. a run of one byte): no digest
            value = ""
        digest = value if value and value != "TNULL" else None
    ent = entropy_of_counts(counts, size)
    return Fingerprint(
        size=size,
        md5=md5.hexdigest(),
        sha1=sha1.hexdigest(),
        sha256=sha256.hexdigest(),
        tlsh=digest,
        entropy=round(ent, 4) if not math.isnan(ent) else 0.0,
        head=head,
    )


def tlsh_distance(a: str | None, b: str | None) -> int | None:
    """TLSH distance (0 = identical, <~100 similar); None when either digest is missing."""
    if not a or not b or _tlsh is None:
        return None
    return int(_tlsh.diff(a, b))
