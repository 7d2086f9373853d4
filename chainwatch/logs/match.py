"""Indicator matching over log records: domains (with subdomains), IPs/CIDRs, URLs and URL paths, JA3 and
certificate/file hashes.

Domain lookups walk the name's label suffixes against a dict of indicator domains (a hashed reversed-label
trie: ``a.b.evil.com`` probes ``a.b.evil.com``, ``b.evil.com``, ``evil.com``, ``com``), so the cost is the
number of labels, not the number of indicators. Results are cached per distinct name because DNS logs
repeat names heavily.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs.record import LogRecord

CACHE_LIMIT = 1 << 20  # distinct names remembered before the cache is reset (bounds memory)

DOMAIN_KINDS = (IndicatorKind.DOMAIN,)
NETWORK_KINDS = (
    IndicatorKind.DOMAIN, IndicatorKind.IP, IndicatorKind.CIDR, IndicatorKind.URL, IndicatorKind.URL_PATH,
    IndicatorKind.JA3, IndicatorKind.CERT_THUMBPRINT, IndicatorKind.MD5, IndicatorKind.SHA1, IndicatorKind.SHA256,
)


@dataclass(frozen=True, slots=True)
class Match:
    indicator: Indicator
    field: str  # which record field matched: domain, answer, dst_ip, url, path, ja3, cert, hash
    value: str  # the value seen in the log


def normalise_domain(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    if value.startswith("*."):
        value = value[2:]
    return value.replace("[.]", ".")


def split_url(value: str) -> tuple[str, str]:
    """(host, lowercased path prefix) of a URL indicator; ``%d``/``*`` placeholders end the prefix."""
    text = value.strip().replace("[.]", ".").replace("hxxp", "http")
    if "://" in text:
        text = text.split("://", 1)[1]
    host, _, path = text.partition("/")
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    path = "/" + path
    for marker in ("%d", "%s", "*", "{"):
        if marker in path:
            path = path[: path.index(marker)]
    return host, path.lower()


class LogMatcher:
    """Compiled indicator tables; build once, share read-only with worker processes."""

    def __init__(self) -> None:
        self.domains: dict[str, tuple[Indicator, ...]] = {}
        self.domains_b: dict[bytes, str] = {}  # bytes key -> str key, for the bytes-level fast path
        self.ips: dict[str, tuple[Indicator, ...]] = {}
        self.nets: dict[tuple[int, int], dict[int, tuple[Indicator, ...]]] = {}  # (version, prefixlen) -> net
        self.urls: dict[str, list[tuple[str, Indicator]]] = {}  # host -> [(path prefix, indicator)]
        self.paths: list[tuple[str, Indicator]] = []
        self.ja3: dict[str, tuple[Indicator, ...]] = {}
        self.certs: dict[str, tuple[Indicator, ...]] = {}
        self.hashes: dict[str, tuple[Indicator, ...]] = {}
        self._cache: dict[str, tuple[str, tuple[Indicator, ...]] | None] = {}
        self._cache_b: dict[bytes, tuple[str, tuple[Indicator, ...]] | None] = {}
        self.misses_b: set[bytes] = set()  # names known to match nothing, for set-level filtering in C
        self.count = 0

    @classmethod
    def from_indicators(cls, indicators: Iterable[Indicator]) -> LogMatcher:
        matcher = cls()
        for indicator in indicators:
            matcher.add(indicator)
        return matcher

    @staticmethod
    def _put(table: dict, key: object, indicator: Indicator) -> None:  # type: ignore[type-arg]
        table[key] = (*table.get(key, ()), indicator)

    def add(self, indicator: Indicator) -> None:
        kind = indicator.kind
        value = indicator.value.strip()
        if not value:
            return
        self.count += 1
        if kind is IndicatorKind.DOMAIN:
            name = normalise_domain(value)
            self._put(self.domains, name, indicator)
            self.domains_b[name.encode("idna", "replace") if not name.isascii() else name.encode()] = name
        elif kind is IndicatorKind.IP:
            try:
                self._put(self.ips, str(ipaddress.ip_address(value)), indicator)
            except ValueError:
                self.count -= 1
        elif kind is IndicatorKind.CIDR:
            try:
                net = ipaddress.ip_network(value, strict=False)
            except ValueError:
                self.count -= 1
                return
            table = self.nets.setdefault((net.version, net.prefixlen), {})
            self._put(table, int(net.network_address) >> (net.max_prefixlen - net.prefixlen), indicator)
        elif kind is IndicatorKind.URL:
            host, path = split_url(value)
            self.urls.setdefault(host, []).append((path, indicator))
        elif kind is IndicatorKind.URL_PATH:
            _, path = split_url("x/" + value.lstrip("/"))
            self.paths.append((path, indicator))
        elif kind is IndicatorKind.JA3:
            self._put(self.ja3, value.lower(), indicator)
        elif kind is IndicatorKind.CERT_THUMBPRINT:
            self._put(self.certs, value.lower().replace(":", ""), indicator)
        elif kind in (IndicatorKind.MD5, IndicatorKind.SHA1, IndicatorKind.SHA256):
            self._put(self.hashes, value.lower(), indicator)
        else:
            self.count -= 1

    # -- domains ---------------------------------------------------------------------------------------
    def match_domain(self, name: str) -> tuple[str, tuple[Indicator, ...]] | None:
        """(matched indicator domain, indicators) for ``name`` or one of its parent domains."""
        cached = self._cache.get(name, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        result = self._walk(name)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[name] = result
        return result

    def _walk(self, name: str) -> tuple[str, tuple[Indicator, ...]] | None:
        domains = self.domains
        hit = domains.get(name)
        if hit:
            return name, hit
        dot = name.find(".")
        while dot >= 0:
            suffix = name[dot + 1:]
            hit = domains.get(suffix)
            if hit:
                return suffix, hit
            dot = name.find(".", dot + 1)
        return None

    def match_domain_bytes(self, name: bytes) -> tuple[str, tuple[Indicator, ...]] | None:
        """Bytes-level twin of ``match_domain`` for the fast path (no str decoding on a miss)."""
        cache = self._cache_b
        cached = cache.get(name, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        keys = self.domains_b
        lowered = name.lower().rstrip(b".")
        result = None
        key = keys.get(lowered)
        if key is None:
            dot = lowered.find(b".")
            while dot >= 0:
                key = keys.get(lowered[dot + 1:])
                if key is not None:
                    break
                dot = lowered.find(b".", dot + 1)
        if key is not None:
            result = (key, self.domains[key])
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[name] = result
        return result

    # -- addresses -------------------------------------------------------------------------------------
    def match_ip(self, value: str) -> tuple[Indicator, ...]:
        if not value or (not self.ips and not self.nets):
            return ()
        hit = self.ips.get(value)
        if hit:
            return hit
        if not self.nets:
            return ()
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return ()
        number = int(address)
        width = address.max_prefixlen
        for (version, prefixlen), table in self.nets.items():
            if version == address.version:
                hit = table.get(number >> (width - prefixlen))
                if hit:
                    return hit
        return ()

    @property
    def has_ips(self) -> bool:
        return bool(self.ips or self.nets)

    # -- URLs ------------------------------------------------------------------------------------------
    def match_url(self, host: str, path: str) -> list[tuple[Indicator, str]]:
        out: list[tuple[Indicator, str]] = []
        lowered = path.lower()
        for prefix, indicator in self.urls.get(host, ()):
            if lowered.startswith(prefix):
                out.append((indicator, f"{host}{path}"))
        for prefix, indicator in self.paths:
            if lowered.startswith(prefix):
                out.append((indicator, path))
        return out

    # -- one record ------------------------------------------------------------------------------------
    def match(self, record: LogRecord) -> list[Match]:
        out: list[Match] = []
        if record.domain and self.domains:
            found = self.match_domain(record.domain)
            if found:
                out.extend(Match(i, "domain", record.domain) for i in found[1])
        if self.ips or self.nets:
            for indicator in self.match_ip(record.dst_ip):
                out.append(Match(indicator, "dst_ip", record.dst_ip))
            for answer in record.answers:
                for indicator in self.match_ip(answer):
                    out.append(Match(indicator, "answer", answer))
        if record.path and (self.urls or self.paths):
            for indicator, value in self.match_url(record.domain, record.path):
                out.append(Match(indicator, "url" if indicator.kind is IndicatorKind.URL else "path", value))
        if record.ja3 and record.ja3 in self.ja3:
            out.extend(Match(i, "ja3", record.ja3) for i in self.ja3[record.ja3])
        if record.hashes and (self.certs or self.hashes):
            field = "cert" if record.kind == "tls" else "hash"
            for digest in record.hashes:
                for indicator in self.certs.get(digest, ()) + self.hashes.get(digest, ()):
                    out.append(Match(indicator, field, digest))
        return out
