"""Squid native access.log: ``time elapsed client code/status bytes method URL ident hierarchy/peer type``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from chainwatch.logs.readers.interface import Reader, iter_lines
from chainwatch.logs.record import LogRecord

_LINE = re.compile(
    rb"^(\d{9,11}(?:\.\d+)?)\s+(\d+)\s+(\S+)\s+([A-Z_]+)/(\d{3})\s+(\d+)\s+([A-Z_]+)\s+(\S+)"
    rb"(?:\s+(\S+)\s+([A-Z_]+)/(\S+)(?:\s+(\S+))?)?"
)


def split_url(url: str, method: str) -> tuple[str, str, str]:
    """(host, path, full url) from a proxy URL; CONNECT requests log ``host:port``."""
    if method == "CONNECT" or "://" not in url:
        host = url.rsplit(":", 1)[0] if url.count(":") == 1 else url
        return host.lower().strip("[]"), "", f"https://{host}/"
    rest = url.split("://", 1)[1]
    hostport, _, tail = rest.partition("/")
    host = hostport.rsplit("@", 1)[-1]
    if host.startswith("["):
        host = host[1:host.find("]")]
    elif ":" in host:
        host = host.split(":", 1)[0]
    path = "/" + tail.split("?", 1)[0]
    return host.lower(), path, url


class SquidReader(Reader):
    name = "squid"
    priority = 30

    def sniff(self, head: bytes, name: str) -> bool:
        first = head.split(b"\n", 1)[0]
        return _LINE.match(first) is not None

    def records(self, stream: BinaryIO, source: str = "") -> Iterator[LogRecord]:
        for number, line in iter_lines(stream):
            match = _LINE.match(line)
            if match is None:
                continue
            ts, elapsed, client, _code, status, size, method, url, _ident, _hier, peer, ctype = (
                (g or b"").decode("utf-8", "replace") for g in match.groups())
            host, path, full = split_url(url, method)
            dst_ip = peer if peer and peer != "-" else ""
            yield LogRecord(ts=float(ts), kind="http", src=client, dst_ip=dst_ip, domain=host, url=full, path=path,
                            bytes_in=int(size), duration=int(elapsed) / 1000.0, ref=f"{source}:{number}",
                            extra={"method": method, "status": status, "content_type": ctype})


READERS = [SquidReader()]
