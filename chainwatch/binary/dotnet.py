""".NET assembly facts with dnfile: identity, references, types, methods (hashed), resources, strong name.

A class added to a signed assembly (SolarWinds SUNBURST) shows up as a changed ``types`` list and
``methods_sha256`` between releases, so the diff can compare them without storing every method.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any

from chainwatch.binary import BinaryFormatError

MAX_TYPES_LISTED = 5000
MAX_METHODS = 500_000
MAX_TYPES = 200_000
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


def _raw_rows(table: Any, limit: int) -> list[dict[str, int]]:
    """Rows of one metadata table as raw column values (string/blob heap indexes, row indexes).

    dnfile resolves every row of every table on first attribute access (pure Python, seconds per MB);
    we only need six tables' raw columns, so we unpack them with dnfile's own per-table row layout.
    """
    if table is None or not table.num_rows:
        return []
    count = min(int(table.num_rows), limit)
    first = table.rows[0]  # builds one row: gives the column layout, no cross-table resolution
    if first is None:
        return []
    _, columns = first._format
    layout = "<" + "".join(column.split(",", 1)[0] for column in columns)
    names = [column.split(",", 1)[1] for column in columns]
    data = getattr(table, "_table_data", b"") or b""
    size = struct.calcsize(layout)
    if data and table.row_size:
        count = min(count, len(data) // int(table.row_size))  # a hostile row count cannot outrun the data
    if size == table.row_size and len(data) >= size * count:
        return [dict(zip(names, values)) for values in struct.iter_unpack(layout, data[: size * count])]
    out = []  # fallback: dnfile's lazily built rows, one by one (slower, same values)
    for index in range(count):
        row = table.rows[index]
        if row is None:
            break
        out.append({name: getattr(row.struct, name, 0) for name in names})
    return out


def _facts(net: Any) -> dict[str, Any]:
    tables = net.mdtables

    def text(index: int) -> str:
        try:
            return _text(net.strings.get(index)) if net.strings is not None else ""
        except Exception:  # out-of-range index in a hostile heap
            return ""

    def blob(index: int) -> bytes:
        try:
            item = net.blobs.get(index) if net.blobs is not None else None
        except Exception:
            return b""
        value = getattr(item, "value", b"")
        return value if isinstance(value, bytes) else b""

    def version(row: dict[str, int]) -> str:
        return f"{row['MajorVersion']}.{row['MinorVersion']}.{row['BuildNumber']}.{row['RevisionNumber']}"

    assembly = _raw_rows(getattr(tables, "Assembly", None), 1)
    key = blob(assembly[0]["PublicKey_BlobIndex"]) if assembly else b""
    facts: dict[str, Any] = {
        "assembly_name": text(assembly[0]["Name_StringIndex"]) if assembly else None,
        "assembly_version": version(assembly[0]) if assembly else None,
        "assembly_culture": text(assembly[0]["Culture_StringIndex"]) if assembly else None,
        "public_key_sha1": hashlib.sha1(key).hexdigest() if key else None,
        "runtime_version": _text(getattr(net.metadata.struct, "Version", "")).rstrip("\0") if net.metadata else None,
    }
    references: list[str] = []
    versions: dict[str, str] = {}
    for row in _raw_rows(getattr(tables, "AssemblyRef", None), MAX_REFERENCES):
        name = text(row["Name_StringIndex"])
        references.append(name)
        versions[name] = version(row)
    facts["references"] = references
    facts["reference_versions"] = versions

    typedefs = _raw_rows(getattr(tables, "TypeDef", None), MAX_TYPES)
    enclosing = {row["NestedClass_Index"]: row["EnclosingClass_Index"]
                 for row in _raw_rows(getattr(tables, "NestedClass", None), MAX_TYPES)}
    simple = []
    for row in typedefs:
        namespace, name = text(row["TypeNamespace_StringIndex"]), text(row["TypeName_StringIndex"])
        simple.append(f"{namespace}.{name}" if namespace else name)

    def qualified(index: int) -> str:  # row indexes are 1-based; nested types get "Outer/Inner"
        parts, seen = [simple[index - 1]], {index}
        while index in enclosing and enclosing[index] not in seen and 0 < enclosing[index] <= len(simple):
            index = enclosing[index]
            seen.add(index)
            parts.append(simple[index - 1])
        return "/".join(reversed(parts))

    # A type owns the methods from its MethodList index up to the next type's (ECMA-335 II.22.37).
    method_rows = _raw_rows(getattr(tables, "MethodDef", None), MAX_METHODS)
    starts = [row["MethodList_Index"] for row in typedefs]
    types: list[str] = []
    methods: list[str] = []
    for number in range(1, len(typedefs) + 1):
        full = qualified(number)
        types.append(full)
        start = starts[number - 1]
        end = starts[number] if number < len(starts) else len(method_rows) + 1
        for index in range(max(start, 1), min(max(end, start), len(method_rows) + 1)):
            methods.append(f"{full}::{text(method_rows[index - 1]['Name_StringIndex'])}")
    facts["type_count"] = len(types)
    facts["types"] = sorted(types)[:MAX_TYPES_LISTED]
    facts["types_truncated"] = len(types) > MAX_TYPES_LISTED
    facts["method_count"] = len(methods)
    facts["methods_sha256"] = hashlib.sha256("\n".join(sorted(methods)).encode()).hexdigest()
    facts["types_sha256"] = hashlib.sha256("\n".join(sorted(types)).encode()).hexdigest()

    facts["resources"] = [text(row["Name_StringIndex"])
                          for row in _raw_rows(getattr(tables, "ManifestResource", None), MAX_RESOURCES)]
    flags = net.Flags
    signature_size = int(getattr(net.struct, "StrongNameSignatureSize", 0) or 0)
    flagged = bool(getattr(flags, "CLR_STRONGNAMESIGNED", False))
    facts["strong_name"] = flagged and signature_size > 0  # flag set and a signature blob reserved
    facts["strong_name_flag"] = flagged
    facts["strong_name_signature_size"] = signature_size
    facts["il_only"] = bool(getattr(flags, "CLR_ILONLY", False))
    facts["native_entrypoint"] = bool(getattr(flags, "CLR_NATIVE_ENTRYPOINT", False))
    return facts
