"""Build small, inert package fixtures at test time (text only; nothing here is ever run)."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

from chainwatch.packages.analyze import PackageFacts, analyze_package
from chainwatch.packages.files import PackageFiles, from_bytes
from chainwatch.packages.judge import judge, verdict_of


def tar_bytes(files: dict[str, str | bytes], prefix: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{prefix}{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def wheel_bytes(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def sdist(name: str, version: str, files: dict[str, str | bytes], summary: str = "A library") -> bytes:
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\nHome-page: https://example.org/{name}\n\n"
    return tar_bytes({"PKG-INFO": pkg_info, **files}, f"{name}-{version}/")


def npm_tgz(name: str, version: str, files: dict[str, str | bytes], scripts: dict[str, str] | None = None,
            description: str = "A library") -> bytes:
    manifest = {"name": name, "version": version, "description": description, "main": "index.js",
                "repository": {"type": "git", "url": f"https://example.org/{name}.git"}}
    if scripts:
        manifest["scripts"] = scripts
    return tar_bytes({"package.json": json.dumps(manifest), **files}, "package/")


def facts_of(data: bytes) -> PackageFacts:
    return analyze_package(from_bytes(data))


def verdict(data: bytes) -> tuple[str, list[str]]:
    facts = facts_of(data)
    findings = judge(facts)
    return verdict_of(findings), sorted(f"{f.rule}:{f.severity.value}" for f in findings
                                        if f.severity.value in ("medium", "high", "critical"))


def write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


__all__ = ["PackageFiles", "facts_of", "npm_tgz", "sdist", "tar_bytes", "verdict", "wheel_bytes", "write"]
