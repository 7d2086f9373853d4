"""Name and version of the artifact as a whole, so scans of one product line up in the store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chainwatch.models import MemberRecord

_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+?)-(?P<version>\d[^-]*)-[^-]+-[^-]+-[^-]+\.whl$")
_GENERIC = re.compile(
    r"^(?P<name>.+?)[-_ ]v?(?P<version>\d+(?:\.\d+)+(?:[-.]?(?:post|dev|rc|a|b|beta|alpha)\.?\d*)?)"
    r"(?:[-_.](?:win|linux|mac|darwin|x64|x86|amd64|arm64|universal|setup|installer|full)[^/]*)?"
    r"\.(?:tar\.gz|tar\.bz2|tar\.xz|tar\.zst|tgz|zip|msi|exe|dmg|nupkg|deb|rpm|pkg|7z|jar|apk|crx|dll|so|dylib|whl)$",
    re.IGNORECASE,
)


def parse_name_version(filename: str) -> tuple[str | None, str | None]:
    m = _WHEEL.match(filename) or _GENERIC.match(filename)
    if not m:
        return None, None
    return m.group("name"), m.group("version")


def identify(target: Path, root: MemberRecord | None, records: dict[str, MemberRecord]) -> dict[str, Any]:
    """Best-effort artifact identity: package metadata, then version resource, then file name."""
    info: dict[str, Any] = {"file": target.name}
    if root is not None:
        info.update({"type": root.type, "size": root.size})
        if root.sha256:
            info["sha256"] = root.sha256
    name, version = parse_name_version(target.name)
    package = (root.features.get("package") if root else None) or {}
    if package.get("name"):
        name, version = package["name"], package.get("version") or version
        info["ecosystem"] = package.get("ecosystem")
    elif root is not None and "pe" in root.features:
        vi = root.features["pe"].get("version_info") or {}
        name = name or vi.get("ProductName") or vi.get("OriginalFilename")
        version = version or vi.get("ProductVersion") or vi.get("FileVersion")
    info["name"] = name or re.sub(r"\.(tar\.\w+|\w+)$", "", target.name) or target.name
    info["version"] = version
    return info
