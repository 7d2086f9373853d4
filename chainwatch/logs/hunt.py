"""Log hunting: stream every file, match indicators, score beacons, build the report.

Files (and byte ranges of large uncompressed Zeek dns logs and Suricata EVE files; gzip'd files go whole to
one worker each) are work units pulled from a queue by ``fork``ed workers: the compiled matcher is inherited
copy-on-write instead of pickled per task, each worker accumulates all its units into one set of compact
aggregates (hit table, per-pair series) and sends it back once, so the parent merges one result per worker.
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing
import os
import queue
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.logs import fastdns
from chainwatch.logs.beacon import Beacon, PairAccumulator, score_pairs
from chainwatch.logs.domains import PeriodicAllowList
from chainwatch.logs.hits import HitTable
from chainwatch.logs.match import LogMatcher
from chainwatch.logs.readers import detect, open_log, read_head, reader_by_name
from chainwatch.logs.readers.generic import GenericReader
from chainwatch.logs.readers.interface import LogFormatError, Reader
from chainwatch.logs.record import LogRecord
from chainwatch.streams import stream_compression

# uncompressed Zeek dns logs and EVE files larger than this are cut into ranges of half this size; small
# ranges keep both workers busy to the end (they pull ranges from a queue), and the cut does not depend on
# the number of workers, so any --jobs gives the same report
SPLIT_BYTES = 32 << 20

try:  # the EVE fast path needs msgspec; without it EVE files go through the JSON reader
    from chainwatch.logs import fasteve
except ImportError:  # pragma: no cover - msgspec is a declared dependency
    fasteve = None  # type: ignore[assignment]

_MATCHER: LogMatcher | None = None  # set in the parent before the pool forks


@dataclass
class HuntOptions:
    jobs: int = 0  # 0 = one per core, 1 = in-process
    mapping: dict[str, str] = field(default_factory=dict)  # generic CSV/JSONL column mapping
    force_format: str | None = None
    fast_path: bool = True
    beacons: bool = True
    include_allowlisted: bool = False
    max_beacon_findings: int = 200


@dataclass
class Partial:
    hits: HitTable = field(default_factory=HitTable)
    pairs: PairAccumulator = field(default_factory=PairAccumulator)
    records: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (path, message, kind)

    def merge(self, other: Partial) -> None:
        self.hits.merge(other.hits)
        self.pairs.merge(other.pairs)
        self.records += other.records
        self.kinds.update(other.kinds)
        self.formats.update(other.formats)
        self.errors.extend(other.errors)


@dataclass
class HuntResult:
    partial: Partial
    beacons: list[Beacon]
    seconds: float
    files: int


@dataclass(frozen=True)
class WorkUnit:
    path: str
    reader: str
    start: int = 0
    end: int | None = None
    fast: bool = False
    beacons: bool = True


def feed(record: LogRecord, matcher: LogMatcher, part: Partial, beacons: bool = True) -> None:
    """Match one record and add it to the beacon series."""
    part.records += 1
    part.kinds[record.kind] += 1
    for match in matcher.match(record):
        part.hits.add(record, match)
    if not beacons:
        return
    kind = record.kind
    if kind == "dns":
        if record.answers:
            part.pairs.note_answers(record.domain, record.answers)
        part.pairs.add(record.src, record.domain, record.ts, "dns", 0, record.image)
    elif kind in ("http", "tls"):
        part.pairs.add(record.src, record.domain or record.dst_ip, record.ts, kind, record.bytes_out + record.bytes_in,
                       record.image, record.dst_port)
    elif kind == "conn":
        part.pairs.add(record.src, record.domain or record.dst_ip, record.ts, "conn", record.bytes_out, record.image,
                       record.dst_port)


def _reader_for(unit: WorkUnit, mapping: dict[str, str]) -> Reader:
    if unit.reader == "generic":
        return GenericReader(mapping)
    return reader_by_name(unit.reader)


def run_unit(unit: WorkUnit, mapping: dict[str, str] | None = None, part: Partial | None = None) -> Partial:
    """Read one unit into ``part`` (a fresh one when None): workers keep one Partial for all their units."""
    matcher = _MATCHER
    assert matcher is not None, "matcher not initialised"
    part = part if part is not None else Partial()
    part.formats[unit.reader] += 1
    name = Path(unit.path).name
    try:
        with open_log(unit.path) as stream:
            if unit.fast and unit.reader == "suricata-eve" and fasteve is not None:
                if unit.start:  # ranges exist only for uncompressed files
                    stream.seek(unit.start)
                fasteve.scan_eve(stream, matcher, part, name, unit.start, unit.end, 1 if unit.start == 0 else None,
                                 unit.beacons)
            elif unit.fast:
                separator, fields, _path, header_len, header_lines = fastdns.read_header(stream)
                layout = fastdns.TsvLayout.from_fields(fields, separator)
                if layout is None:
                    raise LogFormatError("Zeek dns log without ts/id.orig_h/query columns")
                start = max(unit.start, header_len)
                stream.seek(start)
                line_base = header_lines + 1 if unit.start == 0 else None
                rows = fastdns.scan_dns(stream, layout, matcher, part.pairs, part.hits, name, start, unit.end,
                                        line_base, unit.beacons)
                part.records += rows
                part.kinds["dns"] += rows
            else:
                for record in _reader_for(unit, mapping or {}).records(stream, name):
                    feed(record, matcher, part, unit.beacons)
    except (LogFormatError, OSError, EOFError, ValueError, UnicodeError, csv.Error) as exc:
        part.errors.append((unit.path, f"{type(exc).__name__}: {exc}", "unreadable"))
    except (RecursionError, MemoryError, OverflowError, KeyError, IndexError, TypeError) as exc:
        # a hostile file must never take the hunt down: report it and keep what was read before it
        part.errors.append((unit.path, f"reader failed: {type(exc).__name__}: {exc}", "error"))
    return part


def _worker(tasks: Any, results: Any, mapping: dict[str, str]) -> None:
    """Pull units until the sentinel, accumulating into one Partial, then send it back once: the parent
    merges one result per worker (bounded memory however many units a big file splits into)."""
    part = Partial()
    while (unit := tasks.get()) is not None:
        run_unit(unit, mapping, part)
    results.put(part)


def _run_parallel(units: list[WorkUnit], jobs: int, mapping: dict[str, str], total: Partial) -> None:
    context = multiprocessing.get_context("fork")  # the matcher is inherited, not pickled
    tasks = context.Queue()
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(tasks, results, mapping), daemon=True) for _ in range(jobs)]
    for worker in workers:
        worker.start()
    for unit in units:
        tasks.put(unit)
    for _ in workers:
        tasks.put(None)
    received = 0
    while received < len(workers):
        try:
            part = results.get(timeout=1.0)
        except queue.Empty:
            if not any(w.is_alive() for w in workers) and results.empty():
                total.errors.append(("hunt-logs", f"{len(workers) - received} worker(s) died (out of memory?); "
                                     "their files are missing from this report", "error"))
                break
            continue
        total.merge(part)
        received += 1
    for worker in workers:
        worker.join(timeout=5)


def plan(paths: Sequence[str | Path], options: HuntOptions) -> tuple[list[WorkUnit], list[tuple[str, str, str]]]:
    """Expand directories, detect formats, split big Zeek dns logs into byte ranges."""
    units: list[WorkUnit] = []
    errors: list[tuple[str, str, str]] = []
    extra: tuple[Reader, ...] = (GenericReader(options.mapping),) if options.mapping else ()
    for path in _expand(paths):
        try:
            head = read_head(path)
        except (OSError, EOFError, ValueError) as exc:
            errors.append((str(path), f"cannot open: {exc}", "unreadable"))
            continue
        if options.force_format:
            reader: Reader | None = GenericReader(options.mapping) if options.force_format == "generic" else \
                reader_by_name(options.force_format)
        else:
            reader = detect(head, str(path), extra)
        if reader is None:
            errors.append((str(path), "unrecognised log format (use --format or --map)", "unreadable"))
            continue
        fast = options.fast_path and ((reader.name == "suricata-eve" and fasteve is not None) or
                                      (reader.name == "zeek-tsv" and _is_zeek_dns(head, str(path))))
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            compressed = bool(stream_compression(fh.read(8)))
        if fast and not compressed and size > SPLIT_BYTES:
            units.extend(_split(str(path), size, options.beacons, reader.name))
        else:
            units.append(WorkUnit(str(path), reader.name, fast=fast, beacons=options.beacons))
    return units, errors


def _is_zeek_dns(head: bytes, name: str) -> bool:
    import io

    _sep, fields, path, _len, _lines = fastdns.read_header(io.BytesIO(head))
    if fastdns.TsvLayout.from_fields(fields) is None:
        return False
    return path == "dns" or (not path and "query" in fields and "qtype" in fields)


def _split(path: str, size: int, beacons: bool, reader: str = "zeek-tsv") -> list[WorkUnit]:
    """Byte ranges starting at line boundaries (only the first knows its line numbers; later ranges refer
    to lines by byte offset). The search for each line end reads 64 KiB at a time: bounded memory."""
    cuts = [0]
    step = max(1, SPLIT_BYTES // 2)
    with open(path, "rb") as fh:
        position = step
        while position < size:
            cut = _next_line(fh, position)
            if cut is None or cut >= size:
                break
            cuts.append(cut)
            position = cut + step
    cuts.append(size)
    return [WorkUnit(path, reader, start, end, fast=True, beacons=beacons)
            for start, end in itertools.pairwise(cuts)]


def _next_line(fh: Any, position: int) -> int | None:
    """Offset just after the first newline at or after ``position``; None at EOF."""
    fh.seek(position)
    while chunk := fh.read(1 << 16):
        newline = chunk.find(b"\n")
        if newline >= 0:
            return position + newline + 1
        position += len(chunk)
    return None


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


def hunt(paths: Sequence[str | Path], matcher: LogMatcher, options: HuntOptions | None = None,
         allow: PeriodicAllowList | None = None) -> HuntResult:
    """Read every log, match, and score beacons. Pure function of its inputs (no store access)."""
    global _MATCHER
    options = options or HuntOptions()
    started = time.monotonic()
    units, errors = plan(paths, options)
    total = Partial()
    total.errors.extend(errors)
    _MATCHER = matcher
    jobs = options.jobs or os.cpu_count() or 1
    jobs = min(jobs, len(units)) or 1
    if jobs == 1:
        for unit in units:
            run_unit(unit, options.mapping, total)
    else:
        _run_parallel(units, jobs, options.mapping, total)
    beacons = score_pairs(total.pairs, allow) if options.beacons else []
    return HuntResult(total, beacons, time.monotonic() - started, len({u.path for u in units}))
