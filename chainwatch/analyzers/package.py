"""Tree analyzer ``package``: a PyPI sdist/wheel or npm tarball (or an unpacked one) as a whole.

Writes ``features["package"]`` on the container (or directory) record: ecosystem, name, version,
metadata, install_hooks, dependencies, signals (see ``chainwatch.packages``). Rules in
``chainwatch/rules/package_rules.py`` turn the signals into findings.
"""

from __future__ import annotations

import re
from typing import Any

from chainwatch.analyzers.interface import AnalysisError, TreeAnalyzer, TreeContext
from chainwatch.models import MemberRecord

_MARKERS = re.compile(r"^(?:package\.json|PKG-INFO|setup\.py|pyproject\.toml|setup\.cfg|[^/]+\.dist-info/METADATA)$")


def _strip_top(paths: list[str]) -> list[str]:
    tops = {p.split("/", 1)[0] for p in paths}
    if len(tops) == 1 and all("/" in p for p in paths):
        return [p.split("/", 1)[1] for p in paths]
    return paths


def looks_like_package(member_paths: list[str]) -> bool:
    if not member_paths or len(member_paths) > 50_000:
        return False
    return any(_MARKERS.match(p) for p in _strip_top(member_paths))


class PackageAnalyzer(TreeAnalyzer):
    name = "package"
    version = 1

    def prepare(self) -> None:
        import chainwatch.packages.analyze  # noqa: F401 - loaded once in the parent, inherited by forked workers

    def applies(self, container: MemberRecord, member_paths: list[str]) -> bool:
        return looks_like_package(member_paths)

    def analyze(self, ctx: TreeContext) -> dict[str, Any]:
        from chainwatch.packages import files as pf
        from chainwatch.packages.analyze import analyze_package

        base = ctx.container.path
        pairs = []
        for record, fs_path in ctx.members:
            rel = record.path
            for sep in (base + "!/", base + "/"):
                if rel.startswith(sep):
                    rel = rel[len(sep):]
                    break
            else:
                continue
            if "!/" in rel:  # a member of a nested container belongs to that container's own package
                continue
            pairs.append((rel, fs_path))
        try:
            pkg = pf.from_members(pairs)
            facts = analyze_package(pkg)
        except pf.PackageReadError as exc:
            raise AnalysisError(str(exc)) from exc
        out = facts.to_dict()
        out["prefix"] = pkg.prefix
        return out


ANALYZERS = [PackageAnalyzer()]
