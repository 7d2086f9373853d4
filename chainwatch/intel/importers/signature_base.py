"""signature-base (Neo23x0, Detection Rule License 1.1) directory importer.

Reads ``iocs/*.txt`` the way LOKI does: a file is a hash list, a filename list, a C2 list or a keyword
list by the word in its name; comment blocks become descriptions. ``yara/*.yar[a]`` files become one
YARA indicator per file (the rule text stays in the user's store; nothing is copied into chainwatch).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from chainwatch.intel.importers import MAX_FEED_BYTES, ImportError_
from chainwatch.intel.model import Indicator, IndicatorKind, hash_kind, normalize_value

FEED = "signature-base"
LICENSE = "Detection Rule License (DRL) 1.1"
ATTRIBUTION = "signature-base by Florian Roth / Nextron Systems, https://github.com/Neo23x0/signature-base"
DEFAULT_HASH_SCORE = 100  # LOKI's default for hash IOCs without a score
DEFAULT_C2_SCORE = 80
DEFAULT_KEYWORD_SCORE = 60
_URL = re.compile(r"https?://\S+")
_RULE_NAME = re.compile(r"^[ \t]*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


def _reference(text: str) -> str | None:
    m = _URL.search(text)
    return m.group(0).rstrip(").,;") if m else None


def _campaign(description: str) -> str | None:
    """signature-base comments read "<campaign> - <detail>" or "<campaign> <url>"."""
    head = _URL.sub("", description).split(" - ", 1)[0].strip(" -;:")
    return head[:80] or None


def _entries(path: Path) -> Iterator[tuple[str, str]]:
    """(entry, the ``# comment`` line last seen above it) for each non-blank line of an IOC file."""
    if path.stat().st_size > MAX_FEED_BYTES:
        raise ImportError_(f"{path}: larger than {MAX_FEED_BYTES} bytes")
    comment = ""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            s = line.strip()
            if s.startswith("#"):
                comment = s.lstrip("# ").strip()
            elif s:
                yield s, comment


def read_hash_iocs(path: Path, source: str) -> Iterator[Indicator]:
    """``HASH;COMMENT`` or ``HASH;SCORE;COMMENT``; md5/sha1/sha256 told apart by length."""
    for line, _above in _entries(path):
        parts = line.split(";", 2)
        kind = hash_kind(parts[0])
        if kind is None:
            continue
        score = DEFAULT_HASH_SCORE
        comment = ";".join(parts[1:])
        if len(parts) >= 3 and parts[1].strip().isdigit():
            score, comment = int(parts[1]), parts[2]
        comment = comment.strip()
        yield Indicator(kind=kind, value=normalize_value(kind, parts[0]), source=source, score=score,
                        description=comment, campaign=_campaign(comment), reference=_reference(comment))


def read_filename_iocs(path: Path, source: str) -> Iterator[Indicator]:
    """``REGEX;SCORE[;FALSE-POSITIVE-REGEX]``; the comment block above is the description."""
    for s, comment in _entries(path):
        regex, score, fp = s, 80, None
        parts = s.rsplit(";", 2)
        # the regex itself may contain ';' — take score/fp from the right only when they parse
        if len(parts) == 3 and parts[1].strip().isdigit():
            regex, score, fp = parts[0], int(parts[1]), parts[2] or None
        elif len(parts) >= 2 and parts[-1].strip().isdigit():
            regex, score = s.rsplit(";", 1)[0], int(parts[-1])
        try:
            re.compile(regex)
            if fp:
                re.compile(fp)
        except re.error:
            continue
        extra = {"fp_regex": fp} if fp else {}
        yield Indicator(kind=IndicatorKind.FILENAME, value=regex, source=source, score=score,
                        description=comment, campaign=_campaign(comment) if comment else None,
                        reference=_reference(comment), extra=extra)


def _network_kind(value: str) -> IndicatorKind | None:
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
            return IndicatorKind.CIDR
        ipaddress.ip_address(value)
        return IndicatorKind.IP
    except ValueError:
        pass
    if value.lower().startswith(("http://", "https://")):
        return IndicatorKind.URL
    if re.fullmatch(r"[A-Za-z0-9_*.-]+\.[A-Za-z0-9-]{2,}", value):
        return IndicatorKind.DOMAIN
    return None


def read_c2_iocs(path: Path, source: str) -> Iterator[Indicator]:
    """One domain/IP/CIDR/URL per line (optionally ``VALUE;SCORE``); ``# comment`` blocks describe them."""
    for s, comment in _entries(path):
        value, score = s, DEFAULT_C2_SCORE
        if ";" in s:
            value, _, rest = s.partition(";")
            if rest.strip().isdigit():
                score = int(rest)
        kind = _network_kind(value.strip())
        if kind is None:
            continue
        yield Indicator(kind=kind, value=normalize_value(kind, value), source=source, score=score,
                        description=comment, campaign=_campaign(comment) if comment else None,
                        reference=_reference(comment))


def read_keywords(path: Path, source: str) -> Iterator[Indicator]:
    for s, comment in _entries(path):
        yield Indicator(kind=IndicatorKind.KEYWORD, value=s, source=source, score=DEFAULT_KEYWORD_SCORE,
                        description=comment, campaign=comment or None)


def read_yara_file(path: Path, source: str) -> Indicator:
    text = path.read_text(encoding="utf-8", errors="replace")
    names = _RULE_NAME.findall(text)
    return Indicator(kind=IndicatorKind.YARA, value=text, source=source, score=70,
                     description=f"{len(names)} YARA rules from {path.name}",
                     extra={"file": path.name, "rules": names})


def ioc_reader(name: str):
    low = name.lower()
    if "hash" in low:
        return read_hash_iocs
    if "filename" in low:
        return read_filename_iocs
    if "c2" in low:
        return read_c2_iocs
    if "keyword" in low:
        return read_keywords
    return None


PARSE_CACHE_VERSION = 1  # part of each cache key: bump it when a reader's output changes


def _parsed_once(path: Path, source: str, reader: Callable[[Path, str], Iterator[Indicator]]) -> list[Indicator]:
    """The indicators of one IOC file, parsed once per content and kept as JSON in the cache folder.

    A filename list's 3,800 regular expressions are each compiled to check them (about a second); a
    later hunt with the same checkout reads the result instead. The key is the file's content, its
    source name (which picks the reader) and PARSE_CACHE_VERSION; a cache that cannot be read or
    written is ignored.
    """
    from chainwatch.intel.yara_rules import atomic_write, default_cache_dir

    try:
        if path.stat().st_size > MAX_FEED_BYTES:
            return list(reader(path, source))
        data = path.read_bytes()
    except OSError:
        return list(reader(path, source))
    key = hashlib.sha256(f"{PARSE_CACHE_VERSION}|{source}|".encode() + data).hexdigest()[:40]
    cache = default_cache_dir().parent / "signature-base" / f"{key}.json"
    try:
        return [Indicator.from_dict(d) for d in json.loads(cache.read_bytes())]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    items = list(reader(path, source))
    try:
        atomic_write(cache, json.dumps([i.to_dict() for i in items]).encode())
    except OSError:
        pass
    return items


def read_signature_base(root: Path, *, iocs: bool = True, yara: bool = True) -> Iterator[Indicator]:
    """Every indicator of a signature-base checkout (or of its ``iocs``/``yara`` folder alone)."""
    root = Path(root)
    ioc_dir = root / "iocs" if (root / "iocs").is_dir() else (root if root.name == "iocs" else None)
    yara_dir = root / "yara" if (root / "yara").is_dir() else (root if root.name == "yara" else None)
    if ioc_dir is None and yara_dir is None:
        raise ImportError_(f"{root}: no iocs/ or yara/ folder (not a signature-base checkout)")
    if iocs and ioc_dir is not None:
        for path in sorted(ioc_dir.glob("*.txt")):
            reader = ioc_reader(path.name)
            if reader is None:
                continue
            yield from _parsed_once(path, f"{FEED}:iocs/{path.name}", reader)
    if yara and yara_dir is not None:
        for path in sorted(yara_dir.iterdir()):
            if path.suffix.lower() in (".yar", ".yara") and not path.name.startswith((".", "_", "~")):
                yield read_yara_file(path, f"{FEED}:yara/{path.name}")
