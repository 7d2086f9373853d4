"""Sysmon events exported as XML (``wevtutil qe /f:xml``, Event Viewer "Save as XML", evtx_dump -o xml).

Streams ``<Event>`` elements with iterparse and drops each one after use, so exports of any size read in
constant memory. DTDs are refused (no entity expansion from hostile files).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO, cast

from chainwatch.logs.readers._sysmon_common import SYSMON_PROVIDER, sysmon_record
from chainwatch.logs.readers.interface import LogFormatError, Reader
from chainwatch.logs.record import LogRecord


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def event_to_record(event: ET.Element, ref: str) -> LogRecord | None:
    """One ``<Event>`` element (any namespace) -> ``LogRecord`` for Sysmon events 1/3/22."""
    provider = ""
    event_id = 0
    computer = ""
    system_time = ""
    data: dict[str, str] = {}
    for child in event:
        name = _local(child.tag)
        if name == "System":
            for item in child:
                item_name = _local(item.tag)
                if item_name == "Provider":
                    provider = item.get("Name", "")
                elif item_name == "EventID":
                    try:
                        event_id = int((item.text or "0").strip())
                    except ValueError:
                        event_id = 0
                elif item_name == "Computer":
                    computer = (item.text or "").strip()
                elif item_name == "TimeCreated":
                    system_time = item.get("SystemTime", "")
        elif name == "EventData":
            for item in child:
                if _local(item.tag) == "Data" and item.get("Name"):
                    data[item.get("Name", "")] = item.text or ""
    if provider and provider != SYSMON_PROVIDER:
        return None
    return sysmon_record(event_id, data, computer, system_time, ref)


class SysmonXmlReader(Reader):
    name = "sysmon-xml"
    priority = 12

    def sniff(self, head: bytes, name: str) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf \r\n\t")
        return text.startswith(b"<") and b"<Event" in head and b"Sysmon" in head

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        depth = 0
        count = 0
        while True:
            chunk = stream.read(1 << 16)
            if not chunk:
                break
            if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
                raise LogFormatError("XML with a DTD refused")
            parser.feed(chunk)
            # only start/end events are requested: each is (kind, Element), never a namespace/comment event
            events = cast("Iterator[tuple[str, ET.Element]]", parser.read_events())
            for kind, element in events:
                if kind == "start":
                    depth += 1
                    continue
                depth -= 1
                if _local(element.tag) == "Event":
                    count += 1
                    record = event_to_record(element, f"{source}#{count}")
                    element.clear()
                    if record is not None:
                        yield record
        try:
            parser.close()
        except ET.ParseError:
            pass


READERS = [SysmonXmlReader()]
