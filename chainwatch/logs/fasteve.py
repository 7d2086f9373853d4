"""Fast path for Suricata EVE JSON, tuned for the dns events that dominate a DNS hunt.

Each block of whole lines is decoded in one ``msgspec`` call into a small struct holding only the keys the
hunt reads (timestamp, event_type, addresses, ports, ``dns``, ``alert``); msgspec skips every other key in C.
A dns event then goes through the same ``dns_names``/``_answers`` logic as the JSON reader, so both DNS
layouts (Suricata <= 7 "version 2" query/answer, Suricata 8 "version 3" request/response) come out the
same. Rows that hit no indicator skip the ``LogRecord``: they are counted and filed straight into the
beacon series, exactly as ``hunt.feed`` would file them.

Anything unusual goes through ``json`` and the reader's ``from_event`` line by line: a block msgspec
rejects (bad JSON, NaN, a BOM, lone surrogates), a block with invalid UTF-8 (msgspec does not validate the
keys it skips; ``json`` rejects such a line), blank or over-long lines, every non-dns event, and dns events
that carry an alert.
"""

from __future__ import annotations

import gc
import re
from itertools import accumulate
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec

from chainwatch.logs.fastdns import blocks
from chainwatch.logs.readers.interface import MAX_LINE, json_object
from chainwatch.logs.readers.suricata import SuricataEveReader
from chainwatch.logs.record import LogRecord
from chainwatch.logs.timeparse import MAX_TS, parse_ts

if TYPE_CHECKING:
    from chainwatch.logs.hunt import Partial
    from chainwatch.logs.match import LogMatcher

TS_CACHE_LIMIT = 1 << 16  # minute prefixes remembered (a week of logs is ~10,000)


_NO_ALERT = msgspec.Raw(b"null")


class _Query(msgspec.Struct, gc=False):
    rrname: Any = None


class _Answer(msgspec.Struct, gc=False):
    rrname: Any = None
    rdata: Any = None


class _Dns(msgspec.Struct, gc=False):
    """``dns`` of both layouts. Containers are typed to the shape the reader accepts (objects in
    queries/answers, strings or integers in grouped lists); any other shape fails validation and the
    line takes the JSON path, where the reader's own ``isinstance`` checks apply."""

    version: Any = None
    type: Any = None
    qr: Any = None
    rrname: Any = None
    queries: list[_Query] | None = None
    query: list[_Query] | None = None
    answers: list[_Answer] | None = None
    grouped: dict[str, list[str | int]] | None = None


class _Event(msgspec.Struct, gc=False):
    """The keys of an EVE event the hunt reads (msgspec skips the rest in C); scalars stay ``Any`` so the
    reader's conversions apply unchanged (missing and null both read as None, like ``dict.get``)."""

    timestamp: Any = None
    event_type: Any = None
    src_ip: Any = None
    src_port: Any = None
    dest_ip: Any = None
    dest_port: Any = None
    dns: _Dns | None = None
    alert: msgspec.Raw = _NO_ALERT  # kept raw: only "is it an object" matters here


_DECODER = msgspec.json.Decoder(_Event)
_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d):([0-5]\d):([0-5]\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:?\d\d)?", re.ASCII)


class EveTimes:
    """``parse_ts`` for EVE timestamps, exact and cheap: the epoch of each distinct hour (and offset) is
    parsed once; minutes, seconds and microseconds are added as integers and divided once, which is what
    ``datetime.timestamp()`` computes. Any other shape goes to ``parse_ts``."""

    def __init__(self) -> None:
        self.hours: dict[tuple[str, str | None], int | None] = {}

    def __call__(self, value: object) -> float:
        if type(value) is not str:
            return parse_ts(value)
        match = _ISO.fullmatch(value)
        if match is None:
            return parse_ts(value)
        hour, minutes, seconds, fraction, zone = match.groups()
        base = self.hours.get((hour, zone), -1)
        if base == -1:
            if len(self.hours) >= TS_CACHE_LIMIT:
                self.hours.clear()
            start = parse_ts(f"{hour}:00:00{zone or ''}")
            base = self.hours[(hour, zone)] = int(start) if start > 0 and start == int(start) else None
        if base is None:
            return parse_ts(value)
        micros = (base + int(minutes) * 60 + int(seconds)) * 1_000_000 + (int(fraction.ljust(6, "0")) if fraction
                                                                           else 0)
        number = micros / 1_000_000
        return number if 0.0 <= number <= MAX_TS else 0.0


def _responder_side(dns: _Dns) -> bool:
    """Logged from the responder's side (client in dest_ip)? As in ``SuricataEveReader.from_event``."""
    return dns.type == "response" or (int(dns.version or 0) >= 3 and bool(dns.qr))


def _names(dns: _Dns) -> list[str]:
    """``suricata.dns_names`` on the struct."""
    names: list[str] = []
    for entries in (dns.queries, dns.query):
        if entries is not None:
            names.extend(str(q.rrname) for q in entries if q.rrname)
    if not names and dns.rrname:
        names.append(str(dns.rrname))
    if not names and dns.answers is not None:
        first = next((a for a in dns.answers if a.rrname), None)
        if first is not None:
            names.append(str(first.rrname))
    return [n.lower().rstrip(".") for n in names]


def _answers(dns: _Dns) -> tuple[str, ...]:
    """``suricata._answers`` on the struct."""
    out: list[str] = []
    if dns.answers is not None:
        out.extend(str(a.rdata) for a in dns.answers if a.rdata)
    if dns.grouped is not None:
        for values in dns.grouped.values():
            out.extend(str(v) for v in values)
    return tuple(out)


def scan_eve(stream: BinaryIO, matcher: LogMatcher, part: Partial, source: str, start: int = 0,
             end: int | None = None, line_base: int | None = 1, beacons: bool = True) -> None:
    """Read [start, end) of an EVE file into ``part``; the result equals feeding every record of
    ``SuricataEveReader.records`` through ``hunt.feed``. Refs are ``file:line`` when ``line_base`` (the
    line number of ``start``) is known, else ``file@byte offset``."""
    enabled = gc.isenabled()
    gc.disable()  # ~50,000 small objects per block would trigger full collections over the matcher's tables
    try:
        _scan(stream, matcher, part, source, start, end, line_base, beacons)
    finally:
        if enabled:
            gc.enable()


def _scan(stream: BinaryIO, matcher: LogMatcher, part: Partial, source: str, start: int, end: int | None,
          line_base: int | None, beacons: bool) -> None:
    from chainwatch.logs.hunt import feed

    reader = SuricataEveReader()
    times = EveTimes()
    match_domain = matcher.match_domain
    has_ips = matcher.has_ips
    has_domains = bool(matcher.domains)
    pairs = part.pairs
    kinds = part.kinds
    lines_before = 0
    for offset, data in blocks(stream, start, end):
        lines = data.split(b"\n")
        lines.pop()  # blocks end with a newline
        events = _decode_block(data, lines)
        ref = _Refs(source, lines, offset, None if line_base is None else line_base + lines_before)
        for index, line in enumerate(lines):
            event = events[index] if events is not None else _decode_line(line)
            if event is None or event.event_type != "dns" or (
                    event.alert is not _NO_ALERT and bytes(event.alert).lstrip().startswith(b"{")):
                _slow(line, reader, ref.at(index), matcher, part, beacons, feed)
                continue
            # the order of from_event, so a malformed value raises exactly where the JSON path raises
            src, dst = str(event.src_ip or ""), str(event.dest_ip or "")
            port = int(event.dest_port or 0)
            dns = event.dns
            if dns is None:
                continue
            if _responder_side(dns):
                src, dst = dst, src
                port = int(event.src_port or 0)
            rrname = dns.rrname
            if dns.queries is None and dns.query is None and type(rrname) is str and rrname:
                names = [rrname.lower().rstrip(".")]  # the v2 layout: one top-level rrname
            else:
                names = _names(dns)
                if not names:
                    continue
            # match-only needs answers and the time only for IP indicators and for hits
            answers = _answers(dns) if beacons or has_ips else ()
            ts = times(event.timestamp) if beacons else 0.0
            for name in names:
                if (name and has_domains and match_domain(name)) or (has_ips and _ip_hit(matcher, dst, answers)):
                    feed(LogRecord(ts=times(event.timestamp), kind="dns", src=src, dst_ip=dst, dst_port=port,
                                   domain=name, answers=_answers(dns), ref=ref.at(index)), matcher, part, beacons)
                    continue
                part.records += 1
                kinds["dns"] += 1
                if beacons:
                    if answers:
                        pairs.note_answers(name, answers)
                    pairs.add(src, name, ts, "dns", 0, "")
        lines_before += len(lines)


class _Refs:
    """Raw references of one block's lines: ``file:line`` from the block's first line number, else
    ``file@byte offset`` (line starts are summed only when a reference is asked for)."""

    def __init__(self, source: str, lines: list[bytes], offset: int, first_line: int | None) -> None:
        self.source, self.lines, self.offset, self.first_line = source, lines, offset, first_line
        self.starts: list[int] | None = None

    def at(self, index: int) -> str:
        if self.first_line is not None:
            return f"{self.source}:{self.first_line + index}"
        if self.starts is None:
            self.starts = [0, *accumulate(len(line) + 1 for line in self.lines)]
        return f"{self.source}@{self.offset + self.starts[index]}"


def _ip_hit(matcher: LogMatcher, dst: str, answers: tuple[str, ...]) -> bool:
    return bool(matcher.match_ip(dst)) or any(matcher.match_ip(answer) for answer in answers)


def _decode_block(data: bytes, lines: list[bytes]) -> list[_Event] | None:
    """One struct per line, or None when the block needs the line-by-line path."""
    if not lines or max(map(len, lines)) + 1 > MAX_LINE:
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        events = _DECODER.decode_lines(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # deep nesting: let json decide
        return None
    return events if len(events) == len(lines) else None  # a blank line shifts the indices


def _decode_line(line: bytes) -> _Event | None:
    """msgspec for one line of a rejected block, None for the JSON path."""
    if len(line) + 1 > MAX_LINE or not line.strip():
        return None
    try:
        if not line.isascii():
            line.decode("utf-8")
        return _DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # deep nesting: let json decide
        return None


def _slow(line: bytes, reader: SuricataEveReader, ref: str, matcher: LogMatcher, part: Partial,
          beacons: bool, feed: Any) -> None:
    """The JSON reader's own handling of one line (``SuricataEveReader.records``)."""
    if len(line) + 1 > MAX_LINE:
        return
    event = json_object(line.rstrip(b"\r"))
    if event is not None:
        for record in reader.from_event(event, ref):
            feed(record, matcher, part, beacons)
