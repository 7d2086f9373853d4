"""The Suricata EVE fast path (msgspec structs, JSON fallback) reports exactly what the JSON reader reports,
on both DNS layouts, on odd and hostile lines, and split over workers."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs import hunt as hunt_module
from chainwatch.logs.fasteve import EveTimes
from chainwatch.logs.hunt import HuntOptions, HuntResult, hunt
from chainwatch.logs.match import LogMatcher
from chainwatch.logs.timeparse import parse_ts
from tests.logs.test_readers import EVE7, EVE8

ODD_LINES = [
    # escaped name, upper case with a trailing dot, two questions (v3), responder side with grouped answers
    '{"timestamp":"2023-03-29T10:00:03.5+0000","event_type":"dns","src_ip":"10.0.0.9","src_port":5353,'
    '"dest_ip":"10.0.0.2","dest_port":53,"dns":{"type":"query","rrname":"cdn.pbx\\u0073ources.com","rrtype":"A"}}',
    '{"timestamp":"2023-03-29T10:00:04Z","event_type":"dns","src_ip":"10.0.0.9","dest_ip":"10.0.0.2",'
    '"dest_port":53,"dns":{"version":2,"type":"answer","qr":true,"rrname":"WWW.SBMSA.WIKI.","rcode":"NOERROR",'
    '"grouped":{"A":["198.51.100.30","198.51.100.31"],"TXT":[7]}}}',
    '{"timestamp":"2023-03-29T10:00:05.123456+01:00","event_type":"dns","src_ip":"10.0.0.2","src_port":53,'
    '"dest_ip":"10.0.0.11","dest_port":6000,"dns":{"version":3,"type":"response","qr":true,'
    '"queries":[{"rrname":"a.example.org","rrtype":"A"},{"rrname":"journalide.org","rrtype":"AAAA"}],'
    '"answers":[{"rrname":"a.example.org","rrtype":"CNAME","rdata":"b.example.org"},{"rrname":"b.example.org"}]}}',
    # v2 answer without a top-level rrname: the first answer names the question
    '{"timestamp":"2023-03-29T10:00:06.000001+0000","event_type":"dns","src_ip":"10.0.0.12","dest_ip":"10.0.0.2",'
    '"dns":{"version":2,"type":"answer","answers":[{"rrtype":"A","rdata":"192.0.2.5"},'
    '{"rrname":"x.msstorageazure.com","rdata":"192.0.2.6"}]}}',
    # shapes the structs refuse (the JSON path decides): SOA objects in grouped, a string in queries, a
    # boolean in grouped, a float port, a dns string, NaN, a BOM, invalid UTF-8 in a key msgspec would skip
    '{"timestamp":"2023-03-29T10:00:07+0000","event_type":"dns","src_ip":"10.0.0.13","dest_ip":"10.0.0.2",'
    '"dns":{"version":2,"type":"answer","rrname":"pbxsources.com","grouped":{"SOA":[{"mname":"ns.example"}]}}}',
    '{"timestamp":"2023-03-29T10:00:08+0000","event_type":"dns","src_ip":"10.0.0.14","dest_ip":"10.0.0.2",'
    '"dns":{"version":3,"type":"request","queries":["pbxsources.com"],"rrname":"msstorageazure.com"}}',
    '{"timestamp":"2023-03-29T10:00:09+0000","event_type":"dns","src_ip":"10.0.0.15","dest_ip":"10.0.0.2",'
    '"dns":{"type":"answer","rrname":"pbxsources.com","grouped":{"A":[true,"192.0.2.9"]}}}',
    '{"timestamp":"2023-03-29T10:00:10+0000","event_type":"dns","src_ip":"10.0.0.16","dest_ip":"10.0.0.2",'
    '"dest_port":53.0,"dns":{"type":"query","rrname":"pbxsources.com"}}',
    '{"timestamp":"2023-03-29T10:00:11+0000","event_type":"dns","src_ip":"10.0.0.17","dns":"pbxsources.com"}',
    '{"timestamp":"2023-03-29T10:00:12+0000","event_type":"dns","src_ip":"10.0.0.18","flow_id":NaN,'
    '"dns":{"type":"query","rrname":"pbxsources.com"}}',
    '\ufeff{"timestamp":"2023-03-29T10:00:13+0000","event_type":"dns","src_ip":"10.0.0.19",'
    '"dns":{"type":"query","rrname":"pbxsources.com"}}',
    # a dns event carrying an alert, an epoch timestamp, a 7-digit fraction, junk and a blank line
    '{"timestamp":"2023-03-29T10:00:14.000000+0000","event_type":"dns","src_ip":"10.0.0.20",'
    '"alert":{"signature":"x","signature_id":1},"dns":{"type":"query","rrname":"pbxsources.com"}}',
    '{"timestamp":1680084015.25,"event_type":"dns","src_ip":"10.0.0.21","dns":{"type":"query","rrname":"sbmsa.wiki"}}',
    '{"timestamp":"2023-03-29T10:00:16.1234567+0000","event_type":"dns","src_ip":"10.0.0.22",'
    '"dns":{"type":"query","rrname":"sbmsa.wiki"}}',
    "not json at all",
    '{"x":' + "[" * 900 + "]" * 900 + ',"timestamp":"2023-03-29T10:00:19+0000","event_type":"dns","src_ip":"10.0.0.25",'
    '"dns":{"type":"query","rrname":"pbxsources.com"}}',  # deeper than msgspec allows, within json's limit
    "",
    '{"timestamp":"2023-03-29T10:00:17+0000","event_type":"dns","src_ip":"10.0.0.23","dest_ip":"198.51.100.99",'
    '"dns":{"type":"query","rrname":"."}}',
]
INVALID_UTF8 = (b'{"timestamp":"2023-03-29T10:00:18+0000","event_type":"dns","src_ip":"10.0.0.24","x":"\xff",'
                b'"dns":{"type":"query","rrname":"pbxsources.com"}}')


@pytest.fixture
def matcher() -> LogMatcher:
    indicators = [Indicator(IndicatorKind.DOMAIN, name, "test", 90) for name in
                  ("pbxsources.com", "sbmsa.wiki", "journalide.org", "msstorageazure.com", "example.org")]
    indicators += [Indicator(IndicatorKind.IP, "198.51.100.30", "test", 80),
                   Indicator(IndicatorKind.CIDR, "198.51.100.96/29", "test", 70),
                   Indicator(IndicatorKind.URL, "http://example.net/a/b", "test", 70),
                   Indicator(IndicatorKind.JA3, "e7d705a3286e19ea42f587b344ee6865", "test", 60)]
    return LogMatcher.from_indicators(indicators)


def _summary(result: HuntResult) -> dict[str, Any]:
    hits = {key: (a.count, a.first, a.last, tuple(a.samples), tuple(sorted(a.values)), tuple(sorted(a.fields)),
                  tuple(sorted(a.kinds))) for key, a in result.partial.hits.hits.items()}
    pairs = result.partial.pairs
    # times sorted: a worker-merged series holds the same points in another order (scoring sorts them)
    series = {key: (tuple(sorted(s.times)), tuple(s.sizes or ()), s.seen, tuple(sorted(s.kinds)), s.port)
              for key, s in pairs.pairs.items()}
    return {"records": result.partial.records, "kinds": dict(result.partial.kinds), "hits": hits, "series": series,
            "ip_names": pairs.ip_names, "first_seen": pairs.first_seen, "span": (pairs.t_min, pairs.t_max),
            "beacons": [(b.src, b.dst, b.score) for b in result.beacons], "errors": result.partial.errors}


def _both(paths: list[Path], matcher: LogMatcher, beacons: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = _summary(hunt(paths, matcher, HuntOptions(jobs=1, beacons=beacons)))
    slow = _summary(hunt(paths, matcher, HuntOptions(jobs=1, beacons=beacons, fast_path=False)))
    return fast, slow


@pytest.mark.parametrize("beacons", [True, False])
def test_fast_path_equals_json_reader_on_both_layouts_and_odd_lines(tmp_path: Path, matcher: LogMatcher,
                                                                    beacons: bool) -> None:
    log = tmp_path / "eve.json"
    body = "\n".join([EVE7, *ODD_LINES, EVE8]).encode() + b"\n" + INVALID_UTF8 + b"\n"
    log.write_bytes(body + body.replace(b"10:00:", b"11:00:"))
    fast, slow = _both([log], matcher, beacons)
    assert fast == slow
    assert fast["records"] > 30 and {"dns", "tls", "http", "conn"} <= set(fast["kinds"])
    hosts = {key[0] for key in fast["hits"]}
    assert {"10.0.0.9", "10.0.0.11", "10.0.0.12", "10.0.0.5", "10.0.0.25"} <= hosts  # escaped, v3 responder,
    # answers-only, nested deeper than msgspec allows


def test_fast_path_equals_json_reader_on_the_generated_scenario(scenario: tuple[Path, dict[str, Any]],
                                                                matcher: LogMatcher) -> None:
    out, _manifest = scenario
    for layout in ("suricata7", "suricata8"):
        fast, slow = _both([out / layout / "eve.json"], matcher)
        assert fast == slow and fast["hits"] and fast["beacons"], layout


def test_eve_byte_ranges_over_two_workers_equal_the_serial_hunt(tmp_path: Path, matcher: LogMatcher,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(4)
    events = []
    t = 1680084000.0
    for i in range(6000):
        t += rng.uniform(0.5, 3.0)
        host, name = f"10.1.0.{rng.randint(1, 20)}", f"s{rng.randint(1, 60)}.example.net"
        if i % 37 == 3:
            host, name = "10.1.0.99", "pbxsources.com"
        stamp = f"2023-03-29T{int(t // 3600) % 24:02d}:{int(t // 60) % 60:02d}:{t % 60:09.6f}+0000"
        events.append(json.dumps({"timestamp": stamp, "flow_id": i, "event_type": "dns", "src_ip": host,
                                  "src_port": 40000 + i, "dest_ip": "10.1.0.1", "dest_port": 53, "proto": "UDP",
                                  "dns": {"version": 3, "type": "request", "queries": [{"rrname": name}]}}))
    log = tmp_path / "eve.json"
    log.write_text("\n".join(events) + "\n")
    monkeypatch.setattr(hunt_module, "SPLIT_BYTES", 200 << 10)
    units, _errors = hunt_module.plan([log], HuntOptions())
    assert len(units) >= 4 and {u.reader for u in units} == {"suricata-eve"}
    serial = _summary(hunt([log], matcher, HuntOptions(jobs=1)))
    parallel = _summary(hunt([log], matcher, HuntOptions(jobs=2)))
    assert parallel == serial and serial["records"] == 6000
    assert serial["beacons"][0][:2] == ("10.1.0.99", "pbxsources.com")


def test_eve_timestamps_parse_exactly_like_parse_ts() -> None:
    rng = random.Random(9)
    times = EveTimes()
    for _ in range(20_000):
        text = (f"{rng.choice([1969, 1970, 2023, 2099, 2100])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 60):02d}")
        if rng.random() < 0.9:
            text += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 8)))
        text += rng.choice(["", "Z", "+0000", "+00:00", "-0500", "+05:30", "+2400", "x"])
        assert times(text) == parse_ts(text), text
    for odd in ("2023-03-29T10:00:0\u0663.5+0000", "2023-03-29T10:60:00+0000", " 2023-03-29T10:00:00Z", "2023-03-29"):
        assert times(odd) == parse_ts(odd), odd  # a non-ASCII digit, minute 60, a space, no time
