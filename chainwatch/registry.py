"""Discovery of plug-ins: every module of a plug-in package that defines the named list is loaded.

Adding an analyzer, rule, unpacker, report format or CLI command is adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any


def _modules(package: str) -> list[ModuleType]:
    pkg = importlib.import_module(package)
    out = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "interface":
            continue
        out.append(importlib.import_module(f"{package}.{info.name}"))
    return out


def collect(package: str, attribute: str) -> list[Any]:
    items: list[Any] = []
    for module in _modules(package):
        items.extend(getattr(module, attribute, ()))
    return items


@cache
def member_analyzers() -> tuple[Any, ...]:
    from chainwatch.analyzers.interface import MemberAnalyzer

    return tuple(a for a in collect("chainwatch.analyzers", "ANALYZERS") if isinstance(a, MemberAnalyzer))


@cache
def tree_analyzers() -> tuple[Any, ...]:
    from chainwatch.analyzers.interface import TreeAnalyzer

    return tuple(a for a in collect("chainwatch.analyzers", "ANALYZERS") if isinstance(a, TreeAnalyzer))


@cache
def member_rules() -> tuple[Any, ...]:
    from chainwatch.rules.interface import MemberRule

    return tuple(r for r in collect("chainwatch.rules", "RULES") if isinstance(r, MemberRule))


@cache
def inventory_rules() -> tuple[Any, ...]:
    from chainwatch.rules.interface import InventoryRule

    return tuple(r for r in collect("chainwatch.rules", "RULES") if isinstance(r, InventoryRule))


@cache
def unpackers() -> tuple[Any, ...]:
    items = collect("chainwatch.unpack", "UNPACKERS")
    return tuple(sorted(items, key=lambda u: u.priority))


@cache
def report_formats() -> dict[str, Any]:
    return {f.name: f for f in collect("chainwatch.report", "FORMATS")}
