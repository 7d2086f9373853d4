"""Built-in campaign packs: data files under ``chainwatch/data/packs`` (``<id>.json`` + our own ``.yar``).

Every indicator names the public sources it comes from (``sources`` keys into the pack's source table);
the first source's URL becomes ``Indicator.reference`` and all of them go into ``extra["reported_by"]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainwatch.intel.model import Indicator, IndicatorKind, normalize_value

PACK_DIR = Path(__file__).resolve().parents[1] / "data" / "packs"
SOURCE_PREFIX = "builtin"


@dataclass(frozen=True)
class Pack:
    id: str
    campaign: str
    description: str
    data: dict[str, Any]
    path: Path

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}:{self.id}"

    def _refs(self, keys: list[str]) -> tuple[str | None, list[dict[str, Any]]]:
        table = self.data.get("sources", {})
        cited = [{"key": k, **table.get(k, {"name": k})} for k in keys]
        url = next((c.get("url") for c in cited if c.get("url")), None)
        return url, cited

    def indicators(self) -> Iterator[Indicator]:
        for item in self.data.get("indicators", []):
            kind = IndicatorKind(item["kind"])
            url, cited = self._refs(item.get("sources", []))
            extra: dict[str, Any] = {"reported_by": [c["name"] for c in cited], "pack": self.id}
            if item.get("fp_regex"):
                extra["fp_regex"] = item["fp_regex"]
            yield Indicator(
                kind=kind, value=normalize_value(kind, item["value"]), source=self.source,
                score=int(item.get("score", 75)), description=item.get("description", ""),
                campaign=self.campaign, first_seen=self.data.get("first_seen"), last_seen=self.data.get("last_seen"),
                reference=url, extra=extra,
            )
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for sw in self.data.get("software", []):  # one indicator per release, platforms merged
            for version in sw.get("affected", []):
                entry = merged.setdefault((sw["product"], version), {"sw": sw, "platforms": [], "sources": []})
                if sw.get("platform") and sw["platform"] not in entry["platforms"]:
                    entry["platforms"].append(sw["platform"])
                entry["sources"] += [k for k in sw.get("sources", []) if k not in entry["sources"]]
        for (product, version), entry in merged.items():
            sw = entry["sw"]
            url, cited = self._refs(entry["sources"])
            platforms = entry["platforms"]
            yield Indicator(
                kind=IndicatorKind.SOFTWARE, value=normalize_value(IndicatorKind.SOFTWARE, f"{product}@{version}"),
                source=self.source, score=int(sw.get("score", 80)),
                description=f"{sw.get('display', product)} {version} ({', '.join(platforms) or 'any platform'}) is "
                            f"an affected release" + (f"; fixed in {sw['fixed']}" if sw.get("fixed") else ""),
                campaign=self.campaign, first_seen=self.data.get("first_seen"),
                last_seen=self.data.get("last_seen"), reference=url,
                extra={"reported_by": [c["name"] for c in cited], "pack": self.id, "product": product,
                       "display": sw.get("display", product), "version": version, "names": sw.get("names", []),
                       "bundle_ids": sw.get("bundle_ids", []), "platforms": platforms, "fixed": sw.get("fixed")},
            )
        for name in self.data.get("yara", []):
            path = self.path.parent / name
            yield Indicator(
                kind=IndicatorKind.YARA, value=path.read_text(encoding="utf-8"), source=self.source, score=80,
                description=f"chainwatch YARA-X rules for {self.campaign} ({name})", campaign=self.campaign,
                extra={"file": name, "pack": self.id},
            )


def load_pack(path: Path) -> Pack:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Pack(id=data["id"], campaign=data["campaign"], description=data.get("description", ""), data=data,
                path=path)


def builtin_packs(pack_dir: Path = PACK_DIR) -> list[Pack]:
    return [load_pack(p) for p in sorted(pack_dir.glob("*.json"))]


def builtin_indicators(pack_ids: set[str] | None = None) -> Iterator[Indicator]:
    for pack in builtin_packs():
        if pack_ids is None or pack.id in pack_ids:
            yield from pack.indicators()
