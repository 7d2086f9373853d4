"""Sysmon events exported as JSON lines or a JSON array, in the shapes common tools write.

* evtx_dump / the ``evtx`` Python package: ``{"Event": {"System": {...}, "EventData": {...}}}``
* Winlogbeat / Elastic Agent: ``{"winlog": {"event_id": 22, "computer_name": ..., "event_data": {...}}}``
* flat exports (NXLog, ``Get-WinEvent | ConvertTo-Json`` flattened): ``{"EventID": 22, "QueryName": ...}``
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from chainwatch.logs.readers._sysmon_common import SYSMON_PROVIDER, sysmon_record
from chainwatch.logs.readers.interface import Reader, json_objects
from chainwatch.logs.record import LogRecord

MAX_ARRAY_BYTES = 256 * 1024 * 1024  # a single JSON array document is read whole; bigger ones are refused


def _int(value: Any) -> int:
    if isinstance(value, dict):  # evtx_dump: {"#text": 22, "#attributes": {...}}
        value = value.get("#text")
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def json_event_to_record(obj: dict[str, Any], ref: str) -> LogRecord | None:
    if isinstance(obj.get("Event"), dict):
        event = obj["Event"]
        system = event.get("System") or {}
        provider = ((system.get("Provider") or {}).get("#attributes") or {}).get("Name", "")
        if provider and provider != SYSMON_PROVIDER:
            return None
        data = event.get("EventData") or {}
        created = ((system.get("TimeCreated") or {}).get("#attributes") or {}).get("SystemTime", "")
        return sysmon_record(_int(system.get("EventID")), data if isinstance(data, dict) else {},
                             str(system.get("Computer") or ""), created, ref)
    if isinstance(obj.get("winlog"), dict):
        winlog = obj["winlog"]
        provider = str(winlog.get("provider_name") or "")
        if provider and provider != SYSMON_PROVIDER:
            return None
        return sysmon_record(_int(winlog.get("event_id")), winlog.get("event_data") or {},
                             str(winlog.get("computer_name") or ""), str(obj.get("@timestamp") or ""), ref)
    if "EventID" in obj or "EventId" in obj or "Id" in obj:
        provider = str(obj.get("ProviderName") or obj.get("SourceName") or "")
        if provider and provider != SYSMON_PROVIDER:
            return None
        event_id = _int(obj.get("EventID", obj.get("EventId", obj.get("Id"))))
        event_data = obj.get("EventData")
        data = event_data if isinstance(event_data, dict) else obj
        computer = str(obj.get("Computer") or obj.get("Hostname") or obj.get("MachineName") or "")
        return sysmon_record(event_id, data, computer, str(obj.get("EventTime") or obj.get("TimeCreated") or ""),
                             ref)
    return None


class SysmonJsonReader(Reader):
    name = "sysmon-json"
    priority = 14

    def sniff(self, head: bytes, name: str) -> bool:
        text = head.lstrip()
        if not text.startswith((b"{", b"[")):
            return False
        return b"Sysmon" in head or (b'"QueryName"' in head or b'"DestinationIp"' in head) or (
            b'"winlog"' in head and b'"event_data"' in head)

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        first = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        if first.lstrip().startswith(b"["):
            blob = stream.read(MAX_ARRAY_BYTES + 1)
            if len(blob) > MAX_ARRAY_BYTES:
                raise ValueError("JSON array export over 256 MiB; export as JSON lines instead")
            items = json.loads(blob)
            for number, obj in enumerate(items if isinstance(items, list) else [], 1):
                if isinstance(obj, dict):
                    record = json_event_to_record(obj, f"{source}#{number}")
                    if record is not None:
                        yield record
            return
        for number, obj in json_objects(stream):
            record = json_event_to_record(obj, f"{source}:{number}")
            if record is not None:
                yield record


READERS = [SysmonJsonReader()]
