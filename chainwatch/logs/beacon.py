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
from functools import lru_cache
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


class BulkPairs:
    """Columnar per-pair timestamps for the fast paths: sources and destinations are interned once to int
    ids, a pair is the int ``src_id << 32 | dst_id`` and points live in numpy arrays (12 bytes each, no
    Python object per event). Appended chunks are folded in every ``COMPACT_POINTS``; a pair keeps at most
    ``MAX_POINTS`` (every ``stride``-th event, as ``PairSeries``) and all pairs together at most
    ``POINT_BUDGET``: memory stays flat on any log size."""

    COMPACT_POINTS = 2_000_000

    def __init__(self) -> None:
        self.src_names: list[str] = []
        self.dst_names: list[str] = []
        self._src_ids: dict[str, int] = {}
        self._dst_ids: dict[str, int] = {}
        self.pair_keys = np.zeros(0, dtype=np.int64)  # pid -> src_id << 32 | dst_id
        self._new_keys: list[int] = []
        self._index: dict[int, int] | None = {}
        self.pid = np.zeros(0, dtype=np.int64)
        self.ts = np.zeros(0, dtype=np.float64)
        self.seen = np.zeros(0, dtype=np.int64)
        self.stride = np.ones(0, dtype=np.int64)
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending = 0
        self._sorted = False
        self.dropped = 0
        self.scan_state: dict[int, Any] = {}  # fast-path scanner memo (hash -> id), never pickled

    def __len__(self) -> int:
        return len(self.pair_keys) + len(self._new_keys)

    def src_id(self, name: str) -> int:
        found = self._src_ids.get(name)
        if found is None:
            found = self._src_ids[name] = len(self.src_names)
            self.src_names.append(name)
        return found

    def dst_id(self, name: str) -> int:
        found = self._dst_ids.get(name)
        if found is None:
            found = self._dst_ids[name] = len(self.dst_names)
            self.dst_names.append(name)
        return found

    def index(self) -> dict[int, int]:
        if self._index is None:
            self._flush_keys()
            self._index = dict(zip(self.pair_keys.tolist(), range(len(self.pair_keys))))
        return self._index

    def pair_id(self, key: int) -> int:
        """Id of the pair ``src_id << 32 | dst_id`` (created if new), or -1 beyond MAX_PAIRS."""
        index = self.index()
        pid = index.get(key)
        if pid is None:
            if len(self) >= MAX_PAIRS:
                return -1
            pid = index[key] = len(self)
            self._new_keys.append(key)
        return pid

    def new_pairs(self, keys: np.ndarray) -> np.ndarray:
        """Ids for packed keys not yet known (negative keys and those beyond MAX_PAIRS get -1)."""
        index = self.index()
        out = np.full(len(keys), -1, dtype=np.int64)
        valid = np.flatnonzero(keys >= 0)[: max(0, MAX_PAIRS - len(self))]
        ids = np.arange(len(self), len(self) + len(valid))
        out[valid] = ids
        fresh = keys[valid].tolist()
        index.update(zip(fresh, ids.tolist()))
        self._new_keys.extend(fresh)
        return out

    def find(self, src: str, dst: str) -> int | None:
        s, d = self._src_ids.get(src), self._dst_ids.get(dst)
        return None if s is None or d is None else self.index().get(s << 32 | d)

    def key(self, pid: int) -> tuple[str, str]:
        self._flush_keys()
        packed = int(self.pair_keys[pid])
        return self.src_names[packed >> 32], self.dst_names[packed & 0xFFFFFFFF]

    def _flush_keys(self) -> None:
        if self._new_keys:
            self.pair_keys = np.concatenate((self.pair_keys, np.array(self._new_keys, dtype=np.int64)))
            self._new_keys.clear()

    def add(self, pids: np.ndarray, times: np.ndarray) -> None:
        tracked = pids >= 0
        if not tracked.all():
            self.dropped += int(np.count_nonzero(~tracked))
            pids, times = pids[tracked], times[tracked]
        self._chunks.append((pids.astype(np.int64, copy=False), times.astype(np.float64, copy=False)))
        self._pending += len(pids)
        if self._pending >= self.COMPACT_POINTS:
            self.compact()

    def _grow(self) -> None:
        self._flush_keys()
        count = len(self.pair_keys)
        if len(self.seen) < count:
            self.seen = np.concatenate((self.seen, np.zeros(count - len(self.seen), dtype=np.int64)))
            self.stride = np.concatenate((self.stride, np.ones(count - len(self.stride), dtype=np.int64)))

    def compact(self) -> None:
        """Fold pending chunks in: keep every stride-th new event of each pair, then thin if over budget."""
        self._grow()
        if self._chunks:
            new_pid = np.concatenate([c[0] for c in self._chunks])
            new_ts = np.concatenate([c[1] for c in self._chunks])
            self._chunks.clear()
            self._pending = 0
            if (self.stride > 1).any():
                order = np.argsort(new_pid, kind="stable")
                new_pid, new_ts = new_pid[order], new_ts[order]
                counts = np.bincount(new_pid, minlength=len(self.seen))
                offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
                ordinal = self.seen[new_pid] + np.arange(len(new_pid)) - offsets[new_pid]
                keep = ordinal % self.stride[new_pid] == 0
                self.seen += counts
                new_pid, new_ts = new_pid[keep], new_ts[keep]
            else:
                self.seen += np.bincount(new_pid, minlength=len(self.seen))
            self.pid = np.concatenate((self.pid, new_pid))
            self.ts = np.concatenate((self.ts, new_ts))
            self._sorted = False
        self._thin()

    def _thin(self) -> None:
        """Halve the longest series (per-pair cap, then the global budget) by keeping every 2**k-th point."""
        counts = np.bincount(self.pid, minlength=len(self.seen))
        target = POINT_BUDGET * 3 // 4 if counts.sum() > POINT_BUDGET else None
        cap = MAX_POINTS
        while True:
            halvings = np.zeros(len(counts), dtype=np.int64)
            while True:
                over = ((counts + (1 << halvings) - 1) >> halvings) >= cap
                if not over.any():
                    break
                halvings += over
            kept = (counts + (1 << halvings) - 1) >> halvings
            if target is None or kept.sum() <= target or cap <= 16:
                break
            cap //= 2
        if not halvings.any():
            return
        order = np.argsort(self.pid, kind="stable")
        pid, ts = self.pid[order], self.ts[order]
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        rank = np.arange(len(pid)) - offsets[pid]
        keep = rank % (1 << halvings[pid]) == 0
        self.pid, self.ts = pid[keep], ts[keep]
        self.stride <<= halvings
        self._sorted = False

    def grouped(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pid, ts) sorted by pair then time, and the point count per pair."""
        self.compact()
        if not self._sorted:
            # (pair, time) order, stable; times are in file order per worker, so their sort meets long runs
            order = pair_time_order(self.pid, self.ts)
            self.pid, self.ts, self._sorted = self.pid[order], self.ts[order], True
        return self.pid, self.ts, np.bincount(self.pid, minlength=len(self.pair_keys))

    def first_by_destination(self) -> np.ndarray:
        """Earliest time per destination id over every pair (inf where never seen)."""
        _pid, ts, counts = self.grouped()  # sorted by (pair, time): a pair's first point is its earliest
        first = np.full(len(self.dst_names), np.inf)
        present = np.flatnonzero(counts)
        if present.size:
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[present]
            np.minimum.at(first, self.pair_keys[present] & 0xFFFFFFFF, ts[starts])
        return first

    def merge(self, other: BulkPairs) -> None:
        if not len(other):
            return
        other.compact()
        if not len(self) and not self._chunks:  # the parent's first merge: adopt the worker's arrays as they are
            scan_state = self.scan_state
            self.__setstate__(other.__getstate__())
            self.scan_state = scan_state
            return
        self.compact()
        src_map = np.array([self.src_id(n) for n in other.src_names] or [0], dtype=np.int64)
        dst_map = np.array([self.dst_id(n) for n in other.dst_names] or [0], dtype=np.int64)
        keys = src_map[other.pair_keys >> 32] << 32 | dst_map[other.pair_keys & 0xFFFFFFFF]
        index = self.index()
        mapping = np.array([index.get(k, -1) for k in keys.tolist()], dtype=np.int64)
        fresh = np.flatnonzero(mapping < 0)
        room = max(0, MAX_PAIRS - len(self))
        admitted = fresh[:room]
        mapping[admitted] = np.arange(len(self), len(self) + len(admitted))
        for k, pid in zip(keys[admitted].tolist(), mapping[admitted].tolist()):
            index[k] = pid
        self.pair_keys = np.concatenate((self.pair_keys, keys[admitted]))
        self._grow()
        tracked = mapping >= 0
        self.dropped += other.dropped + int(other.seen[~tracked].sum())
        mine = mapping[tracked]
        self.seen[mine] += other.seen[tracked]
        self.stride[mine] = np.maximum(self.stride[mine], other.stride[tracked])
        pids = mapping[other.pid]
        ok = pids >= 0
        self.pid = np.concatenate((self.pid, pids[ok]))
        self.ts = np.concatenate((self.ts, other.ts[ok]))
        self._sorted = False
        self._thin()

    def __getstate__(self) -> dict[str, Any]:
        self.compact()
        return {"src": self.src_names, "dst": self.dst_names, "keys": self.pair_keys, "pid": self.pid,
                "ts": self.ts, "seen": self.seen, "stride": self.stride, "dropped": self.dropped}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self.src_names, self.dst_names = state["src"], state["dst"]
        self._src_ids = {n: i for i, n in enumerate(self.src_names)}
        self._dst_ids = {n: i for i, n in enumerate(self.dst_names)}
        self.pair_keys, self._index = state["keys"], None
        self.pid, self.ts, self.seen, self.stride = state["pid"], state["ts"], state["seen"], state["stride"]
        self.dropped = state["dropped"]


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
        self.bulk = BulkPairs()
        self.scored = 0  # pairs with enough contacts to score (set by score_pairs)

    @property
    def pair_count(self) -> int:
        """Distinct pairs tracked (record-fed and bulk-fed; a pair fed both ways counts twice)."""
        return len(self.pairs) + len(self.bulk)

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
            "points": self.points, "t_min": self.t_min, "t_max": self.t_max, "bulk": self.bulk,
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
        self.bulk = state["bulk"]
        self.scored = 0

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
        self.bulk.merge(other.bulk)
        self.dropped += other.dropped
        self.t_min = min(self.t_min, other.t_min)
        self.t_max = max(self.t_max, other.t_max)


def pair_time_order(groups: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The permutation ``np.lexsort((times, groups))`` returns (stable), about 3x faster on millions of
    points: times are ranked by one stable sort, then (group, rank) packed into one int64 is sorted."""
    size = len(times)
    by_time = np.argsort(times, kind="stable")
    rank = np.empty(size, dtype=np.int64)
    rank[by_time] = np.arange(size, dtype=np.int64)
    key = groups.astype(np.int64) * max(size, 1) + rank
    key.sort()
    return by_time[key % max(size, 1)]


def _grouped_quantiles(values: np.ndarray, groups: np.ndarray, counts: np.ndarray,
                       qs: Sequence[float]) -> list[np.ndarray]:
    """Per-group quantiles (linear interpolation, as numpy's default) of values labelled by group; every
    group has ``counts[g] >= 1`` values. One sort for all groups instead of one sort per group: values are
    ranked once, then (group, rank) packed into one int64 key is sorted in place (about 3x a lexsort)."""
    size = len(values)
    by_value = np.argsort(values)
    rank = np.empty(size, dtype=np.int64)
    rank[by_value] = np.arange(size, dtype=np.int64)
    key = groups.astype(np.int64) * max(size, 1) + rank
    key.sort()
    ordered = values[by_value[key % max(size, 1)]]
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    last = counts - 1
    out = []
    for q in qs:
        position = q * last
        low = position.astype(np.int64)
        high = np.minimum(low + 1, last)
        lo_v = ordered[offsets + low]
        out.append(lo_v + (ordered[offsets + high] - lo_v) * (position - low))
    return out


def _grouped_bowley(values: np.ndarray, groups: np.ndarray,
                    counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Bowley skew, median, MADM) per group, robust skew and spread of the intervals."""
    q1, q2, q3 = _grouped_quantiles(values, groups, counts, (0.25, 0.5, 0.75))
    spread = q3 - q1
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(spread <= 0, 0.0, (q3 + q1 - 2 * q2) / np.where(spread <= 0, 1.0, spread))
    (madm,) = _grouped_quantiles(np.abs(values - q2[groups]), groups, counts, (0.5,))
    return skew, q2, madm


def score_groups(times: np.ndarray, sizes: np.ndarray, groups: np.ndarray, group_count: int,
                 window: tuple[float, float]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Score many pairs at once: ``times``/``sizes`` are all points, ``groups`` their pair index (0 ..
    group_count-1), sorted by (group, time). Returns the indices of the pairs with enough contacts and
    their score components as arrays (same definitions as ``score_series``)."""
    if times.size:
        keep = np.empty(times.size, dtype=bool)
        keep[0] = True
        keep[1:] = (groups[1:] != groups[:-1]) | (np.diff(times) > BURST_GAP)
        times, sizes, groups = times[keep], sizes[keep], groups[keep]
    contacts = np.bincount(groups, minlength=group_count)
    valid = contacts >= MIN_CONTACTS
    chosen = np.flatnonzero(valid)
    if not chosen.size:
        return chosen, {}
    remap = np.cumsum(valid) - 1
    point_ok = valid[groups]
    t, s, g = times[point_ok], sizes[point_ok], remap[groups[point_ok]]
    n = contacts[chosen]
    starts = np.concatenate(([0], np.cumsum(n)[:-1]))
    ends = starts + n - 1
    same = g[1:] == g[:-1]
    intervals = np.diff(t)[same]
    interval_groups = g[1:][same]
    skew, median, madm = _grouped_bowley(intervals, interval_groups, n - 1)
    skew_score = np.maximum(0.0, 1.0 - np.abs(skew))
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.where(median > 0, madm / np.where(median > 0, median, 1.0), 1.0)
    madm_score = np.maximum(0.0, 1.0 - dispersion / 0.5)
    interval_score = 0.5 * skew_score + 0.5 * madm_score

    nonzero = np.bincount(g, weights=(s != 0), minlength=len(n))
    has_size = nonzero >= n // 2
    size_score = np.zeros(len(n))
    if has_size.any():  # DNS-only pairs carry no sizes: skip two grouped sorts
        size_skew, size_median, size_madm = _grouped_bowley(s, g, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            size_dispersion = np.where(size_median > 0, size_madm / np.where(size_median > 0, size_median, 1.0),
                                       1.0)
        size_score = 0.5 * np.maximum(0.0, 1.0 - np.abs(size_skew)) + \
            0.5 * np.maximum(0.0, 1.0 - size_dispersion / 0.5)

    start, end = window
    span = max(end - start, 1.0)
    width = np.maximum(3600.0, 2.0 * median)
    bins = np.maximum(1, np.ceil(span / width).astype(np.int64))
    point_bins = np.clip(((t - start) / width[g]).astype(np.int64), 0, bins[g] - 1)
    first_t, last_t = t[starts], t[ends]
    active_lo = np.floor_divide(first_t - start, width).astype(np.int64)
    active_hi = np.minimum(np.floor_divide(last_t - start, width).astype(np.int64), bins - 1)
    run_start = np.ones(t.size, dtype=bool)
    run_start[1:] = (g[1:] != g[:-1]) | (point_bins[1:] != point_bins[:-1])
    run_index = np.flatnonzero(run_start)
    run_len = np.diff(np.append(run_index, t.size)).astype(np.float64)
    run_group = g[run_index]
    run_bin = point_bins[run_index]
    in_active = (run_bin >= active_lo[run_group]) & (run_bin <= active_hi[run_group])
    total = np.bincount(run_group, weights=run_len * in_active, minlength=len(n))
    squares = np.bincount(run_group, weights=run_len * run_len * in_active, minlength=len(n))
    occupied = np.bincount(run_group, minlength=len(n))
    active_bins = np.maximum(active_hi - active_lo + 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(active_bins > 0, total / np.maximum(active_bins, 1), 0.0)
        variance = np.maximum(squares / np.maximum(active_bins, 1) - mean * mean, 0.0)
        cv = np.where(mean > 0, np.sqrt(variance) / np.where(mean > 0, mean, 1.0), 1.0)
    histogram_score = np.maximum(0.0, 1.0 - cv)
    coverage = (last_t - first_t) / span
    consistency = occupied / bins
    duration_score = np.minimum(1.0, np.maximum(coverage, consistency))
    base = np.where(has_size,
                    (interval_score * 0.4 + histogram_score * 0.2 + duration_score * 0.25 + size_score * 0.15) / 1.0,
                    (interval_score * 0.4 + histogram_score * 0.2 + duration_score * 0.25) / 0.85)
    return chosen, {
        "contacts": n, "median_interval_s": median, "interval_madm_s": madm, "interval_skew": skew,
        "interval_score": interval_score, "size_score": np.where(has_size, size_score, np.nan), "histogram_cv": cv,
        "histogram_score": histogram_score, "coverage": coverage, "consistency": consistency,
        "duration_score": duration_score, "base_score": base, "first": first_t, "last": last_t,
    }


_ROUNDING = {"median_interval_s": 1, "interval_madm_s": 1, "interval_skew": 3, "interval_score": 3, "size_score": 3,
             "histogram_cv": 3, "histogram_score": 3, "coverage": 3, "consistency": 3, "duration_score": 3,
             "base_score": 3}


def components_at(arrays: dict[str, np.ndarray], index: int) -> dict[str, Any]:
    """The components dict of one scored pair (rounded as the report shows them)."""
    return components_all(arrays, [index])[0]


def components_all(arrays: dict[str, np.ndarray], positions: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Components dicts of many scored pairs: rounding and conversion happen per column, not per value."""
    columns: list[tuple[str, list[Any]]] = []
    for key, values in arrays.items():
        picked = values if positions is None else values[np.asarray(positions, dtype=np.int64)]
        if key == "contacts":
            columns.append((key, picked.astype(np.int64).tolist()))
        elif key in _ROUNDING:
            as_list = np.round(picked, _ROUNDING[key]).tolist()
            if key == "size_score":
                as_list = [None if v != v else v for v in as_list]
            columns.append((key, as_list))
        else:
            columns.append((key, picked.tolist()))
    names = [c[0] for c in columns]
    return [dict(zip(names, row)) for row in zip(*(c[1] for c in columns))]


def score_series(times: Sequence[float], sizes: Sequence[int] | None,
                 window: tuple[float, float]) -> dict[str, Any] | None:
    """Score components in [0, 1] for one pair, or None when there are too few contacts."""
    if len(times) < MIN_CONTACTS:
        return None
    t = np.asarray(times, dtype=np.float64)
    s = np.asarray(sizes, dtype=np.float64) if sizes is not None and len(sizes) == len(times) else np.zeros(len(t))
    order = np.argsort(t, kind="stable")
    chosen, arrays = score_groups(t[order], s[order], np.zeros(len(t), dtype=np.int64), 1, window)
    return components_at(arrays, 0) if chosen.size else None


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


LOOKALIKE_BONUS = 0.15
YOUNG_BONUS = 0.05
REVIEW_FLOOR = 0.6  # a LOW beacon; pairs that cannot reach it even with the look-alike bonus skip the test
REVIEW_TOP = 200  # the best-ranked pairs always get every modifier, whatever their score


def _groups_of(acc: PairAccumulator) -> tuple[list[tuple[str, str]], list[PairSeries | None], np.ndarray,
                                               np.ndarray, np.ndarray]:
    """All pairs worth scoring as one (group, time)-sorted point set: record-fed series plus bulk pairs
    with enough events (a pair fed both ways becomes one group)."""
    keys: list[tuple[str, str]] = []
    metas: list[PairSeries | None] = []
    index: dict[tuple[str, str], int] = {}
    times: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    for key, series in acc.pairs.items():
        count = len(series.times)
        if count == 0:
            continue
        index[key] = len(keys)
        keys.append(key)
        metas.append(series)
        times.append(np.frombuffer(series.times, dtype=np.float64) if count else np.zeros(0))
        sizes.append(np.frombuffer(series.sizes, dtype=np.int64).astype(np.float64) if series.sizes is not None
                     and len(series.sizes) == count else np.zeros(count))
        groups.append(np.full(count, len(keys) - 1, dtype=np.int64))
    bulk = acc.bulk
    bulk_only = not keys
    if len(bulk):
        pid, ts, counts = bulk.grouped()
        wanted = counts >= MIN_CONTACTS
        for key in list(index):
            found = bulk.find(*key)
            if found is not None:
                wanted[found] = True
        chosen = np.flatnonzero(wanted)
        group_of = np.full(len(counts), -1, dtype=np.int64)
        packed = bulk.pair_keys[chosen]
        src_names, dst_names = bulk.src_names, bulk.dst_names
        chosen_keys = zip([src_names[i] for i in (packed >> 32).tolist()],
                          [dst_names[i] for i in (packed & 0xFFFFFFFF).tolist()])
        for pair, key in zip(chosen.tolist(), chosen_keys):
            existing = index.get(key)
            if existing is None:
                existing = index[key] = len(keys)
                keys.append(key)
                metas.append(None)
            group_of[pair] = existing
        mask = wanted[pid]
        times.append(ts[mask])
        sizes.append(np.zeros(int(mask.sum())))
        groups.append(group_of[pid[mask]])
    if not keys:
        empty = np.zeros(0)
        return keys, metas, empty, empty, np.zeros(0, dtype=np.int64)
    t = np.concatenate(times)
    g = np.concatenate(groups)
    if bulk_only and len(times) == 1 and (len(g) < 2 or bool((g[1:] >= g[:-1]).all())):
        return keys, metas, t, sizes[0], g  # bulk only: already (pair, time)-sorted, groups follow pair order
    order = pair_time_order(g, t)
    return keys, metas, t[order], np.concatenate(sizes)[order], g[order]


def score_pairs(acc: PairAccumulator, allow: PeriodicAllowList | None = None,
                young_after: float | None = None) -> list[Beacon]:
    """Every pair with enough contacts, scored and ranked (highest first).

    Modifiers: a look-alike of a brand (+0.15) and a destination first contacted late in the data
    (+0.05, "new to this network") raise the score; allow-listed periodic services and internal
    destinations are flagged so the caller caps their severity. All pairs are scored at once in numpy;
    a Beacon (with the look-alike test) is built only for pairs that could reach LOW with every bonus, and
    for the ``REVIEW_TOP`` best whatever their score: the rest can only ever be INFO below those in the
    ranking, so they are counted in ``acc.scored`` but not materialised.
    """
    allow = allow or PeriodicAllowList.builtin()
    window = (acc.t_min, acc.t_max)
    span = acc.t_max - acc.t_min
    if young_after is None:
        young_after = acc.t_min + min(86400.0, span * 0.1)
    keys, metas, times, sizes, groups = _groups_of(acc)
    chosen, arrays = score_groups(times, sizes, groups, len(keys), window)
    acc.scored = int(chosen.size)
    if not chosen.size:
        return []
    first_seen = acc.first_seen
    bulk = acc.bulk
    bulk_first: list[float] = bulk.first_by_destination().tolist() if len(bulk) else []
    firsts_of: dict[str, float] = {}  # per destination: many pairs share one
    firsts: list[float] = []
    for group in chosen.tolist():
        dst = keys[group][1]
        first = firsts_of.get(dst)
        if first is None:
            first = first_seen.get(dst, float("inf"))
            dst_id = bulk._dst_ids.get(dst)
            if dst_id is not None:
                bulk_seen = bulk_first[dst_id]
                if bulk_seen < first:
                    first = bulk_seen
            if first == float("inf"):
                first = acc.t_min
            firsts_of[dst] = first
        firsts.append(first)
    young = (np.array(firsts, dtype=np.float64) > young_after) & (span > 3 * 86400)
    best_case = arrays["base_score"] + YOUNG_BONUS * young
    review = best_case + LOOKALIKE_BONUS >= REVIEW_FLOOR
    if len(best_case) > REVIEW_TOP:
        review[np.argpartition(-best_case, REVIEW_TOP)[:REVIEW_TOP]] = True
    else:
        review[:] = True
    out: list[Beacon] = []
    positions = np.flatnonzero(review).tolist()
    groups_chosen = chosen.tolist()
    young_list = young.tolist()
    ip_names = acc.ip_names
    services = allow.__dict__.setdefault("_memo", {})  # _service's memo, read here without a call per pair
    for position, components in zip(positions, components_all(arrays, positions)):
        group = groups_chosen[position]
        src, dst = keys[group]
        series = metas[group]
        name = ip_names.get(dst, dst)
        score = components["base_score"]
        reasons: list[str] = []
        look = lookalike(name) if review[position] else None
        if look is not None:
            score += LOOKALIKE_BONUS
            reasons.append(f"look-alike of {look.brand} ({look.reason})")
            components["lookalike"] = {"brand": look.brand, "reason": look.reason, "official": look.official}
        if young_list[position]:
            score += YOUNG_BONUS
            reasons.append("destination new to this network")
            components["first_seen_in_data"] = firsts[position]
        if series is None:
            kinds, image, port = ["dns"], "", 0
        else:
            kinds = sorted(series.kinds | ({"dns"} if bulk.find(src, dst) is not None else set()))
            image, port = series.image, series.port
        service = services.get((name, port), _UNKNOWN)
        out.append(Beacon(src=src, dst=dst, name=name, score=round(min(1.0, score), 3), components=components,
                          kinds=kinds, image=image,
                          allowlisted=_service(allow, name, port) if service is _UNKNOWN else service,
                          internal=_internal(name), reasons=reasons))
    # allow-listed last, then by score; ties by pair, so the ranking does not depend on merge order
    out.sort(key=lambda b: (b.allowlisted is not None, -b.score, b.src, b.dst))
    return out


_UNKNOWN = object()


def _service(allow: PeriodicAllowList, name: str, port: int) -> str | None:
    cache = allow.__dict__.setdefault("_memo", {})
    key = (name, port)
    if key not in cache:
        if len(cache) > 65536:
            cache.clear()
        cache[key] = allow.service(name, port)
    return cache[key]


@lru_cache(maxsize=65536)
def _internal(name: str) -> bool:
    return is_internal(name)
