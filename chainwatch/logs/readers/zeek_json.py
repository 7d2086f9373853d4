"""Zeek JSON logs (``LogAscii::use_json=T``): one object per line with dotted ``id.orig_h`` keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from chainwatch.logs.readers._zeek_common import infer_path, zeek_record
from chainwatch.logs.readers.interface import Reader, json_objects
from chainwatch.logs.record import LogRecord


class ZeekJsonReader(Reader):
    name = "zeek-json"
    priority = 20

    def sniff(self, head: bytes, name: str) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        return first.startswith(b"{") and b'"ts"' in first and (b'"id.orig_h"' in first or b'"_path"' in first
                                                                  or b'"fuid"' in first)

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        for number, row in json_objects(stream):
            path = str(row.get("_path") or "") or infer_path(row, source)
            record = zeek_record(path, row, f"{source}:{number}")
            if record is not None:
                yield record


READERS = [ZeekJsonReader()]
