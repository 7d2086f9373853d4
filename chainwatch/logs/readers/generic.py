"""Generic CSV / JSON-lines logs with a column mapping (``--map ts=time,src=client,domain=query``).

Without a mapping, common column names are recognised (timestamp/ts/time, src_ip/client/host,
query/domain/hostname, url, dest_ip, bytes_out/bytes_in, image/process, ja3).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from chainwatch.logs.readers.interface import MAX_LINE, Reader, json_object
from chainwatch.logs.record import KINDS, LogRecord
from chainwatch.logs.timeparse import parse_ts

TARGETS = ("ts", "src", "dst", "domain", "url", "path", "bytes_out", "bytes_in", "image", "kind", "ja3", "sha1",
           "user_agent", "port")

ALIASES: dict[str, tuple[str, ...]] = {
    "ts": ("ts", "timestamp", "time", "@timestamp", "datetime", "date", "event_time", "eventtime"),
    "src": ("src", "src_ip", "source_ip", "client", "client_ip", "clientip", "host", "hostname_src", "computer",
            "device", "source"),
    "dst": ("dst", "dst_ip", "dest_ip", "destination_ip", "server_ip", "remote_ip"),
    "domain": ("domain", "query", "qname", "query_name", "dns_query", "fqdn", "server_name", "sni", "dest_host",
               "destination_host", "hostname"),
    "url": ("url", "uri", "request_url", "full_url"),
    "bytes_out": ("bytes_out", "sent_bytes", "bytes_sent", "orig_bytes"),
    "bytes_in": ("bytes_in", "received_bytes", "bytes_received", "resp_bytes", "bytes"),
    "image": ("image", "process", "process_name", "app"),
    "kind": ("kind", "type", "event_type"),
    "ja3": ("ja3", "ja3_hash"),
    "sha1": ("sha1", "cert_sha1"),
    "user_agent": ("user_agent", "useragent", "ua"),
    "port": ("port", "dst_port", "dest_port"),
}


def parse_mapping(text: str | None) -> dict[str, str]:
    """``ts=time,src=client`` -> {"ts": "time", "src": "client"}; unknown targets are an error."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        target, sep, column = part.partition("=")
        target = target.strip()
        if not sep or target not in TARGETS:
            raise ValueError(f"bad --map entry {part!r}; targets: {', '.join(TARGETS)}")
        mapping[target] = column.strip()
    return mapping


def auto_mapping(columns: list[str]) -> dict[str, str]:
    lower = {c.lower(): c for c in columns}
    out: dict[str, str] = {}
    for target, names in ALIASES.items():
        for name in names:
            if name in lower and lower[name] not in out.values():
                out[target] = lower[name]
                break
    return out


def _lookup(row: Mapping[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    value: Any = row  # dotted path into nested JSON
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def row_to_record(row: Mapping[str, Any], mapping: Mapping[str, str], ref: str) -> LogRecord | None:
    def get(target: str) -> str:
        column = mapping.get(target)
        value = _lookup(row, column) if column else None
        return "" if value is None else str(value)

    def num(target: str) -> int:
        try:
            return int(float(get(target) or 0))
        except ValueError:
            return 0

    url = get("url")
    domain = get("domain").lower().rstrip(".")
    path = get("path")
    if url and "://" in url:
        rest = url.split("://", 1)[1]
        host, _, tail = rest.partition("/")
        domain = domain or host.split(":", 1)[0].lower()
        path = path or "/" + tail.split("?", 1)[0]
    elif url.startswith("/"):
        path = path or url.split("?", 1)[0]
    kind = get("kind").lower()
    if kind not in KINDS:
        kind = "http" if url else ("dns" if domain else "conn")
    if not (domain or url or get("dst") or get("ja3") or get("sha1")):
        return None
    sha1 = get("sha1").lower()
    return LogRecord(ts=parse_ts(get("ts")), kind=kind, src=get("src"), dst_ip=get("dst"), dst_port=num("port"),
                     domain=domain, url=url, path=path, bytes_out=num("bytes_out"), bytes_in=num("bytes_in"),
                     image=get("image"), ja3=get("ja3").lower(), cert_sha1=sha1, hashes=(sha1,) if sha1 else (),
                     user_agent=get("user_agent"), ref=ref)


class GenericReader(Reader):
    """CSV (comma, tab or semicolon, with a header row) or JSON lines."""

    name = "generic"
    priority = 90

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        self.mapping = dict(mapping or {})

    def sniff(self, head: bytes, name: str) -> bool:
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if first.startswith("{"):
            try:
                columns = list(json.loads(first))
            except ValueError:
                return False
        else:
            columns = _csv_columns(first)
        found = self.mapping or auto_mapping(columns)
        return "ts" in found and ("domain" in found or "url" in found or "dst" in found)

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        first = text.readline()
        if first.lstrip().startswith("{"):
            yield from self._json_lines(first, text, source)
            return
        dialect = _dialect(first)
        columns = next(csv.reader([first], dialect))
        mapping = self.mapping or auto_mapping(columns)
        reader = csv.DictReader(text, fieldnames=columns, dialect=dialect)
        for number, row in enumerate(reader, 2):
            if any(v is not None and len(v) > MAX_LINE for v in row.values() if isinstance(v, str)):
                continue
            record = row_to_record(row, mapping, f"{source}:{number}")
            if record is not None:
                yield record

    def _json_lines(self, first: str, rest: io.TextIOWrapper, source: str) -> Iterator[LogRecord]:
        mapping = self.mapping
        for number, line in enumerate(_chain([first], rest), 1):
            row = json_object(line) if len(line) <= MAX_LINE else None
            if row is None:
                continue
            if not mapping:
                mapping = auto_mapping(list(row))
            record = row_to_record(row, mapping, f"{source}:{number}")
            if record is not None:
                yield record


def _chain(*iterables: Any) -> Iterator[str]:
    for iterable in iterables:
        yield from iterable


def _dialect(first: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(first, delimiters=",\t;|")
    except csv.Error:
        return csv.excel


def _csv_columns(first: str) -> list[str]:
    try:
        return next(csv.reader([first], _dialect(first)))
    except (csv.Error, StopIteration):
        return []


READERS = [GenericReader()]
