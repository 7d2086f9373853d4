"""Beacon scoring on constructed series: regular (fast and slow) against random, and bounded memory."""

from __future__ import annotations

import random

import numpy as np

from chainwatch.logs.beacon import MAX_POINTS, PairAccumulator, PairSeries, pair_time_order, score_pairs, score_series
from chainwatch.logs.domains import PeriodicAllowList, lookalike, registrable

DAY = 86400.0


def _series(start: float, interval: float, jitter: float, count: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    out, t = [], start
    for _ in range(count):
        out.append(t)
        t += interval * (1 + rng.uniform(-jitter, jitter))
    return out


def test_regular_beacon_outscores_random_traffic() -> None:
    window = (0.0, 21 * DAY)
    beacon = score_series(_series(0, 3600, 0.15, 500), [800] * 500, window)
    rng = random.Random(2)
    random_times = sorted(rng.uniform(0, 21 * DAY) for _ in range(500))
    noise = score_series(random_times, [rng.randint(100, 90000) for _ in range(500)], window)
    assert beacon is not None and noise is not None
    assert beacon["base_score"] > 0.85 > 0.6 > noise["base_score"]
    assert beacon["interval_score"] > noise["interval_score"]


def test_slow_weekly_scale_beacon_still_counts() -> None:
    """A beacon every 8 hours over 2 weeks (RITA's 24-hour window would see 3 points)."""
    components = score_series(_series(7 * DAY, 8 * 3600, 0.1, 42), [], (0.0, 21 * DAY))
    assert components is not None and components["interval_score"] > 0.8


def test_bursts_collapse_into_one_contact() -> None:
    times = []
    for t in _series(0, 3600, 0.05, 50):
        times += [t, t + 0.4, t + 1.2]  # DNS lookup, TLS, HTTP of one beacon
    components = score_series(times, [], (0.0, 50 * 3600.0))
    assert components is not None and components["contacts"] == 50


def test_series_memory_is_bounded_and_regularity_survives_decimation() -> None:
    series = PairSeries()
    for t in _series(0, 60, 0.05, 100_000):
        series.add(t, 500)
    assert len(series.times) < MAX_POINTS and series.seen == 100_000
    components = score_series(series.times, series.sizes, (0.0, series.times[-1]))
    assert components is not None and components["interval_score"] > 0.8


def test_allowlist_lookalikes_and_ranking() -> None:
    allow = PeriodicAllowList.builtin()
    assert allow.service("v10.events.data.microsoft.com") == "Microsoft telemetry and settings"
    assert allow.service("x.pool.ntp.org") and allow.service("198.51.100.1", 123)
    assert allow.service("msstorageazure.com") is None
    assert registrable("a.b.example.co.uk") == "example.co.uk"
    assert lookalike("msstorageazure.com").brand == "azure"
    assert lookalike("cdn.akamaitechcloudservices.com").brand == "akamai"
    assert lookalike("msstorageboxes.com").reason == "ms-prefix"
    assert lookalike("rnicrosoft.com").reason == "edit-distance"
    assert lookalike("www.microsoft.com") is None and lookalike("github.com") is None
    acc = PairAccumulator()
    for t in _series(0, 900, 0.1, 2000):
        acc.add("10.0.0.1", "v10.events.data.microsoft.com", t, "dns")
    for t in _series(5 * DAY, 3600, 0.15, 300, seed=3):
        acc.add("10.0.0.2", "msstorageazure.com", t, "dns")
    ranked = score_pairs(acc, allow)
    assert ranked[0].name == "msstorageazure.com" and ranked[0].allowlisted is None
    assert ranked[1].allowlisted == "Microsoft telemetry and settings"


def test_accumulator_survives_the_trip_from_a_worker() -> None:
    import pickle

    acc = PairAccumulator()
    for t in _series(0, 60, 0.05, 10_000):
        acc.add("10.0.0.1", "a.example", t, "dns")
    acc.add("10.0.0.2", "198.51.100.7", 5.0, "conn", 812, "C:\\x.exe", 443)
    acc.note_answers("a.example", ("198.51.100.7",))
    back = pickle.loads(pickle.dumps(acc))
    assert back.pairs.keys() == acc.pairs.keys() and back.ip_names == acc.ip_names
    for key, series in acc.pairs.items():
        other = back.pairs[key]
        assert list(other.times) == list(series.times) and other.seen == series.seen
        assert other.stride == series.stride and other.kinds == series.kinds and other.sizes == series.sizes
    assert back.pairs[("10.0.0.2", "198.51.100.7")].image == "C:\\x.exe"


def test_pair_time_order_is_the_stable_lexsort_permutation() -> None:
    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 10, 5000):
        groups = rng.integers(0, 40, size)
        times = rng.integers(0, 25, size).astype(np.float64)  # many ties: stability matters
        times[::7] = np.nan
        assert np.array_equal(pair_time_order(groups, times), np.lexsort((times, groups)))
