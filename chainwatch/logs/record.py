"""One normalised network/process event read from any log format."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("dns", "http", "conn", "tls", "proc", "file", "alert")


@dataclass(slots=True)
class LogRecord:
    """A log line reduced to what matching and beacon scoring need.

    ``src`` is the host the event belongs to (client IP or computer name), ``domain`` the name looked up or
    contacted, ``path`` the URL path (``url`` keeps the full URL when the log has it). ``ref`` points back to
    the raw line or record ("file:line" / "file#record").
    """

    ts: float
    kind: str
    src: str = ""
    dst_ip: str = ""
    dst_port: int = 0
    domain: str = ""
    url: str = ""
    path: str = ""
    bytes_out: int = 0
    bytes_in: int = 0
    duration: float = 0.0
    image: str = ""
    ja3: str = ""
    cert_sha1: str = ""
    hashes: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    user_agent: str = ""
    ref: str = ""
    extra: dict[str, str] = field(default_factory=dict)
