"""Indicator matching: suffix domains, IPs/CIDRs, URL prefixes and paths, JA3 and certificate hashes."""

from __future__ import annotations

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs.match import LogMatcher
from chainwatch.logs.record import LogRecord


def _ind(kind: IndicatorKind, value: str, score: int = 80) -> Indicator:
    return Indicator(kind=kind, value=value, source="test", score=score, campaign="c")


def test_domain_suffix_matching_respects_label_boundaries() -> None:
    matcher = LogMatcher.from_indicators([_ind(IndicatorKind.DOMAIN, "msstorageazure.com"),
                                          _ind(IndicatorKind.DOMAIN, "*.sbmsa.wiki")])
    assert matcher.match_domain("msstorageazure.com")[0] == "msstorageazure.com"
    assert matcher.match_domain("a.b.msstorageazure.com")[0] == "msstorageazure.com"
    assert matcher.match_domain("x.sbmsa.wiki")[0] == "sbmsa.wiki"
    assert matcher.match_domain("notmsstorageazure.com") is None
    assert matcher.match_domain("msstorageazure.com.evil.org") is None
    assert matcher.match_domain_bytes(b"CDN.MSStorageAzure.com.")[0] == "msstorageazure.com"
    assert matcher.match_domain_bytes(b"msstorageazure.co") is None


def test_ip_and_cidr_matching() -> None:
    matcher = LogMatcher.from_indicators([_ind(IndicatorKind.IP, "198.51.100.7"),
                                          _ind(IndicatorKind.CIDR, "203.0.113.0/24"),
                                          _ind(IndicatorKind.CIDR, "2001:db8::/32")])
    assert matcher.match_ip("198.51.100.7")
    assert matcher.match_ip("203.0.113.250")
    assert not matcher.match_ip("203.0.114.1")
    assert matcher.match_ip("2001:db8::1")
    assert not matcher.match_ip("not-an-ip")
    record = LogRecord(ts=1.0, kind="dns", src="h", domain="x.example", answers=("10.1.1.1", "203.0.113.9"))
    (hit,) = matcher.match(record)
    assert hit.field == "answer" and hit.value == "203.0.113.9"


def test_iconstorages_url_template_and_path() -> None:
    matcher = LogMatcher.from_indicators([
        _ind(IndicatorKind.URL, "https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico"),
        _ind(IndicatorKind.URL_PATH, "/IconStorages/images/main/")])
    fetch = LogRecord(ts=1.0, kind="http", src="h", domain="raw.githubusercontent.com",
                      path="/IconStorages/images/main/icon13.ico")
    assert {m.field for m in matcher.match(fetch)} == {"url", "path"}
    other = LogRecord(ts=1.0, kind="http", src="h", domain="raw.githubusercontent.com", path="/python/cpython/main/x")
    assert matcher.match(other) == []
    mirror = LogRecord(ts=1.0, kind="http", src="h", domain="mirror.example",
                       path="/iconstorages/images/main/icon1.ico")
    assert [m.field for m in matcher.match(mirror)] == ["path"]


def test_ja3_cert_and_file_hashes() -> None:
    matcher = LogMatcher.from_indicators([_ind(IndicatorKind.JA3, "E7D705A3286E19EA42F587B344EE6865"),
                                          _ind(IndicatorKind.CERT_THUMBPRINT, "AB:CD:EF:01"),
                                          _ind(IndicatorKind.SHA256, "f" * 64)])
    tls = LogRecord(ts=1.0, kind="tls", src="h", ja3="e7d705a3286e19ea42f587b344ee6865", hashes=("abcdef01",))
    assert sorted(m.field for m in matcher.match(tls)) == ["cert", "ja3"]
    proc = LogRecord(ts=1.0, kind="proc", src="h", hashes=("f" * 64,))
    assert [m.field for m in matcher.match(proc)] == ["hash"]


def test_hundred_thousand_domains_build_and_lookup() -> None:
    indicators = [_ind(IndicatorKind.DOMAIN, f"bad{i}.example{i % 7}.net") for i in range(100_000)]
    matcher = LogMatcher.from_indicators(indicators)
    assert matcher.count == 100_000
    assert matcher.match_domain("x.y.bad99999.example4.net") is not None  # 99999 % 7 == 4
    assert matcher.match_domain("bad99999.example3.net") is None
