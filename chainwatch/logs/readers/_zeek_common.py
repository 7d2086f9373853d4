"""Zeek log semantics shared by the TSV and JSON readers (field names per log path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainwatch.logs.record import LogRecord
from chainwatch.logs.timeparse import parse_ts

ZEEK_PATHS = ("dns", "http", "ssl", "conn", "files")


def infer_path(fields: Mapping[str, Any] | list[str], name: str = "") -> str:
    """The log path ("dns", "http", ...) from the file name or, failing that, from the field names."""
    base = name.rsplit("/", 1)[-1].lower()
    for candidate in ZEEK_PATHS:
        if base.startswith(candidate + ".") or base.startswith(candidate + "_") or base == candidate:
            return candidate
    keys = set(fields)
    if "query" in keys and ("trans_id" in keys or "qtype" in keys or "rcode" in keys):
        return "dns"
    if "method" in keys and "uri" in keys:
        return "http"
    if "server_name" in keys or "cipher" in keys:
        return "ssl"
    if "conn_state" in keys:
        return "conn"
    if "fuid" in keys and ("mime_type" in keys or "sha1" in keys):
        return "files"
    return ""


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


def _i(value: Any) -> int:
    try:
        return int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _f(value: Any) -> float:
    try:
        return float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _list(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def zeek_record(path: str, row: Mapping[str, Any], ref: str) -> LogRecord | None:
    """Map one Zeek row (field name -> value, vectors as lists) onto a ``LogRecord``."""
    ts = parse_ts(row.get("ts"))
    src = _s(row.get("id.orig_h"))
    dst = _s(row.get("id.resp_h"))
    port = _i(row.get("id.resp_p"))
    if path == "dns":
        query = _s(row.get("query")).lower().rstrip(".")
        if not query:
            return None
        return LogRecord(ts=ts, kind="dns", src=src, dst_ip=dst, dst_port=port, domain=query,
                         answers=_list(row.get("answers")), ref=ref)
    if path == "http":
        host = _s(row.get("host")).lower()
        if ":" in host and not host.startswith("["):
            host = host.split(":", 1)[0]
        uri = _s(row.get("uri"))
        url = uri if "://" in uri else (f"http://{host}{uri}" if host else uri)
        path_part = uri.split("?", 1)[0] if not uri.startswith("http") else ""
        if "://" in uri:
            rest = uri.split("://", 1)[1]
            path_part = "/" + rest.split("/", 1)[1].split("?", 1)[0] if "/" in rest else "/"
        return LogRecord(ts=ts, kind="http", src=src, dst_ip=dst, dst_port=port, domain=host, url=url,
                         path=path_part, bytes_out=_i(row.get("request_body_len")),
                         bytes_in=_i(row.get("response_body_len")), user_agent=_s(row.get("user_agent")), ref=ref)
    if path == "ssl":
        certs = _list(row.get("cert_chain_fps"))
        return LogRecord(ts=ts, kind="tls", src=src, dst_ip=dst, dst_port=port,
                         domain=_s(row.get("server_name")).lower(), ja3=_s(row.get("ja3")).lower(),
                         cert_sha1=certs[0].lower() if certs else "", hashes=tuple(c.lower() for c in certs), ref=ref)
    if path == "conn":
        return LogRecord(ts=ts, kind="conn", src=src, dst_ip=dst, dst_port=port,
                         bytes_out=_i(row.get("orig_bytes")), bytes_in=_i(row.get("resp_bytes")),
                         duration=_f(row.get("duration")), ref=ref,
                         extra={"proto": _s(row.get("proto")), "service": _s(row.get("service"))})
    if path == "files":
        # Zeek >= 5.1 has id.orig_h/id.resp_h in files.log; older versions tx_hosts (server) / rx_hosts (client).
        if not src:
            src = _s(row.get("rx_hosts"))
            dst = _s(row.get("tx_hosts"))
        hashes = tuple(h.lower() for h in (_s(row.get("md5")), _s(row.get("sha1")), _s(row.get("sha256"))) if h)
        return LogRecord(ts=ts, kind="file", src=src, dst_ip=dst, hashes=hashes, bytes_in=_i(row.get("seen_bytes")),
                         ref=ref, extra={"mime_type": _s(row.get("mime_type")), "filename": _s(row.get("filename"))})
    return None
