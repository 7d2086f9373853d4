"""A minimal EVTX writer for test data: Sysmon events in the Windows XML Event Log (EVTX) binary format.

Layout (as documented by libevtx and implemented by python-evtx and the Rust ``evtx`` crate): a 4 KiB file
header ("ElfFile"), then 64 KiB chunks ("ElfChnk") whose 512-byte header carries CRC32s of itself and of
the record data; each record ("**") holds binary XML. Each record here carries its own resident template
with the whole event as static content and no substitutions: valid binary XML that both parsers read,
written without a template cache. Element and attribute names are inline name strings.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

CHUNK_SIZE = 0x10000
CHUNK_HEADER = 0x200
FILE_HEADER = 0x1000
EPOCH_AS_FILETIME = 116444736000000000

Event = tuple[int, str, float, Sequence[tuple[str, str]]]  # (event id, computer, epoch ts, EventData items)
# An element: (name, attributes, text, children).
_Node = tuple[str, Sequence[tuple[str, str]], str | None, Sequence["_Node"]]


def _name(text: str, offset: int) -> tuple[bytes, int]:
    """(name offset field + inline name string) for a name placed right at ``offset`` in the chunk."""
    encoded = text.encode("utf-16-le")
    string_hash = 0
    for ch in text:  # the hash is not checked by readers; keep the documented algorithm anyway
        string_hash = (string_hash * 65599 + ord(ch)) & 0xFFFF
    body = struct.pack("<IHH", 0, string_hash, len(text)) + encoded + b"\x00\x00"
    return struct.pack("<I", offset + 4) + body, offset + 4 + len(body)


class _Builder:
    """Binary XML for one element tree, laid out at a known chunk offset (names are inline)."""

    def __init__(self, base: int) -> None:
        self.out = bytearray()
        self.base = base

    @property
    def pos(self) -> int:
        return self.base + len(self.out)

    def text(self, value: str) -> None:
        encoded = value.encode("utf-16-le")
        self.out += b"\x05\x01" + struct.pack("<H", len(value)) + encoded

    def element(self, name: str, attributes: Sequence[tuple[str, str]] = (), text: str | None = None,
                children: Sequence[_Node] = ()) -> None:
        start = len(self.out)
        self.out += bytes([0x41 if attributes else 0x01]) + b"\xff\xff" + b"\x00\x00\x00\x00"
        name_bytes, _ = _name(name, self.pos)
        self.out += name_bytes
        if attributes:
            size_at = len(self.out)
            self.out += b"\x00\x00\x00\x00"
            attr_start = len(self.out)
            for attr_name, attr_value in attributes:
                self.out += b"\x06"
                attr_bytes, _ = _name(attr_name, self.pos)
                self.out += attr_bytes
                self.text(attr_value)
            struct.pack_into("<I", self.out, size_at, len(self.out) - attr_start)
        if text is None and not children:
            self.out += b"\x03"  # close empty element
        else:
            self.out += b"\x02"  # close start element
            if text is not None:
                self.text(text)
            for child_name, child_attrs, child_text, grandchildren in children:
                self.element(child_name, child_attrs, child_text, grandchildren)
            self.out += b"\x04"  # close element
        struct.pack_into("<I", self.out, start + 3, len(self.out) - start - 7)


def _event_tree(record_id: int, event: Event) -> _Node:
    event_id, computer, ts, data = event
    from datetime import UTC, datetime

    system_time = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    system: list[_Node] = [
        ("Provider", [("Name", "Microsoft-Windows-Sysmon"), ("Guid", "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}")],
         None, []),
        ("EventID", [], str(event_id), []),
        ("Version", [], "5", []),
        ("Level", [], "4", []),
        ("Task", [], str(event_id), []),
        ("Opcode", [], "0", []),
        ("Keywords", [], "0x8000000000000000", []),
        ("TimeCreated", [("SystemTime", system_time)], None, []),
        ("EventRecordID", [], str(record_id), []),
        ("Correlation", [], None, []),
        ("Execution", [("ProcessID", "3216"), ("ThreadID", "4424")], None, []),
        ("Channel", [], "Microsoft-Windows-Sysmon/Operational", []),
        ("Computer", [], computer, []),
        ("Security", [("UserID", "S-1-5-18")], None, []),
    ]
    event_data: list[_Node] = [("Data", [("Name", key)], value, []) for key, value in data]
    return ("Event", [("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")], None,
            [("System", [], None, system), ("EventData", [], None, event_data)])


def _record(record_id: int, event: Event, offset: int) -> bytes:
    """One event record placed at chunk ``offset``: header, fragment, resident template, no substitutions."""
    xml_start = offset + 24
    head = bytearray(b"\x0f\x01\x01\x00")  # fragment header
    template_offset = xml_start + len(head) + 10
    head += b"\x0c\x01" + struct.pack("<II", record_id, template_offset)
    body = _Builder(template_offset + 24 + 4)
    name, attrs, text, children = _event_tree(record_id, event)
    body.element(name, attrs, text, children)
    template_body = b"\x0f\x01\x01\x00" + bytes(body.out) + b"\x00"
    guid = struct.pack("<I", record_id) + bytes(12)
    template = struct.pack("<I", 0) + guid + struct.pack("<I", len(template_body)) + template_body
    xml = bytes(head) + template + struct.pack("<I", 0)  # zero substitutions
    size = 24 + len(xml) + 4
    filetime = int(event[2] * 10_000_000) + EPOCH_AS_FILETIME
    return struct.pack("<4sIQQ", b"**\x00\x00", size, record_id, filetime) + xml + struct.pack("<I", size)


def _chunk(records: list[bytes], first_id: int, last_offset: int) -> bytes:
    data = b"".join(records)
    chunk = bytearray(CHUNK_SIZE)
    chunk[CHUNK_HEADER:CHUNK_HEADER + len(data)] = data
    last_id = first_id + len(records) - 1
    free = CHUNK_HEADER + len(data)
    struct.pack_into("<8sQQQQIII", chunk, 0, b"ElfChnk\x00", first_id, last_id, first_id, last_id, 0x80,
                     last_offset, free)
    struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[CHUNK_HEADER:free]))
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:CHUNK_HEADER])))
    return bytes(chunk)


def write_evtx(path: str | Path, events: Iterable[Event]) -> int:
    """Write ``events`` as a Sysmon Operational EVTX file; returns the number of records."""
    chunks: list[bytes] = []
    records: list[bytes] = []
    offset = CHUNK_HEADER
    last_offset = CHUNK_HEADER
    record_id = 0
    first_in_chunk = 1
    for event in events:
        record_id += 1
        record = _record(record_id, event, offset)
        if offset + len(record) > CHUNK_SIZE:
            chunks.append(_chunk(records, first_in_chunk, last_offset))
            records, offset, first_in_chunk = [], CHUNK_HEADER, record_id
            record = _record(record_id, event, offset)
            if offset + len(record) > CHUNK_SIZE:
                raise ValueError("event too large for one EVTX chunk")
        records.append(record)
        last_offset = offset
        offset += len(record)
    if records:
        chunks.append(_chunk(records, first_in_chunk, last_offset))
    header = bytearray(FILE_HEADER)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\x00", 0, max(0, len(chunks) - 1), record_id + 1, 0x80, 1,
                     3, FILE_HEADER, len(chunks))
    struct.pack_into("<I", header, 120, 0)  # flags: clean
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    with open(path, "wb") as out:
        out.write(header)
        for chunk in chunks:
            out.write(chunk)
    return record_id
