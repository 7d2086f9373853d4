"""``--format cyclonedx``: a CycloneDX 1.6 SBOM of the inventory, built and serialised with
cyclonedx-python-lib so it validates against the official schema.

The scanned artifact is ``metadata.component``; every member is a component whose ``name`` is its
logical path, with MD5/SHA-1/SHA-256 hashes and chainwatch facts as properties (type, size, entropy,
TLSH, package or version-resource data). Members of an opened container are nested inside that
container's component, so the tree of the artifact survives; directories are flattened away.

cyclonedx-python-lib keeps every collection in sorted sets whose comparisons build 30-field tuples,
and its ``Bom.validate`` is quadratic: several seconds per 1,000 members on a 2-core machine. Up to ``LIBRARY_LIMIT``
members the library builds and writes the document; above it the same document (same structure and
order; a test holds the two writers equal) is written directly, so a 20,000-file wheel takes seconds.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.dependency import Dependency
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from chainwatch._version import __version__
from chainwatch.models import Finding, MemberRecord, Report
from chainwatch.report._common import visible
from chainwatch.report.interface import RenderOptions, ReportFormat

NS = "chainwatch"
LIBRARY_LIMIT = 250  # members; above this the direct writer is used (see module docstring)
PRETTY_LIMIT = 5000  # members; above this the direct writer writes compact JSON (indenting is slow in Python)
SCHEMA_URI = "http://cyclonedx.org/schema/bom-1.6.schema.json"
_PURL_TYPES = {"pypi": "pypi", "python": "pypi", "npm": "npm", "nuget": "nuget", "cargo": "cargo", "gem": "gem"}
_VERSION_KEYS = ("FileVersion", "ProductVersion")
_VERSION_INFO_PROPS = ("CompanyName", "ProductName", "FileVersion", "ProductVersion", "OriginalFilename")
_HASHES = (("MD5", "md5", 32), ("SHA-1", "sha1", 40), ("SHA-256", "sha256", 64))
_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass
class Spec:
    """One component, library-independent: what both writers serialise."""

    name: str
    type: str  # CycloneDX component type value: "file", "library", "application"
    bom_ref: str
    version: str | None = None
    hashes: list[tuple[str, str]] = field(default_factory=list)  # (alg, hex)
    purl: PackageURL | None = None
    properties: list[tuple[str, str]] = field(default_factory=list)
    children: list[Spec] = field(default_factory=list)


@dataclass
class BomSpec:
    root: Spec
    components: list[Spec]
    metadata_properties: list[tuple[str, str]]


# --- facts -> specs -------------------------------------------------------------------------------------


def _is_directory(record: MemberRecord) -> bool:
    return record.type in ("directory", "dir", "inode/directory")


def _package_facts(record: MemberRecord) -> dict[str, Any]:
    package = record.features.get("package")
    return package if isinstance(package, dict) else {}


def _version_info(record: MemberRecord) -> dict[str, Any]:
    pe = record.features.get("pe")
    info = pe.get("version_info") if isinstance(pe, dict) else None
    return info if isinstance(info, dict) else {}


def _component_type(record: MemberRecord, is_root: bool) -> str:
    if _package_facts(record):
        return "library"
    pe = record.features.get("pe")
    if isinstance(pe, dict) and pe.get("is_dll"):
        return "library"
    if record.type.startswith("elf") and ".so" in record.name:
        return "library"
    if is_root and record.container:
        return "application"
    return "file"


def _hashes(record: MemberRecord) -> list[tuple[str, str]]:
    out = []
    for alg, attr, length in _HASHES:
        value = getattr(record, attr) or ""
        if len(value) == length and _HEX.fullmatch(value):
            out.append((alg, value.lower()))
    return out


def _properties(record: MemberRecord, findings: list[Finding]) -> list[tuple[str, str]]:
    props = [
        (f"{NS}:type", record.type or "unknown"),
        (f"{NS}:size", str(record.size)),
        (f"{NS}:entropy", f"{record.entropy:.4f}"),
        (f"{NS}:depth", str(record.depth)),
    ]
    if record.tlsh:
        props.append((f"{NS}:tlsh", record.tlsh))
    package = _package_facts(record)
    for key in ("ecosystem", "name", "version"):
        if package.get(key):
            props.append((f"{NS}:package:{key}", visible(package[key])))
    info = _version_info(record)
    for key in _VERSION_INFO_PROPS:
        if info.get(key):
            props.append((f"{NS}:pe:version_info:{key}", visible(info[key])))
    for f in findings:
        props.append((f"{NS}:finding", f"{f.severity.value} {f.rule}"))
    return props


def _purl(record: MemberRecord) -> PackageURL | None:
    package = _package_facts(record)
    purl_type = _PURL_TYPES.get(str(package.get("ecosystem", "")).lower())
    name = package.get("name")
    if not purl_type or not name:
        return None
    namespace = None
    name = str(name)
    if purl_type == "npm" and name.startswith("@") and "/" in name:
        namespace, name = name.split("/", 1)
    try:
        return PackageURL(type=purl_type, namespace=namespace, name=name,
                          version=str(package["version"]) if package.get("version") else None)
    except ValueError:
        return None


def _version(record: MemberRecord) -> str | None:
    package = _package_facts(record)
    if package.get("version"):
        return visible(package["version"])
    info = _version_info(record)
    for key in _VERSION_KEYS:
        if info.get(key):
            return visible(info[key])
    return None


class _RefMaker:
    """Unique bom-refs derived from member paths (duplicate paths in hostile archives get a suffix)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, path: str) -> str:
        base = "member:" + (path or "artifact")
        ref, n = base, 1
        while ref in self.seen:
            n += 1
            ref = f"{base}#{n}"
        self.seen.add(ref)
        return ref


def _spec(record: MemberRecord, findings: list[Finding], refs: _RefMaker, is_root: bool) -> Spec:
    return Spec(name=record.path or "artifact", type=_component_type(record, is_root), bom_ref=refs(record.path),
                version=_version(record), hashes=_hashes(record), purl=_purl(record),
                properties=_properties(record, findings))


def _find_root(report: Report) -> MemberRecord | None:
    """The inventory record of the artifact itself, when the inventory has exactly one top record."""
    tops = [m for m in report.inventory if not m.parent]
    return tops[0] if len(tops) == 1 else None


def _nearest_kept_parent(record: MemberRecord, by_path: dict[str, MemberRecord]) -> str | None:
    """Walk up through directory records (which are not components) to the nearest real parent."""
    parent = record.parent
    hops = 0
    while parent and parent in by_path and _is_directory(by_path[parent]) and hops < 10_000:
        parent = by_path[parent].parent
        hops += 1
    return parent


def bom_spec(report: Report) -> BomSpec:
    refs = _RefMaker()
    findings_by_path: dict[str, list[Finding]] = {}
    for f in report.findings:
        findings_by_path.setdefault(f.path, []).append(f)

    root_record = _find_root(report)
    if root_record is not None:
        root = _spec(root_record, findings_by_path.get(root_record.path, []), refs, is_root=True)
    else:
        artifact = report.artifact or {}
        name = str(artifact.get("name") or report.target)
        sha = str(artifact.get("sha256") or "")
        root = Spec(name=visible(name), type="application", bom_ref=refs(name),
                    version=visible(artifact["version"]) if artifact.get("version") else None,
                    hashes=[("SHA-256", sha.lower())] if len(sha) == 64 else [])
    root.properties.append((f"{NS}:target", visible(report.target)))

    by_path = {m.path: m for m in report.inventory}
    specs: dict[str, Spec] = {}
    order: list[tuple[MemberRecord, Spec]] = []
    for record in report.inventory:
        if record is root_record or _is_directory(record):
            continue
        spec = _spec(record, findings_by_path.get(record.path, []), refs, is_root=False)
        specs.setdefault(record.path, spec)
        order.append((record, spec))
    top_level: list[Spec] = []
    for record, spec in order:
        parent_path = _nearest_kept_parent(record, by_path)
        parent = specs.get(parent_path) if parent_path else None
        if parent is not None and parent is not spec:
            parent.children.append(spec)
        else:
            top_level.append(spec)
    meta = [(f"{NS}:verdict", report.verdict.value), (f"{NS}:score", str(report.score)),
            (f"{NS}:findings", str(len(report.findings))), (f"{NS}:errors", str(len(report.errors)))]
    return BomSpec(root=root, components=top_level, metadata_properties=meta)


def _count(specs: Iterable[Spec]) -> int:
    return sum(1 + _count(s.children) for s in specs)


# --- writer 1: cyclonedx-python-lib ----------------------------------------------------------------------


def _to_component(spec: Spec) -> Component:
    return Component(
        name=spec.name, type=ComponentType(spec.type), bom_ref=spec.bom_ref, version=spec.version,
        hashes=[HashType(alg=HashAlgorithm(alg), content=value) for alg, value in spec.hashes],
        purl=spec.purl, properties=[Property(name=n, value=v) for n, v in spec.properties],
        components=[_to_component(c) for c in spec.children],
    )


def build_bom(report: Report, spec: BomSpec | None = None) -> Bom:
    spec = spec or bom_spec(report)
    root = _to_component(spec.root)
    top_level = [_to_component(s) for s in spec.components]
    bom = Bom()
    bom.metadata.component = root
    bom.metadata.tools.components.add(Component(name="chainwatch", version=__version__, type=ComponentType.APPLICATION))
    bom.metadata.properties.update(Property(name=n, value=v) for n, v in spec.metadata_properties)
    bom.components.update(top_level)
    # Containment is nesting; the dependency graph says the artifact bundles its top-level members.
    # Built directly: Bom.register_dependency searches the graph linearly.
    bom.dependencies.update(
        [Dependency(ref=root.bom_ref, dependencies=[Dependency(ref=c.bom_ref) for c in top_level])]
        + [Dependency(ref=c.bom_ref) for c in top_level]
    )
    return bom


def _all_components(components: Iterable[Component]) -> Iterable[Component]:
    for c in components:
        yield c
        yield from _all_components(c.components)


def _check_graph(bom: Bom) -> None:
    """What ``Bom.validate`` guarantees, in linear time: every dependency ref names a component."""
    known = {c.bom_ref.value for c in _all_components([bom.metadata.component] if bom.metadata.component else [])}
    known |= {c.bom_ref.value for c in _all_components(bom.components)}
    for dep in bom.dependencies:
        missing = [r for r in (dep.ref.value, *(d.ref.value for d in dep.dependencies)) if r not in known]
        if missing:
            raise ValueError(f"dependency graph names unknown components: {missing[:3]}")


class _LinearJsonV1Dot6(JsonV1Dot6):
    """The library's CycloneDX 1.6 JSON outputter without its quadratic ``Bom.validate`` pass: ``build_bom``
    already puts every top-level component in the dependency graph (validate's first step, one linear search
    at a time) and ``_check_graph`` performs its integrity check. Serialisation is the library's own."""

    def generate(self, force_regeneration: bool = False) -> None:
        if self.generated and not force_regeneration:
            return
        from cyclonedx.contrib.bom.utils import BomDependencyGraphFlatMerger, BomRefDiscriminator
        from cyclonedx.schema.schema import SCHEMA_VERSIONS

        bom = self.get_bom()
        _check_graph(bom)
        with BomRefDiscriminator.from_bom(bom), BomDependencyGraphFlatMerger(bom):
            bom_json: dict[str, Any] = json.loads(
                bom.as_json(view_=SCHEMA_VERSIONS[self.schema_version_enum]))  # type: ignore[attr-defined]
        bom_json.update({"$schema": self._get_schema_uri(), "bomFormat": "CycloneDX",
                         "specVersion": self.schema_version.to_version()})
        self._bom_json = bom_json
        self.generated = True


def library_document(report: Report, spec: BomSpec | None = None) -> str:
    bom = build_bom(report, spec)
    try:
        return _LinearJsonV1Dot6(bom).output_as_string(indent=2)
    except ImportError:  # another cyclonedx-python-lib layout: its stock outputter
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return JsonV1Dot6(bom).output_as_string(indent=2)


# --- writer 2: direct (same structure and order as the library) --------------------------------------------


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, "" if value is None else value)


def _purl_key(purl: PackageURL | None) -> tuple[Any, ...]:
    if purl is None:
        return (True,)
    return (False, purl.type, *_none_last(purl.namespace), purl.name, *_none_last(purl.version))


def _spec_key(spec: Spec) -> tuple[Any, ...]:
    """The library's component order: type, group, name, version, bom-ref (None last)."""
    return (spec.type, spec.name, *_none_last(spec.version), spec.bom_ref, _purl_key(spec.purl))


def _spec_json(spec: Spec) -> dict[str, Any]:
    out: dict[str, Any] = {"bom-ref": spec.bom_ref}
    if spec.children:
        out["components"] = [_spec_json(c) for c in sorted(spec.children, key=_spec_key)]
    if spec.hashes:
        out["hashes"] = [{"alg": a, "content": c} for a, c in sorted(set(spec.hashes))]
    out["name"] = spec.name
    if spec.properties:
        out["properties"] = [{"name": n, "value": v} for n, v in sorted(set(spec.properties))]
    if spec.purl is not None:
        out["purl"] = spec.purl.to_string()
    out["type"] = spec.type
    if spec.version is not None:
        out["version"] = spec.version
    return out


def direct_document(report: Report, spec: BomSpec | None = None) -> str:
    spec = spec or bom_spec(report)
    top = sorted(spec.components, key=_spec_key)
    doc: dict[str, Any] = {}
    if top:
        doc["components"] = [_spec_json(s) for s in top]
    graph = [{"dependsOn": sorted(s.bom_ref for s in top), "ref": spec.root.bom_ref}] if top else \
        [{"ref": spec.root.bom_ref}]
    graph += [{"ref": s.bom_ref} for s in top]
    doc["dependencies"] = sorted(graph, key=lambda d: d["ref"])
    doc["metadata"] = {
        "component": _spec_json(spec.root),
        "properties": [{"name": n, "value": v} for n, v in sorted(set(spec.metadata_properties))],
        "timestamp": datetime.now(tz=UTC).isoformat(),
        "tools": {"components": [{"name": "chainwatch", "type": "application", "version": __version__}]},
    }
    doc["serialNumber"] = uuid.uuid4().urn
    doc["version"] = 1
    doc["$schema"] = SCHEMA_URI
    doc["bomFormat"] = "CycloneDX"
    doc["specVersion"] = "1.6"
    return json.dumps(doc, indent=2 if _count(top) <= PRETTY_LIMIT else None)


class CycloneDxFormat(ReportFormat):
    name = "cyclonedx"
    description = "CycloneDX 1.6 SBOM (JSON) of the inventory"

    def render(self, report: Report, options: RenderOptions) -> str:
        spec = bom_spec(report)
        if _count(spec.components) <= LIBRARY_LIMIT:
            return library_document(report, spec) + "\n"
        return direct_document(report, spec) + "\n"


FORMATS = [CycloneDxFormat()]
