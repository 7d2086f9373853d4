"""Registry access for ``vet``: locate, download (resumable, cached by hash) and describe releases.

PyPI JSON API and the npm registry over ``urllib``. Every download lands in the user cache directory
under its sha256; a partial download (``.part``) is continued with an HTTP Range request. Registry
documents are cached on disk too, so a re-run works without the network for what it has seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.packages.lockfiles import Dependency, pep503

PYPI = os.environ.get("CHAINWATCH_PYPI_URL", "https://pypi.org")
NPM = os.environ.get("CHAINWATCH_NPM_URL", "https://registry.npmjs.org")
TIMEOUT = 60
MAX_ARTIFACT = 512 * 1024 * 1024
MAX_DOC = 64 * 1024 * 1024
DOC_TTL = 24 * 3600
USER_AGENT = "chainwatch-vet (+supply-chain scanner)"


class FetchError(Exception):
    """A package could not be located or downloaded."""


@dataclass
class Artifact:
    dependency: Dependency
    url: str
    filename: str
    sha256: str | None = None  # expected, when the registry gives it
    integrity: str | None = None  # npm "sha512-..." when given
    path: Path | None = None  # local file once downloaded or found offline
    release: dict[str, Any] = field(default_factory=dict)  # registry facts for metadata checks


def cache_dir() -> Path:
    env = os.environ.get("CHAINWATCH_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("chainwatch"))


def _get(url: str, max_bytes: int = MAX_DOC) -> bytes:
    try:
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            data = resp.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from exc
    if len(data) > max_bytes:
        raise FetchError(f"{url}: document larger than {max_bytes} bytes")
    return data


def get_json(url: str, ttl: float = DOC_TTL, offline: bool = False) -> dict[str, Any]:
    """A registry JSON document, from the disk cache when fresh enough (or always, offline)."""
    key = hashlib.sha256(url.encode()).hexdigest()
    path = cache_dir() / "docs" / key[:2] / f"{key}.json"
    if path.is_file() and (offline or time.time() - path.stat().st_mtime < ttl):
        try:
            return json.loads(path.read_bytes())
        except (OSError, json.JSONDecodeError):
            pass
    if offline:
        raise FetchError(f"{url}: not in the cache (offline)")
    data = _get(url)
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise FetchError(f"{url}: not JSON") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return doc if isinstance(doc, dict) else {}


# ------------------------------------------------------------------------------- locate


def _pick_pypi_file(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Prefer the sdist (install-time code lives there), then a pure wheel, then any wheel."""
    sdists = [f for f in files if f.get("packagetype") == "sdist"]
    pure = [f for f in files if f.get("packagetype") == "bdist_wheel" and f.get("filename", "").endswith("-any.whl")]
    wheels = [f for f in files if f.get("packagetype") == "bdist_wheel"]
    for group in (sdists, pure, wheels, files):
        if group:
            return group[0]
    return None


def locate_pypi(dep: Dependency, offline: bool = False) -> Artifact:
    name = pep503(dep.name)
    project_url = f"{PYPI}/pypi/{urllib.parse.quote(name)}/json"
    project = get_json(project_url, offline=offline)
    version = dep.version or (project.get("info") or {}).get("version")
    if not version:
        raise FetchError(f"{dep.name}: no version")
    releases = project.get("releases") or {}
    files = releases.get(version)
    if files is None:
        doc = get_json(f"{PYPI}/pypi/{urllib.parse.quote(name)}/{urllib.parse.quote(version)}/json", offline=offline)
        files = doc.get("urls") or []
    chosen = _pick_pypi_file([f for f in files if not f.get("yanked")] or files)
    if chosen is None:
        raise FetchError(f"{dep.name}=={version}: no files on the index")
    info = project.get("info") or {}
    release = {
        "version": version,
        "upload_time": chosen.get("upload_time_iso_8601") or chosen.get("upload_time"),
        "previous": _previous_pypi(releases, version),
        "author": info.get("author"), "maintainer": info.get("maintainer"),
        "project_urls": info.get("project_urls") or {}, "home_page": info.get("home_page"),
        "yanked": bool(chosen.get("yanked")),
    }
    d = Dependency(dep.ecosystem, dep.name, version, dep.integrity, dep.resolved, dep.source)
    # mirrors and proxies answer with relative file URLs ("../../packages/..."): resolve them against the document
    url = urllib.parse.urljoin(project_url, str(chosen["url"]))
    return Artifact(d, url, chosen["filename"], (chosen.get("digests") or {}).get("sha256"), None,
                    release=release)


def _version_key(v: str) -> tuple[Any, ...]:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(v))
    except InvalidVersion:
        return (-1, v)


def _previous_pypi(releases: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The release before ``version`` by upload time, with its upload time."""
    def first_upload(files: list[dict[str, Any]]) -> str:
        times = [f.get("upload_time_iso_8601") or f.get("upload_time") or "" for f in files]
        return min((t for t in times if t), default="")

    this = first_upload(releases.get(version) or [])
    earlier = [(first_upload(files), v) for v, files in releases.items() if v != version and files]
    earlier = [(t, v) for t, v in earlier if t and (not this or t < this)]
    if not earlier:
        return None
    t, v = max(earlier)
    return {"version": v, "upload_time": t}


def locate_npm(dep: Dependency, offline: bool = False, metadata: bool = True) -> Artifact:
    quoted = dep.name.replace("/", "%2F")
    release: dict[str, Any] = {}
    if metadata:
        try:
            packument = get_json(f"{NPM}/{quoted}", offline=offline)
        except FetchError:
            packument = {}
    else:
        packument = {}
    versions = packument.get("versions") or {}
    version = dep.version or (packument.get("dist-tags") or {}).get("latest")
    doc = versions.get(version) if version else None
    if doc is None:
        doc = get_json(f"{NPM}/{quoted}/{urllib.parse.quote(version or 'latest')}", offline=offline)
        version = doc.get("version") or version
    dist = doc.get("dist") or {}
    url = dist.get("tarball") or dep.resolved
    if not url:
        raise FetchError(f"{dep.name}@{version}: no tarball URL")
    url = urllib.parse.urljoin(f"{NPM}/{quoted}", str(url))  # a mirror may give it relative
    times = packument.get("time") or {}
    prev = _previous_npm(versions, times, str(version))
    release = {
        "version": version, "upload_time": times.get(str(version)),
        "maintainers": sorted(_people(doc.get("maintainers"))), "publisher": (doc.get("_npmUser") or {}).get("name"),
        "scripts": {k: v for k, v in (doc.get("scripts") or {}).items() if k in _INSTALL_HOOKS},
        "repository": (doc.get("repository") or {}).get("url") if isinstance(doc.get("repository"), dict)
        else doc.get("repository"),
        "deprecated": doc.get("deprecated"),
    }
    if prev:
        pdoc = versions.get(prev) or {}
        release["previous"] = {
            "version": prev, "upload_time": times.get(prev), "maintainers": sorted(_people(pdoc.get("maintainers"))),
            "publisher": (pdoc.get("_npmUser") or {}).get("name"),
            "scripts": {k: v for k, v in (pdoc.get("scripts") or {}).items() if k in _INSTALL_HOOKS},
        }
    filename = url.rsplit("/", 1)[-1]
    if dep.name.startswith("@"):
        filename = dep.name[1:].replace("/", "-").rsplit("-", 1)[0] + "-" + filename
    d = Dependency(dep.ecosystem, dep.name, str(version), dep.integrity or dist.get("integrity"), url, dep.source)
    return Artifact(d, url, filename, None, dist.get("integrity") or dep.integrity, release=release)


_INSTALL_HOOKS = ("preinstall", "install", "postinstall")


def _people(items: Any) -> set[str]:
    out: set[str] = set()
    for p in items or []:
        if isinstance(p, dict) and p.get("name"):
            out.add(str(p["name"]))
        elif isinstance(p, str):
            out.add(p.split("<")[0].strip())
    return out


def _previous_npm(versions: dict[str, Any], times: dict[str, str], version: str) -> str | None:
    this = times.get(version)
    cands = [(t, v) for v, t in times.items() if v in versions and v != version and isinstance(t, str)
             and (not this or t < this)]
    return max(cands)[1] if cands else None


def locate(dep: Dependency, offline: bool = False, metadata: bool = True) -> Artifact:
    if dep.ecosystem == "npm":
        return locate_npm(dep, offline, metadata)
    return locate_pypi(dep, offline)


def find_offline(dep: Dependency, directory: Path, index: dict[str, list[Path]] | None = None) -> Artifact:
    """An artifact for ``dep`` in a local directory, matched by name and version in the file name."""
    index = index if index is not None else index_directory(directory)
    for key in _offline_keys(dep):
        for p in index.get(key, []):
            return Artifact(dep, p.as_uri(), p.name, None, path=p)
    if dep.version is None:
        raise FetchError(f"{dep.name}: not pinned to an exact version; --offline needs one to pick a file")
    raise FetchError(f"{dep.name} {dep.version}: no artifact in {directory}")


def _offline_keys(dep: Dependency) -> list[str]:
    if dep.ecosystem == "npm":
        bare = dep.name[1:].replace("/", "-") if dep.name.startswith("@") else dep.name
        return [f"npm:{bare.lower()}@{dep.version}"]
    return [f"pypi:{pep503(dep.name)}@{dep.version}"]


_ARCHIVE = re.compile(r"\.(?:tar\.gz|tgz|zip|whl|tar\.bz2|tar\.xz)$", re.IGNORECASE)


def index_directory(directory: Path) -> dict[str, list[Path]]:
    """File-name index of a directory of artifacts: ``eco:name@version`` -> paths."""
    out: dict[str, list[Path]] = {}
    for p in sorted(directory.rglob("*")):
        if not p.is_file() or not _ARCHIVE.search(p.name):
            continue
        stem = _ARCHIVE.sub("", p.name)
        if p.name.endswith(".whl"):
            parts = stem.split("-")
            if len(parts) >= 2:
                out.setdefault(f"pypi:{pep503(parts[0])}@{parts[1]}", []).append(p)
            continue
        m = re.match(r"^(.+?)-(\d[^-]*(?:-[A-Za-z][\w.]*)?)$", stem)
        if not m:
            continue
        name, version = m.group(1), m.group(2)
        if p.name.endswith(".tgz"):
            out.setdefault(f"npm:{name.lower()}@{version}", []).append(p)
        out.setdefault(f"pypi:{pep503(name)}@{version}", []).append(p)
    return out


# ------------------------------------------------------------------------------- download


def download(art: Artifact, offline: bool = False) -> Path:
    """The artifact's local file: from the cache, or downloaded (continuing a partial download)."""
    if art.path is not None:
        return art.path
    base = cache_dir() / "artifacts"
    if art.sha256:
        final = base / art.sha256[:2] / f"{art.sha256}-{_safe(art.filename)}"
        if final.is_file():
            art.path = final
            return final
    url_key = hashlib.sha256(art.url.encode()).hexdigest()
    pointer = base / "by-url" / f"{url_key}.txt"
    if pointer.is_file():
        cached = Path(pointer.read_text().strip())
        if cached.is_file():
            art.path = cached
            return cached
    if offline:
        raise FetchError(f"{art.filename}: not in the cache (offline)")
    part = base / "partial" / f"{url_key}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        req = urllib.request.Request(art.url, headers=headers)
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            mode = "ab" if have and resp.status == 206 else "wb"
            with open(part, mode) as out:
                written = have if mode == "ab" else 0
                while True:
                    chunk = resp.read(1024 * 1024)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > MAX_ARTIFACT:
                        raise FetchError(f"{art.filename}: larger than {MAX_ARTIFACT} bytes")
                    out.write(chunk)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # already complete
            pass
        else:
            raise FetchError(f"{art.url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"{art.url}: {exc} (partial download kept; re-run to resume)") from exc
    except ValueError as exc:  # urlopen on a URL it cannot open ("unknown url type")
        raise FetchError(f"{art.url}: {exc}") from exc
    sha256 = _sha256(part)
    if art.sha256 and sha256 != art.sha256.lower():
        part.unlink(missing_ok=True)
        raise FetchError(f"{art.filename}: sha256 {sha256} does not match the index ({art.sha256})")
    if art.integrity and art.integrity.startswith("sha512-"):
        import base64

        digest = hashlib.sha512(part.read_bytes()).digest()
        if base64.b64encode(digest).decode() != art.integrity[7:]:
            part.unlink(missing_ok=True)
            raise FetchError(f"{art.filename}: sha512 integrity does not match the lockfile/registry")
    final = base / sha256[:2] / f"{sha256}-{_safe(art.filename)}"
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, final)
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(final))
    art.sha256 = sha256
    art.path = final
    return final


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name)[:150]


def sha256_file(path: Path) -> str:
    return _sha256(path)
