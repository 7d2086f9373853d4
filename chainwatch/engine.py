"""The scan pipeline: artifact -> members -> features -> findings -> verdict.

The walker (main process) opens containers into the sandbox, one level at a time, and submits one
``MemberUnit`` per file to the executor as soon as it is found, so analysis overlaps unpacking.
Tree analyzers run once all member facts are known; rules run last, over the whole inventory.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chainwatch import registry
from chainwatch.analyzers.interface import AnalysisError, MemberContext, TreeContext
from chainwatch.executor import make_executor
from chainwatch.filetype import HEAD_BYTES, detect_file, is_container_type, wants_tlsh
from chainwatch.fingerprint import Fingerprint, StreamFingerprint, fingerprint_file
from chainwatch.models import Finding, MemberRecord, Report, ScanError
from chainwatch.options import Limits, ScanOptions
from chainwatch.sandbox import Sandbox
from chainwatch.scoring import dedupe, rank, score_findings
from chainwatch.timelimit import TimeLimitExceeded, time_limit
from chainwatch.unpack.interface import (
    Budget,
    BudgetExceeded,
    ExtractedEntry,
    ExtractionSink,
    UnpackContext,
    UnpackError,
)

ProgressCallback = Callable[[int, int, str], None]  # (done, total so far, current path)
# A member declared at least this big is fingerprinted while it is unpacked (see _StreamingSink).
STREAM_FINGERPRINT_BYTES = 32 * 1024 * 1024
# A container at least this big is fingerprinted by a worker while the walker unpacks it.
EARLY_FINGERPRINT_BYTES = 8 * 1024 * 1024


# ----------------------------------------------------------------------------- work units


@dataclass(frozen=True)
class MemberUnit:
    """Pure input of one member's analysis."""

    path: str
    fs_path: str
    kind: str
    depth: int
    parent: str | None
    container: bool
    limits: Limits
    analyzers: tuple[str, ...] | None
    settings: dict[str, Any] = field(default_factory=dict)
    fingerprint: Fingerprint | None = None  # already computed while unpacking (large members)
    tlsh_max_bytes: int | None = None  # see ScanOptions.tlsh_max_bytes


@dataclass
class MemberOutcome:
    record: MemberRecord
    errors: list[ScanError]
    # the fingerprint of a big member, so a second pass over it (a diff's deep analysis) need not re-read it
    fingerprint: Fingerprint | None = None


KEEP_FINGERPRINT_BYTES = 1024 * 1024


def tlsh_wanted(kind: str, size: int, max_bytes: int | None) -> bool:
    """TLSH for this member: not for compressed containers, not above ``max_bytes`` when one is set."""
    return wants_tlsh(kind) and (max_bytes is None or size <= max_bytes)


def analyze_member(unit: MemberUnit) -> MemberOutcome:
    """Fingerprint one file and attach every applicable analyzer's facts."""
    errors: list[ScanError] = []
    fs_path = Path(unit.fs_path)
    try:
        fp = unit.fingerprint or fingerprint_file(fs_path, with_tlsh=tlsh_wanted(unit.kind, fs_path.stat().st_size,
                                                                                 unit.tlsh_max_bytes))
    except OSError as exc:
        record = MemberRecord(path=unit.path, size=0, type="unreadable", depth=unit.depth, parent=unit.parent)
        return MemberOutcome(record, [ScanError(unit.path, f"cannot read member: {exc}", "unreadable")])
    record = MemberRecord(
        path=unit.path,
        size=fp.size,
        type=unit.kind,
        md5=fp.md5,
        sha1=fp.sha1,
        sha256=fp.sha256,
        tlsh=fp.tlsh if wants_tlsh(unit.kind) else None,
        entropy=fp.entropy,
        depth=unit.depth,
        parent=unit.parent,
        container=unit.container,
    )
    if fp.size > unit.limits.analyze_bytes:
        errors.append(ScanError(unit.path, f"member of {fp.size} bytes exceeds the analysis limit "
                                f"{unit.limits.analyze_bytes}: hashed only", "limit"))
        return MemberOutcome(record, errors, fp if fp.size >= KEEP_FINGERPRINT_BYTES else None)
    ctx = MemberContext(record=record, fs_path=fs_path, limits=unit.limits, settings=unit.settings, head=fp.head)
    deadline = time.monotonic() + unit.limits.member_seconds
    for analyzer in registry.member_analyzers():
        if unit.analyzers is not None and analyzer.name not in unit.analyzers:
            continue
        try:
            if not analyzer.applies(record, fp.head):
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                errors.append(ScanError(unit.path, f"analysis time limit ({unit.limits.member_seconds:g} s) "
                                        f"reached before analyzer {analyzer.name}", "timeout"))
                break
            with time_limit(remaining):
                record.features[analyzer.name] = analyzer.analyze(ctx)
        except TimeLimitExceeded:
            errors.append(ScanError(unit.path, f"analyzer {analyzer.name} stopped: member time limit "
                                    f"({unit.limits.member_seconds:g} s) exceeded", "timeout"))
        except AnalysisError as exc:
            errors.append(ScanError(unit.path, f"{analyzer.name}: {exc}", "unreadable"))
        except Exception as exc:  # a parser bug on hostile input must not end the scan
            errors.append(ScanError(unit.path, f"{analyzer.name} failed: {type(exc).__name__}: {exc}", "error"))
    return MemberOutcome(record, errors, fp if fp.size >= KEEP_FINGERPRINT_BYTES else None)


@dataclass(frozen=True)
class TreeUnit:
    container: MemberRecord
    root_dir: str | None
    members: tuple[tuple[MemberRecord, str], ...]
    analyzer: str
    limits: Limits
    settings: dict[str, Any] = field(default_factory=dict)


def analyze_tree(unit: TreeUnit) -> tuple[str, str, dict[str, Any] | None, list[ScanError]]:
    """Run one tree analyzer over a container's subtree: returns (container path, name, facts, errors)."""
    analyzer = next(a for a in registry.tree_analyzers() if a.name == unit.analyzer)
    ctx = TreeContext(
        container=unit.container,
        root_dir=Path(unit.root_dir) if unit.root_dir else None,
        members=[(r, Path(p)) for r, p in unit.members],
        limits=unit.limits,
        settings=unit.settings,
    )
    try:
        with time_limit(unit.limits.member_seconds):
            return unit.container.path, analyzer.name, analyzer.analyze(ctx), []
    except TimeLimitExceeded:
        msg = f"analyzer {analyzer.name} stopped: time limit ({unit.limits.member_seconds:g} s) exceeded"
        return unit.container.path, analyzer.name, None, [ScanError(unit.container.path, msg, "timeout")]
    except AnalysisError as exc:
        return unit.container.path, analyzer.name, None, [ScanError(unit.container.path, str(exc), "unreadable")]
    except Exception as exc:
        msg = f"{analyzer.name} failed: {type(exc).__name__}: {exc}"
        return unit.container.path, analyzer.name, None, [ScanError(unit.container.path, msg, "error")]


# ----------------------------------------------------------------------------- walking


@dataclass
class _Container:
    record_path: str
    root_dir: Path | None
    children: list[tuple[str, Path]] = field(default_factory=list)  # (logical path, fs path)


class Walker:
    """Opens the artifact tree inside the sandbox and hands out member units."""

    def __init__(self, sandbox: Sandbox, options: ScanOptions, submit: Callable[[MemberUnit], None],
                 submit_fingerprint: Callable[[Path, bool], Future[Fingerprint]] | None = None) -> None:
        self.sandbox = sandbox
        self.options = options
        self.submit_fingerprint = submit_fingerprint
        self.limits = options.limits
        self.budget = Budget(options.limits)
        self.submit = submit
        self.errors: list[ScanError] = []
        self.containers: list[_Container] = []
        self.directories: list[MemberRecord] = []
        self.fingerprints: dict[str, Fingerprint] = {}  # fs path -> fingerprint taken while unpacking
        self._stopped = False

    def walk(self, target: Path) -> str:
        """Walk the target; returns its logical root name."""
        root_name = target.name or str(target)
        if target.is_symlink():
            self.errors.append(ScanError(root_name, "target is a symbolic link; not followed", "link"))
            return root_name
        if target.is_dir():
            self._walk_directory(target, root_name)
        else:
            self._visit(target, root_name, depth=0, parent=None)
        return root_name

    def _walk_directory(self, root: Path, root_name: str) -> None:
        import os
        import stat

        record = MemberRecord(path=root_name, size=0, type="directory", container=True)
        self.directories.append(record)
        container = _Container(record_path=root_name, root_dir=root)
        self.containers.append(container)
        files: list[tuple[str, Path]] = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            base = Path(dirpath)
            dirnames.sort()
            for d in list(dirnames):
                if (base / d).is_symlink():
                    rel = (base / d).relative_to(root).as_posix()
                    self.errors.append(ScanError(f"{root_name}/{rel}", "directory link not followed", "link"))
                    dirnames.remove(d)
            for f in sorted(filenames):
                p = base / f
                rel = p.relative_to(root).as_posix()
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    self.errors.append(ScanError(f"{root_name}/{rel}", "link not followed", "link"))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                files.append((rel, p))
        for rel, p in files:
            if self._stopped:
                break
            logical = f"{root_name}/{rel}"
            try:
                self.budget.take_member()
            except BudgetExceeded as exc:
                self._stop(root_name, str(exc))
                break
            container.children.append((logical, p))
            self._visit(p, logical, depth=1, parent=root_name)

    def _stop(self, path: str, message: str) -> None:
        if not self._stopped:
            self.errors.append(ScanError(path, f"unpacking stopped: {message}", "limit"))
        self._stopped = True

    def _pick_unpacker(self, kind: str, head: bytes, src: Path) -> Any:
        for unpacker in registry.unpackers():
            try:
                if unpacker.accepts(kind, head, src):
                    return unpacker
            except Exception:  # a probe must never end the scan
                continue
        return None

    def _classify(self, path: Path) -> tuple[str, Any]:
        """Content type of a file and the unpacker that would open it (None for a leaf)."""
        kind = detect_file(path)
        if self._stopped or not (is_container_type(kind) or kind.startswith("pe")):
            return kind, None
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        return kind, self._pick_unpacker(kind, head, path)

    def _unit(self, path: Path, name: str, kind: str, level: int, up: str | None, opened: bool,
              fingerprint: Fingerprint | None = None) -> MemberUnit:
        return MemberUnit(path=name, fs_path=str(path), kind=kind, depth=level, parent=up, container=opened,
                          limits=self.limits, analyzers=self.options.analyzers, settings=self.options.settings,
                          tlsh_max_bytes=self.options.tlsh_max_bytes,
                          fingerprint=fingerprint or self.fingerprints.pop(str(path), None))

    def _early_fingerprint(self, path: Path, kind: str) -> Future[Fingerprint] | None:
        """A big container's fingerprint, started on a worker before the walker unpacks it (they overlap)."""
        if self.submit_fingerprint is None:
            return None
        try:
            size = path.stat().st_size
            if size < EARLY_FINGERPRINT_BYTES:
                return None
            return self.submit_fingerprint(path, tlsh_wanted(kind, size, self.options.tlsh_max_bytes))
        except Exception:  # the unit computes it itself
            return None

    def _visit(self, fs_path: Path, logical: str, depth: int, parent: str | None) -> None:
        # Iterative over nested containers so 50 levels of nesting never exhaust the Python stack.
        # Leaves are submitted the moment they are unpacked, so hashing overlaps inflating.
        stack: list[tuple[Path, str, int, str | None]] = [(fs_path, logical, depth, parent)]
        while stack:
            path, name, level, up = stack.pop()
            try:
                kind, unpacker = self._classify(path)
            except OSError as exc:
                self.errors.append(ScanError(name, f"cannot read: {exc}", "unreadable"))
                continue
            if unpacker is None:
                self.submit(self._unit(path, name, kind, level, up, False))
                continue
            if level + 1 > self.limits.max_depth:
                self.errors.append(ScanError(name, f"not opened: nesting depth limit ({self.limits.max_depth}) "
                                             f"reached", "limit"))
                self.submit(self._unit(path, name, kind, level, up, False))
                continue
            early = self._early_fingerprint(path, kind)
            deferred: list[tuple[Path, str, int, str | None]] = []

            def on_entry(entry: ExtractedEntry, container: str = name, child_level: int = level + 1,
                         deferred: list[tuple[Path, str, int, str | None]] = deferred) -> None:
                child = f"{container}!/{entry.name}"
                try:
                    child_kind, child_unpacker = self._classify(entry.fs_path)
                except OSError as exc:
                    self.errors.append(ScanError(child, f"cannot read: {exc}", "unreadable"))
                    return
                if child_unpacker is None:
                    self.submit(self._unit(entry.fs_path, child, child_kind, child_level, container, False))
                else:
                    deferred.append((entry.fs_path, child, child_level, container))

            dest = self.sandbox.new_dir(path.name)
            sink = _StreamingSink(dest=dest, container=name, budget=self.budget, on_entry=on_entry,
                                  fingerprints=self.fingerprints, tlsh_max_bytes=self.options.tlsh_max_bytes)
            try:
                with time_limit(self.limits.unpack_seconds):
                    unpacker.unpack(path, sink, UnpackContext(self.limits, self.options.password))
            except UnpackError as exc:
                self.errors.append(ScanError(name, f"unreadable member ({unpacker.name}): {exc}", exc.kind))
            except BudgetExceeded as exc:
                self._stop(name, str(exc))
            except TimeLimitExceeded:
                self.errors.append(ScanError(name, f"unpacking stopped: time limit "
                                             f"({self.limits.unpack_seconds:g} s) exceeded", "timeout"))
            except Exception as exc:  # unpacker bug on hostile input
                self.errors.append(ScanError(name, f"unreadable member ({unpacker.name}): "
                                             f"{type(exc).__name__}: {exc}", "unreadable"))
            self.errors.extend(sink.errors)
            children = [(f"{name}!/{e.name}", e.fs_path) for e in sink.entries]
            if children:
                self.containers.append(_Container(record_path=name, root_dir=dest, children=children))
            fingerprint = None
            if early is not None:
                try:
                    fingerprint = early.result()
                except Exception:  # unreadable or a worker died: the unit tries again and reports it
                    fingerprint = None
            self.submit(self._unit(path, name, kind, level, up, bool(children), fingerprint))
            stack.extend(reversed(deferred))


class _TeeReader:
    """A read-only stream that hands every chunk it returns to ``sink`` as well."""

    def __init__(self, stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
        self._stream = stream
        self._sink = sink

    def read(self, n: int = -1) -> bytes:
        chunk = self._stream.read(n)
        self._sink(chunk)
        return chunk


class _StreamingSink(ExtractionSink):
    """Extraction sink that reports each member as soon as it is written.

    A large member (``STREAM_FINGERPRINT_BYTES``+ declared) is also fingerprinted as it streams past, on a
    background thread: a one-member artifact (a wheel holding a 200 MB library) then pays about
    max(inflate, TLSH) instead of inflate + TLSH, and its worker does not read the file again. The
    fingerprint is kept only when it covers exactly the bytes written (same size as the file).
    """

    def __init__(self, *args: Any, on_entry: Callable[[ExtractedEntry], None],
                 fingerprints: dict[str, Fingerprint] | None = None, tlsh_max_bytes: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_entry = on_entry
        self._fingerprints = fingerprints
        self._tlsh_max_bytes = tlsh_max_bytes

    def write_stream(self, name: str, stream: IO[bytes], declared_size: int | None = None,
                     compressed_size: int | None = None, raw_consumed: Callable[[], int] | None = None,
                     decrypted: bool = False) -> Path | None:
        before = len(self.entries)
        streamed: StreamFingerprint | None = None
        if (self._fingerprints is not None and declared_size is not None
                and STREAM_FINGERPRINT_BYTES <= declared_size <= self.limits.max_member_bytes):
            limit = self._tlsh_max_bytes
            streamed = StreamFingerprint(with_tlsh=limit is None or declared_size <= limit)
            stream = _TeeReader(stream, streamed.feed)  # type: ignore[assignment]
        try:
            result = super().write_stream(name, stream, declared_size, compressed_size, raw_consumed, decrypted)
        except BaseException:
            if streamed is not None:
                streamed.abort()
            raise
        if streamed is not None:
            fp = streamed.finish()
            if fp is not None and result is not None and self._fingerprints is not None:
                try:
                    if result.stat().st_size == fp.size:
                        self._fingerprints[str(result)] = fp
                except OSError:
                    pass
        for entry in self.entries[before:]:
            self._on_entry(entry)
        return result

    def adopt_tree(self) -> None:
        before = len(self.entries)
        super().adopt_tree()
        for entry in self.entries[before:]:
            self._on_entry(entry)


# ----------------------------------------------------------------------------- scan


def _artifact_info(target: Path, root_name: str, records: dict[str, MemberRecord], name: str | None,
                   version: str | None) -> dict[str, Any]:
    from chainwatch.artifact import identify

    root = records.get(root_name)
    info = identify(target, root, records)
    if name:
        info["name"] = name
    if version:
        info["version"] = version
    return info


def prepare_analyzers(options: ScanOptions) -> None:
    """Warm every selected analyzer once in this process (before the pool forks)."""
    for analyzer in (*registry.member_analyzers(), *registry.tree_analyzers()):
        if options.analyzers is None or analyzer.name in options.analyzers:
            try:
                analyzer.prepare()
            except Exception:  # a failed warm-up shows up as a per-member error later
                continue


def run_rules(inventory: list[MemberRecord], skip: tuple[str, ...] = ()) -> tuple[list[Finding], list[ScanError]]:
    findings: list[Finding] = []
    errors: list[ScanError] = []
    for rule in registry.member_rules():
        if rule.id in skip:
            continue
        for record in inventory:
            try:
                findings.extend(rule.check(record))
            except Exception as exc:
                errors.append(ScanError(record.path, f"rule {rule.id} failed: {type(exc).__name__}: {exc}", "error"))
    for rule in registry.inventory_rules():
        if rule.id in skip:
            continue
        try:
            findings.extend(rule.check_inventory(inventory))
        except Exception as exc:
            errors.append(ScanError("", f"rule {rule.id} failed: {type(exc).__name__}: {exc}", "error"))
    return findings, errors


def finalize(report: Report) -> Report:
    """Dedupe and rank findings, then score: shared by every command that produces findings."""
    report.findings = rank(dedupe(report.findings))
    report.score, report.score_breakdown, report.verdict = score_findings(report.findings)
    return report


def check_target(target: Path) -> None:
    """Refuse what cannot be scanned before opening it: a FIFO blocks the open, /dev/zero never ends."""
    if not target.exists() and not target.is_symlink():
        raise FileNotFoundError(f"no such file or directory: {target}")
    if target.exists() and not (target.is_file() or target.is_dir()):
        raise ValueError(f"not a regular file or directory: {target}")


def scan(
    target: str | Path,
    options: ScanOptions | None = None,
    *,
    store: Any = None,
    name: str | None = None,
    version: str | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    """Scan one artifact (file or directory) and return its report; record it in ``store`` if given."""
    options = options or ScanOptions()
    target = Path(target)
    started = time.monotonic()
    check_target(target)
    records: dict[str, MemberRecord] = {}
    errors: list[ScanError] = []
    futures: list[Future[MemberOutcome]] = []
    done = 0

    def collect(fut: Future[MemberOutcome]) -> None:
        nonlocal done
        try:
            outcome = fut.result()
        except Exception as exc:  # a worker died (e.g. a native crash in a parser)
            errors.append(ScanError("", f"analysis worker failed: {type(exc).__name__}: {exc}", "error"))
            return
        records[outcome.record.path] = outcome.record
        errors.extend(outcome.errors)
        done += 1
        if progress:
            progress(done, len(futures), outcome.record.path)

    prepare_analyzers(options)
    with Sandbox(options.temp_root) as sandbox, make_executor(options.jobs) as executor:
        def submit(unit: MemberUnit) -> None:
            futures.append(executor.submit(analyze_member, unit))

        walker = Walker(sandbox, options, submit, fingerprint_submitter(executor))
        root_name = walker.walk(target)
        for fut in futures:
            collect(fut)
        errors[:0] = walker.errors
        for d in walker.directories:
            records[d.path] = d
        _run_tree_analyzers(walker, records, options, executor, errors)
    inventory = sorted(records.values(), key=lambda r: r.path)
    findings, rule_errors = run_rules(inventory, options.skip_rules)
    errors.extend(rule_errors)
    report = Report(
        target=str(target),
        findings=findings,
        errors=errors,
        inventory=inventory,
        artifact=_artifact_info(target, root_name, records, name, version),
        stats={
            "members": len(inventory),
            "unpacked_bytes": sum(r.size for r in inventory if r.type != "directory"),
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    finalize(report)
    if store is not None:
        store.save_report(report)
    return report


def fingerprint_submitter(executor: Any) -> Callable[[Path, bool], Future[Fingerprint]]:
    """What a Walker uses to fingerprint a big container on a worker while it unpacks it."""
    return lambda path, tlsh: executor.submit(fingerprint_file, path, HEAD_BYTES, tlsh)


def _run_tree_analyzers(walker: Walker, records: dict[str, MemberRecord], options: ScanOptions, executor: Any,
                        errors: list[ScanError]) -> None:
    collect_tree_analyzers(submit_tree_analyzers(walker, records, options, executor, errors), records, errors)


def submit_tree_analyzers(walker: Walker, records: dict[str, MemberRecord], options: ScanOptions, executor: Any,
                          errors: list[ScanError]) -> list[Future[Any]]:
    """Start every applicable tree analyzer on the walked containers; they only need member paths and
    files, so they can run beside member analysis (``collect_tree_analyzers`` attaches the facts)."""
    analyzers = [a for a in registry.tree_analyzers() if options.analyzers is None or a.name in options.analyzers]
    if not analyzers:
        return []
    pending: list[Future[Any]] = []
    for container in walker.containers:
        record = records.get(container.record_path)
        if record is None:
            continue
        rels = [p[len(container.record_path) + 2 :] if p.startswith(container.record_path + "!/")
                else p[len(container.record_path) + 1 :] for p, _ in container.children]
        members = tuple((records[p], str(fs)) for p, fs in container.children if p in records)
        for analyzer in analyzers:
            try:
                applies = analyzer.applies(record, rels)
            except Exception as exc:
                errors.append(ScanError(record.path, f"{analyzer.name} probe failed: {exc}", "error"))
                continue
            if applies:
                unit = TreeUnit(record, str(container.root_dir) if container.root_dir else None, members,
                                analyzer.name, options.limits, options.settings)
                pending.append(executor.submit(analyze_tree, unit))
    return pending


def collect_tree_analyzers(pending: list[Future[Any]], records: dict[str, MemberRecord],
                           errors: list[ScanError]) -> None:
    """Wait for tree analyzers and attach their facts to the container records as they are now."""
    for fut in pending:
        try:
            path, name, facts, errs = fut.result()
        except Exception as exc:
            errors.append(ScanError("", f"tree analysis failed: {type(exc).__name__}: {exc}\n"
                                    f"{traceback.format_exc(limit=2)}", "error"))
            continue
        errors.extend(errs)
        if facts is not None and path in records:
            records[path].features[name] = facts
