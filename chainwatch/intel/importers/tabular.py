"""CSV with a column mapping, and plain one-value-per-line lists (kind given or guessed per line)."""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path

from chainwatch.intel.importers import MAX_FEED_BYTES, ImportError_
from chainwatch.intel.model import Indicator, IndicatorKind, hash_kind, normalize_value

DEFAULT_MAPPING = {"value": "value", "kind": "kind", "score": "score", "description": "description",
                   "campaign": "campaign", "reference": "reference", "first_seen": "first_seen",
                   "last_seen": "last_seen", "expires": "expires"}


def guess_kind(value: str) -> IndicatorKind | None:
    v = value.strip()
    if not v:
        return None
    hk = hash_kind(v)
    if hk is not None:
        return hk
    try:
        if "/" in v and not v.lower().startswith("http"):
            ipaddress.ip_network(v, strict=False)
            return IndicatorKind.CIDR
        ipaddress.ip_address(v)
        return IndicatorKind.IP
    except ValueError:
        pass
    if re.match(r"(?i)^(https?|hxxps?)://", v):
        return IndicatorKind.URL
    if "@" in v and "." in v.split("@")[-1]:
        return IndicatorKind.EMAIL
    if re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.|\[\.\])[A-Za-z]{2,}", v):
        return IndicatorKind.DOMAIN
    return None


def parse_mapping(text: str | None) -> dict[str, str]:
    """``value=sha256,kind=type,description=comment`` (our field = CSV column)."""
    if not text:
        return dict(DEFAULT_MAPPING)
    out = {}
    for part in text.split(","):
        field, _, column = part.partition("=")
        if field.strip() not in DEFAULT_MAPPING or not column.strip():
            raise ImportError_(f"bad mapping entry {part!r}; fields: {', '.join(DEFAULT_MAPPING)}")
        out[field.strip()] = column.strip()
    if "value" not in out:
        raise ImportError_("the mapping needs a value column")
    return out


def read_csv(path: Path, mapping: dict[str, str] | None = None, kind: IndicatorKind | None = None,
             source: str | None = None, delimiter: str = ",") -> Iterator[Indicator]:
    if path.stat().st_size > MAX_FEED_BYTES:
        raise ImportError_(f"{path}: larger than {MAX_FEED_BYTES} bytes")
    mapping = mapping or dict(DEFAULT_MAPPING)
    src = source or f"csv:{path.name}"
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader((line for line in fh if not line.lstrip().startswith("#")), delimiter=delimiter)
        if reader.fieldnames is None or mapping["value"] not in reader.fieldnames:
            raise ImportError_(f"{path}: no column {mapping['value']!r} (columns: {reader.fieldnames})")
        for row in reader:
            value = (row.get(mapping["value"]) or "").strip()
            if not value:
                continue
            k = kind
            if k is None and mapping.get("kind") in row and row.get(mapping["kind"]):
                try:
                    k = IndicatorKind(row[mapping["kind"]].strip().lower())
                except ValueError:
                    k = None
            k = k or guess_kind(value)
            if k is None:
                continue

            def col(name: str, row: dict = row) -> str | None:
                c = mapping.get(name)
                v = row.get(c) if c else None
                return v.strip() if isinstance(v, str) and v.strip() else None

            score = col("score")
            yield Indicator(kind=k, value=normalize_value(k, value), source=src,
                            score=int(score) if score and score.isdigit() else 75,
                            description=col("description") or "", campaign=col("campaign"),
                            reference=col("reference"), first_seen=col("first_seen"), last_seen=col("last_seen"),
                            expires=col("expires"))


def read_plain(path: Path, kind: IndicatorKind | None = None, source: str | None = None, score: int = 75,
               description: str = "", campaign: str | None = None) -> Iterator[Indicator]:
    """One value per line; ``#`` lines are comments (the latest one describes what follows)."""
    if path.stat().st_size > MAX_FEED_BYTES:
        raise ImportError_(f"{path}: larger than {MAX_FEED_BYTES} bytes")
    src = source or f"list:{path.name}"
    comment = description
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            s = line.strip()
            if not s:
                continue
            if s.startswith("#"):
                comment = s.lstrip("# ").strip() or description
                continue
            k = kind or guess_kind(s)
            if k is None:
                continue
            yield Indicator(kind=k, value=normalize_value(k, s), source=src, score=score, description=comment,
                            campaign=campaign)
