"""Bytes-level fast path for Zeek TSV dns logs, the bulk of any DNS hunt.

One compiled regex per file layout pulls (ts, client, query) out of whole 8 MiB blocks in C; the Python
loop then does one dict probe per row to group timestamps by (client, query). Domain matching runs once
per distinct pair (not per row), and raw line numbers are recovered only for the few names that hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from chainwatch.logs.beacon import PairAccumulator, PairSeries
from chainwatch.logs.hits import MAX_SAMPLES, HitTable
from chainwatch.logs.match import LogMatcher

BLOCK = 8 << 20
FLUSH_ROWS = 4_000_000


@dataclass
class TsvLayout:
    """Column positions of a Zeek dns log (from its #fields header)."""

    ts: int
    src: int
    query: int
    answers: int | None
    separator: bytes = b"\t"
    fields: list[str] = field(default_factory=list)

    @classmethod
    def from_fields(cls, fields: list[str], separator: bytes = b"\t") -> TsvLayout | None:
        try:
            return cls(fields.index("ts"), fields.index("id.orig_h"), fields.index("query"),
                       fields.index("answers") if "answers" in fields else None, separator, fields)
        except ValueError:
            return None

    def regex(self, with_answers: bool) -> re.Pattern[bytes]:
        sep = re.escape(self.separator)
        cell = rb"[^" + sep + rb"\n]*"
        wanted = {self.ts: 0, self.src: 1, self.query: 2}
        if with_answers and self.answers is not None:
            wanted[self.answers] = 3
        parts = []
        last = max(wanted)
        for index in range(last + 1):
            parts.append(b"(" + cell + b")" if index in wanted else cell)
        body = sep.join(parts)
        self.order = [wanted[i] for i in sorted(wanted)]
        return re.compile(rb"^(?!#)" + body + rb"[^\n]*\n", re.M)


def read_header(stream: BinaryIO) -> tuple[bytes, list[str], str, int, int]:
    """(separator, fields, path, header byte length, header line count) from the top of a Zeek TSV file."""
    separator = b"\t"
    fields: list[str] = []
    path = ""
    consumed = 0
    lines = 0
    while True:
        line = stream.readline(1 << 16)
        if not line.startswith(b"#"):
            break
        consumed += len(line)
        lines += 1
        text = line.rstrip(b"\r\n")
        if text.startswith(b"#separator"):
            raw = text[len(b"#separator"):].strip()
            separator = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), raw) or b"\t"
            continue
        parts = text[1:].split(separator)
        if parts[0] == b"fields":
            fields = [p.decode() for p in parts[1:]]
        elif parts[0] == b"path" and len(parts) > 1:
            path = parts[1].decode()
    return separator, fields, path, consumed, lines


def blocks(stream: BinaryIO, start: int, end: int | None) -> Iterator[tuple[int, bytes]]:
    """(offset, block of whole lines) over [start, end); ``end`` None reads to EOF (compressed input)."""
    pending = b""
    offset = start
    remaining = None if end is None else end - start
    while True:
        size = BLOCK if remaining is None else min(BLOCK, remaining)
        chunk = stream.read(size) if size else b""
        if remaining is not None:
            remaining -= len(chunk)
        if not chunk:
            if pending:
                yield offset, pending if pending.endswith(b"\n") else pending + b"\n"
            return
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            pending = data
            continue
        yield offset, data[:cut]
        offset += cut
        pending = data[cut:]


def scan_dns(stream: BinaryIO, layout: TsvLayout, matcher: LogMatcher, acc: PairAccumulator, hits: HitTable,
             source: str, start: int = 0, end: int | None = None, line_base: int | None = None) -> int:
    """Scan [start, end) of a Zeek dns log; returns the number of rows. Line numbers are exact when the
    caller passes the line number of ``start`` (``line_base``), else refs carry the byte offset."""
    # answers name the IPs that conn records point to (allow-list, look-alikes), so read them when present
    with_answers = layout.answers is not None
    rx = layout.regex(with_answers)
    raw: dict[tuple[bytes, bytes], list[bytes]] = {}
    answers_of: dict[bytes, bytes] = {}
    hit_names: dict[bytes, str] = {}
    samples: dict[tuple[bytes, bytes], list[str]] = {}
    rows = 0
    pending = 0
    match_b = matcher.match_domain_bytes
    lines_before = 0
    for offset, data in blocks(stream, start, end):
        found = rx.findall(data)
        rows += len(found)
        pending += len(found)
        if with_answers:
            rows_iter = found if layout.order == [0, 1, 2, 3] else [_reorder(r, layout.order) for r in found]
            get = raw.get
            for ts, src, query, answers in rows_iter:
                key = (src, query)
                bucket = get(key)
                if bucket is None:
                    bucket = raw[key] = []
                    if match_b(query) is not None:
                        hit_names[query] = ""
                    if answers != b"-" and query not in answers_of:
                        answers_of[query] = answers
                bucket.append(ts)
        else:
            get = raw.get
            for ts, src, query in found:
                key = (src, query)
                bucket = get(key)
                if bucket is None:
                    bucket = raw[key] = []
                    if match_b(query) is not None:
                        hit_names[query] = ""
                bucket.append(ts)
        if hit_names:
            _sample_lines(data, hit_names, samples, source, offset, line_base, lines_before, layout, rx)
        if line_base is not None:
            lines_before += data.count(b"\n")
        if pending >= FLUSH_ROWS:
            _flush(raw, acc, matcher, hits, samples, answers_of, with_answers)
            pending = 0
    _flush(raw, acc, matcher, hits, samples, answers_of, with_answers)
    return rows


def _reorder(row: tuple[bytes, ...], order: list[int]) -> tuple[bytes, ...]:
    out: list[bytes] = [b""] * 4
    for value, slot in zip(row, order):
        out[slot] = value
    return tuple(out)


def _sample_lines(data: bytes, hit_names: dict[bytes, str], samples: dict[tuple[bytes, bytes], list[str]],
                  source: str, offset: int, line_base: int | None, lines_before: int, layout: TsvLayout,
                  rx: re.Pattern[bytes]) -> None:
    """Raw references for hit names present in this block (rare: only blocks containing a hit name)."""
    for name in hit_names:
        if name not in data:
            continue
        position = data.find(name)
        while position >= 0:
            line_start = data.rfind(b"\n", 0, position) + 1
            line_end = data.find(b"\n", position)
            line = data[line_start:line_end]
            cells = line.split(layout.separator)
            if len(cells) > max(layout.src, layout.query) and cells[layout.query] == name:
                key = (cells[layout.src], name)
                bucket = samples.setdefault(key, [])
                if len(bucket) >= MAX_SAMPLES:
                    break
                if line_base is not None:
                    number = line_base + lines_before + data.count(b"\n", 0, line_start)
                    bucket.append(f"{source}:{number}")
                else:
                    bucket.append(f"{source}@{offset + line_start}")
            position = data.find(name, line_end)


def _flush(raw: dict[tuple[bytes, bytes], list[bytes]], acc: PairAccumulator, matcher: LogMatcher, hits: HitTable,
           samples: dict[tuple[bytes, bytes], list[str]], answers_of: dict[bytes, bytes], with_answers: bool) -> None:
    pairs = acc.pairs

    for (src_b, query_b), stamps in raw.items():
        src = src_b.decode("utf-8", "replace")
        name = query_b.decode("utf-8", "replace").lower().rstrip(".")
        times = [float(t) for t in stamps]
        first, last = min(times), max(times)
        found = matcher.match_domain_bytes(query_b)
        if found is not None:
            refs = samples.pop((src_b, query_b), [])
            for indicator in found[1]:
                hits.add_raw(src, indicator, first, name, "domain", "dns", count=len(times), last=last)
                if refs:
                    agg = hits.hits[(src, indicator.kind.value, indicator.value, indicator.source)]
                    agg.samples.extend(refs[: MAX_SAMPLES - len(agg.samples)])
        if with_answers and query_b in answers_of:
            answers = tuple(a.decode() for a in answers_of[query_b].split(b","))
            acc.note_answers(name, answers)
            if matcher.has_ips:
                for answer in answers:
                    for indicator in matcher.match_ip(answer):
                        hits.add_raw(src, indicator, first, answer, "answer", "dns", count=len(times), last=last)
        key = (src, name)
        series = pairs.get(key)
        if series is None:
            series = pairs[key] = PairSeries()
            series.kinds.add("dns")
        series.extend(times)
        if first < acc.first_seen.get(name, float("inf")):
            acc.first_seen[name] = first
        acc.t_min = min(acc.t_min, first)
        acc.t_max = max(acc.t_max, last)
    raw.clear()
