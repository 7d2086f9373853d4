"""The numpy fast path for Zeek dns logs: exact timestamps, malformed lines, the columnar pair store."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs import fastdns
from chainwatch.logs.beacon import MAX_POINTS, BulkPairs, PairAccumulator, score_pairs, score_series
from chainwatch.logs.generator import ZEEK_LOGS
from chainwatch.logs.hunt import HuntOptions, hunt
from chainwatch.logs.match import LogMatcher


def _cells_of(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    data = b"\n".join(values) + b"\n"
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    return fastdns._cells(fastdns._words(data), starts, ends), ends - starts


def test_timestamps_parse_exactly_like_float() -> None:
    rng = random.Random(5)
    for fmt in ("%.6f", "%.3f", "%.9f"):
        values = [(fmt % rng.uniform(1e9, 2e9)).encode() for _ in range(2000)]
        cells, lengths = _cells_of(values)
        assert fastdns._parse_floats(cells, lengths).tolist() == [float(v) for v in values]
    mixed = [b"1678060800.5", b"17", b"1e5", b"-", b"1678060800.123456"]
    parsed = fastdns._parse_floats(*_cells_of(mixed))
    assert parsed[:3].tolist() == [1678060800.5, 17.0, 1e5] and np.isnan(parsed[3]) and parsed[4] == 1678060800.123456


def _write_dns(path: Path, rows: list[tuple[float, str, str]], junk_every: int = 0) -> None:
    fields = ZEEK_LOGS["dns"]
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tdns",
             "#fields\t" + "\t".join(n for n, _ in fields), "#types\t" + "\t".join(t for _, t in fields)]
    for i, (ts, host, name) in enumerate(rows):
        if junk_every and i % junk_every == 3:
            lines.append("garbage line without the right cells")
            lines.append("#a comment in the middle")
        lines.append(f"{ts:.6f}\tC{i}\t{host}\t5353\t10.0.0.2\t53\tudp\t{i % 65536}\t0.01\t{name}\t1\tC_INTERNET\t1\t"
                     f"A\t0\tNOERROR\tF\tF\tT\tT\t0\t198.51.100.{i % 200}\t300.0\tF")
    lines.append("#close\t2023-03-27-00-00-00")
    path.write_text("\n".join(lines) + "\n")


def test_fast_path_matches_reader_with_junk_lines(tmp_path: Path) -> None:
    rng = random.Random(3)
    rows = []
    t = 1678060800.0
    for i in range(3000):
        t += rng.uniform(1, 30)
        rows.append((t, f"10.0.0.{rng.randint(1, 20)}", f"site{rng.randint(1, 50)}.example.com"))
        if i % 40 == 0:
            rows.append((t + 0.5, "10.0.0.7", "Pbxsources.COM."))
    log = tmp_path / "dns.log"
    _write_dns(log, rows, junk_every=500)
    matcher = LogMatcher.from_indicators([Indicator(IndicatorKind.DOMAIN, "pbxsources.com", "test", 90)])
    fast = hunt([log], matcher, HuntOptions(jobs=1))
    slow = hunt([log], matcher, HuntOptions(jobs=1, fast_path=False))
    assert fast.partial.records == slow.partial.records == len(rows)

    def hits(result: object) -> set[tuple[str, int, float, float, tuple[str, ...]]]:
        return {(a.host, a.count, a.first, a.last, tuple(sorted(a.samples)))
                for a in result.partial.hits.hits.values()}  # type: ignore[attr-defined]

    assert hits(fast) == hits(slow) and len(hits(fast)) == 1
    assert [(b.src, b.dst, b.score) for b in fast.beacons] == [(b.src, b.dst, b.score) for b in slow.beacons]


def test_bulk_pairs_bound_memory_and_survive_pickling_and_merging() -> None:
    left, right = BulkPairs(), BulkPairs()
    for bulk, offset in ((left, 0.0), (right, 30.0)):
        pid = bulk.pair_id(bulk.src_id("10.0.0.1") << 32 | bulk.dst_id("a.example"))
        other = bulk.pair_id(bulk.src_id("10.0.0.2") << 32 | bulk.dst_id(f"b{offset}.example"))
        times = np.arange(20_000, dtype=np.float64) * 60 + offset
        bulk.add(np.full(len(times), pid), times)
        bulk.add(np.array([other]), np.array([5.0]))
        bulk.compact()
    assert np.bincount(left.pid).max() < MAX_POINTS and left.seen[0] == 20_000
    back = pickle.loads(pickle.dumps(left))
    assert back.find("10.0.0.1", "a.example") == 0 and back.seen.tolist() == left.seen.tolist()
    back.merge(right)
    assert len(back) == 3 and back.seen[back.find("10.0.0.1", "a.example")] == 40_000
    acc = PairAccumulator()
    acc.bulk = back
    acc.t_min, acc.t_max = 0.0, 20_000 * 60.0
    ranked = score_pairs(acc)
    assert ranked and ranked[0].dst == "a.example" and ranked[0].kinds == ["dns"]
    pid, ts, _counts = back.grouped()
    series = ts[pid == back.find("10.0.0.1", "a.example")]
    assert ranked[0].components["contacts"] == score_series(series.tolist(), None, (acc.t_min, acc.t_max))["contacts"]
