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


def load_indicators(db: str | None = None, indicator_files: list[str] | None = None, *,
                    builtin: bool | None = None, store: bool | None = None) -> tuple[list[Indicator], list[str]]:
    """Indicators for log hunting (network kinds and file hashes only) and warnings to show.

    Without ``--indicators`` files: the built-in campaign packs plus the intel store (at ``db`` or the
    default store). With files: only the files, unless ``builtin``/``store`` ask for more.
    """
    warnings: list[str] = []
    kinds = set(NETWORK_KINDS)
    out: list[Indicator] = []
    for name in indicator_files or ():
        out.extend(i for i in read_indicator_file(name) if i.kind in kinds)
    use_builtin = builtin if builtin is not None else not indicator_files
    use_store = store if store is not None else not indicator_files
    if use_builtin:
        from chainwatch.intel.packs import builtin_indicators

        out.extend(i for i in builtin_indicators() if i.kind in kinds)
    if use_store:
        from chainwatch.intel.store import IndicatorStore
        from chainwatch.store import open_store

        intel = IndicatorStore(open_store(Path(db) if db else None).conn)
        before = len(out)
        out.extend(intel.iter(kinds))
        if len(out) == before:
            warnings.append("the intel store holds no network indicators (chainwatch intel import/update fills it)")
    if not out:
        raise RuntimeError("no indicators to hunt for: pass --indicators FILE or import intel into the store")
    return out, warnings
