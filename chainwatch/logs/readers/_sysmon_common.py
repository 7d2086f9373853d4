"""Sysmon event semantics shared by the EVTX, XML and JSON readers (events 1, 3 and 22)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainwatch.logs.record import LogRecord
from chainwatch.logs.timeparse import parse_ts

SYSMON_PROVIDER = "Microsoft-Windows-Sysmon"
SYSMON_EVENTS = (1, 3, 22)


def query_results(value: str) -> tuple[str, ...]:
    """IP answers from Sysmon's ``QueryResults`` ("type:  5 cname;::ffff:1.2.3.4;10.0.0.1;")."""
    out = []
    for item in value.split(";"):
        item = item.strip()
        if not item or item.startswith("type:"):
            continue
        if item.startswith("::ffff:"):
            item = item[7:]
        out.append(item)
    return tuple(out)


def parse_hashes(value: str) -> tuple[str, ...]:
    """``SHA1=..,MD5=..,SHA256=..,IMPHASH=..`` -> hash values (IMPHASH left out: it is not a file hash)."""
    out = []
    for part in value.split(","):
        algo, _, digest = part.partition("=")
        if digest and algo.strip().upper() in ("MD5", "SHA1", "SHA256"):
            out.append(digest.strip().lower())
    return tuple(out)


def sysmon_record(event_id: int, data: Mapping[str, Any], computer: str, system_time: str,
                  ref: str) -> LogRecord | None:
    """Map Sysmon EventData (name -> value) onto a ``LogRecord``; other event ids give None."""
    def get(key: str) -> str:
        value = data.get(key)
        return "" if value is None or value == "-" else str(value)

    ts = parse_ts(get("UtcTime") or system_time)
    image = get("Image")
    host = computer or get("SourceHostname") or get("SourceIp")
    if event_id == 22:
        name = get("QueryName").lower().rstrip(".")
        if not name:
            return None
        return LogRecord(ts=ts, kind="dns", src=host, domain=name, image=image,
                         answers=query_results(get("QueryResults")), ref=ref,
                         extra={"query_status": get("QueryStatus")})
    if event_id == 3:
        try:
            port = int(get("DestinationPort") or 0)
        except ValueError:
            port = 0
        return LogRecord(ts=ts, kind="conn", src=host, dst_ip=get("DestinationIp"), dst_port=port,
                         domain=get("DestinationHostname").lower().rstrip("."), image=image, ref=ref,
                         extra={"source_ip": get("SourceIp"), "protocol": get("Protocol")})
    if event_id == 1:
        return LogRecord(ts=ts, kind="proc", src=host, image=image, hashes=parse_hashes(get("Hashes")), ref=ref,
                         extra={"command_line": get("CommandLine")[:2000], "parent_image": get("ParentImage")})
    return None
