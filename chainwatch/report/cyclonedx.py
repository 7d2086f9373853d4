"""``--format cyclonedx``: a CycloneDX 1.6 SBOM of the inventory, built and serialised with
cyclonedx-python-lib so it validates against the official schema.

The scanned artifact is ``metadata.component``; every member is a component whose ``name`` is its
logical path, with MD5/SHA-1/SHA-256 hashes and chainwatch facts as properties (type, size, entropy,
TLSH, package or version-resource data). Members of an opened container are nested inside that
container's component, so the tree of the artifact survives; directories are flattened away.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from chainwatch._version import __version__
from chainwatch.models import Finding, MemberRecord, Report
from chainwatch.report._common import visible
from chainwatch.report.interface import RenderOptions, ReportFormat

NS = "chainwatch"
_PURL_TYPES = {"pypi": "pypi", "python": "pypi", "npm": "npm", "nuget": "nuget", "cargo": "cargo", "gem": "gem"}
_VERSION_KEYS = ("FileVersion", "ProductVersion")
_VERSION_INFO_PROPS = ("CompanyName", "ProductName", "FileVersion", "ProductVersion", "OriginalFilename")


def _is_directory(record: MemberRecord) -> bool:
    return record.type in ("directory", "dir", "inode/directory")


def _package_facts(record: MemberRecord) -> dict[str, Any]:
    package = record.features.get("package")
    return package if isinstance(package, dict) else {}


def _version_info(record: MemberRecord) -> dict[str, Any]:
    pe = record.features.get("pe")
    info = pe.get("version_info") if isinstance(pe, dict) else None
    return info if isinstance(info, dict) else {}


def _component_type(record: MemberRecord, is_root: bool) -> ComponentType:
    if _package_facts(record):
        return ComponentType.LIBRARY
    pe = record.features.get("pe")
    if isinstance(pe, dict) and pe.get("is_dll"):
        return ComponentType.LIBRARY
    if record.type.startswith("elf") and ".so" in record.name:
        return ComponentType.LIBRARY
    if is_root and record.container:
        return ComponentType.APPLICATION
    return ComponentType.FILE


def _hashes(record: MemberRecord) -> list[HashType]:
    pairs = ((HashAlgorithm.MD5, record.md5, 32), (HashAlgorithm.SHA_1, record.sha1, 40),
             (HashAlgorithm.SHA_256, record.sha256, 64))
    return [HashType(alg=alg, content=value.lower()) for alg, value, length in pairs
            if value and len(value) == length and all(c in "0123456789abcdefABCDEF" for c in value)]


def _properties(record: MemberRecord, findings: list[Finding]) -> list[Property]:
    props = [
        Property(name=f"{NS}:type", value=record.type or "unknown"),
        Property(name=f"{NS}:size", value=str(record.size)),
        Property(name=f"{NS}:entropy", value=f"{record.entropy:.4f}"),
        Property(name=f"{NS}:depth", value=str(record.depth)),
    ]
    if record.tlsh:
        props.append(Property(name=f"{NS}:tlsh", value=record.tlsh))
    package = _package_facts(record)
    for key in ("ecosystem", "name", "version"):
        if package.get(key):
            props.append(Property(name=f"{NS}:package:{key}", value=visible(package[key])))
    for key in _VERSION_INFO_PROPS:
        value = _version_info(record).get(key)
        if value:
            props.append(Property(name=f"{NS}:pe:version_info:{key}", value=visible(value)))
    for f in findings:
        props.append(Property(name=f"{NS}:finding", value=f"{f.severity.value} {f.rule}"))
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


def _make_component(record: MemberRecord, findings: list[Finding], refs: _RefMaker, is_root: bool) -> Component:
    return Component(
        name=record.path or "artifact",
        type=_component_type(record, is_root),
        bom_ref=refs(record.path),
        version=_version(record),
        hashes=_hashes(record),
        purl=_purl(record),
        properties=_properties(record, findings),
    )


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


def build_bom(report: Report) -> Bom:
    refs = _RefMaker()
    findings_by_path: dict[str, list[Finding]] = {}
    for f in report.findings:
        findings_by_path.setdefault(f.path, []).append(f)

    root_record = _find_root(report)
    if root_record is not None:
        root = _make_component(root_record, findings_by_path.get(root_record.path, []), refs, is_root=True)
    else:
        artifact = report.artifact or {}
        name = artifact.get("name") or report.target
        root = Component(
            name=visible(name),
            type=ComponentType.APPLICATION,
            bom_ref=refs(str(name)),
            version=visible(artifact["version"]) if artifact.get("version") else None,
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=artifact["sha256"])] if artifact.get("sha256") else [],
        )
    root.properties.add(Property(name=f"{NS}:target", value=visible(report.target)))

    by_path = {m.path: m for m in report.inventory}
    components: dict[str, Component] = {}
    order: list[tuple[MemberRecord, Component]] = []
    for record in report.inventory:
        if record is root_record or _is_directory(record):
            continue
        component = _make_component(record, findings_by_path.get(record.path, []), refs, is_root=False)
        components.setdefault(record.path, component)
        order.append((record, component))

    bom = Bom()
    bom.metadata.component = root
    bom.metadata.tools.components.add(
        Component(name="chainwatch", version=__version__, type=ComponentType.APPLICATION)
    )
    bom.metadata.properties.update([
        Property(name=f"{NS}:verdict", value=report.verdict.value),
        Property(name=f"{NS}:score", value=str(report.score)),
        Property(name=f"{NS}:findings", value=str(len(report.findings))),
        Property(name=f"{NS}:errors", value=str(len(report.errors))),
    ])
    top_level: list[Component] = []
    for record, component in order:
        parent_path = _nearest_kept_parent(record, by_path)
        parent = components.get(parent_path) if parent_path else None
        if parent is not None and parent is not component:
            parent.components.add(component)
        else:
            top_level.append(component)
    bom.components.update(top_level)
    # Containment is expressed by nesting; the dependency graph says the artifact bundles its top members.
    bom.register_dependency(root, top_level)
    return bom


def _all_components(components: Iterable[Component]) -> Iterable[Component]:
    for c in components:
        yield c
        yield from _all_components(c.components)


class CycloneDxFormat(ReportFormat):
    name = "cyclonedx"
    description = "CycloneDX 1.6 SBOM (JSON) of the inventory"

    def render(self, report: Report, options: RenderOptions) -> str:
        bom = build_bom(report)
        with warnings.catch_warnings():
            # The library warns that nested components are not all in the dependency graph; nesting is the
            # containment relation here on purpose.
            warnings.simplefilter("ignore")
            return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


FORMATS = [CycloneDxFormat()]
