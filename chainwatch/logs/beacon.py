"""Beacon scoring per (source, destination) pair over conn/dns/http/tls records.

The score follows the ideas RITA made popular, without its 24-hour limit: interval regularity (Bowley
skew and median absolute deviation about the median, relative to the median so hourly and weekly beacons
score alike), size regularity, the connection-count histogram, and how much of the observed time the pair
covers. Events closer than ``BURST_GAP`` seconds are one contact (a DNS lookup and the HTTPS request that
follows it). Each pair keeps at most ``MAX_POINTS`` timestamps: beyond that every other point is dropped
and only every ``stride``-th new one is kept, which keeps memory flat and the spacing pattern intact.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainwatch.logs.domains import PeriodicAllowList, is_internal, lookalike

MAX_POINTS = 4096
BURST_GAP = 5.0
MIN_CONTACTS = 8
MAX_PAIRS = 1_000_000  # pairs beyond this are counted but not tracked (~350 bytes each: bounded memory)
POINT_BUDGET = 8_000_000  # timestamps kept over all pairs (64 MiB); above it the longest series are thinned


def _zeros(count: int) -> array[int]:
    return array("q", bytes(8 * count))


@dataclass(slots=True)
class PairSeries:
    """Timestamps (and sizes, once any is known) of one pair; 8 bytes per point in typed arrays."""

    times: array[float] = field(default_factory=lambda: array("d"))
    sizes: array[int] | None = None
    stride: int = 1
    seen: int = 0
    kinds: set[str] = field(default_factory=set)
    image: str = ""
    port: int = 0

    def add(self, ts: float, size: int = 0) -> None:
        self.seen += 1
        if self.stride > 1 and self.seen % self.stride:
            return
        self.times.append(ts)
        if size or self.sizes is not None:
            if self.sizes is None:
                self.sizes = _zeros(len(self.times) - 1)
            self.sizes.append(size)
        if len(self.times) >= MAX_POINTS:
            self.halve()

    def halve(self) -> None:
        """Keep every other point and every other future one: spacing pattern kept, memory halved."""
        self.times = self.times[::2]
        if self.sizes is not None:
            self.sizes = self.sizes[::2]
        self.stride *= 2

    def extend(self, times: array[float]) -> None:
        """Add many timestamps (size 0) at once; the common case is one C-level array extend."""
        if self.stride == 1 and self.sizes is None and len(self.times) + len(times) < MAX_POINTS:
            self.times.extend(times)
            self.seen += len(times)
            return
        for ts in times:
            self.add(ts)

    def merge(self, other: PairSeries) -> None:
        stride = max(self.stride, other.stride)
        for series in (self, other):
            if series.stride < stride:
                step = stride // series.stride
                series.times = series.times[::step]
                if series.sizes is not None:
                    series.sizes = series.sizes[::step]
        if self.sizes is not None or other.sizes is not None:
            self.sizes = self.sizes if self.sizes is not None else _zeros(len(self.times))
            self.sizes.extend(other.sizes if other.sizes is not None else _zeros(len(other.times)))
        self.times.extend(other.times)
        self.stride = stride
        self.seen += other.seen
        self.kinds |= other.kinds
        self.image = self.image or other.image
        self.port = self.port or other.port
        while len(self.times) >= MAX_POINTS:
            self.halve()


class PairAccumulator:
    """Collects per-pair series from records; merges across worker processes."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[str, str], PairSeries] = {}
        self.ip_names: dict[str, str] = {}  # answer IP -> name, from DNS records (names conn destinations)
        self.first_seen: dict[str, float] = {}  # destination -> first time any host contacted it
        self.dropped = 0
        self.points = 0
        self.t_min = float("inf")
        self.t_max = 0.0

    def add(self, src: str, dst: str, ts: float, kind: str, size: int = 0, image: str = "", port: int = 0) -> None:
        if not src or not dst or ts <= 0:
            return
        key = (src, dst)
        series = self.pairs.get(key)
        if series is None:
            if len(self.pairs) >= MAX_PAIRS:
                self.dropped += 1
                return
            series = self.pairs[key] = PairSeries()
        before = len(series.times)
        series.add(ts, size)
        self.points += len(series.times) - before
        if self.points > POINT_BUDGET:
            self.thin()
        series.kinds.add(kind)
        if image and not series.image:
            series.image = image
        if port and not series.port:
            series.port = port
        first = self.first_seen.get(dst)
        if first is None or ts < first:
            self.first_seen[dst] = ts
        if ts < self.t_min:
            self.t_min = ts
        if ts > self.t_max:
            self.t_max = ts

    def extend(self, series: PairSeries, times: array[float]) -> None:
        before = len(series.times)
        series.extend(times)
        self.points += len(series.times) - before
        if self.points > POINT_BUDGET:
            self.thin()

    def thin(self) -> None:
        """Halve every long series until the point budget holds again (bounded memory on huge logs)."""
        floor = MAX_POINTS
        while self.points > POINT_BUDGET * 3 // 4 and floor > 16:
            floor //= 2
            for series in self.pairs.values():
                if len(series.times) > floor:
                    self.points -= len(series.times)
                    series.halve()
                    self.points += len(series.times)

    def __getstate__(self) -> dict[str, Any]:
        """Columnar form for the trip from a worker: a few big lists/arrays pickle far faster than
        hundreds of thousands of small objects."""
        keys = list(self.pairs)
        series = list(self.pairs.values())
        times = array("d")
        for item in series:
            times.extend(item.times)
        sized = {i: item.sizes for i, item in enumerate(series) if item.sizes is not None}
        return {
            "src": [k[0] for k in keys], "dst": [k[1] for k in keys],
            "lengths": array("q", [len(item.times) for item in series]), "times": times, "sizes": sized,
            "stride": array("q", [item.stride for item in series]), "seen": array("q", [item.seen for item in series]),
            "kinds": [",".join(sorted(item.kinds)) for item in series], "image": [item.image for item in series],
            "port": array("q", [item.port for item in series]),
            "ip_names": self.ip_names, "first_seen": self.first_seen, "dropped": self.dropped,
            "points": self.points, "t_min": self.t_min, "t_max": self.t_max,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.pairs = {}
        times = state["times"]
        position = 0
        kinds_cache: dict[str, set[str]] = {}
        for index, (src, dst) in enumerate(zip(state["src"], state["dst"])):
            length = state["lengths"][index]
            kinds = kinds_cache.setdefault(state["kinds"][index], set(filter(None, state["kinds"][index].split(","))))
            self.pairs[(src, dst)] = PairSeries(times[position:position + length], state["sizes"].get(index),
                                                state["stride"][index], state["seen"][index], set(kinds),
                                                state["image"][index], state["port"][index])
            position += length
        self.ip_names = state["ip_names"]
        self.first_seen = state["first_seen"]
        self.dropped = state["dropped"]
        self.points = state["points"]
        self.t_min = state["t_min"]
        self.t_max = state["t_max"]

    def note_answers(self, name: str, answers: tuple[str, ...]) -> None:
        if len(self.ip_names) < 1_000_000:
            for answer in answers:
                if answer and (answer[0].isdigit() or ":" in answer):
                    self.ip_names[answer] = name

    def merge(self, other: PairAccumulator) -> None:
        for key, series in other.pairs.items():
            mine = self.pairs.get(key)
            if mine is None:
                self.pairs[key] = series
                self.points += len(series.times)
            else:
                self.points -= len(mine.times)
                mine.merge(series)
                self.points += len(mine.times)
        if self.points > POINT_BUDGET:
            self.thin()
        for name, ts in other.first_seen.items():
            if ts < self.first_seen.get(name, float("inf")):
                self.first_seen[name] = ts
        self.ip_names.update(other.ip_names)
        self.dropped += other.dropped
        self.t_min = min(self.t_min, other.t_min)
        self.t_max = max(self.t_max, other.t_max)


def _quartiles(ordered: np.ndarray) -> tuple[float, float, float]:
    """Q1, median, Q3 of an already sorted sample (linear interpolation, as numpy's default)."""
    last = len(ordered) - 1
    out = []
    for q in (0.25, 0.5, 0.75):
        position = q * last
        low = int(position)
        high = min(low + 1, last)
        out.append(float(ordered[low] + (ordered[high] - ordered[low]) * (position - low)))
    return out[0], out[1], out[2]


def _bowley(values: np.ndarray) -> tuple[float, float, float]:
    """(Bowley skew, median, MADM) of a sample."""
    ordered = np.sort(values)
    q1, q2, q3 = _quartiles(ordered)
    spread = q3 - q1
    skew = 0.0 if spread <= 0 else (q3 + q1 - 2 * q2) / spread
    madm = _quartiles(np.sort(np.abs(ordered - q2)))[1]
    return skew, q2, madm


def score_series(times: Sequence[float], sizes: Sequence[int] | None,
                 window: tuple[float, float]) -> dict[str, Any] | None:
    """Score components in [0, 1] for one pair, or None when there are too few contacts."""
    if len(times) < MIN_CONTACTS:
        return None
    sizes = sizes if sizes is not None and len(sizes) == len(times) else []
    raw_times = np.asarray(times, dtype=np.float64)
    order = np.argsort(raw_times, kind="stable")
    t = raw_times[order]
    s = np.asarray(sizes, dtype=np.float64)[order] if len(sizes) == len(times) else np.zeros(len(t))
    keep = np.concatenate(([True], np.diff(t) > BURST_GAP)) if len(t) else np.zeros(0, bool)
    t, s = t[keep], s[keep]
    contacts = len(t)
    if contacts < MIN_CONTACTS:
        return None
    intervals = np.diff(t)
    skew, median, madm = _bowley(intervals)
    skew_score = max(0.0, 1.0 - abs(skew))
    dispersion = madm / median if median > 0 else 1.0
    madm_score = max(0.0, 1.0 - dispersion / 0.5)
    interval_score = 0.5 * skew_score + 0.5 * madm_score

    size_score: float | None = None
    if np.count_nonzero(s) >= contacts // 2:
        size_skew, size_median, size_madm = _bowley(s)
        size_dispersion = size_madm / size_median if size_median > 0 else 1.0
        size_score = 0.5 * max(0.0, 1.0 - abs(size_skew)) + 0.5 * max(0.0, 1.0 - size_dispersion / 0.5)

    start, end = window
    span = max(end - start, 1.0)
    width = max(3600.0, 2.0 * median)
    bins = max(1, int(np.ceil(span / width)))
    counts = np.bincount(np.clip(((t - start) / width).astype(np.int64), 0, bins - 1), minlength=bins)
    active = counts[int((t[0] - start) // width): int((t[-1] - start) // width) + 1]
    cv = float(active.std() / active.mean()) if active.size and active.mean() > 0 else 1.0
    histogram_score = max(0.0, 1.0 - cv)
    coverage = float((t[-1] - t[0]) / span)
    consistency = float(np.count_nonzero(counts) / bins)
    duration_score = min(1.0, max(coverage, consistency))

    weights = {"interval": 0.4, "histogram": 0.2, "duration": 0.25}
    parts = {"interval": interval_score, "histogram": histogram_score, "duration": duration_score}
    if size_score is not None:
        weights["size"] = 0.15
        parts["size"] = size_score
    base = sum(parts[k] * weights[k] for k in parts) / sum(weights.values())
    return {
        "contacts": contacts,
        "median_interval_s": round(median, 1),
        "interval_madm_s": round(madm, 1),
        "interval_skew": round(skew, 3),
        "interval_score": round(interval_score, 3),
        "size_score": None if size_score is None else round(size_score, 3),
        "histogram_cv": round(cv, 3),
        "histogram_score": round(histogram_score, 3),
        "coverage": round(coverage, 3),
        "consistency": round(consistency, 3),
        "duration_score": round(duration_score, 3),
        "base_score": round(base, 3),
        "first": float(t[0]),
        "last": float(t[-1]),
    }


@dataclass
class Beacon:
    src: str
    dst: str
    name: str  # destination name (the dst itself, or the DNS name an IP resolved from)
    score: float
    components: dict[str, Any]
    kinds: list[str]
    image: str = ""
    allowlisted: str | None = None
    internal: bool = False
    reasons: list[str] = field(default_factory=list)


def score_pairs(acc: PairAccumulator, allow: PeriodicAllowList | None = None,
                young_after: float | None = None) -> list[Beacon]:
    """Every pair with enough contacts, scored and ranked (highest first).

    Modifiers: a look-alike of a brand (+0.15) and a destination first contacted late in the data
    (+0.05, "new to this network") raise the score; allow-listed periodic services and internal
    destinations are flagged so the caller caps their severity.
    """
    allow = allow or PeriodicAllowList.builtin()
    window = (acc.t_min, acc.t_max)
    span = acc.t_max - acc.t_min
    if young_after is None:
        young_after = acc.t_min + min(86400.0, span * 0.1)
    out: list[Beacon] = []
    for (src, dst), series in acc.pairs.items():
        if len(series.times) < MIN_CONTACTS:
            continue
        components = score_series(series.times, series.sizes, window)
        if components is None:
            continue
        name = acc.ip_names.get(dst, dst)
        score = components["base_score"]
        reasons: list[str] = []
        look = lookalike(name)
        if look is not None:
            score += 0.15
            reasons.append(f"look-alike of {look.brand} ({look.reason})")
            components["lookalike"] = {"brand": look.brand, "reason": look.reason, "official": look.official}
        first = acc.first_seen.get(dst, acc.t_min)
        if span > 3 * 86400 and first > young_after:
            score += 0.05
            reasons.append("destination new to this network")
            components["first_seen_in_data"] = first
        service = allow.service(name, series.port)
        out.append(Beacon(src=src, dst=dst, name=name, score=round(min(1.0, score), 3), components=components,
                          kinds=sorted(series.kinds), image=series.image, allowlisted=service,
                          internal=is_internal(name), reasons=reasons))
    out.sort(key=lambda b: (b.allowlisted is None, b.score), reverse=True)
    return out
