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
        self.images |= set(list(other.images)[:MAX_VALUES])
        self.values |= set(list(other.values)[:MAX_VALUES])
        self.fields |= other.fields
        self.kinds |= other.kinds
        self.samples.extend(other.samples[: MAX_SAMPLES - len(self.samples)])


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
        if image and len(agg.images) < MAX_VALUES:
            agg.images.add(image)
        if len(agg.values) < MAX_VALUES:
            agg.values.add(value)
        agg.fields.add(field_name)
        agg.kinds.add(kind)
        if ref and len(agg.samples) < MAX_SAMPLES:
            agg.samples.append(ref)

    def merge(self, other: HitTable) -> None:
        for key, agg in other.hits.items():
            mine = self.hits.get(key)
            if mine is None:
                self.hits[key] = agg
            else:
                mine.merge(agg)
