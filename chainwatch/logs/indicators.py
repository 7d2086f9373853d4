"""Where hunt-logs gets its indicators: a file given on the command line, or the intel store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs.match import NETWORK_KINDS

MAX_INDICATOR_FILE = 512 * 1024 * 1024


def read_indicator_file(path: str | Path, source: str | None = None) -> Iterator[Indicator]:
    """JSON lines of ``Indicator`` dicts, a JSON array of them, or a plain list (one value per line; the kind
    is guessed: IP, CIDR, URL, URL path, hash, JA3 or domain). ``#`` starts a comment."""
    path = Path(path)
    if path.stat().st_size > MAX_INDICATOR_FILE:
        raise ValueError(f"{path}: indicator file over 512 MiB")
    label = source or f"file:{path.name}"
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        first = fh.read(1)
        fh.seek(0)
        if first == "[":
            for item in json.load(fh):
                if isinstance(item, dict):
                    yield Indicator.from_dict(item)
            return
        for line in fh:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if text.startswith("{"):
                yield Indicator.from_dict(json.loads(text))
            else:
                yield Indicator(kind=guess_kind(text), value=text.lower() if "/" not in text else text, source=label)


def guess_kind(value: str) -> IndicatorKind:
    import ipaddress
    import re

    try:
        ipaddress.ip_address(value)
        return IndicatorKind.IP
    except ValueError:
        pass
    if "/" in value and not value.startswith("/") and "://" not in value:
        try:
            ipaddress.ip_network(value, strict=False)
            return IndicatorKind.CIDR
        except ValueError:
            return IndicatorKind.URL
    if "://" in value:
        return IndicatorKind.URL
    if value.startswith("/"):
        return IndicatorKind.URL_PATH
    if re.fullmatch(r"[0-9a-fA-F]{32}", value):
        return IndicatorKind.MD5
    if re.fullmatch(r"[0-9a-fA-F]{40}", value):
        return IndicatorKind.SHA1
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return IndicatorKind.SHA256
    return IndicatorKind.DOMAIN


FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "logs" / "fixtures" / "3cx_indicators.jsonl"


def load_indicators(db: str | None = None,
                    indicator_files: list[str] | None = None) -> tuple[list[Indicator], list[str]]:
    """Indicators for log hunting and any warnings to show.

    ``--indicators`` files win; otherwise the intel store (``chainwatch.intel.store.IndicatorStore``) at
    ``db``. Until the store is on this branch, the 3CX test fixture list stands in, with a warning.
    """
    warnings: list[str] = []
    if indicator_files:
        out: list[Indicator] = []
        for name in indicator_files:
            out.extend(read_indicator_file(name))
        return out, warnings
    try:
        from chainwatch.intel.store import IndicatorStore  # type: ignore[import-not-found]
    except ImportError:
        IndicatorStore = None
    if IndicatorStore is not None:
        store = IndicatorStore(db) if db else IndicatorStore()
        return list(store.iter(NETWORK_KINDS)), warnings
    if FIXTURE.is_file():
        warnings.append("intel store not available: using the built-in 3CX test indicator list "
                        f"({FIXTURE.name}); pass --indicators FILE for your own")
        return list(read_indicator_file(FIXTURE)), warnings
    raise RuntimeError("no indicators: the intel store is not available; pass --indicators FILE")
