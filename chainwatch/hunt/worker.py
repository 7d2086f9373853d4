"""The per-file hunt work unit. Runs in pool workers: rules are deserialised once per worker.

A file is read once: the bytes are hashed (only the hash kinds that have indicators) and scanned by
YARA-X with LOKI's external variables set for that file. Containers (zip, tar, MSI when an unpacker is
available, ...) are opened through the engine's ``Walker`` into a private sandbox and every member goes
through the same checks under its logical path ``archive!/member``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.filetype import HEAD_BYTES, detect, is_container_type
from chainwatch.hunt.matcher import HuntIndicators, NameMatcher
from chainwatch.hunt.software import SOFTWARE_FILES, HiveError, is_hive_name, software_facts
from chainwatch.intel.model import severity_for_score
from chainwatch.models import Finding, ScanError
from chainwatch.options import Limits, ScanOptions

READ_CHUNK = 4 * 1024 * 1024
YARA_TIMEOUT = 60
MAX_PATTERN_EVIDENCE = 5


@dataclass
class WorkerConfig:
    indicators: HuntIndicators
    rules_path: str | None  # serialised YARA-X rules
    non_pe_rules_path: str | None = None  # the same with PE-only rules off, for files without an MZ header
    max_scan_bytes: int = 256 * 1024 * 1024  # larger files: hashes and names only
    archives: bool = True
    limits: Limits = field(default_factory=Limits)
    password: bytes | None = None
    temp_root: str | None = None
    fast_scan: bool = True  # first match per pattern only: much less per-file work


@dataclass
class FileResult:
    path: str
    size: int
    mtime_ns: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    scanned_bytes: int = 0
    members: int = 0


class _State:
    config: WorkerConfig
    names: NameMatcher
    rules: Any = None
    scanner: Any = None
    non_pe_rules: Any = None
    non_pe_scanner: Any = None


_STATE: _State | None = None


def _scanner_for(state: _State, rules: Any) -> Any:
    import yara_x

    scanner = yara_x.Scanner(rules)
    scanner.set_timeout(YARA_TIMEOUT)
    scanner.max_matches_per_pattern(64)
    if state.config.fast_scan:
        scanner.fast_scan(True)
    return scanner


def _new_scanner(state: _State) -> None:
    state.scanner = _scanner_for(state, state.rules)
    state.non_pe_scanner = _scanner_for(state, state.non_pe_rules) if state.non_pe_rules is not None else None


def init_worker(config: WorkerConfig, rules: Any = None, non_pe_rules: Any = None) -> None:
    """Build the name matcher, load the rule sets (deserialising is slow: YARA-X rebuilds its code), a scanner each.

    The parent calls this once before forking the pool, so forked workers inherit the loaded rules
    (``after_fork`` only makes a fresh scanner); without fork each worker calls it itself.
    """
    global _STATE
    state = _State()
    state.config = config
    state.names = NameMatcher(config.indicators.filenames)
    if rules is None and config.rules_path:
        from chainwatch.intel.yara_rules import load_rules

        rules = load_rules(Path(config.rules_path))
    if non_pe_rules is None and config.non_pe_rules_path and rules is not None:
        from chainwatch.intel.yara_rules import load_rules

        non_pe_rules = load_rules(Path(config.non_pe_rules_path))
    if rules is not None:
        state.rules = rules
        state.non_pe_rules = non_pe_rules
        _new_scanner(state)
    _STATE = state


def after_fork() -> None:
    """Pool initializer in forked workers: the rules came with the fork; a scanner of our own."""
    assert _STATE is not None, "init_worker() must run in the parent before forking"
    if _STATE.rules is not None:
        _new_scanner(_STATE)


_LOKI_TYPES = {
    "pe": "EXE", "pe/dotnet": "EXE", "elf": "ELF", "macho": "MACH-O", "macho/fat": "MACH-O",
    "script/python": "Python", "script/vbscript": "VBS", "script/batch": "BATCH", "script/php": "PHP",
}


def loki_filetype(kind: str, head: bytes) -> str:
    """The file type names LOKI's rules compare ``filetype`` with."""
    if head[:4] == b"MDMP":
        return "MDMP"
    if head[:4] == b"%PDF":
        return "PDF"
    if head[:3] == b"GIF":
        return "GIF"
    if head[:5] == b"{\\rtf":
        return "RTF"
    return _LOKI_TYPES.get(kind, _LOKI_TYPES.get(kind.split("/", 1)[0], "UNKNOWN"))


def _finding(rule: str, score: int, path: str, message: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return Finding(rule=rule, severity=severity_for_score(score), path=path, message=message,
                   evidence=evidence).to_dict()


def _cite(ref: dict[str, Any]) -> str:
    campaign = f" [{ref['campaign']}]" if ref.get("campaign") else ""
    return f"{ref['source']}{campaign}"


def _hashes(state: _State, data: bytes | None, fs_path: Path) -> dict[str, str]:
    kinds = state.config.indicators.hash_kinds | {"md5"}  # md5 also feeds LOKI's `md5` external
    hashers = {k: hashlib.new(k) for k in kinds}
    if data is not None:
        for h in hashers.values():
            h.update(data)
    else:
        with fs_path.open("rb") as fh:
            while chunk := fh.read(READ_CHUNK):
                for h in hashers.values():
                    h.update(chunk)
    return {k: h.hexdigest() for k, h in hashers.items()}


def check_file(fs_path: Path, logical: str, size: int, result: FileResult) -> bytes | None:
    """Every check on one file (or archive member); returns its head bytes for type detection."""
    assert _STATE is not None, "init_worker() not called"
    state = _STATE
    ind = state.config.indicators
    refs = ind.refs
    out = result.findings
    for ref_id, pattern in state.names.match(logical):
        ref = refs[ref_id]
        out.append(_finding("hunt.filename", ref["score"], logical,
                            f"path matches name indicator from {_cite(ref)}: {ref['description'] or pattern}",
                            {"indicator": ref, "pattern": pattern, "matched": logical}))
    base = logical.rsplit("/", 1)[-1].rsplit("!/", 1)[-1]
    low = base.lower()
    if ind.software and (low in SOFTWARE_FILES or low.endswith(".reg") or is_hive_name(low)):
        _check_software(fs_path, logical, low, result)
    data: bytes | None = None
    if size <= state.config.max_scan_bytes:
        with fs_path.open("rb") as fh:
            data = fh.read(state.config.max_scan_bytes + 1)
        result.scanned_bytes += len(data)
        head = data[:HEAD_BYTES]
    else:
        with fs_path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        result.errors.append(ScanError(logical, f"larger than the YARA size cap ({state.config.max_scan_bytes} "
                                       f"bytes): hashes and names checked only", "limit").to_dict())
    digests = _hashes(state, data, fs_path)
    for kind, table in ind.hashes.items():
        for ref_id in table.get(digests[kind], ()):
            ref = refs[ref_id]
            out.append(_finding(f"hunt.{kind}", ref["score"], logical,
                                f"{kind} {digests[kind]} matches indicator from {_cite(ref)}: {ref['description']}",
                                {"indicator": ref, kind: digests[kind], "size": size}))
    if data is not None and state.scanner is not None:
        kind = detect(head, base, size)
        _yara(state, data, logical, base, kind, head, digests["md5"], result)
    return head


def _yara(state: _State, data: bytes, logical: str, base: str, kind: str, head: bytes, md5: str,
          result: FileResult) -> None:
    import yara_x

    # a file without an MZ header cannot match a PE-only rule: scan it with those rules switched off
    scanner = state.scanner if data[:2] == b"MZ" or state.non_pe_scanner is None else state.non_pe_scanner
    ext = os.path.splitext(base)[1].lower()
    scanner.set_global("filename", base)
    scanner.set_global("filepath", logical)
    scanner.set_global("extension", ext)
    scanner.set_global("filetype", loki_filetype(kind, head))
    scanner.set_global("md5", md5)
    try:
        matches = scanner.scan(data).matching_rules
    except yara_x.TimeoutError:
        result.errors.append(ScanError(logical, f"YARA-X scan timed out after {YARA_TIMEOUT} s", "timeout").to_dict())
        return
    except yara_x.ScanError as exc:
        result.errors.append(ScanError(logical, f"YARA-X scan error: {exc}", "error").to_dict())
        return
    ind = state.config.indicators
    for rule in matches:
        meta = {k: v for k, v in rule.metadata}
        ref = ind.refs[ind.yara_namespaces[rule.namespace]] if rule.namespace in ind.yara_namespaces else {
            "kind": "yara", "value": rule.namespace, "source": rule.namespace, "score": 70, "campaign": None}
        try:
            score = int(meta.get("score", ref.get("score", 70)))
        except (TypeError, ValueError):
            score = 70
        strings = []
        for pattern in rule.patterns:
            for m in pattern.matches[:MAX_PATTERN_EVIDENCE]:
                strings.append({"id": pattern.identifier, "offset": m.offset, "length": m.length,
                                "bytes": data[m.offset:m.offset + min(m.length, 48)].hex()})
        campaign = meta.get("campaign") if isinstance(meta.get("campaign"), str) else None
        cited = {**ref, "campaign": ref.get("campaign") or campaign}
        desc = meta.get("description") or ""
        result.findings.append(_finding(
            "hunt.yara", score, logical,
            f"YARA rule {rule.identifier} from {_cite(cited)} matches: {desc}".rstrip(": "),
            {"indicator": cited, "rule": rule.identifier, "namespace": rule.namespace, "tags": list(rule.tags),
             "meta": {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))},
             "strings": strings[:20]},
        ))


def _check_software(fs_path: Path, logical: str, low: str, result: FileResult) -> None:
    assert _STATE is not None
    ind = _STATE.config.indicators
    try:
        facts = software_facts(fs_path, low)
    except HiveError as exc:
        result.errors.append(ScanError(logical, str(exc), "error").to_dict())
        return
    for name, version, where, platform in facts:
        product = ind.software_names.get(name.strip().lower())
        if product is None:
            continue
        for prod, affected, ref_id in ind.software:
            if prod != product or affected != version.strip().lower():
                continue
            ref = ind.refs[ref_id]
            if platform and ref.get("platforms") and platform not in ref["platforms"]:
                continue
            fixed = f"; fixed in {ref['fixed']}" if ref.get("fixed") else ""
            result.findings.append(_finding(
                "hunt.software", ref["score"], logical,
                f"installed {ref.get('display', product)} {version} is an affected release ({_cite(ref)}){fixed}",
                {"indicator": ref, "product": product, "name": name, "version": version, "field": where,
                 "platform": platform, "affected_platforms": ref.get("platforms"), "fixed": ref.get("fixed")},
            ))


def _open_container(path: Path, logical: str, result: FileResult) -> None:
    """Walk a container through the engine's walker and check each member like a file."""
    from chainwatch.engine import Walker
    from chainwatch.sandbox import Sandbox

    assert _STATE is not None
    cfg = _STATE.config
    units: list[Any] = []
    with Sandbox(Path(cfg.temp_root) if cfg.temp_root else None) as sandbox:
        walker = Walker(sandbox, ScanOptions(limits=cfg.limits, password=cfg.password), units.append)
        root_name = walker.walk(path)
        prefix = logical[: len(logical) - len(path.name)] if logical.endswith(path.name) else logical + "/"
        for unit in units:
            if unit.path == root_name:
                continue
            member = prefix + unit.path
            fs = Path(unit.fs_path)
            try:
                check_file(fs, member, fs.stat().st_size, result)
                result.members += 1
            except OSError as exc:
                result.errors.append(ScanError(member, f"cannot read: {exc}", "unreadable").to_dict())
        for err in walker.errors:
            result.errors.append(ScanError(prefix + err.path, err.message, err.kind).to_dict())


def _wants_open(kind: str, head: bytes, path: Path) -> bool:
    if is_container_type(kind):
        return True
    if kind.startswith("pe"):
        from chainwatch import registry

        for unpacker in registry.unpackers():
            try:
                if unpacker.accepts(kind, head, path):
                    return True
            except Exception:  # a probe must never end the hunt
                continue
    return False


def scan_one(path: str, size: int, mtime_ns: int) -> FileResult:
    assert _STATE is not None
    result = FileResult(path=path, size=size, mtime_ns=mtime_ns)
    fs = Path(path)
    try:
        head = check_file(fs, path, size, result)
        if _STATE.config.archives and head is not None:
            kind = detect(head, fs.name, size)
            if _wants_open(kind, head, fs):
                _open_container(fs, path, result)
    except OSError as exc:
        result.errors.append(ScanError(path, f"cannot read: {exc}", "unreadable").to_dict())
    except Exception as exc:  # hostile input must not end the hunt
        result.errors.append(ScanError(path, f"hunt failed on this file: {type(exc).__name__}: {exc}",
                                       "error").to_dict())
    return result


def scan_batch(batch: list[tuple[str, int, int]]) -> list[FileResult]:
    return [scan_one(p, s, m) for p, s, m in batch]
