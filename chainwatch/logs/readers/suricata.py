"""Suricata EVE JSON: dns (v2 layout of Suricata <= 7 and the v3 layout of 8.0), http, tls, alert, flow.

DNS layouts (Suricata 8.0 "DNS logging changes"):
* v2: ``dns.type`` is "query" or "answer"; the name is ``dns.rrname``; answers in ``dns.answers`` (detailed)
  or ``dns.grouped`` (grouped); ``src_ip`` is the client in both directions.
* v3: ``dns.version`` 3, ``dns.type`` "request"/"response"; names in ``dns.queries[].rrname``, answers in
  ``dns.answers[]``; a response's ``src_ip`` is the responder, so the client is ``dest_ip``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from chainwatch.logs.readers.interface import Reader, json_objects
from chainwatch.logs.record import LogRecord
from chainwatch.logs.timeparse import parse_ts


def _answers(dns: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    answers = dns.get("answers")
    if isinstance(answers, list):
        out.extend(str(a.get("rdata")) for a in answers if isinstance(a, dict) and a.get("rdata"))
    grouped = dns.get("grouped")
    if isinstance(grouped, dict):
        for values in grouped.values():
            if isinstance(values, list):
                out.extend(str(v) for v in values if isinstance(v, (str, int)))
    return tuple(out)


def dns_names(dns: dict[str, Any]) -> list[str]:
    """Query names in either layout (v3 ``queries[]``; v2 top-level ``rrname``; alert ``dns.query[]``)."""
    names: list[str] = []
    for key in ("queries", "query"):
        entries = dns.get(key)
        if isinstance(entries, list):
            names.extend(str(q.get("rrname")) for q in entries if isinstance(q, dict) and q.get("rrname"))
    if not names and dns.get("rrname"):
        names.append(str(dns["rrname"]))
    if not names and isinstance(dns.get("answers"), list):
        # v2 detailed answers without a top-level rrname: the first answer names the question
        first = next((a for a in dns["answers"] if isinstance(a, dict) and a.get("rrname")), None)
        if first:
            names.append(str(first["rrname"]))
    return [n.lower().rstrip(".") for n in names]


def _host_of(value: str) -> str:
    host = value.lower()
    if host.startswith("[") and "]" in host:
        return host[1:host.index("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SuricataEveReader(Reader):
    name = "suricata-eve"
    priority = 15

    def sniff(self, head: bytes, name: str) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        return first.startswith(b"{") and b'"event_type"' in first

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        for number, event in json_objects(stream):
            yield from self.from_event(event, f"{source}:{number}")

    def from_event(self, event: dict[str, Any], ref: str) -> Iterator[LogRecord]:
        kind = event.get("event_type")
        ts = parse_ts(event.get("timestamp"))
        src = str(event.get("src_ip") or "")
        dst = str(event.get("dest_ip") or "")
        port = int(event.get("dest_port") or 0)
        if kind == "dns" or (kind == "alert" and isinstance(event.get("dns"), dict)):
            dns = event.get("dns") or {}
            if not isinstance(dns, dict):
                return
            if dns.get("type") == "response" or (int(dns.get("version") or 0) >= 3 and dns.get("qr")):
                src, dst = dst, src  # v3 responses are logged from the responder's side
                port = int(event.get("src_port") or 0)
            answers = _answers(dns)
            for name in dns_names(dns):
                yield LogRecord(ts=ts, kind="dns", src=src, dst_ip=dst, dst_port=port, domain=name,
                                answers=answers, ref=ref, extra=_alert_extra(event))
            return
        if kind == "http" or (kind == "alert" and isinstance(event.get("http"), dict)):
            http = event.get("http") or {}
            host = _host_of(str(http.get("hostname") or ""))
            uri = str(http.get("url") or "")
            path = uri.split("?", 1)[0]
            if "://" in uri:
                rest = uri.split("://", 1)[1]
                path = "/" + rest.split("/", 1)[1].split("?", 1)[0] if "/" in rest else "/"
            url = uri if "://" in uri else f"http://{host}{uri}"
            yield LogRecord(ts=ts, kind="http", src=src, dst_ip=dst, dst_port=port, domain=host, url=url,
                            path=path, bytes_in=int(http.get("length") or 0),
                            user_agent=str(http.get("http_user_agent") or ""), ref=ref, extra=_alert_extra(event))
            return
        if kind == "tls" or (kind == "alert" and isinstance(event.get("tls"), dict)):
            tls = event.get("tls") or {}
            ja3_field = tls.get("ja3")
            ja3 = ja3_field if isinstance(ja3_field, dict) else {}
            fingerprint = str(tls.get("fingerprint") or "").replace(":", "").lower()
            yield LogRecord(ts=ts, kind="tls", src=src, dst_ip=dst, dst_port=port,
                            domain=str(tls.get("sni") or "").lower(), ja3=str(ja3.get("hash") or "").lower(),
                            cert_sha1=fingerprint, hashes=(fingerprint,) if fingerprint else (), ref=ref,
                            extra=_alert_extra(event))
            return
        if kind == "flow":
            flow = event.get("flow") or {}
            start, end = parse_ts(flow.get("start")), parse_ts(flow.get("end"))
            yield LogRecord(ts=start or ts, kind="conn", src=src, dst_ip=dst, dst_port=port,
                            bytes_out=int(flow.get("bytes_toserver") or 0),
                            bytes_in=int(flow.get("bytes_toclient") or 0),
                            duration=max(0.0, end - start) if start and end else 0.0, ref=ref,
                            extra={"proto": str(event.get("proto") or ""),
                                   "service": str(event.get("app_proto") or "")})
            return
        if kind == "alert":
            yield LogRecord(ts=ts, kind="alert", src=src, dst_ip=dst, dst_port=port, ref=ref, extra=_alert_extra(event))


def _alert_extra(event: dict[str, Any]) -> dict[str, str]:
    alert = event.get("alert")
    if not isinstance(alert, dict):
        return {}
    return {"signature": str(alert.get("signature") or ""), "signature_id": str(alert.get("signature_id") or "")}


READERS = [SuricataEveReader()]
