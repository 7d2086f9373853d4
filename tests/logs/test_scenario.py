"""End to end on a generated 3CX scenario: every C2 hit found in every format, the infected host's
beacon ranked first, no benign periodic service above low."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainwatch.logs.findings import beacon_severity, build_report
from chainwatch.logs.hunt import HuntOptions, HuntResult, hunt
from chainwatch.logs.match import LogMatcher
from chainwatch.logs.readers import detect, read_head
from chainwatch.models import Report, Severity

FORMAT_OF = {
    "zeek/dns.log": "zeek-tsv", "zeek/ssl.log": "zeek-tsv", "zeek-json/dns.log": "zeek-json",
    "zeek-json/conn.log": "zeek-json", "suricata7/eve.json": "suricata-eve", "suricata8/eve.json": "suricata-eve",
    "sysmon/sysmon.xml": "sysmon-xml", "sysmon/sysmon.jsonl": "sysmon-json", "squid/access.log": "squid",
    "csv/dns.csv": "generic",
}


@pytest.fixture(scope="module")
def hunted(scenario: tuple[Path, dict[str, Any]], matcher: LogMatcher) -> tuple[HuntResult, Report]:
    out, _ = scenario
    result = hunt([out], matcher, HuntOptions(jobs=2))
    return result, build_report(result, [str(out)])


@pytest.fixture(scope="module")
def report(hunted: tuple[HuntResult, Report]) -> Report:
    return hunted[1]


def test_every_file_is_recognised(scenario: tuple[Path, dict[str, Any]]) -> None:
    out, _ = scenario
    for name, expected in FORMAT_OF.items():
        reader = detect(read_head(out / name), name)
        assert reader is not None and reader.name == expected, name


@pytest.mark.parametrize("folder", ["zeek", "zeek-json", "suricata7", "suricata8", "sysmon", "squid", "csv"])
def test_each_format_alone_finds_every_c2_domain(folder: str, scenario: tuple[Path, dict[str, Any]],
                                                 matcher: LogMatcher) -> None:
    out, manifest = scenario
    result = hunt([out / folder], matcher, HuntOptions(jobs=1, beacons=False))
    infected = manifest["infected"]
    host = infected["name"] if folder == "sysmon" else infected["ip"]
    found = {(a.host, v) for a in result.partial.hits.hits.values() for v in a.values}
    for domain in manifest["c2_domains"]:
        assert (host, domain) in found, (folder, domain)
    hosts = {a.host for a in result.partial.hits.hits.values()}
    assert hosts == {host}, "only the infected host may hit"
    if folder == "sysmon":
        images = {i for a in result.partial.hits.hits.values() for i in a.images}
        assert infected["image"] in images


def test_iconstorages_fetch_found_in_proxy_log(report: Report, scenario: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = scenario
    icon_path = manifest["icon_url"].split("githubusercontent.com", 1)[1]
    hits = [f for f in report.findings if f.rule == "logs.ioc-hit" and f.evidence["indicator"]["kind"] == "url"]
    assert hits and all(f.path == manifest["infected"]["ip"] for f in hits)
    assert any(icon_path in v for f in hits for v in f.evidence["matched_values"])
    assert hits[0].evidence["samples"][0].startswith("access.log:")


def test_hit_timing_matches_the_seven_day_sleep(report: Report, scenario: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = scenario
    from chainwatch.logs.timeparse import parse_ts

    c2_hits = [f for f in report.findings if f.rule == "logs.ioc-hit" and f.evidence["indicator"]["kind"] == "domain"]
    first = min(parse_ts(f.evidence["first_seen"]) for f in c2_hits)
    assert first - manifest["infected"]["install_ts"] >= 7 * 86400
    assert all(f.severity == Severity.CRITICAL for f in c2_hits)


def test_infected_beacon_ranked_first_and_benign_periodic_at_most_low(hunted: tuple[HuntResult, Report],
                                                                      scenario: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = scenario
    result, report = hunted
    infected = {manifest["infected"]["ip"], manifest["infected"]["name"]}
    beacons = [f for f in report.findings if f.rule == "logs.beacon"]
    assert beacons
    top = min(beacons, key=lambda f: f.evidence["rank"])
    assert top.evidence["src"] in infected and top.evidence["name"] in manifest["c2_domains"]
    assert top.severity >= Severity.HIGH
    assert report.extra["beacons"][0]["src"] in infected
    for finding in beacons:
        if finding.evidence["src"] not in infected or finding.evidence["name"] not in manifest["c2_domains"]:
            assert finding.severity <= Severity.LOW, finding.message
    periodic = [b for b in result.beacons if b.name in manifest["periodic_services"]]
    assert len({b.name for b in periodic}) == len(manifest["periodic_services"])  # all scored, none missed
    assert max(b.components["base_score"] for b in periodic) > 0.8  # they are periodic...
    assert all(beacon_severity(b, set()) <= Severity.LOW for b in periodic)  # ...and still not reported above low


def test_report_json_and_timeline(report: Report, scenario: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = scenario
    data = json.loads(json.dumps(report.to_dict()))
    assert data["command"] == "hunt-logs" and data["verdict"] == "malicious"
    timeline = data["timeline"]
    assert {e["kind"] for e in timeline} == {"ioc", "beacon"}
    assert {e["host"] for e in timeline} <= {manifest["infected"]["ip"], manifest["infected"]["name"]}
    assert all(e["time"].endswith("Z") for e in timeline)


def test_fast_path_agrees_with_the_generic_reader(scenario: tuple[Path, dict[str, Any]], matcher: LogMatcher) -> None:
    out, _ = scenario
    fast = hunt([out / "zeek" / "dns.log"], matcher, HuntOptions(jobs=1))
    slow = hunt([out / "zeek" / "dns.log"], matcher, HuntOptions(jobs=1, fast_path=False))
    assert fast.partial.records == slow.partial.records > 0

    def summary(result: Any) -> set[tuple[str, str, int, float, float]]:
        return {(a.host, a.indicator.value, a.count, round(a.first, 3), round(a.last, 3))
                for a in result.partial.hits.hits.values()}

    assert summary(fast) == summary(slow)
    match_only = hunt([out / "zeek" / "dns.log"], matcher, HuntOptions(jobs=1, beacons=False))
    assert summary(match_only) == summary(slow) and match_only.partial.records == slow.partial.records
    assert [(b.src, b.dst, b.score) for b in fast.beacons[:5]] == [(b.src, b.dst, b.score) for b in slow.beacons[:5]]
    fast_refs = sorted(r for a in fast.partial.hits.hits.values() for r in a.samples)
    slow_refs = sorted(r for a in slow.partial.hits.hits.values() for r in a.samples)
    assert fast_refs == slow_refs


def test_split_ranges_give_the_same_answer(scenario: tuple[Path, dict[str, Any]], matcher: LogMatcher,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from chainwatch.logs import hunt as hunt_module

    out, _ = scenario
    whole = hunt([out / "zeek" / "dns.log"], matcher, HuntOptions(jobs=1))
    monkeypatch.setattr(hunt_module, "SPLIT_BYTES", 200_000)
    split = hunt([out / "zeek" / "dns.log"], matcher, HuntOptions(jobs=2))
    assert split.partial.records == whole.partial.records
    assert {(a.host, a.indicator.value, a.count) for a in split.partial.hits.hits.values()} == \
        {(a.host, a.indicator.value, a.count) for a in whole.partial.hits.hits.values()}
