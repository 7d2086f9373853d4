"""Sysmon events from Windows EVTX files.

Uses the Rust-backed ``evtx`` package when installed (an order of magnitude faster) and falls back to the
pure-Python ``python-evtx``. Both parse the binary XML themselves; nothing of the file is executed.
"""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from chainwatch.logs.readers.interface import LogFormatError, Reader
from chainwatch.logs.readers.sysmon_json import json_event_to_record
from chainwatch.logs.readers.sysmon_xml import event_to_record
from chainwatch.logs.record import LogRecord
from chainwatch.streams import is_decompressing_reader

EVTX_MAGIC = b"ElfFile\x00"


def _rust_records(path: str, source: str) -> Iterator[LogRecord]:
    from evtx import PyEvtxParser  # type: ignore[import-not-found]

    parser = PyEvtxParser(path)
    for item in parser.records_json():
        if item is None:  # the stub types ``__next__`` as Optional (PyO3's end of iteration): never yielded
            continue
        try:
            obj = json.loads(item["data"])
        except (ValueError, KeyError, TypeError):
            continue
        record = json_event_to_record(obj, f"{source}#{item.get('event_record_id', 0)}")
        if record is not None:
            yield record


def _python_records(path: str, source: str) -> Iterator[LogRecord]:
    from Evtx.Evtx import Evtx  # type: ignore[import-untyped]

    with Evtx(path) as log:
        for item in log.records():
            try:
                element = ET.fromstring(item.xml())
            except Exception:
                continue
            record = event_to_record(element, f"{source}#{item.record_num()}")
            if record is not None:
                yield record


def backend() -> str:
    try:
        import evtx  # type: ignore[import-not-found] # noqa: F401
    except ImportError:
        return "python-evtx"
    return "evtx"


class SysmonEvtxReader(Reader):
    name = "sysmon-evtx"
    priority = 5

    def __init__(self, prefer: str | None = None) -> None:
        self.prefer = prefer

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(EVTX_MAGIC)

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        path = getattr(stream, "name", None)
        temp: str | None = None
        if not isinstance(path, str) or not os.path.isfile(path) or _is_compressed(stream):
            # a gzip'd EVTX: both parsers want a seekable file, so spool it to a private temp file
            handle, temp = tempfile.mkstemp(suffix=".evtx")
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(1 << 20):
                    out.write(chunk)
            path = temp
        try:
            use = self.prefer or backend()
            reader = _rust_records if use == "evtx" else _python_records
            try:
                yield from reader(path, source)
            except (OSError, RuntimeError, ValueError) as exc:
                raise LogFormatError(f"EVTX parse failed: {exc}") from exc
        finally:
            if temp:
                os.unlink(temp)


def _is_compressed(stream: BinaryIO) -> bool:
    return is_decompressing_reader(stream)


READERS = [SysmonEvtxReader()]
