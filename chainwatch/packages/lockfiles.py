"""Dependency files -> pinned packages: requirements.txt, pyproject.toml, poetry.lock, uv.lock,
Pipfile.lock, package-lock.json (v1/v2/v3), pnpm-lock.yaml (v5-v9), yarn.lock (v1 and berry)."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_LOCKFILE = 64 * 1024 * 1024
MAX_INCLUDE_DEPTH = 5


class LockfileError(Exception):
    """The file is not a dependency file we can read."""


@dataclass(frozen=True)
class Dependency:
    ecosystem: str  # "pypi" | "npm"
    name: str
    version: str | None  # None: not pinned (resolved to the latest release online)
    integrity: str | None = None  # "sha256:..." / "sha512-..." when the lockfile gives one
    resolved: str | None = None  # download URL when the lockfile gives one
    source: str = ""  # which file / line it came from

    @property
    def key(self) -> str:
        return f"{self.ecosystem}:{self.name}@{self.version or '*'}"


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_REQ_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def _pep508(spec: str, source: str) -> Dependency | None:
    spec = spec.split(";", 1)[0].strip()
    m = _REQ_RE.match(spec)
    if not m:
        return None
    name, rest = m.group(1), m.group(3).strip()
    if rest.startswith("@"):  # direct URL reference
        return Dependency("pypi", pep503(name), None, resolved=rest[1:].strip(), source=source)
    pin = re.match(r"^===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*$", rest.split(",")[0].strip()) if rest else None
    if pin and "," not in rest and "*" not in pin.group(1):
        return Dependency("pypi", pep503(name), pin.group(1), source=source)
    return Dependency("pypi", pep503(name), None, source=source)


def parse_requirements(path: Path, depth: int = 0, seen: set[Path] | None = None) -> list[Dependency]:
    seen = seen or set()
    path = path.resolve()
    if path in seen or depth > MAX_INCLUDE_DEPTH:
        return []
    seen.add(path)
    text = _read(path).replace("\\\n", " ")
    out: list[Dependency] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(?:^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        hashes = re.findall(r"--hash[= ]sha256:([0-9a-fA-F]{64})", line)
        line = re.sub(r"\s--hash[= ]\S+", "", line).strip()
        if line.startswith(("-r ", "--requirement ", "-c ", "--constraint ")):
            target = line.split(None, 1)[1].strip()
            if line.startswith(("-r", "--requirement")):
                out.extend(parse_requirements(path.parent / target, depth + 1, seen))
            continue
        if line.startswith("-") or "://" in line.split("@")[0] or line.startswith((".", "/")):
            continue  # options, editable installs, local paths: nothing to fetch by name
        dep = _pep508(line, f"{path.name}:{lineno}")
        if dep:
            if hashes:
                dep = Dependency(dep.ecosystem, dep.name, dep.version, f"sha256:{hashes[0].lower()}", dep.resolved,
                                 dep.source)
            out.append(dep)
    return out


def parse_pyproject(path: Path) -> list[Dependency]:
    doc = _toml(path)
    out: list[Dependency] = []
    project = doc.get("project") or {}
    for spec in project.get("dependencies") or []:
        dep = _pep508(str(spec), path.name)
        if dep:
            out.append(dep)
    for group in (project.get("optional-dependencies") or {}).values():
        for spec in group or []:
            dep = _pep508(str(spec), path.name)
            if dep:
                out.append(dep)
    poetry = ((doc.get("tool") or {}).get("poetry") or {})
    for table in ("dependencies", "dev-dependencies"):
        for name, spec in (poetry.get(table) or {}).items():
            if name.lower() == "python":
                continue
            version = spec.get("version") if isinstance(spec, dict) else spec
            pinned = None
            if isinstance(version, str):
                m = re.fullmatch(r"\s*=?=?\s*(\d[A-Za-z0-9.+!_-]*)\s*", version)
                pinned = m.group(1) if m else None
            out.append(Dependency("pypi", pep503(name), pinned, source=path.name))
    return out


def _toml_packages(path: Path) -> list[Dependency]:
    doc = _toml(path)
    out = []
    for pkg in doc.get("package") or []:
        if not isinstance(pkg, dict) or not pkg.get("name") or not pkg.get("version"):
            continue
        source = pkg.get("source") or {}
        if isinstance(source, dict) and (source.get("editable") or source.get("virtual") or source.get("directory")
                                         or source.get("path") or source.get("git")):
            continue
        if isinstance(source, dict) and source.get("type") in ("directory", "file", "git"):
            continue
        integrity = None
        sdist = pkg.get("sdist") if isinstance(pkg.get("sdist"), dict) else None
        if sdist and isinstance(sdist.get("hash"), str):
            integrity = sdist["hash"]
        out.append(Dependency("pypi", pep503(str(pkg["name"])), str(pkg["version"]), integrity,
                              sdist.get("url") if sdist else None, path.name))
    return out


def parse_pipfile_lock(path: Path) -> list[Dependency]:
    doc = _json(path)
    out = []
    for section in ("default", "develop"):
        for name, info in (doc.get(section) or {}).items():
            if not isinstance(info, dict):
                continue
            version = str(info.get("version") or "").lstrip("=") or None
            hashes = [h for h in info.get("hashes") or [] if isinstance(h, str)]
            out.append(Dependency("pypi", pep503(name), version, hashes[0] if hashes else None, source=path.name))
    return out


def parse_package_lock(path: Path) -> list[Dependency]:
    doc = _json(path)
    out: list[Dependency] = []
    packages = doc.get("packages")
    if isinstance(packages, dict) and packages:
        for key, info in packages.items():
            if not key or not isinstance(info, dict) or info.get("link") or "node_modules/" not in key:
                continue
            if info.get("inBundle"):
                continue
            name = info.get("name") or key.rsplit("node_modules/", 1)[1]
            version = info.get("version")
            if not version or str(version).startswith(("file:", "link:", "git")):
                continue
            out.append(Dependency("npm", name, str(version), info.get("integrity"), info.get("resolved"), path.name))
        return out

    def walk(deps: dict[str, Any], depth: int) -> None:
        if depth > 64:
            return
        for name, info in deps.items():
            if not isinstance(info, dict):
                continue
            version = info.get("version")
            if version and not str(version).startswith(("file:", "link:", "git", "http")) and not info.get("bundled"):
                out.append(Dependency("npm", name, str(version), info.get("integrity"), info.get("resolved"),
                                      path.name))
            if isinstance(info.get("dependencies"), dict):
                walk(info["dependencies"], depth + 1)

    walk(doc.get("dependencies") or {}, 0)
    return out


def _split_name_version(spec: str) -> tuple[str, str] | None:
    spec = spec.strip().lstrip("/")
    spec = re.sub(r"\(.*$", "", spec)  # pnpm v6+ peer suffix: name@1.0.0(react@18.0.0)
    if "@" not in spec[1:]:
        parts = spec.rsplit("/", 1)  # pnpm v5: /name/1.0.0 or /@scope/name/1.0.0
        if len(parts) == 2 and re.match(r"\d", parts[1]):
            return parts[0], parts[1].split("_", 1)[0]
        return None
    at = spec.rindex("@")
    if at == 0:
        return None
    return spec[:at], spec[at + 1:].split("_", 1)[0]


def parse_pnpm_lock(path: Path) -> list[Dependency]:
    import yaml

    try:
        doc = yaml.safe_load(_read(path))
    except yaml.YAMLError as exc:
        raise LockfileError(f"{path.name}: not valid YAML: {exc}") from exc
    out: list[Dependency] = []
    seen: set[tuple[str, str]] = set()
    for key, info in ((doc or {}).get("packages") or {}).items():
        nv = _split_name_version(str(key))
        if not nv:
            continue
        name, version = nv
        if not re.match(r"\d", version) or (name, version) in seen:
            continue
        seen.add((name, version))
        resolution = (info or {}).get("resolution") or {} if isinstance(info, dict) else {}
        if isinstance(resolution, dict) and (resolution.get("type") in ("directory", "git") or
                                             resolution.get("directory")):
            continue
        out.append(Dependency("npm", name, version, resolution.get("integrity") if isinstance(resolution, dict)
                              else None, resolution.get("tarball") if isinstance(resolution, dict) else None,
                              path.name))
    return out


def parse_yarn_lock(path: Path) -> list[Dependency]:
    text = _read(path)
    out: list[Dependency] = []
    seen: set[tuple[str, str]] = set()
    if "__metadata:" in text:  # berry: YAML
        import yaml

        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise LockfileError(f"{path.name}: not valid YAML: {exc}") from exc
        for key, info in doc.items():
            if key == "__metadata" or not isinstance(info, dict):
                continue
            resolution = str(info.get("resolution") or "")
            m = re.match(r"^(@?[^@]+)@npm:(\d[^\s#]*)$", resolution)
            if not m:
                continue  # workspace:, patch:, git, file: entries
            name, version = m.group(1), m.group(2)
            if (name, version) not in seen:
                seen.add((name, version))
                out.append(Dependency("npm", name, version, info.get("checksum"), None, path.name))
        return out
    current: list[str] = []
    version = resolved = integrity = None

    def flush() -> None:
        if current and version:
            name = _yarn_name(current[0])
            if name and (name, version) not in seen:
                seen.add((name, version))
                out.append(Dependency("npm", name, version, integrity, resolved, path.name))

    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            flush()
            current = [s.strip().strip('"') for s in line.rstrip(":").split(",")]
            version = resolved = integrity = None
        elif line.startswith("  ") and not line.startswith("    "):
            k, _, v = line.strip().partition(" ")
            v = v.strip().strip('"')
            if k == "version":
                version = v
            elif k == "resolved":
                resolved = v
            elif k == "integrity":
                integrity = v
    flush()
    return out


def _yarn_name(spec: str) -> str | None:
    spec = spec.strip().strip('"')
    at = spec.rfind("@")
    if at <= 0:
        return None
    name = spec[:at]
    return name.split("@npm:")[0] if "@npm:" in name else name


PARSERS = {
    "requirements.txt": parse_requirements,
    "pyproject.toml": parse_pyproject,
    "poetry.lock": _toml_packages,
    "uv.lock": _toml_packages,
    "pipfile.lock": parse_pipfile_lock,
    "package-lock.json": parse_package_lock,
    "npm-shrinkwrap.json": parse_package_lock,
    "pnpm-lock.yaml": parse_pnpm_lock,
    "yarn.lock": parse_yarn_lock,
}


def parse_lockfile(path: str | Path) -> list[Dependency]:
    """Every package a dependency file names, deduplicated, in file order."""
    p = Path(path)
    name = p.name.lower()
    parser = PARSERS.get(name)
    if parser is None and name.endswith((".txt", ".in")):
        parser = parse_requirements  # pip takes any name after -r: dev.txt, constraints.txt, requirements.in
    if parser is None and name.endswith(".lock") and "poetry" in name:
        parser = _toml_packages
    if parser is None:
        raise LockfileError(f"{p.name}: unknown dependency file (supported: {', '.join(sorted(PARSERS))})")
    deps = parser(p)
    unique: dict[str, Dependency] = {}
    for d in deps:
        unique.setdefault(d.key, d)
    return list(unique.values())


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LockfileError(f"cannot read {path}: {exc}") from exc
    if size > MAX_LOCKFILE:
        raise LockfileError(f"{path.name}: {size} bytes is over the {MAX_LOCKFILE}-byte limit")
    return path.read_text(encoding="utf-8", errors="replace")


def _json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise LockfileError(f"{path.name}: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise LockfileError(f"{path.name}: expected a JSON object")
    return doc


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise LockfileError(f"{path.name}: not valid TOML: {exc}") from exc
