"""A hunt split over workers (byte ranges of one big Zeek dns log, or one gzip'd file per worker) reports
exactly what the serial hunt reports: hits with their samples, record counts, beacon ranking."""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from typing import Any

import pytest

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs import fastdns
from chainwatch.logs import hunt as hunt_module
from chainwatch.logs.generator import ZEEK_LOGS
from chainwatch.logs.hunt import HuntOptions, HuntResult, hunt
from chainwatch.logs.match import LogMatcher

C2 = ("pbxsources.com", "msstorageazure.com")


def _dns_lines(count: int, seed: int, start: float) -> list[str]:
    """Zeek dns rows: 30 clients browsing 80 names, two of them beaconing to C2 names (one by a subdomain),
    a comment line and a malformed line now and then."""
    rng = random.Random(seed)
    lines: list[str] = []
    t = start
    for i in range(count):
        t += rng.uniform(0.5, 4.0)
        host, name = f"10.0.{i % 3}.{rng.randint(1, 30)}", f"site{rng.randint(1, 80)}.example.org"
        if i % 97 == 5:
            host, name = "10.0.9.9", "cdn.Pbxsources.com."
        elif i % 131 == 7:
            host, name = "10.0.9.8", C2[1]
        if i % 2500 == 11:
            lines.append("#a comment line in the middle")
        if i % 3100 == 17:
            lines.append("a malformed line")
        lines.append(f"{t:.6f}\tC{i:x}\t{host}\t{40000 + i % 9000}\t10.0.0.2\t53\tudp\t{i % 65536}\t0.01\t{name}\t1\t"
                     f"C_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t192.0.2.{i % 250}\t300.0\tF")
    return lines


def _write(path: Path, lines: list[str]) -> None:
    fields = ZEEK_LOGS["dns"]
    header = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tdns",
              "#fields\t" + "\t".join(n for n, _ in fields), "#types\t" + "\t".join(t for _, t in fields)]
    text = "\n".join([*header, *lines, "#close\t2023-03-27-00-00-00"]) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def _summary(result: HuntResult) -> dict[str, Any]:
    hits = {key: (a.count, a.first, a.last, tuple(a.samples), tuple(sorted(a.values)), tuple(sorted(a.fields)))
            for key, a in result.partial.hits.hits.items()}
    beacons = [(b.src, b.dst, b.score, b.components.get("contacts")) for b in result.beacons]
    return {"records": result.partial.records, "hits": hits, "beacons": beacons, "errors": result.partial.errors}


@pytest.fixture
def matcher() -> LogMatcher:
    return LogMatcher.from_indicators(Indicator(IndicatorKind.DOMAIN, name, "test", 90) for name in C2)


@pytest.mark.parametrize("beacons", [False, True])
def test_byte_ranges_over_two_workers_equal_the_serial_hunt(tmp_path: Path, matcher: LogMatcher,
                                                            monkeypatch: pytest.MonkeyPatch, beacons: bool) -> None:
    log = tmp_path / "dns.log"
    _write(log, _dns_lines(12_000, 1, 1678060800.0))
    monkeypatch.setattr(fastdns, "BLOCK", 96 << 10)  # several blocks per range ...
    monkeypatch.setattr(hunt_module, "SPLIT_BYTES", 300 << 10)  # ... and several ranges per file
    units, _errors = hunt_module.plan([log], HuntOptions(beacons=beacons))
    assert len(units) >= 5 and all(u.fast for u in units)
    serial = _summary(hunt([log], matcher, HuntOptions(jobs=1, beacons=beacons)))
    parallel = _summary(hunt([log], matcher, HuntOptions(jobs=2, beacons=beacons)))
    assert parallel == serial
    assert serial["records"] == 12_000 and len(serial["hits"]) == 2
    assert all(len(h[3]) == 5 for h in serial["hits"].values())  # five samples each, the earliest ones
    if beacons:
        assert {b[1] for b in serial["beacons"][:2]} == {"cdn.pbxsources.com", C2[1]}
    # the record-by-record reader over the unsplit file finds the same hits (counts and times)
    monkeypatch.setattr(hunt_module, "SPLIT_BYTES", 1 << 40)
    slow = _summary(hunt([log], matcher, HuntOptions(jobs=1, beacons=beacons, fast_path=False)))
    assert slow["records"] == serial["records"]
    assert {k: v[:3] for k, v in slow["hits"].items()} == {k: v[:3] for k, v in serial["hits"].items()}


def test_gzip_files_are_spread_over_workers_with_the_same_result(tmp_path: Path, matcher: LogMatcher) -> None:
    for day in range(4):
        _write(tmp_path / f"dns.{day}.log.gz", _dns_lines(3000, day, 1678060800.0 + day * 86400))
    paths = sorted(tmp_path.glob("*.gz"))
    serial = _summary(hunt(paths, matcher, HuntOptions(jobs=1)))
    parallel = _summary(hunt(paths, matcher, HuntOptions(jobs=2)))
    assert parallel == serial and serial["records"] == 12_000 and serial["beacons"]
