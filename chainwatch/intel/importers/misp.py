"""MISP importer: a feed folder (``manifest.json`` + ``<uuid>.json`` events) or single event JSON files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainwatch.intel.importers import MAX_FEED_BYTES, ImportError_
from chainwatch.intel.model import Indicator, IndicatorKind, normalize_value

_TYPES: dict[str, IndicatorKind] = {
    "md5": IndicatorKind.MD5, "sha1": IndicatorKind.SHA1, "sha256": IndicatorKind.SHA256,
    "domain": IndicatorKind.DOMAIN, "hostname": IndicatorKind.DOMAIN,
    "ip-dst": IndicatorKind.IP, "ip-src": IndicatorKind.IP, "url": IndicatorKind.URL, "uri": IndicatorKind.URL_PATH,
    "filename": IndicatorKind.FILENAME, "mutex": IndicatorKind.MUTEX, "named pipe": IndicatorKind.MUTEX,
    "x509-fingerprint-sha1": IndicatorKind.CERT_THUMBPRINT, "x509-fingerprint-sha256": IndicatorKind.CERT_THUMBPRINT,
    "yara": IndicatorKind.YARA, "email-src": IndicatorKind.EMAIL, "email-dst": IndicatorKind.EMAIL,
    "whois-registrant-email": IndicatorKind.EMAIL, "ja3-fingerprint-md5": IndicatorKind.JA3,
    "regkey": IndicatorKind.KEYWORD,
}
_COMPOSITE = {"filename|md5": IndicatorKind.MD5, "filename|sha1": IndicatorKind.SHA1,
              "filename|sha256": IndicatorKind.SHA256, "domain|ip": IndicatorKind.DOMAIN,
              "ip-dst|port": IndicatorKind.IP, "ip-src|port": IndicatorKind.IP}
_THREAT_SCORE = {"1": 90, "2": 75, "3": 50, "4": 40}


def _ts(value: Any) -> str | None:
    try:
        return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _attr_indicators(attr: dict[str, Any], event: dict[str, Any], source: str) -> Iterator[Indicator]:
    if not attr.get("to_ids", True) and attr.get("type") not in ("yara",):
        return
    atype = str(attr.get("type", "")).lower()
    raw = str(attr.get("value", ""))
    pairs: list[tuple[IndicatorKind, str]] = []
    if atype in _COMPOSITE:
        left, _, right = raw.partition("|")
        if atype.startswith("filename|"):
            pairs.append((_COMPOSITE[atype], right))
            pairs.append((IndicatorKind.FILENAME, left))
        elif atype == "domain|ip":
            pairs += [(IndicatorKind.DOMAIN, left), (IndicatorKind.IP, right)]
        else:
            pairs.append((_COMPOSITE[atype], left))
    elif atype in _TYPES:
        pairs.append((_TYPES[atype], raw))
    for kind, value in pairs:
        extra: dict[str, Any] = {"misp_event": event.get("uuid"), "misp_attribute": attr.get("uuid")}
        if kind == IndicatorKind.FILENAME:
            value = r"(?i)(^|[\\/])" + re.escape(value) + "$"
        if kind == IndicatorKind.YARA:
            extra["file"] = attr.get("uuid") or "misp-yara"
        yield Indicator(
            kind=kind, value=normalize_value(kind, value), source=source,
            score=_THREAT_SCORE.get(str(event.get("threat_level_id", "2")), 75),
            description=attr.get("comment") or event.get("info", ""), campaign=event.get("info") or None,
            first_seen=_ts(attr.get("first_seen")) or event.get("date"), last_seen=_ts(attr.get("last_seen")),
            extra=extra,
        )


def read_misp_event(doc: dict[str, Any], source: str) -> Iterator[Indicator]:
    event = doc.get("Event", doc) if isinstance(doc, dict) else None
    if not isinstance(event, dict) or ("Attribute" not in event and "Object" not in event):
        raise ImportError_("not a MISP event (no Event/Attribute)")
    for attr in event.get("Attribute", []) or []:
        yield from _attr_indicators(attr, event, source)
    for obj in event.get("Object", []) or []:
        for attr in obj.get("Attribute", []) or []:
            yield from _attr_indicators(attr, event, source)


def _load(path: Path) -> Any:
    if path.stat().st_size > MAX_FEED_BYTES:
        raise ImportError_(f"{path}: larger than {MAX_FEED_BYTES} bytes")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ImportError_(f"{path}: not JSON: {exc}") from exc


def read_misp(path: Path, source: str | None = None) -> Iterator[Indicator]:
    """A feed folder (manifest.json lists event uuids) or one event file."""
    path = Path(path)
    if path.is_dir():
        manifest = path / "manifest.json"
        if not manifest.is_file():
            raise ImportError_(f"{path}: no manifest.json (not a MISP feed folder)")
        index = _load(manifest)
        for uuid in index if isinstance(index, dict) else []:
            event_file = path / f"{uuid}.json"
            if event_file.is_file():
                yield from read_misp_event(_load(event_file), source or f"misp:{path.name}")
        return
    doc = _load(path)
    if isinstance(doc, dict) and "response" in doc:  # REST search output: {"response": [{"Event": ...}]}
        doc = doc["response"]
    for event in doc if isinstance(doc, list) else [doc]:
        yield from read_misp_event(event, source or f"misp:{path.name}")
