"""Incremental diff scan: fingerprint both releases, deep-analyse only what changed.

A release usually changes a few members out of hundreds. Both artifacts are walked into one sandbox
with fingerprinting only; after matching, analyzers run only on members that were added, removed or
modified (both sides of a modified pair). Unchanged members keep hashes and no facts: their bytes are
identical, so no delta rule can fire on them. Tree analyzers (packages) and scan rules run as in a scan.

This drives the engine's own work units (``Walker``, ``MemberUnit``, ``analyze_member``), so every limit
and sandbox guarantee of ``scan`` holds.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from chainwatch.diff.match import match
from chainwatch.models import MemberRecord, Report, ScanError
from chainwatch.options import ScanOptions

CONTENT_SCAN_MAX_BYTES = 64 * 1024 * 1024  # above this, a changed member gets structural analyzers only
# Members above this size get their TLSH only when a rename search needs it (TLSH runs at ~110 MB/s and
# most members pair by path, where TLSH is not used).
DEFERRED_TLSH_BYTES = 32 * 1024 * 1024
CONTENT_SCANNERS = ("strings", "capabilities")  # analyzers that read every byte (regex / YARA over the file)


def _analyzers_for(record: MemberRecord, options: ScanOptions) -> tuple[tuple[str, ...] | None, str | None]:
    """Analyzer selection for one changed member; a note when content scanners are skipped for size."""
    limit = int((options.settings.get("diff") or {}).get("content_scan_max_bytes", CONTENT_SCAN_MAX_BYTES))
    if record.size <= limit:
        return options.analyzers, None
    from chainwatch import registry

    names = {a.name for a in registry.member_analyzers()}
    chosen = tuple(sorted(n for n in names if n not in CONTENT_SCANNERS
                          and (options.analyzers is None or n in options.analyzers)))
    return chosen, (f"{record.size} bytes: structural facts only in this diff (strings and capabilities are "
                    f"skipped above {limit} bytes; run `chainwatch scan` for a full content scan)")


class _Side:
    def __init__(self, target: Path) -> None:
        self.target = target
        self.units: dict[str, Any] = {}
        self.futures: list[Future] = []
        self.records: dict[str, MemberRecord] = {}
        self.errors: list[ScanError] = []
        self.walker: Any = None
        self.root = ""
        self.started = time.monotonic()


def _add_deferred_tlsh(pairs: list[Any], sides: list[_Side], executor: Any) -> bool:
    """TLSH for unpaired members whose TLSH was deferred for size, so a rename search can use it."""
    from chainwatch.engine import tlsh_wanted
    from chainwatch.filetype import HEAD_BYTES
    from chainwatch.fingerprint import fingerprint_file

    jobs = []
    for p in pairs:
        if p.how not in ("added", "removed"):
            continue
        side, rec = (sides[1], p.new) if p.how == "added" else (sides[0], p.old)
        unit = side.units.get(rec.path)
        if unit is None or rec.tlsh or rec.size <= DEFERRED_TLSH_BYTES or not tlsh_wanted(rec.type, rec.size, None):
            continue
        jobs.append((rec, executor.submit(fingerprint_file, Path(unit.fs_path), HEAD_BYTES, True)))
    for rec, fut in jobs:
        try:
            rec.tlsh = fut.result().tlsh
        except Exception:  # unreadable now: it stays unpaired, as it would without TLSH
            continue
    return bool(jobs)


SIGNER_ANALYZERS = {"pe": ("authenticode",), "macho": ("macho",)}


def _submit_signer_context(pairs: list[Any], sides: list[_Side], options: ScanOptions,
                           executor: Any) -> list[tuple[Any, Future]]:
    """Signatures of unchanged binaries, when a binary was added or changed.

    The signing rules compare a new signer with every signer of the previous release and with the
    new member's siblings; unchanged members carry hashes only, so their signatures are read here
    (one side suffices: the bytes are the same) with just the signature analyzer of their format.
    """
    from chainwatch.engine import analyze_member

    def family(rec: MemberRecord | None) -> str | None:
        top = rec.type.split("/", 1)[0] if rec is not None else ""
        return top if top in SIGNER_ANALYZERS else None

    if not any(family(p.new) for p in pairs if p.new is not None and (p.old is None or p.changed)):
        return []
    jobs: list[tuple[Any, Future]] = []
    for p in pairs:
        top = family(p.new)
        if top is None or p.old is None or p.new is None or p.changed:
            continue
        unit = sides[1].units.get(p.new.path)
        wanted = tuple(n for n in SIGNER_ANALYZERS[top] if options.analyzers is None or n in options.analyzers)
        if unit is not None and wanted:
            jobs.append((p, executor.submit(analyze_member, replace(unit, analyzers=wanted,
                                                                    settings=options.settings))))
    return jobs


def _collect_signer_context(jobs: list[tuple[Any, Future]], sides: list[_Side]) -> None:
    for pair, fut in jobs:
        try:
            features = fut.result().record.features
        except Exception:  # the member keeps hashes only, as before
            continue
        for side, rec in ((sides[0], pair.old), (sides[1], pair.new)):
            current = side.records.get(rec.path)
            if current is not None and not current.features:
                current.features.update(features)


def scan_pair(old: Path, new: Path, options: ScanOptions, *, old_name: str | None = None,
              old_version: str | None = None, new_name: str | None = None,
              new_version: str | None = None, progress: Any = None) -> tuple[Report, Report]:
    """Two scan reports whose unchanged members carry hashes only."""
    from chainwatch.engine import (
        MemberOutcome,
        Walker,
        _artifact_info,
        analyze_member,
        check_target,
        collect_tree_analyzers,
        finalize,
        fingerprint_submitter,
        prepare_analyzers,
        run_rules,
        submit_tree_analyzers,
    )
    from chainwatch.executor import make_executor
    from chainwatch.sandbox import Sandbox

    for target in (old, new):
        check_target(target)
    prepare_analyzers(options)  # before the pool forks: workers inherit LIEF, compiled rules, ...
    fingerprint_only = replace(options, analyzers=(), tlsh_max_bytes=DEFERRED_TLSH_BYTES)
    sides = [_Side(old), _Side(new)]
    with Sandbox(options.temp_root) as sandbox, make_executor(options.jobs) as executor:
        for side in sides:
            def submit(unit: Any, side: _Side = side) -> None:
                side.units[unit.path] = unit
                side.futures.append(executor.submit(analyze_member, unit))

            side.walker = Walker(sandbox, fingerprint_only, submit, fingerprint_submitter(executor))
            side.root = side.walker.walk(side.target)
        total = sum(len(side.futures) for side in sides)
        done = 0
        for side in sides:
            for fut in side.futures:
                done += 1
                try:
                    outcome: MemberOutcome = fut.result()
                    if progress:
                        progress(done, total, outcome.record.path)
                except Exception as exc:
                    side.errors.append(ScanError("", f"analysis worker failed: {type(exc).__name__}: {exc}", "error"))
                    continue
                side.records[outcome.record.path] = outcome.record
                side.errors.extend(outcome.errors)
                unit = side.units.get(outcome.record.path)
                if outcome.fingerprint is not None and unit is not None and unit.fingerprint is None:
                    side.units[outcome.record.path] = replace(unit, fingerprint=outcome.fingerprint)
            side.errors[:0] = side.walker.errors
            for d in side.walker.directories:
                side.records[d.path] = d
        pairs = match(list(sides[0].records.values()), list(sides[1].records.values()))
        if _add_deferred_tlsh(pairs, sides, executor):
            pairs = match(list(sides[0].records.values()), list(sides[1].records.values()))
        # tree analyzers (packages) need only paths and files: they run beside the member analysis
        trees = [(side, submit_tree_analyzers(side.walker, side.records, options, executor, side.errors))
                 for side in sides]
        # deep analysis of what changed, on both sides
        todo: list[tuple[_Side, Future]] = []
        for p in pairs:
            if p.old is not None and p.new is not None and not p.changed:
                continue
            for side, rec in ((sides[0], p.old), (sides[1], p.new)):
                unit = side.units.get(rec.path) if rec is not None else None
                if unit is not None and rec is not None:
                    analyzers, note = _analyzers_for(rec, options)
                    if note and side is sides[1] and not rec.container:
                        side.errors.append(ScanError(rec.path, note, "limit"))
                    full = replace(unit, analyzers=analyzers, settings=options.settings)
                    todo.append((side, executor.submit(analyze_member, full)))
        signer_context = _submit_signer_context(pairs, sides, options, executor)
        for side, fut in todo:
            try:
                outcome = fut.result()
            except Exception as exc:
                side.errors.append(ScanError("", f"analysis worker failed: {type(exc).__name__}: {exc}", "error"))
                continue
            before = side.records.get(outcome.record.path)
            if before is not None and outcome.record.tlsh is None:
                outcome.record.tlsh = before.tlsh  # a deferred TLSH computed for the rename search
            side.records[outcome.record.path] = outcome.record
            side.errors.extend(e for e in outcome.errors if e.kind != "limit" or "hashed only" not in e.message)
        _collect_signer_context(signer_context, sides)
        for side, pending in trees:
            collect_tree_analyzers(pending, side.records, side.errors)
    reports = []
    for side, name, version in ((sides[0], old_name, old_version), (sides[1], new_name, new_version)):
        inventory = sorted(side.records.values(), key=lambda r: r.path)
        findings, rule_errors = run_rules(inventory, options.skip_rules)
        report = Report(
            target=str(side.target), findings=findings, errors=side.errors + rule_errors, inventory=inventory,
            artifact=_artifact_info(side.target, side.root, side.records, name, version),
            stats={"members": len(inventory), "unpacked_bytes": sum(r.size for r in inventory),
                   "analyzed": sum(1 for r in inventory if r.features),
                   "seconds": round(time.monotonic() - side.started, 3)},
        )
        reports.append(finalize(report))
    return reports[0], reports[1]
