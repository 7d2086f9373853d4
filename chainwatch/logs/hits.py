"""Aggregation of indicator matches per (host, indicator)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chainwatch.intel.model import Indicator
from chainwatch.logs.match import Match
from chainwatch.logs.record import LogRecord

MAX_SAMPLES = 5
MAX_VALUES = 10


@dataclass(slots=True)
class HitAggregate:
    indicator: Indicator
    host: str
    first: float
    last: float
    count: int = 0
    images: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    samples: list[str] = field(default_factory=list)

    def merge(self, other: HitAggregate) -> None:
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.count += other.count
        self.images = _smallest(self.images | other.images)
        self.values = _smallest(self.values | other.values)
        self.fields |= other.fields
        self.kinds |= other.kinds
        self.add_samples(other.samples)

    def add_samples(self, refs: list[str]) -> None:
        """Keep the earliest MAX_SAMPLES references (by file and position), whatever order they arrive in:
        a hunt split over workers reports the same samples as a serial one."""
        if refs:
            self.samples = sorted(set(self.samples).union(refs), key=ref_key)[:MAX_SAMPLES]


def _smallest(values: set[str]) -> set[str]:
    return values if len(values) <= MAX_VALUES else set(sorted(values)[:MAX_VALUES])


def ref_key(ref: str) -> tuple[str, int, int, str]:
    """Sort key of a raw reference ``file:line``, ``file@byte offset`` or ``file#record``: file, then line
    numbers (a file's first range), then byte offsets (its later ranges), then records."""
    cut = max(ref.rfind(":"), ref.rfind("@"), ref.rfind("#"))
    head, mark, tail = ref[:cut], ref[cut:cut + 1], ref[cut + 1:]
    if cut < 0 or not tail.isdigit():
        return ref, 9, 0, ""
    return head, ":@#".index(mark), int(tail), ""


def hit_key(host: str, indicator: Indicator) -> tuple[str, str, str, str]:
    return host, indicator.kind.value, indicator.value, indicator.source


class HitTable:
    def __init__(self) -> None:
        self.hits: dict[tuple[str, str, str, str], HitAggregate] = {}

    def add(self, record: LogRecord, match: Match) -> None:
        self.add_raw(record.src, match.indicator, record.ts, match.value, match.field, record.kind, record.image,
                     record.ref)

    def add_raw(self, host: str, indicator: Indicator, ts: float, value: str, field_name: str, kind: str,
                image: str = "", ref: str = "", count: int = 1, last: float | None = None) -> None:
        key = hit_key(host, indicator)
        agg = self.hits.get(key)
        if agg is None:
            agg = self.hits[key] = HitAggregate(indicator, host, ts, ts if last is None else last)
        agg.first = min(agg.first, ts) if ts else agg.first
        agg.last = max(agg.last, ts if last is None else last)
        agg.count += count
        if image and image not in agg.images:
            agg.images.add(image)
            agg.images = _smallest(agg.images)
        if value not in agg.values:
            agg.values.add(value)
            agg.values = _smallest(agg.values)
        agg.fields.add(field_name)
        agg.kinds.add(kind)
        if ref:
            agg.add_samples([ref])

    def merge(self, other: HitTable) -> None:
        for key, agg in other.hits.items():
            mine = self.hits.get(key)
            if mine is None:
                self.hits[key] = agg
            else:
                mine.merge(agg)
