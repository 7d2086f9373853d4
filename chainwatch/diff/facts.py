"""Tolerant accessors over the facts contract (docs/ARCHITECTURE.md) and the generic fact delta.

Every accessor returns an empty value when an analyzer did not run or a key is missing, so delta
rules never crash on partial facts (old baselines, members over the analysis limit, parser errors).
"""

from __future__ import annotations

from typing import Any

from chainwatch.models import MemberRecord

BINARY_PREFIXES = ("pe", "elf", "macho")
MAX_LIST_DELTA = 50  # items listed per added/removed list in a delta (the count is always exact)


def feat(record: MemberRecord | None, name: str) -> dict[str, Any]:
    if record is None:
        return {}
    value = record.features.get(name)
    return value if isinstance(value, dict) else {}


def is_binary(record: MemberRecord | None) -> bool:
    return record is not None and record.type.split("/")[0] in BINARY_PREFIXES


def is_script(record: MemberRecord | None) -> bool:
    return record is not None and (record.type.startswith("script") or record.type.startswith("text/script"))


def version_info(record: MemberRecord | None) -> dict[str, str]:
    vi = feat(record, "pe").get("version_info") or {}
    return {str(k): str(v) for k, v in vi.items()} if isinstance(vi, dict) else {}


def claimed_version(record: MemberRecord | None) -> str | None:
    """The version a member claims about itself (PE version resource, .NET assembly version)."""
    vi = version_info(record)
    for key in ("FileVersion", "ProductVersion"):
        if vi.get(key):
            return vi[key].strip()
    dn = feat(record, "dotnet").get("assembly_version")
    return str(dn) if dn else None


def claimed_product(record: MemberRecord | None) -> str | None:
    vi = version_info(record)
    return vi.get("ProductName") or vi.get("OriginalFilename") or vi.get("InternalName") or None


def pe_imports(record: MemberRecord | None) -> set[str]:
    """Imported function names of a PE (imports and delay imports) or an ELF."""
    out: set[str] = set()
    pe = feat(record, "pe")
    for table in ("imports", "delay_imports"):
        imports = pe.get(table) or {}
        if isinstance(imports, dict):
            for names in imports.values():
                out.update(str(n) for n in (names or []) if n)
    elf_imports = feat(record, "elf").get("imports") or []
    out.update(str(n) for n in elf_imports if n)
    return out


def signatures(record: MemberRecord | None) -> list[dict[str, Any]]:
    sigs = feat(record, "authenticode").get("signatures") or []
    return [s for s in sigs if isinstance(s, dict)]


def signer(record: MemberRecord | None) -> str | None:
    """Primary signer: Authenticode subject, else Mach-O Team ID / identity."""
    sigs = signatures(record)
    if sigs and sigs[0].get("signer_subject"):
        return str(sigs[0]["signer_subject"])
    team = macho_team_id(record)
    return f"Team ID {team}" if team else None


def signature_status(record: MemberRecord | None) -> str | None:
    au = feat(record, "authenticode")
    if au:
        status = au.get("status")
        if status:
            return str(status)
        return "valid" if au.get("signed") else "unsigned"
    return None


def macho_team_id(record: MemberRecord | None) -> str | None:
    for sl in feat(record, "macho").get("slices") or []:
        cs = (sl or {}).get("codesign") or {}
        if cs.get("team_id"):
            return str(cs["team_id"])
    return None


def macho_sign_kind(record: MemberRecord | None) -> str | None:
    kinds = [((sl or {}).get("codesign") or {}).get("kind") for sl in feat(record, "macho").get("slices") or []]
    kinds = [k for k in kinds if k]
    return kinds[0] if kinds else None


def macho_dylibs(record: MemberRecord | None) -> set[str]:
    out: set[str] = set()
    for sl in feat(record, "macho").get("slices") or []:
        for key in ("dylibs", "weak_dylibs", "reexport_dylibs", "lazy_dylibs", "upward_dylibs"):
            for d in (sl or {}).get(key) or []:
                out.add(str(d.get("name") if isinstance(d, dict) else d))
    return out


def cert_slack(record: MemberRecord | None) -> dict[str, Any]:
    """Bytes hidden in the certificate table: slack after each PKCS#7 blob, trailing bytes inside the table
    after the last entry, and data after the table (beyond 0-7 zero alignment bytes)."""
    ct = feat(record, "authenticode").get("cert_table") or {}
    regions = [(e or {}).get("slack") or {} for e in ct.get("entries") or []]
    regions.append(ct.get("trailing") or {})
    after = ct.get("data_after_table")
    if isinstance(after, dict):
        regions.append({**after, "length": after.get("size", after.get("length", 0))})
    elif isinstance(after, int) and after:
        regions.append({"length": after, "all_zero": False})
    total = 0
    nonzero = sigflip = False
    entropy = 0.0
    offsets = []
    for region in regions:
        length = int(region.get("length") or 0)
        if not length or (region.get("all_zero", False) and length <= 8):
            continue
        total += length
        nonzero = nonzero or not region.get("all_zero", False)
        sigflip = sigflip or bool(region.get("sigflip_tag"))
        entropy = max(entropy, float(region.get("entropy") or 0.0))
        offsets.append(region.get("offset"))
    return {"bytes": total, "nonzero": nonzero, "sigflip_tag": sigflip, "entropy": round(entropy, 2),
            "offsets": offsets}


def count(value: Any) -> int:
    """Size of a fact that is a list, a {count, entries} dict or a number."""
    if isinstance(value, dict):
        return int(value.get("count") or len(value.get("entries") or []))
    if isinstance(value, list):
        return len(value)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def names_of(value: Any) -> set[str]:
    items = value.get("entries") if isinstance(value, dict) else value
    out = set()
    for item in items or []:
        if isinstance(item, dict):
            out.add(str(item.get("name") or item.get("address") or item.get("resolver") or sorted(item.items())))
        else:
            out.add(str(item))
    return out


def sections(record: MemberRecord | None) -> list[dict[str, Any]]:
    for name in ("pe", "elf"):
        secs = feat(record, name).get("sections")
        if secs:
            return [s for s in secs if isinstance(s, dict)]
    return []


def capability_ids(record: MemberRecord | None) -> dict[str, dict[str, Any]]:
    caps = (record.features.get("capabilities") if record else None) or []
    if isinstance(caps, dict):
        caps = caps.get("capabilities") or caps.get("items") or []
    out = {}
    for c in caps:
        if isinstance(c, dict) and c.get("id"):
            out[str(c["id"])] = c
        elif isinstance(c, str):
            out[c] = {"id": c}
    return out


def network_indicators(record: MemberRecord | None) -> set[str]:
    st = feat(record, "strings")
    out: set[str] = set()
    for key in ("urls", "domains", "ips"):
        for v in st.get(key) or []:
            out.add(str(v.get("value") if isinstance(v, dict) else v))
    return out


def package(record: MemberRecord | None) -> dict[str, Any]:
    return feat(record, "package")


def summary(record: MemberRecord | None) -> dict[str, Any]:
    """The few facts a reviewer compares side by side."""
    if record is None:
        return {}
    out: dict[str, Any] = {"path": record.path, "type": record.type, "size": record.size, "sha256": record.sha256,
                           "entropy": round(record.entropy, 3)}
    v = claimed_version(record)
    if v:
        out["version"] = v
    prod = claimed_product(record)
    if prod:
        out["product"] = prod
    status = signature_status(record)
    if status:
        out["signature"] = status
    s = signer(record)
    if s:
        out["signer"] = s
    pkg = package(record)
    if pkg.get("name"):
        out["package"] = f"{pkg.get('ecosystem', '')}:{pkg.get('name')}@{pkg.get('version', '')}"
    caps = sorted(capability_ids(record))
    if caps:
        out["capabilities"] = caps
    return out


def _delta_list(a: list[Any], b: list[Any]) -> dict[str, Any] | None:
    def key(x: Any) -> str:
        if isinstance(x, dict):
            for k in ("id", "name", "value"):
                if k in x:
                    return str(x[k])
            return repr(sorted(x.items()))
        return str(x)

    ka = {key(x) for x in a}
    kb = {key(x) for x in b}
    added, removed = sorted(kb - ka), sorted(ka - kb)
    if not added and not removed:
        return None
    out: dict[str, Any] = {}
    if added:
        out["added"] = added[:MAX_LIST_DELTA]
        out["added_count"] = len(added)
    if removed:
        out["removed"] = removed[:MAX_LIST_DELTA]
        out["removed_count"] = len(removed)
    return out


def fact_delta(a: Any, b: Any, depth: int = 0) -> Any:
    """Structural difference of two fact values: None when equal."""
    if a == b:
        return None
    if isinstance(a, dict) and isinstance(b, dict) and depth < 4:
        out = {}
        for k in sorted(set(a) | set(b)):
            d = fact_delta(a.get(k), b.get(k), depth + 1)
            if d is not None:
                out[k] = d
        return out or None
    if isinstance(a, list) and isinstance(b, list):
        return _delta_list(a, b)
    if a is None and isinstance(b, list):
        return _delta_list([], b)
    if b is None and isinstance(a, list):
        return _delta_list(a, [])
    return {"before": _short(a), "after": _short(b)}


def _short(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        text = repr(v)
        return text[:200] + ("…" if len(text) > 200 else "")
    return v


def member_delta(old: MemberRecord, new: MemberRecord) -> dict[str, Any]:
    """Fact-level delta of a modified member, per analyzer, plus size/entropy/TLSH."""
    out: dict[str, Any] = {}
    if old.size != new.size:
        out["size"] = {"before": old.size, "after": new.size}
    if round(old.entropy, 2) != round(new.entropy, 2):
        out["entropy"] = {"before": round(old.entropy, 3), "after": round(new.entropy, 3)}
    if old.type != new.type:
        out["type"] = {"before": old.type, "after": new.type}
    for name in sorted(set(old.features) | set(new.features)):
        d = fact_delta(old.features.get(name), new.features.get(name))
        if d is not None:
            out[name] = d
    return out
