""".NET assembly facts with dnfile: identity, references, types, methods (hashed), resources, strong name.

A class added to a signed assembly (SolarWinds SUNBURST) shows up as a changed ``types`` list and
``methods_sha256`` between releases, so the diff can compare them without storing every method.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from chainwatch.binary import BinaryFormatError

MAX_TYPES_LISTED = 5000
MAX_METHODS = 500_000
MAX_REFERENCES = 1000
MAX_RESOURCES = 1000
CLR_DIRECTORY = 14


def _text(value: Any) -> str:
    if value is None:
        return ""
    inner = getattr(value, "value", value)
    if isinstance(inner, bytes):
        return inner.decode("utf-8", "replace")
    return str(inner)


def _version(row: Any) -> str:
    return f"{row.MajorVersion}.{row.MinorVersion}.{row.BuildNumber}.{row.RevisionNumber}"


def dotnet_facts(path: Path) -> dict[str, Any]:
    """The ``features["dotnet"]`` facts; raises ``BinaryFormatError`` when there is no readable CLR metadata."""
    import dnfile

    try:
        pe = dnfile.dnPE(str(path), fast_load=True, clr_lazy_load=True)
        pe.parse_data_directories(directories=[CLR_DIRECTORY])
    except Exception as exc:  # dnfile/pefile raise many types on hostile input
        raise BinaryFormatError(f"dnfile could not parse: {exc}") from exc
    try:
        net = pe.net
        if net is None or net.mdtables is None:
            raise BinaryFormatError("no CLR metadata")
        return _facts(net)
    except BinaryFormatError:
        raise
    except Exception as exc:
        raise BinaryFormatError(f"malformed CLR metadata: {exc}") from exc
    finally:
        pe.close()


def _rows(table: Any) -> list[Any]:
    return list(table.rows) if table is not None and table.rows else []


def _facts(net: Any) -> dict[str, Any]:
    tables = net.mdtables
    assembly = _rows(tables.Assembly)
    facts: dict[str, Any] = {
        "assembly_name": _text(assembly[0].Name) if assembly else None,
        "assembly_version": _version(assembly[0]) if assembly else None,
        "assembly_culture": _text(assembly[0].Culture) if assembly else None,
        "public_key_sha1": None,
        "runtime_version": _text(getattr(net.metadata.struct, "Version", "")).rstrip("\0") if net.metadata else None,
    }
    if assembly and assembly[0].PublicKey:
        key = getattr(assembly[0].PublicKey, "value", b"") or b""
        facts["public_key_sha1"] = hashlib.sha1(key).hexdigest() if key else None
    references = []
    for row in _rows(tables.AssemblyRef)[:MAX_REFERENCES]:
        references.append({"name": _text(row.Name), "version": _version(row)})
    facts["references"] = references

    typedefs = _rows(tables.TypeDef)
    enclosing = {}
    for row in _rows(tables.NestedClass):
        try:
            enclosing[row.NestedClass.row_index] = row.EnclosingClass.row_index
        except AttributeError:
            continue
    simple = [
        (f"{_text(r.TypeNamespace)}.{_text(r.TypeName)}" if _text(r.TypeNamespace) else _text(r.TypeName))
        for r in typedefs
    ]

    def qualified(index: int) -> str:  # row indexes are 1-based; nested types get "Outer/Inner"
        parts, seen = [simple[index - 1]], {index}
        while index in enclosing and enclosing[index] not in seen and 0 < enclosing[index] <= len(simple):
            index = enclosing[index]
            seen.add(index)
            parts.append(simple[index - 1])
        return "/".join(reversed(parts))

    # Method ranges from the raw MethodList start indexes: dnfile's resolved MethodList is O(n^2)-slow.
    method_rows = _rows(tables.MethodDef)
    starts = [int(getattr(r.struct, "MethodList_Index", 0) or 0) for r in typedefs]
    types: list[str] = []
    methods: list[str] = []
    for number in range(1, len(typedefs) + 1):
        full = qualified(number)
        types.append(full)
        start = starts[number - 1]
        end = starts[number] if number < len(starts) else len(method_rows) + 1
        for index in range(max(start, 1), min(max(end, start), len(method_rows) + 1)):
            if len(methods) >= MAX_METHODS:
                break
            methods.append(f"{full}::{_text(method_rows[index - 1].Name)}")
    facts["type_count"] = len(types)
    facts["types"] = sorted(types)[:MAX_TYPES_LISTED]
    facts["types_truncated"] = len(types) > MAX_TYPES_LISTED
    facts["method_count"] = len(methods)
    facts["methods_sha256"] = hashlib.sha256("\n".join(sorted(methods)).encode()).hexdigest()
    facts["types_sha256"] = hashlib.sha256("\n".join(sorted(types)).encode()).hexdigest()

    resources = []
    for row in _rows(tables.ManifestResource)[:MAX_RESOURCES]:
        resources.append(_text(row.Name))
    facts["resources"] = resources

    flags = net.Flags
    signature_size = int(getattr(net.struct, "StrongNameSignatureSize", 0) or 0)
    facts["strong_name"] = {
        "flag": bool(getattr(flags, "CLR_STRONGNAMESIGNED", False)),
        "signature_size": signature_size,
        "present": bool(getattr(flags, "CLR_STRONGNAMESIGNED", False)) and signature_size > 0,
    }
    facts["il_only"] = bool(getattr(flags, "CLR_ILONLY", False))
    facts["native_entrypoint"] = bool(getattr(flags, "CLR_NATIVE_ENTRYPOINT", False))
    return facts
