"""Bytes-level fast path for Zeek TSV dns logs, the bulk of any DNS hunt.

Match-only: one compiled regex per file layout pulls the query column out of whole 8 MiB blocks in C and
each block's distinct names are matched. With beacons, numpy parses each block: one pass finds every
separator and newline, cells are gathered as 8-byte words, the client and query cells are hashed (64-bit
multilinear hash; a collision, about n**2 / 2**56 for n distinct pairs, would merge two pairs' series),
timestamps are parsed exactly, and (pair id, time) go to the accumulator's columnar ``BulkPairs``. Python
runs once per new client, query or pair, never per row; raw line numbers are recovered only for hit rows.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import BinaryIO

import numpy as np

from chainwatch.intel.model import Indicator
from chainwatch.logs.beacon import MAX_PAIRS, BulkPairs, PairAccumulator, PairSeries
from chainwatch.logs.hits import MAX_SAMPLES, HitTable, hit_key
from chainwatch.logs.match import LogMatcher

BLOCK = 8 << 20
MEMO_LIMIT = 4_000_000  # hash -> id memo entries per worker before the memo is rebuilt
FLUSH_ROWS = 4_000_000
MISS_LIMIT = 1 << 20  # query names known not to match, remembered per scan (match-only)


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
    """(offset, block of whole lines) over [start, end); ``end`` None reads to EOF (compressed input).

    One copy per block at most. A line longer than a block (hostile or corrupt) is not buffered: it comes
    out as an empty line, so memory stays bounded and line numbers after it stay exact."""
    pending = b""
    pending_at = start  # file offset of pending's first byte
    position = start  # file offset of the next byte read
    overlong = False  # inside a line longer than BLOCK: drop its bytes until its newline
    remaining = None if end is None else end - start
    while True:
        size = BLOCK if remaining is None else min(BLOCK, remaining)
        chunk = stream.read(size) if size else b""
        chunk_at = position
        position += len(chunk)
        if remaining is not None:
            remaining -= len(chunk)
        if not chunk:
            if overlong:
                yield pending_at, b"\n"
            elif pending:
                yield pending_at, pending if pending.endswith(b"\n") else pending + b"\n"
            return
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            if overlong or len(pending) + len(chunk) > BLOCK:
                overlong, pending = True, b""
            else:
                pending += chunk
            continue
        if overlong:
            first = chunk.find(b"\n") + 1
            yield pending_at, b"\n"  # the over-long line, emptied
            overlong = False
            data, data_at = chunk[first:cut], chunk_at + first
        else:
            data = b"".join((pending, memoryview(chunk)[:cut])) if pending or cut < len(chunk) else chunk
            data_at = pending_at
        if data:
            yield data_at, data
        pending, pending_at = chunk[cut:], chunk_at + cut


def scan_dns(stream: BinaryIO, layout: TsvLayout, matcher: LogMatcher, acc: PairAccumulator, hits: HitTable,
             source: str, start: int = 0, end: int | None = None, line_base: int | None = None,
             beacons: bool = True) -> int:
    """Scan [start, end) of a Zeek dns log; returns the number of rows. Line numbers are exact when the
    caller passes the line number of ``start`` (``line_base``), else refs carry the byte offset.

    Match-only (``beacons=False``): one regex pulls the query column out of each block in C, the block's
    distinct names are matched, and only lines holding a hit name are parsed. With beacons every row is
    split once and its timestamp filed under (client, query)."""
    if not beacons:
        return _scan_matches(stream, layout, matcher, hits, source, start, end, line_base)
    if len(layout.separator) == 1 and layout.fields:
        return _scan_dns_np(stream, layout, matcher, acc, hits, source, start, end, line_base)
    sep = layout.separator
    q_i, src_i, ts_i = layout.query, layout.src, layout.ts
    width = max(q_i, src_i, ts_i) + 1
    raw: dict[tuple[bytes, bytes], list[bytes]] = {}
    answers_of: dict[bytes, bytes] = {}
    hit_names: dict[bytes, str] = {}
    samples: dict[tuple[bytes, bytes], list[str]] = {}
    rows = 0
    pending = 0
    match_b = matcher.match_domain_bytes
    lines_before = 0
    answers_i = layout.answers
    for offset, data in blocks(stream, start, end):
        if b"\n#" in data or data.startswith(b"#"):
            data = _COMMENTS.sub(b"", data)
        lines = data.split(b"\n")
        lines.pop()  # blocks end with a newline
        rows += len(lines)
        pending += len(lines)
        get = raw.get
        for line in lines:
            cells = line.split(sep, width)
            try:
                key = (cells[src_i], cells[q_i])
            except IndexError:
                rows -= 1
                continue
            bucket = get(key)
            if bucket is None:
                bucket = raw[key] = []
                query = key[1]
                if match_b(query) is not None:
                    hit_names[query] = ""
                if answers_i is not None and query not in answers_of:
                    full = line.split(sep)
                    if len(full) > answers_i and full[answers_i] not in (b"-", b"(empty)"):
                        answers_of[query] = full[answers_i]
            bucket.append(cells[ts_i])
        if hit_names:
            _sample_lines(data, hit_names, samples, source, offset, line_base, lines_before, layout)
        if line_base is not None:
            lines_before += len(lines)
        if pending >= FLUSH_ROWS:
            _flush(raw, acc, matcher, hits, samples, answers_of, hit_names)
            pending = 0
    _flush(raw, acc, matcher, hits, samples, answers_of, hit_names)
    return rows


_COMMENTS = re.compile(rb"^#[^\n]*\n", re.M)


def _scan_matches(stream: BinaryIO, layout: TsvLayout, matcher: LogMatcher, hits: HitTable, source: str,
                  start: int, end: int | None, line_base: int | None) -> int:
    sep = re.escape(layout.separator)
    cell = rb"[^" + sep + rb"\n]*"
    # consuming the rest of the line lets the next match start right there (about 25% faster than a search)
    column = re.compile(rb"^(?!#)" + (cell + sep) * layout.query + b"(" + cell + rb")[^\n]*\n", re.M)
    match_b = matcher.match_domain_bytes
    width = len(layout.fields)
    vectorised = len(layout.separator) == 1 and width > layout.query
    misses = matcher.misses_b  # kept on the matcher: a worker's later ranges reuse what earlier ones learnt
    rows = 0
    lines_before = 0
    for offset, data in blocks(stream, start, end):
        # (rows, distinct query names): a list from numpy, a set from the regex
        distinct: tuple[int, Collection[bytes]] | None = (
            _query_names(data, width, layout.query, layout.separator[0]) if vectorised else None)
        regex = distinct is None
        if distinct is None:  # comments, malformed lines or an odd separator: the regex handles every line
            names = column.findall(data)
            rows += len(names)
            distinct = (len(names), set(names))
        else:
            rows += distinct[0]
        fresh = set(distinct[1]).difference(misses)  # in C: names already known to miss are skipped
        found = [n for n in fresh if match_b(n) is not None]
        if len(misses) > MISS_LIMIT:
            misses.clear()
        misses.update(fresh.difference(found))
        for name in found:
            _hit_lines(data, name, layout, matcher, hits, source, offset, line_base, lines_before)
        if line_base is not None:
            lines_before += data.count(b"\n") if regex else distinct[0]  # a regular block: one row per line
    return rows


MAX_NAME_CELL = 256  # a longer query cell (no DNS name is) sends the block to the regex path


def _query_names(data: bytes, width: int, query: int, sep: int) -> tuple[int, list[bytes]] | None:
    """(rows, distinct query names) of a block whose every line has exactly ``width`` cells, else None.

    numpy finds the cells, gathers each query cell as 8-byte words and hashes it; names are sliced once per
    distinct hash. Exact: every row is compared word for word with its hash group's first row, and a
    collision (or an over-long cell) returns None, so the caller's regex reads the block instead."""
    buf = np.frombuffer(data, dtype=np.uint8)
    parsed = _regular_rows(buf, width, sep)
    if parsed is None:
        return None
    starts, ends, grid = parsed
    if (buf[starts] == 35).any():  # a '#' line (comment) that happens to have ``width`` cells
        return None
    begin = starts if query == 0 else grid[:, query - 1] + 1
    finish = ends if query == width - 1 else grid[:, query]
    if int((finish - begin).max(initial=0)) > MAX_NAME_CELL:
        return None
    cells = _cells(_words(data), begin, finish)
    _unique, first, inverse = np.unique(_hash(cells, 1), return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not (cells == cells[first[inverse]]).all():
        return None  # two names share a hash in this block
    return len(starts), [data[b:e] for b, e in zip(begin[first].tolist(), finish[first].tolist(), strict=True)]


def _lines_with(data: bytes, name: bytes, layout: TsvLayout) -> Iterator[tuple[int, list[bytes]]]:
    """(line start offset, cells) of every line whose query column is exactly ``name``."""
    position = data.find(name)
    while position >= 0:
        line_start = data.rfind(b"\n", 0, position) + 1
        line_end = data.find(b"\n", position)
        cells = data[line_start:line_end].split(layout.separator)
        if len(cells) > layout.query and cells[layout.query] == name and not cells[0].startswith(b"#"):
            yield line_start, cells
        position = data.find(name, line_end)


def _ref(source: str, data: bytes, line_start: int, offset: int, line_base: int | None, lines_before: int) -> str:
    if line_base is not None:
        number = line_base + lines_before + data.count(b"\n", 0, line_start)
        return f"{source}:{number}"
    return f"{source}@{offset + line_start}"


def _hit_lines(data: bytes, name: bytes, layout: TsvLayout, matcher: LogMatcher, hits: HitTable, source: str,
               offset: int, line_base: int | None, lines_before: int) -> None:
    found = matcher.match_domain_bytes(name)
    assert found is not None
    text = name.decode("utf-8", "replace").lower().rstrip(".")
    for line_start, cells in _lines_with(data, name, layout):
        try:
            ts = float(cells[layout.ts])
        except ValueError:
            continue
        src = cells[layout.src].decode("utf-8", "replace")
        ref = _ref(source, data, line_start, offset, line_base, lines_before)
        for indicator in found[1]:
            hits.add_raw(src, indicator, ts, text, "domain", "dns", ref=ref)


def _sample_lines(data: bytes, hit_names: dict[bytes, str], samples: dict[tuple[bytes, bytes], list[str]],
                  source: str, offset: int, line_base: int | None, lines_before: int, layout: TsvLayout) -> None:
    """Raw references for hit names present in this block (rare: only blocks containing a hit name)."""
    for name in hit_names:
        if name not in data:
            continue
        for line_start, cells in _lines_with(data, name, layout):
            bucket = samples.setdefault((cells[layout.src], name), [])
            if len(bucket) >= MAX_SAMPLES:
                break
            bucket.append(_ref(source, data, line_start, offset, line_base, lines_before))


def _flush(raw: dict[tuple[bytes, bytes], list[bytes]], acc: PairAccumulator, matcher: LogMatcher, hits: HitTable,
           samples: dict[tuple[bytes, bytes], list[str]], answers_of: dict[bytes, bytes],
           hit_names: dict[bytes, str]) -> None:
    pairs = acc.pairs
    first_seen = acc.first_seen
    t_min, t_max = acc.t_min, acc.t_max
    for query_b, answers_b in answers_of.items():
        answers = tuple(a.decode("utf-8", "replace") for a in answers_b.split(b","))
        name = query_b.decode("utf-8", "replace").lower().rstrip(".")
        acc.note_answers(name, answers)
    for (src_b, query_b), stamps in raw.items():
        src = src_b.decode("utf-8", "replace")
        name = query_b.decode("utf-8", "replace").lower().rstrip(".")
        times = array("d", map(float, stamps))
        first, last = min(times), max(times)
        if query_b in hit_names:
            found = matcher.match_domain_bytes(query_b)
            if found is not None:
                refs = samples.pop((src_b, query_b), [])
                for indicator in found[1]:
                    hits.add_raw(src, indicator, first, name, "domain", "dns", count=len(times), last=last)
                    agg = hits.hits[(src, indicator.kind.value, indicator.value, indicator.source)]
                    agg.add_samples(refs)
        if matcher.has_ips and query_b in answers_of:
            for answer in answers_of[query_b].split(b","):
                for indicator in matcher.match_ip(answer.decode("utf-8", "replace")):
                    hits.add_raw(src, indicator, first, answer.decode(), "answer", "dns", count=len(times), last=last)
        key = (src, name)
        series = pairs.get(key)
        if series is None:
            if len(pairs) >= MAX_PAIRS:
                acc.dropped += len(times)
                continue
            series = pairs[key] = PairSeries()
            series.kinds.add("dns")
        acc.extend(series, times)
        if first < first_seen.get(name, float("inf")):
            first_seen[name] = first
        if first < t_min:
            t_min = first
        if last > t_max:
            t_max = last
    acc.t_min, acc.t_max = t_min, t_max
    raw.clear()
    answers_of.clear()


# -- numpy block parser (beacons on) ---------------------------------------------------------------------

_HASH_RNG = np.random.default_rng(0x5EED)
_WEIGHTS = (_HASH_RNG.integers(1, 2**63, size=(2, 64), dtype=np.int64).astype(np.uint64) | np.uint64(1))
MAX_CELL = 512  # cells wider than this (hostile input) are cut for hashing; the name itself is read in full


_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [2**64 - 1], dtype=np.uint64)


class _Words:
    """Unaligned little-endian uint64 views at every byte offset of ``data``: the plain view when a gather
    stays inside the block (no copy), a zero-padded copy only when a cell near the end needs it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.plain = np.ndarray(shape=(max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,)) \
            if len(data) >= 8 else np.zeros(0, dtype="<u8")
        self.padded: np.ndarray | None = None

    def reaching(self, last: int) -> np.ndarray:
        """A view where word offsets up to ``last`` are valid."""
        if last < len(self.plain):
            return self.plain
        if self.padded is None:
            padded = self.data + bytes(MAX_CELL + 16)
            self.padded = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
        return self.padded


def _words(data: bytes) -> _Words:
    return _Words(data)


def _cells(words: _Words, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Cells [starts, ends) as zero-padded rows of uint64 words (one gather of 8-byte words in C)."""
    lengths = np.minimum(ends - starts, MAX_CELL)
    count = max(1, (int(lengths.max(initial=1)) + 7) // 8)
    offsets = np.arange(count) * 8
    view = words.reaching(int(starts.max(initial=0)) + offsets[-1])
    out = view[starts[:, None] + offsets]
    out &= _MASKS[np.clip(lengths[:, None] - offsets, 0, 8)]
    return out


def _hash(cells: np.ndarray, which: int) -> np.ndarray:
    """64-bit multilinear hash of each row of a word matrix (random odd weights per 8-byte word)."""
    with np.errstate(over="ignore"):
        return (cells * _WEIGHTS[which][: cells.shape[1]]).sum(axis=1, dtype=np.uint64)


_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)


def _fixed_format(raw: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """The common case, every cell the same ``ddd.dddddd`` shape: one uint8 -> float matrix product."""
    size = int(lengths[0]) if len(lengths) else 0
    if not 0 < size <= 17 or (lengths != size).any():
        return None
    first = raw[0, :size].tobytes()
    dot = first.find(b".")
    if dot < 0 or first.count(b".") != 1 or (raw[:, dot] != 46).any():
        return None
    digits = raw[:, :size] - np.uint8(48)
    digits[:, dot] = 0
    if (digits > 9).any():
        return None
    total = np.zeros(len(raw), dtype=np.int64)
    for column in range(size):  # Horner over columns: exact int64
        if column != dot:
            total *= 10
            total += digits[:, column]
    if int(total.max()) >= 2**53:
        return None
    return total / 10.0 ** (size - 1 - dot)  # exact int / exact power of ten: correctly rounded, as float()


def _parse_floats(cells: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Timestamps from a word matrix. Plain decimals (digits, at most one dot, <= 15 digits: every Zeek
    ts) are parsed exactly in numpy: all digits as one int64 divided by 10**decimals is the correctly
    rounded double, the same as ``float()``. Anything else goes through numpy's parser, then ``float()``;
    unparsable cells become NaN (rows are then skipped)."""
    raw = np.ascontiguousarray(cells).view(np.uint8)
    width = raw.shape[1]
    lengths = np.minimum(lengths, width)
    fixed = _fixed_format(raw, lengths)
    if fixed is not None:
        return fixed
    position = np.arange(width)
    inside = position < lengths[:, None]
    dots = (raw == 46) & inside
    digit_values = raw - np.uint8(48)
    digits = (digit_values < 10) & inside
    dot_count = dots.sum(axis=1)
    plain = ((digits | dots) == inside).all(axis=1) & (dot_count <= 1) & (lengths - dot_count <= 15) & (lengths > 0)
    if plain.all():
        dot_at = np.where(dot_count == 1, dots.argmax(axis=1), lengths)
        exponent = lengths[:, None] - 1 - position - (position < dot_at[:, None]) * (dot_count[:, None] == 1)
        exponent = np.where(digits, exponent, 0)
        total = (np.where(digits, digit_values, 0).astype(np.int64) * _POW10[exponent]).sum(axis=1)
        decimals = np.where(dot_count == 1, lengths - dot_at - 1, 0)
        return total / _POW10[decimals].astype(np.float64)
    text = raw.view(f"S{width}").ravel()
    try:
        return text.astype(np.float64)
    except ValueError:
        out = np.full(len(text), np.nan)
        for i, value in enumerate(text.tolist()):
            try:
                out[i] = float(value)
            except ValueError:
                pass
        return out


@dataclass
class _PairState:
    """What the numpy scanner remembers across blocks: client and query hashes -> interned ids, and per
    query hash the indicators it hits (only hashes that hit are kept)."""

    pairs: dict[int, int] = field(default_factory=dict)  # (client, query) hash -> pair id (-1: untracked)
    src: dict[int, int] = field(default_factory=dict)  # client hash -> source id (-1: unset)
    dst: dict[int, int] = field(default_factory=dict)  # query hash -> destination id (-1: unset)
    hit_queries: dict[int, tuple[str, list[tuple[Indicator, str, str]]]] = field(default_factory=dict)


def _regular_rows(buf: np.ndarray, width: int, sep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(line starts, newline offsets, separator offsets as rows x (width-1)) when every line has exactly
    ``width`` cells, else None. One pass finds separators and newlines together; with a tab separator a
    single ``< 11`` test does it (other control bytes below 11 make the block irregular: slow filter)."""
    marks = np.flatnonzero(buf < 11) if sep == 9 else np.flatnonzero((buf == sep) | (buf == 10))
    if not len(marks) or len(marks) % width:
        return None
    grid = marks.reshape(-1, width)
    kinds = buf[grid]
    if (kinds[:, -1] != 10).any() or (kinds[:, :-1] != sep).any():
        return None
    newlines = grid[:, -1]
    starts = np.empty(len(newlines), dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    return starts, newlines, grid[:, :-1]


def _resolve(known: dict[int, int], hashes: np.ndarray, create: Callable[[int, int], int],
              rows: np.ndarray) -> np.ndarray:
    """Ids for hashes: known ones by one C-level map over the distinct hashes, new ones by ``create``."""
    unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    ids = np.array(list(map(known.get, unique.tolist(), repeat(-2))), dtype=np.int64)
    for slot in np.flatnonzero(ids == -2).tolist():
        ids[slot] = create(int(unique[slot]), int(rows[first[slot]]))
    return ids[inverse.ravel()]


def _source_id(state: _PairState, bulk: BulkPairs, data: bytes, src_hash: int, begin: int, end: int) -> int:
    found = state.src.get(src_hash)
    if found is None:
        src = data[begin:end].decode("utf-8", "replace")
        untracked = src in ("-", "") or (src not in bulk._src_ids and len(bulk.src_names) >= MAX_PAIRS)
        found = state.src[src_hash] = -1 if untracked else bulk.src_id(src)
    return found


def _destination_id(state: _PairState, acc: PairAccumulator, matcher: LogMatcher, layout: TsvLayout, data: bytes,
                    q_hash: int, row: int, starts: np.ndarray, ends: np.ndarray, grid: np.ndarray,
                    q_begin: np.ndarray, q_end: np.ndarray) -> int:
    """Destination id of a query; the first sight of a query also matches it and notes its answers."""
    found_id = state.dst.get(q_hash)
    if found_id is not None:
        return found_id
    query_b = data[q_begin[row]:q_end[row]]
    name = query_b.decode("utf-8", "replace").lower().rstrip(".")
    bulk = acc.bulk
    untracked = name in ("-", "") or (name not in bulk._dst_ids and len(bulk.dst_names) >= MAX_PAIRS)
    found_id = state.dst[q_hash] = -1 if untracked else bulk.dst_id(name)
    found: list[tuple[Indicator, str, str]] = []
    match = matcher.match_domain_bytes(query_b)
    if match is not None:
        found.extend((indicator, name, "domain") for indicator in match[1])
    answers_i = layout.answers
    if answers_i is not None:
        width = len(layout.fields)
        answers_b = data[(starts[row] if answers_i == 0 else grid[row, answers_i - 1] + 1):
                         (ends[row] if answers_i == width - 1 else grid[row, answers_i])]
        if answers_b not in (b"-", b"(empty)", b""):
            answers = tuple(a.decode("utf-8", "replace") for a in answers_b.split(b","))
            acc.note_answers(name, answers)
            if matcher.has_ips:
                for answer in answers:
                    found.extend((indicator, answer, "answer") for indicator in matcher.match_ip(answer))
    if found:
        state.hit_queries[q_hash] = (name, found)
    return found_id


def _scan_block_np(data: bytes, layout: TsvLayout, matcher: LogMatcher, acc: PairAccumulator, hits: HitTable,
                   state: _PairState, source: str, offset: int, line_base: int | None, lines_before: int,
                   line_numbers: np.ndarray | None, line_offsets: np.ndarray | None) -> int:
    """Parse one block of regular lines with numpy: returns the rows filed."""
    buf = np.frombuffer(data, dtype=np.uint8)
    width = len(layout.fields)
    parsed = _regular_rows(buf, width, layout.separator[0])
    if parsed is None:
        return -1
    starts, ends, grid = parsed
    if line_numbers is None and (buf[starts] == 35).any():
        return -1  # a comment line with ``width`` cells: the caller drops comments and retries

    def bounds(column: int) -> tuple[np.ndarray, np.ndarray]:
        begin = starts if column == 0 else grid[:, column - 1] + 1
        end = ends if column == width - 1 else grid[:, column]
        return begin, end

    words = _words(data)
    ts_begin, ts_end = bounds(layout.ts)
    times = _parse_floats(_cells(words, ts_begin, ts_end), ts_end - ts_begin)
    src_begin, src_end = bounds(layout.src)
    q_begin, q_end = bounds(layout.query)
    src_hash = _hash(_cells(words, src_begin, src_end), 0)
    query_hash = _hash(_cells(words, q_begin, q_end), 1)
    bulk = acc.bulk
    with np.errstate(over="ignore"):
        pair_hash = src_hash * np.uint64(0x9E3779B97F4A7C15) + query_hash
    unique, first_row, inverse = np.unique(pair_hash, return_index=True, return_inverse=True)
    ids = np.array(list(map(state.pairs.get, unique.tolist(), repeat(-2))), dtype=np.int64)
    missing = np.flatnonzero(ids == -2)
    if missing.size:  # pairs new to this process: resolve client and query ids (Python once per pair)
        rows = first_row[missing]
        src_ids = _resolve(state.src, src_hash[rows], lambda h, r: _source_id(
            state, bulk, data, h, int(src_begin[r]), int(src_end[r])), rows)
        dst_ids = _resolve(state.dst, query_hash[rows], lambda h, r: _destination_id(
            state, acc, matcher, layout, data, h, r, starts, ends, grid, q_begin, q_end), rows)
        packed = np.where((src_ids >= 0) & (dst_ids >= 0), src_ids << 32 | dst_ids, -1)
        index = bulk.index()
        resolved = np.array(list(map(index.get, packed.tolist(), repeat(-2))), dtype=np.int64)
        fresh = np.flatnonzero(resolved == -2)
        if fresh.size:
            resolved[fresh] = bulk.new_pairs(packed[fresh])
        ids[missing] = resolved
        state.pairs.update(zip(unique[missing].tolist(), resolved.tolist()))
    row_ids = ids[inverse.ravel()]
    good = ~np.isnan(times) & (times > 0)
    if not good.all():
        row_ids, times_ok = row_ids[good], times[good]
    else:
        times_ok = times
    acc.bulk.add(row_ids, times_ok)
    if times_ok.size:
        acc.t_min = min(acc.t_min, float(times_ok.min()))
        acc.t_max = max(acc.t_max, float(times_ok.max()))
    if state.hit_queries:
        _file_hits(data, layout, hits, state, source, offset, line_base, lines_before, line_numbers,
                   query_hash, times, src_begin, src_end, starts if line_offsets is None else line_offsets)
    return int(np.count_nonzero(good))


def _file_hits(data: bytes, layout: TsvLayout, hits: HitTable, state: _PairState, source: str, offset: int,
               line_base: int | None, lines_before: int, line_numbers: np.ndarray | None, query_hash: np.ndarray,
               times: np.ndarray, src_begin: np.ndarray, src_end: np.ndarray, starts: np.ndarray) -> None:
    """Hit rows of a block (rare): aggregated per (host, query), with up to MAX_SAMPLES line references."""
    known = np.fromiter(state.hit_queries.keys(), dtype=np.uint64, count=len(state.hit_queries))
    rows = np.flatnonzero(np.isin(query_hash, known) & ~np.isnan(times))
    if not rows.size:
        return
    groups: dict[tuple[bytes, int], list[int]] = {}
    for row in rows.tolist():
        groups.setdefault((data[src_begin[row]:src_end[row]], int(query_hash[row])), []).append(row)
    for (src_b, q_hash), members in groups.items():
        _name, found = state.hit_queries[q_hash]
        stamps = times[members]
        first, last = float(stamps.min()), float(stamps.max())
        src = src_b.decode("utf-8", "replace")
        refs = []
        for row in members[:MAX_SAMPLES]:
            if line_base is not None:
                line = int(line_numbers[row]) if line_numbers is not None else row
                refs.append(f"{source}:{line_base + lines_before + line}")
            else:
                refs.append(f"{source}@{offset + int(starts[row])}")
        for indicator, value, field_name in found:
            hits.add_raw(src, indicator, first, value, field_name, "dns", count=len(members), last=last)
            agg = hits.hits[hit_key(src, indicator)]
            agg.add_samples(refs)


def _scan_dns_np(stream: BinaryIO, layout: TsvLayout, matcher: LogMatcher, acc: PairAccumulator, hits: HitTable,
                 source: str, start: int, end: int | None, line_base: int | None) -> int:
    """Beacon-mode scan: per block, numpy finds the cells, hashes (client, query) to a pair id and files
    (pair id, time) into the accumulator's columnar store; Python runs once per new pair, never per row."""
    state = acc.bulk.scan_state.get(id(matcher))
    if state is not None and len(state.pairs) + len(state.dst) > MEMO_LIMIT:
        state = None  # only a memo (ids live in the accumulator): dropping it bounds memory on hostile logs
    if state is None:  # kept on the accumulator: a worker's later byte ranges reuse what earlier ones learnt
        state = acc.bulk.scan_state[id(matcher)] = _PairState()
    rows = 0
    lines_before = 0
    width = len(layout.fields)
    for offset, data in blocks(stream, start, end):
        filed = _scan_block_np(data, layout, matcher, acc, hits, state, source, offset, line_base,
                               lines_before, None, None)
        if filed < 0:  # comments or malformed lines: keep the well-formed ones, with their line numbers
            block, line_numbers, line_offsets = _regular_part(data, layout.separator, width)
            filed = _scan_block_np(block, layout, matcher, acc, hits, state, source, offset, line_base,
                                   lines_before, line_numbers, line_offsets) if block else 0
        rows += max(filed, 0)
        if line_base is not None:
            lines_before += data.count(b"\n")
    acc.bulk.compact()
    return rows


def _regular_part(data: bytes, separator: bytes, width: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Only the lines with exactly ``width`` cells (comments and malformed lines dropped), the index of
    each kept line within the block and its byte offset there (for exact references)."""
    lines = data.split(b"\n")
    lines.pop()
    kept = [i for i, line in enumerate(lines) if not line.startswith(b"#") and line.count(separator) == width - 1]
    if not kept:
        return b"", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    line_offsets = np.concatenate(([0], np.cumsum([len(line) + 1 for line in lines])[:-1]))
    index = np.array(kept, dtype=np.int64)
    return b"\n".join(lines[i] for i in kept) + b"\n", index, line_offsets[index]
