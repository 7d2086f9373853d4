"""Strings and network indicators in any binary (or text), including single-byte-XOR and base64 ones.

Why: the 3CX macOS ``libffmpeg.dylib`` hid its C2 URLs and user agent with XOR 0x7a, and the ICO stage
carried base64. Plain ``strings`` misses both, so indicators are also recovered from encoded runs.

Speed: regexes run over the extracted printable runs, not over every byte; XOR anchors are found with
the key-independent trick ``d[i] ^ d[i+1] == p[i] ^ p[i+1]`` (one numpy pass and one ``bytes.find`` per
anchor for all 255 keys at once). Every step has a cap (bytes scanned, strings kept, candidates tried).
"""

from __future__ import annotations

import binascii
import bisect
import functools
import hashlib
import ipaddress
import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

MiB = 1024 * 1024


@dataclass(frozen=True)
class StringLimits:
    """Caps on the work one file may cause."""

    max_scan_bytes: int = 64 * MiB  # bytes of the file that are looked at
    min_length: int = 6  # shortest printable run kept as a string
    max_strings: int = 400_000  # printable runs kept per encoding
    max_run_chars: int = 4096  # a longer run is cut (indicators never need more)
    max_per_kind: int = 500  # distinct values kept per indicator kind
    max_xor_candidates: int = 4000  # anchor hits decoded (all anchors together)
    max_base64_candidates: int = 20_000  # base64-looking runs decoded
    max_decoded: int = 500  # decoded strings kept


@dataclass(frozen=True)
class FoundString:
    offset: int  # file offset of the first byte
    text: str
    encoding: str  # "ascii" | "utf-16le"


# ---------------------------------------------------------------- printable runs

_PRINTABLE_TABLE = bytes(1 if 0x20 <= b < 0x7F or b == 0x09 else 0 for b in range(256))


def _long_runs(mask: np.ndarray, min_length: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of runs of ``min_length``+ True values spaced ``step`` apart.

    ``acc[i]`` is True when ``mask[i], mask[i+step], ... mask[i+(min_length-1)*step]`` all are: only real
    strings leave edges in ``acc``, so the ``nonzero`` calls return thousands of indices, not millions.
    """
    span = (min_length - 1) * step
    n = len(mask) - span
    if n <= step:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    acc = mask[:n].copy()
    for k in range(1, min_length):
        acc &= mask[k * step : n + k * step]
    rising = acc.copy()
    rising[step:] &= ~acc[:-step]
    falling = acc.copy()
    falling[:-step] &= ~acc[step:]
    return np.flatnonzero(rising), np.flatnonzero(falling) + span + step


CHUNK_BYTES = 4 * MiB  # numpy temporaries are a few times this, whatever the file size


def _chunk_strings(view: bytes, lo: int, hi: int, limits: StringLimits, out: list[FoundString]) -> None:
    """Runs that start in ``[lo, hi)``; the chunk is read past ``hi`` so runs crossing it stay whole."""
    cap = limits.max_run_chars
    end_read = min(len(view), hi + 2 * cap + 2)
    chunk = view[lo:end_read]
    if len(chunk) < limits.min_length:
        return
    printable = np.frombuffer(chunk.translate(_PRINTABLE_TABLE), dtype=np.bool_)
    starts, ends = _long_runs(printable, limits.min_length, 1)
    # A run starting at the chunk's first byte may be the tail of one the previous chunk already took.
    continues = lo > 0 and _PRINTABLE_TABLE[view[lo - 1]] == 1
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if start >= hi - lo or (start == 0 and continues):
            continue
        out.append(FoundString(lo + start, chunk[start : min(end, start + cap)].decode("ascii"), "ascii"))
    # UTF-16LE: a printable byte followed by NUL, repeated every 2 bytes (each parity separately).
    pair_ok = printable[:-1] & (np.frombuffer(chunk, dtype=np.uint8)[1:] == 0)
    del printable
    starts, ends = _long_runs(pair_ok, limits.min_length, 2)
    for parity in (0, 1):
        p_starts = starts[starts % 2 == parity].tolist()
        p_ends = ends[ends % 2 == parity].tolist()
        for start, end in zip(p_starts, p_ends, strict=True):
            if start >= hi - lo:
                continue
            absolute = lo + start
            if start < 2 and absolute >= 2 and _PRINTABLE_TABLE[view[absolute - 2]] and view[absolute - 1] == 0:
                continue  # tail of a wide run that the previous chunk took
            raw = chunk[start : min(end, start + 2 * cap)]
            out.append(FoundString(absolute, raw.decode("utf-16le"), "utf-16le"))


def extract_strings(data: bytes, limits: StringLimits = StringLimits()) -> list[FoundString]:
    """ASCII and UTF-16LE printable runs (``strings -a`` and ``strings -el`` together), capped.

    numpy finds the runs (a byte-class table and a few shifted ANDs) chunk by chunk, so the cost is a
    few passes over memory, not a regex step per byte, and memory stays bounded for large files.
    """
    view = data[: limits.max_scan_bytes]
    out: list[FoundString] = []
    for lo in range(0, len(view), CHUNK_BYTES):
        _chunk_strings(view, lo, min(len(view), lo + CHUNK_BYTES), limits, out)
        if len(out) >= 2 * limits.max_strings:
            break
    ascii_runs = [s for s in out if s.encoding == "ascii"][: limits.max_strings]
    wide_runs = [s for s in out if s.encoding != "ascii"][: limits.max_strings]
    return ascii_runs + wide_runs


class _Corpus:
    """Printable runs joined into one text, with a map back to file offsets."""

    def __init__(self, runs: list[FoundString]) -> None:
        parts: list[str] = []
        self.starts: list[int] = []  # position of each run in self.text
        self.runs = runs
        pos = 0
        for run in runs:
            self.starts.append(pos)
            parts.append(run.text)
            pos += len(run.text) + 1
        self.text = "\n".join(parts)

    def locate(self, pos: int) -> tuple[int, str]:
        """File offset and encoding of the character at ``pos`` of the joined text."""
        i = bisect.bisect_right(self.starts, pos) - 1
        run = self.runs[i]
        delta = pos - self.starts[i]
        return run.offset + (delta * 2 if run.encoding == "utf-16le" else delta), run.encoding


# ---------------------------------------------------------------- public-suffix check


@functools.cache
def _tld_extractor() -> Any:
    import tldextract

    # The bundled snapshot only: never fetch the public-suffix list from the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


# Suffixes that are real TLDs but far more often a file extension or a code word inside binaries
# (``libfoo.so``, ``lib.rs``, ``self.data``, ``obj.name``). Bare names ending in them are dropped;
# inside a URL or an e-mail address they are kept.
_AMBIGUOUS_SUFFIXES = frozenset(
    (
        "so", "py", "pl", "pm", "sh", "cc", "cs", "rs", "md", "zip", "mov", "app", "run", "call", "new", "name",
        "id", "data", "map", "open", "top", "click", "link", "dll", "exe", "sys", "bin", "dat", "log", "tmp", "js",
        "ts", "in", "is", "it", "to", "do", "at", "as", "by", "me", "my", "no", "on", "us", "be", "go", "am", "an",
        "or", "ps", "cx", "ms", "mp", "ws", "tv", "st", "sc", "gs", "ls", "fm", "ml", "mk", "si", "ss", "mv", "al",
        "ac", "ad", "ag", "ai", "ar", "ax", "nl", "se", "lu", "ly", "abc", "xxx", "dev", "test", "final", "tab",
        "zero", "one", "win", "global", "style", "team", "page",
    )
)
# Bare names (outside a URL or an e-mail) must end in a country code or in one of these generic TLDs:
# dotted identifiers in binaries ("av.stream", "container.streams.best") end in newer gTLDs far more
# often than real hosts do. URLs and e-mail addresses accept every public suffix.
_BARE_GENERIC_TLDS = frozenset(
    (
        "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io", "xyz", "online", "site", "club",
        "live", "wiki", "cloud", "tech", "store", "shop", "space", "website", "icu", "pw", "su", "pro", "mobi",
        "asia", "tel", "work", "life", "world", "today", "news", "email", "host", "server", "services", "network",
        "systems", "digital", "agency", "support", "solutions", "center", "zone", "fun", "download",
    )
)
_CODE_LABELS = frozenset(
    (
        "self", "this", "os", "sys", "std", "window", "document", "module", "exports", "console", "math", "json",
        "object", "string", "array", "np", "pd", "torch", "tf", "re", "io", "cls", "super", "parent", "args",
        "kwargs", "ctx", "obj", "item", "value", "key", "node",
    )
)
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def registered_domain(host: str, *, strict: bool) -> str | None:
    """``host`` lowercased if it ends in a public suffix and has a registrable label, else None.

    ``strict`` (bare names found in a binary) also drops suffixes that are usually file extensions.
    """
    host = host.lower().rstrip(".")
    if len(host) > 253 or "." not in host:
        return None
    labels = host.split(".")
    if not all(_DOMAIN_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None
    ext = _tld_extractor()(host)
    if not ext.suffix or not ext.domain:
        return None
    if strict:
        tld = ext.suffix.rsplit(".", 1)[-1]
        if len(tld) != 2 and tld not in _BARE_GENERIC_TLDS:
            return None
        if ext.suffix in _AMBIGUOUS_SUFFIXES or labels[0] in _CODE_LABELS or ext.domain in _CODE_LABELS:
            return None
        if len(ext.domain) < 2:
            return None
    return host


# ---------------------------------------------------------------- indicator patterns

_URL = re.compile(r"\b(?:https?|ftps?|wss?)://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%{}|^`]{3,2000}", re.I)
# Certificate URLs inside DER run straight into the next ASN.1 tag byte ("...crl0", "CPS0").
_DER_TAIL = re.compile(r"(?<=\.crl|\.crt|\.cer|/CPS)0.?$")
_HOST_OF_URL = re.compile(r"^[a-z]+://(?:[^/?#@]*@)?(\[[0-9a-f:.]+\]|[^/?#:]+)", re.I)
_DOMAIN = re.compile(
    r"(?<![\w.@/\\-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,23})(?![\w@-]|\.\w)"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])((?:{_OCTET}\.){{3}}{_OCTET})(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})(?![\w:.])", re.I)
_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24})\b")
_BTC_B58 = re.compile(r"(?<![A-Za-z0-9])([13][1-9A-HJ-NP-Za-km-z]{25,34})(?![A-Za-z0-9])")
_BTC_BECH32 = re.compile(r"(?<![A-Za-z0-9])(bc1[02-9ac-hj-np-z]{8,87})(?![A-Za-z0-9])")
_ETH = re.compile(r"(?<![A-Za-z0-9])(0x[0-9a-fA-F]{40})(?![A-Za-z0-9])")
_XMR = re.compile(r"(?<![A-Za-z0-9])(4[0-9AB][1-9A-HJ-NP-Za-km-z]{93})(?![A-Za-z0-9])")
_USER_AGENT = re.compile(
    r"(Mozilla/[45]\.0 \([^()\n]{4,200}\)[ -~]{0,200}|(?:curl|Wget|python-requests|Go-http-client|okhttp)/\d[\w.]*)"
)
_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----.{0,200000}?-----END [A-Z0-9 ]{1,40}-----", re.S)
_VERSION_CONTEXT = re.compile(r"(?:version|ver|v|build|release|rev)[\s:=/_-]*$", re.I)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])([A-Za-z0-9+/]{20,}={0,2})(?![A-Za-z0-9+/=])")


_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def base58check_ok(text: str) -> bool:
    """Bitcoin base58check: the last 4 bytes are the double-SHA-256 of the rest."""
    num = 0
    for ch in text:
        num = num * 58 + _B58_INDEX[ch]
    raw = num.to_bytes((num.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(text) - len(text.lstrip("1"))) + raw
    if len(raw) != 25:
        return False
    body, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == check


_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32_ok(text: str) -> bool:
    """BIP-173 / BIP-350 checksum (bech32 or bech32m) of a ``bc1...`` address."""
    hrp, _, data = text.lower().rpartition("1")
    if hrp != "bc" or len(data) < 6:
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32_CHARSET.index(c) for c in data]
    return _bech32_polymod(values) in (1, 0x2BC830A3)


def _ipv4_plausible(text: str, value: str, pos: int) -> bool:
    """Drop version numbers that look like addresses (``version 1.2.0.0``, ``2.0.0.0``)."""
    octets = [int(o) for o in value.split(".")]
    if octets[0] == 0:
        return False
    if octets[3] == 0 or sum(1 for o in octets[1:] if o == 0) >= 2:
        return False  # a network or a version ("3.2.1.0"), not a host
    return not _VERSION_CONTEXT.search(text[max(0, pos - 12) : pos])


def _ipv6_plausible(value: str) -> bool:
    if value.count(":") < 3 or len(value) < 7 or not any(c.isdigit() for c in value):
        return False
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return not (addr.is_unspecified or addr.is_loopback)


class _Collector:
    """Distinct indicator values per kind, first offset kept, capped."""

    KINDS = ("urls", "domains", "ips", "emails", "wallets", "user_agents")

    def __init__(self, max_per_kind: int) -> None:
        self.max_per_kind = max_per_kind
        self.items: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in self.KINDS}
        self.truncated = False

    def add(self, kind: str, value: str, offset: int, encoding: str, **extra: Any) -> None:
        bucket = self.items[kind]
        if value in bucket:
            bucket[value]["count"] += 1
            return
        if len(bucket) >= self.max_per_kind:
            self.truncated = True
            return
        bucket[value] = {"value": value, "offset": offset, "encoding": encoding, "count": 1, **extra}

    def facts(self) -> dict[str, list[dict[str, Any]]]:
        return {k: list(v.values()) for k, v in self.items.items()}


def _scan_text(text: str, where: Any, out: _Collector) -> None:
    """Find indicators in ``text``; ``where(pos) -> (offset, encoding)`` maps a position to the file."""
    url_spans: list[tuple[int, int]] = []
    for m in _URL.finditer(text):
        url = _DER_TAIL.sub("", m.group().rstrip(".,;:'\")]}>"))
        host_m = _HOST_OF_URL.match(url)
        if not host_m:
            continue
        host = host_m.group(1).strip("[]")
        if not _host_ok(host):
            continue
        url_spans.append(m.span())
        out.add("urls", url, *where(m.start()))
        if registered_domain(host, strict=False):
            out.add("domains", host.lower(), *where(m.start() + host_m.start(1)))
        elif _is_ip(host):
            out.add("ips", host, *where(m.start() + host_m.start(1)))

    def inside_url(pos: int) -> bool:
        i = bisect.bisect_right(url_spans, (pos, 1 << 62)) - 1
        return i >= 0 and url_spans[i][0] <= pos < url_spans[i][1]

    email_spans: list[tuple[int, int]] = []
    if "@" in text:
        for m in _EMAIL.finditer(text):
            addr = m.group(1)
            if registered_domain(addr.rsplit("@", 1)[1], strict=False):
                email_spans.append(m.span(1))
                out.add("emails", addr, *where(m.start(1)))
    email_spans.sort()

    def inside_email(pos: int) -> bool:
        i = bisect.bisect_right(email_spans, (pos, 1 << 62)) - 1
        return i >= 0 and email_spans[i][0] <= pos < email_spans[i][1]

    for m in _DOMAIN.finditer(text):
        if inside_url(m.start()) or inside_email(m.start()):
            continue
        host = registered_domain(m.group(1), strict=True)
        if host:
            out.add("domains", host, *where(m.start(1)))
    for m in _IPV4.finditer(text):
        if inside_url(m.start()):
            continue
        if _ipv4_plausible(text, m.group(1), m.start(1)):
            out.add("ips", m.group(1), *where(m.start(1)))
    if "::" in text or text.count(":") > 6:
        for m in _IPV6.finditer(text):
            if not inside_url(m.start()) and _ipv6_plausible(m.group(1)):
                out.add("ips", m.group(1).lower(), *where(m.start(1)))
    for m in _BTC_B58.finditer(text):
        if base58check_ok(m.group(1)):
            out.add("wallets", m.group(1), *where(m.start(1)), currency="BTC")
    for m in _BTC_BECH32.finditer(text):
        if bech32_ok(m.group(1)):
            out.add("wallets", m.group(1), *where(m.start(1)), currency="BTC")
    for m in _ETH.finditer(text):
        digits = m.group(1)[2:]
        if len(set(digits.lower())) > 4:  # not 0x000...0 / 0xffff...f
            out.add("wallets", m.group(1), *where(m.start(1)), currency="ETH")
    for m in _XMR.finditer(text):
        out.add("wallets", m.group(1), *where(m.start(1)), currency="XMR")
    for m in _USER_AGENT.finditer(text):
        out.add("user_agents", m.group(1).strip(), *where(m.start(1)))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_ok(host: str) -> bool:
    return _is_ip(host) or registered_domain(host, strict=False) is not None


def indicators_in_text(text: str, offset: int = 0, encoding: str = "ascii") -> dict[str, list[dict[str, Any]]]:
    """Indicators in one decoded string (used for XOR/base64 results and by other analyzers)."""
    out = _Collector(max_per_kind=100)
    _scan_text(text, lambda pos: (offset + pos, encoding), out)
    return out.facts()


# ---------------------------------------------------------------- single-byte XOR


XOR_ANCHORS: tuple[bytes, ...] = (
    b"http://",
    b"https://",
    b"Mozilla/",
    b"User-Agent",
    b".com/",
    b"/bin/sh",
    b"cmd.exe",
    b"powershell",
    b"/System/Library/",
    b"/Library/",
)
_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09}


def _adjacent_xor(data: bytes) -> bytes:
    arr = np.frombuffer(data, dtype=np.uint8)
    return (arr[:-1] ^ arr[1:]).tobytes()


@functools.cache
def _xor_table(key: int) -> bytes:
    return bytes(b ^ key for b in range(256))


def _decode_xor_run(data: bytes, pos: int, key: int, max_chars: int) -> tuple[int, str] | None:
    """The printable run around ``pos`` after XOR with ``key``.

    A decoded NUL (raw byte == key) ends the run. A raw NUL decodes to the key character, which is also
    how a plain-text character equal to the key is stored: going right, a lone raw NUL between printable
    bytes is kept (``z`` under key 0x7a); going left, a raw NUL ends the run, because strings start after
    a terminator and neighbouring plain-text tables would otherwise decode as one long printable run.
    A prefix of one or two characters before the anchor is neighbouring data, not part of the string.
    """
    lo = max(0, pos - max_chars)
    hi = min(len(data), pos + max_chars)
    window = data[lo:hi]
    decoded = window.translate(_xor_table(key))
    rel = pos - lo

    def keeps_right(i: int) -> bool:
        if decoded[i] not in _PRINTABLE:
            return False
        if window[i] != 0:
            return True
        return i + 1 < len(window) and window[i + 1] != 0 and decoded[i + 1] in _PRINTABLE

    start = rel
    while start > 0 and window[start - 1] != 0 and decoded[start - 1] in _PRINTABLE:
        start -= 1
    if 0 < rel - start < 3:
        start = rel
    end = rel
    while end < len(decoded) and keeps_right(end):
        end += 1
    if end - start < 8:
        return None
    return lo + start, decoded[start:end].decode("ascii")


def xor_decoded_strings(data: bytes, limits: StringLimits = StringLimits()) -> list[dict[str, Any]]:
    """Strings hidden with a single-byte XOR key (1..255) that contain a known anchor."""
    view = data[: limits.max_scan_bytes]
    if len(view) < 16:
        return []
    patterns = [(anchor, bytes(a ^ b for a, b in itertools.pairwise(anchor))) for anchor in XOR_ANCHORS]
    overlap = max(len(a) for a in XOR_ANCHORS)
    seen: set[tuple[int, int]] = set()
    found: list[dict[str, Any]] = []
    tried = 0
    for lo in range(0, len(view), CHUNK_BYTES):
        diff = _adjacent_xor(view[lo : lo + CHUNK_BYTES + overlap])
        for anchor, pattern in patterns:
            pos = diff.find(pattern)
            while pos != -1 and pos < CHUNK_BYTES and tried < limits.max_xor_candidates:
                key = view[lo + pos] ^ anchor[0]
                if key:
                    tried += 1
                    run = _decode_xor_run(view, lo + pos, key, limits.max_run_chars)
                    if run and (run[0], key) not in seen:
                        seen.add((run[0], key))
                        found.append(
                            {"encoding": f"xor:0x{key:02x}", "offset": run[0], "value": run[1], "key": key}
                        )
                pos = diff.find(pattern, pos + 1)
    found.sort(key=lambda d: d["offset"])
    return found


# ---------------------------------------------------------------- base64


def _printable_ratio(raw: bytes) -> float:
    if not raw:
        return 0.0
    return sum(1 for b in raw if b in _PRINTABLE or b in (0x0A, 0x0D)) / len(raw)


def _b64_printable(token: str) -> bytes | None:
    body = token.rstrip("=")
    if len(body) % 4 == 1 or len(body) < 16:
        return None
    try:
        raw = binascii.a2b_base64(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 8 or _printable_ratio(raw) < 0.95:
        return None
    return raw


def base64_decoded_strings(corpus_text: str, where: Any, limits: StringLimits) -> list[dict[str, Any]]:
    """Base64 runs that decode to mostly printable text (candidates capped).

    PEM blocks (certificates, keys, CSRs) are base64 of DER whose name fields decode to text: skipped.
    """
    found: list[dict[str, Any]] = []
    pem_spans = [m.span() for m in _PEM_BLOCK.finditer(corpus_text)] if "-----BEGIN " in corpus_text else []
    for i, m in enumerate(_BASE64.finditer(corpus_text)):
        if i >= limits.max_base64_candidates:
            break
        if pem_spans and any(a <= m.start() < b for a, b in pem_spans):
            continue
        token = m.group(1)
        # Identifiers and alphabets are long alnum runs too; real base64 mixes classes.
        if token.isalpha() or token.isdigit() or token.islower() or token.isupper():
            continue
        # The run may start with neighbouring text glued to the blob ("shell" + "aHR0cHM6..."): try
        # dropping up to 12 leading characters; a decode whose first bytes are junk is not the start.
        for shift in range(13 if len(token) >= 28 else 1):
            raw = _b64_printable(token[shift:])
            if raw is not None and all(b in _PRINTABLE for b in raw[:3]):
                break
            raw = None
        if raw is None:
            continue
        offset, _ = where(m.start(1) + shift)
        found.append({"encoding": "base64", "offset": offset, "value": raw.decode("latin-1")[: limits.max_run_chars]})
    return found


# ---------------------------------------------------------------- everything together


def analyze_strings(data: bytes, limits: StringLimits = StringLimits()) -> dict[str, Any]:
    """The ``strings`` facts of one file: indicators with offsets, plus decoded (XOR/base64) strings."""
    runs = extract_strings(data, limits)
    runs.sort(key=lambda r: r.offset)
    corpus = _Corpus(runs)
    out = _Collector(limits.max_per_kind)
    _scan_text(corpus.text, corpus.locate, out)

    decoded: list[dict[str, Any]] = []
    for item in xor_decoded_strings(data, limits) + base64_decoded_strings(corpus.text, corpus.locate, limits):
        found = indicators_in_text(item["value"], item["offset"], item["encoding"])
        hits = {k: [v["value"] for v in vals] for k, vals in found.items() if vals}
        if not hits:
            continue  # decoded noise without an indicator is not worth keeping
        item["indicators"] = hits
        decoded.append(item)
        for kind, vals in found.items():
            for v in vals:
                extra = {k: v[k] for k in ("currency",) if k in v}
                # Offset of the encoded string: exact for XOR (1 byte per char), the run start for base64.
                off = v["offset"] if item["encoding"].startswith("xor:") else item["offset"]
                out.add(kind, v["value"], off, item["encoding"], **extra)
        if len(decoded) >= limits.max_decoded:
            out.truncated = True
            break
    facts: dict[str, Any] = out.facts()
    facts["decoded"] = decoded
    facts["string_count"] = len(runs)
    facts["scanned_bytes"] = min(len(data), limits.max_scan_bytes)
    facts["truncated"] = out.truncated or len(data) > limits.max_scan_bytes
    return facts
