"""Installed-software facts from app folders: package.json, app.asar, Info.plist, Windows uninstall data
(``regedit`` exports and the binary SOFTWARE / NTUSER.DAT hives of a mounted or collected Windows image).

Each reader returns ``[(name, version, field, platform)]``; the hunt compares them with the affected
releases of the packs (``IndicatorKind.SOFTWARE``). Readers never execute anything and cap what they read.
"""

from __future__ import annotations

import json
import plistlib
import re
import struct
from pathlib import Path

MAX_MANIFEST = 4 * 1024 * 1024
MAX_ASAR_HEADER = 64 * 1024 * 1024
SOFTWARE_FILES = frozenset({"package.json", "app.asar", "info.plist"})
HIVE_FILES = frozenset({"software", "ntuser.dat"})  # where Uninstall keys live (machine-wide, per user)
MAX_HIVE = 512 * 1024 * 1024  # regipy reads a hive whole; real SOFTWARE hives are 50-300 MB
MAX_UNINSTALL_ENTRIES = 20_000
HIVE_SECONDS = 60.0
UNINSTALL_KEYS = (  # SOFTWARE hive paths first, then NTUSER.DAT ones
    r"\Microsoft\Windows\CurrentVersion\Uninstall",
    r"\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
    r"\Software\Microsoft\Windows\CurrentVersion\Uninstall",
    r"\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
)


class HiveError(ValueError):
    """A registry hive that could not be read; the hunt reports it and goes on."""

SoftwareFact = tuple[str, str, str, str | None]


def _from_package_json(data: bytes, where: str) -> list[SoftwareFact]:
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"))
    except ValueError:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), str):
        return []
    out: list[SoftwareFact] = []
    for key in ("name", "productName"):
        if isinstance(doc.get(key), str):
            out.append((doc[key], doc["version"], f"{where}:{key}+version", None))
    return out


def read_package_json(path: Path) -> list[SoftwareFact]:
    if path.stat().st_size > MAX_MANIFEST:
        return []
    return _from_package_json(path.read_bytes(), "package.json")


def read_asar(path: Path) -> list[SoftwareFact]:
    """package.json at the top of an Electron ``app.asar`` (Chromium pickle header + JSON index)."""
    with path.open("rb") as fh:
        head = fh.read(16)
        if len(head) < 16:
            return []
        _four, header_size, _payload, json_len = struct.unpack("<IIII", head)
        if json_len > MAX_ASAR_HEADER or json_len > header_size:
            return []
        try:
            index = json.loads(fh.read(json_len).decode("utf-8", errors="replace"))
        except ValueError:
            return []
        entry = (index.get("files") or {}).get("package.json") if isinstance(index, dict) else None
        if not isinstance(entry, dict) or "offset" not in entry:
            return []
        size = int(entry.get("size", 0))
        if size <= 0 or size > MAX_MANIFEST:
            return []
        fh.seek(8 + header_size + int(entry["offset"]))
        return _from_package_json(fh.read(size), "app.asar!/package.json")


def read_info_plist(path: Path) -> list[SoftwareFact]:
    if path.stat().st_size > MAX_MANIFEST:
        return []
    try:
        doc = plistlib.loads(path.read_bytes())
    except Exception:  # plistlib raises several types on hostile input
        return []
    if not isinstance(doc, dict):
        return []
    version = doc.get("CFBundleShortVersionString") or doc.get("CFBundleVersion")
    if not isinstance(version, str):
        return []
    out: list[SoftwareFact] = []
    for key in ("CFBundleName", "CFBundleDisplayName", "CFBundleIdentifier", "CFBundleExecutable"):
        if isinstance(doc.get(key), str):
            out.append((doc[key], version, f"Info.plist:{key}+CFBundleShortVersionString", "macos"))
    return out


_REG_KEY = re.compile(r"^\[(.+)\]\s*$")
_REG_VAL = re.compile(r'^"(DisplayName|DisplayVersion)"="(.*)"\s*$', re.I)


def read_reg_export(path: Path) -> list[SoftwareFact]:
    """DisplayName/DisplayVersion pairs under ...\\Uninstall\\... keys of a ``regedit`` export (.reg)."""
    if path.stat().st_size > 64 * MAX_MANIFEST:
        return []
    raw = path.read_bytes()
    text = raw.decode("utf-16", errors="replace") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode(
        "utf-8", errors="replace")
    out: list[SoftwareFact] = []
    key, name, version = "", None, None

    def flush() -> None:
        if name and version and "\\uninstall\\" in key.lower():
            out.append((name, version, f"uninstall:{key}", "windows"))

    for line in text.splitlines():
        m = _REG_KEY.match(line.strip())
        if m:
            flush()
            key, name, version = m.group(1), None, None
            continue
        v = _REG_VAL.match(line.strip())
        if v:
            if v.group(1).lower() == "displayname":
                name = v.group(2)
            else:
                version = v.group(2)
    flush()
    return out


def is_hive_name(name_lower: str) -> bool:
    return name_lower in HIVE_FILES or name_lower.endswith(".hiv")


def _is_hive(path: Path) -> bool:
    """False for a file that merely has a hive's name; raises ``HiveError`` for a hive regipy must not
    read. regipy assumes without checking a whole base block, an hbin, and an allocated first cell (the
    root key; after a free one it would take whatever allocated bytes follow for the root)."""
    with path.open("rb") as fh:
        base = fh.read(4096 + 36)
    if base[:4] != b"regf":
        return False
    if path.stat().st_size > MAX_HIVE:
        raise HiveError(f"registry hive larger than {MAX_HIVE} bytes: not read")
    if len(base) < 4096 + 36:
        raise HiveError("registry hive cut short: no room for its first hive bin")
    if base[4096:4100] != b"hbin":
        raise HiveError("registry hive without a first hbin at offset 4096")
    (first_cell,) = struct.unpack_from("<i", base, 4096 + 32)
    if first_cell >= 0:
        raise HiveError("registry hive whose first cell is not allocated (no root key)")
    return True


def read_registry_hive(path: Path) -> list[SoftwareFact]:
    """DisplayName/DisplayVersion of every entry under the Uninstall keys of a binary hive (regipy).

    Raises ``HiveError`` when the hive cannot be read, so the hunt can name the file in its errors.
    """
    if not _is_hive(path):
        return []
    from regipy.exceptions import RegipyException
    from regipy.registry import RegistryHive

    from chainwatch.timelimit import TimeLimitExceeded, time_limit

    out: list[SoftwareFact] = []
    try:
        with time_limit(HIVE_SECONDS):
            hive = RegistryHive(str(path))
            seen = 0
            for key_path in UNINSTALL_KEYS:
                try:
                    key = hive.get_key(key_path)
                except RegipyException:
                    continue  # this hive has no such key
                for entry in key.iter_subkeys() or ():
                    seen += 1
                    if seen > MAX_UNINSTALL_ENTRIES:
                        raise HiveError(f"more than {MAX_UNINSTALL_ENTRIES} uninstall entries: rest not read")
                    values = {v.name.lower(): v.value for v in entry.iter_values(trim_values=False)
                              if v.name.lower() in ("displayname", "displayversion")}
                    name, version = values.get("displayname"), values.get("displayversion")
                    if isinstance(name, str) and isinstance(version, str) and name and version:
                        out.append((name, version, f"uninstall:{path.name}{key_path}\\{entry.name}", "windows"))
    except HiveError:
        raise
    except TimeLimitExceeded as exc:
        raise HiveError(f"registry hive not read: {exc}") from exc
    except Exception as exc:  # regipy/construct raise many types on a corrupt hive
        raise HiveError(f"registry hive not readable: {type(exc).__name__}: {str(exc)[:200]}") from exc
    return out


def software_facts(path: Path, name_lower: str) -> list[SoftwareFact]:
    """Facts of one file; ``HiveError`` for an unreadable registry hive, [] for other unreadable files."""
    if is_hive_name(name_lower):
        return read_registry_hive(path)
    try:
        if name_lower == "package.json":
            return read_package_json(path)
        if name_lower == "app.asar":
            return read_asar(path)
        if name_lower == "info.plist":
            return read_info_plist(path)
        if name_lower.endswith(".reg"):
            return read_reg_export(path)
    except (OSError, ValueError, struct.error, KeyError, TypeError):
        return []
    return []
