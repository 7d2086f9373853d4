"""Release diff: two inventories -> matched pairs -> delta rules -> ranked findings -> Report.

The diff report keeps the scan JSON contract (command "diff", target "OLD -> NEW") and adds
``extra["changes"]``. Scan findings of the new release are kept only when the old release did not
already have them (same rule on the same logical member), so a reviewer sees what this update brings.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from chainwatch.diff import facts as F
from chainwatch.diff.match import Pair, match, normalise_key, root_of, strip_root
from chainwatch.diff.rules.interface import DeltaRule, DiffContext
from chainwatch.models import Finding, MemberRecord, Report, ScanError, Severity
from chainwatch.options import ScanOptions

# deltas that mean "new code that runs" in a member: with a version that did not move they make a trojan
CODE_DELTA_RULES = {
    "diff.new-exec-imports", "diff.new-exec-section", "diff.entrypoint-moved", "diff.new-tls-callbacks",
    "diff.elf-new-init", "diff.elf-new-needed", "diff.macho-new-dylib", "diff.dotnet-types-added",
    "diff.new-capability", "diff.new-network-indicator",
}
VERSION_CLAIM_RULES = {"diff.version-unchanged", "diff.component-mismatch"}
MAX_CHANGE_ROWS = 5000  # rows per changes list in the report (counts stay exact)


@cache
def delta_rules() -> tuple[DeltaRule, ...]:
    from chainwatch.registry import collect

    return tuple(r for r in collect("chainwatch.diff.rules", "RULES") if isinstance(r, DeltaRule))


def _carry_scan_findings(old: Report, new: Report) -> list[Finding]:
    """Findings of NEW that OLD did not have on the same logical member."""
    old_root, new_root = root_of(old.inventory) or old.target, root_of(new.inventory) or new.target

    def key(f: Finding, root: str) -> tuple[str, str]:
        return f.rule, normalise_key(strip_root(f.path, root))

    seen = {key(f, old_root) for f in old.findings}
    return [f for f in new.findings if key(f, new_root) not in seen]


def _drop_restated(carried: list[Finding], deltas: list[Finding]) -> list[Finding]:
    """A scan finding that a delta finding already states for the same member (same check name) is dropped."""
    stated = {(f.path, f.rule.split(".", 1)[-1]) for f in deltas}
    return [f for f in carried if (f.path, f.rule.split(".", 1)[-1]) not in stated]


def _correlate(findings: list[Finding], ctx: DiffContext) -> list[Finding]:
    """One critical headline per member where a version claim and new code coincide (the 3CX ffmpeg.dll)."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.path].append(f)
    out = []
    for path, group in by_path.items():
        rules = {f.rule for f in group}
        code = [f for f in group if f.rule in CODE_DELTA_RULES and f.severity >= Severity.LOW]
        claims = [f for f in group if f.rule in VERSION_CLAIM_RULES]
        strong_code = [f for f in code if f.severity >= Severity.MEDIUM or f.rule in (
            "diff.new-exec-section", "diff.entrypoint-moved")]
        if not claims or not (strong_code or len(code) >= 2):
            continue
        record = ctx.new_by_path.get(path)
        name = record.name if record else path.rsplit("/", 1)[-1]
        techniques = sorted(rules & CODE_DELTA_RULES)
        out.append(Finding(
            rule="diff.trojanized-member",
            severity=Severity.CRITICAL,
            path=path,
            message=f"{name} looks trojanized: its content changed while the version it claims did not, and it "
                    f"gained new code paths ({', '.join(t.removeprefix('diff.') for t in techniques)})",
            evidence={"before": F.summary(ctx.old_counterpart(record)) if record else None,
                      "after": F.summary(record), "signals": sorted(rules)},
            attack="T1195.002",
        ))
    return out


COLLAPSE_AT = 4  # this many low/info findings of one rule become one line
COLLAPSE_LABELS = {
    "diff.new-script": "new scripts",
    "diff.signer-changed": "same signer, renewed certificate",
    "diff.new-network-indicator": "new network indicators",
    "diff.version-unchanged": "content changed, claimed version unchanged",
    "diff.new-executable": "new binaries",
    "diff.new-exec-imports": "new loader imports",
    "diff.new-capability": "new common capabilities",
}


def _collapse(findings: list[Finding]) -> list[Finding]:
    """Noise control: many low/info findings of one rule (new scripts, renewed certificates) become one line."""
    groups: dict[tuple[str, Severity], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.severity <= Severity.LOW:
            groups[(f.rule, f.severity)].append(f)
    out = [f for f in findings if f.severity > Severity.LOW]
    for (rule, severity), group in groups.items():
        if len(group) < COLLAPSE_AT:
            out.extend(group)
            continue
        names = sorted({f.path.rsplit("/", 1)[-1] for f in group})
        out.append(Finding(
            rule=rule, severity=severity, path=_common_parent([f.path for f in group]),
            message=f"{len(group)} members: {COLLAPSE_LABELS.get(rule, rule)} ({', '.join(names[:6])}"
                    f"{' …' if len(names) > 6 else ''})",
            evidence={"count": len(group), "paths": [f.path for f in group][:200],
                      "first": group[0].evidence},
            attack=group[0].attack,
        ))
    return out


def _common_parent(paths: list[str]) -> str:
    split = [p.replace("!/", "/").split("/") for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common[:-1] if len(common) == min(len(s) for s in split) else common)


def _change_rows(pairs: list[Pair], findings: list[Finding]) -> dict[str, Any]:
    flagged: defaultdict[str, int] = defaultdict(int)
    for f in findings:
        flagged[f.path] = max(flagged[f.path], f.severity.rank + 1)
    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    modified: list[dict[str, Any]] = []
    renamed: list[dict[str, Any]] = []
    unchanged = 0
    for p in pairs:
        if p.old is None and p.new is not None:
            added.append(F.summary(p.new))
        elif p.new is None and p.old is not None:
            removed.append(F.summary(p.old))
        elif p.old is not None and p.new is not None:
            if p.how in ("normalised", "sha256", "tlsh"):
                renamed.append({"path": p.new.path, "old_path": p.old.path, "how": p.how, "distance": p.distance,
                                "content_changed": p.changed})
            if p.changed:
                if p.old.type == "directory":
                    continue
                modified.append({"path": p.new.path, "old_path": p.old.path, "before": F.summary(p.old),
                                 "after": F.summary(p.new), "delta": F.member_delta(p.old, p.new),
                                 "tlsh_distance": p.distance, "findings": flagged.get(p.new.path, 0)})
            elif p.how in ("path", "root", "normalised"):
                unchanged += 1
    modified.sort(key=lambda m: (-int(m.pop("findings")), m["path"]))
    counts = {"added": len(added), "removed": len(removed), "modified": len(modified), "renamed": len(renamed),
              "unchanged": unchanged}
    return {"added": added[:MAX_CHANGE_ROWS], "removed": removed[:MAX_CHANGE_ROWS],
            "modified": modified[:MAX_CHANGE_ROWS], "renamed": renamed[:MAX_CHANGE_ROWS], "unchanged": unchanged,
            "counts": counts}


def diff_reports(
    old: Report,
    new: Report,
    *,
    known_components: Callable[[MemberRecord], list[dict[str, Any]]] | None = None,
    release_date: datetime | None = None,
    settings: dict[str, Any] | None = None,
    skip_rules: tuple[str, ...] = (),
) -> Report:
    """Diff two scan reports (with inventories) into a diff report."""
    from chainwatch.engine import finalize

    started = time.monotonic()
    pairs = match(old.inventory, new.inventory)
    ctx = DiffContext(old.inventory, new.inventory, pairs, old.artifact, new.artifact, release_date=release_date,
                      known_components=known_components, settings=settings or {})
    findings: list[Finding] = []
    errors: list[ScanError] = list(new.errors)
    for rule in delta_rules():
        if rule.id in skip_rules:
            continue
        for p in pairs:
            if p.old is not None and p.new is not None and not p.changed:
                continue  # identical bytes: nothing can have changed
            try:
                findings.extend(rule.check_pair(p.old, p.new, ctx))
            except Exception as exc:  # a rule bug on odd facts must not end the diff
                errors.append(ScanError(p.path, f"delta rule {rule.id} failed: {type(exc).__name__}: {exc}", "error"))
    findings.extend(_artifact_findings(ctx))
    findings.extend(_correlate(findings, ctx))
    findings = _collapse(findings)
    findings.extend(_drop_restated(_carry_scan_findings(old, new), findings))
    report = Report(
        target=f"{old.target} -> {new.target}",
        command="diff",
        findings=findings,
        errors=errors,
        inventory=new.inventory,
        artifact={"old": old.artifact, "new": new.artifact, **{k: v for k, v in new.artifact.items()}},
        stats={"old_members": len(old.inventory), "new_members": len(new.inventory),
               "old_seconds": old.stats.get("seconds"), "new_seconds": new.stats.get("seconds"),
               "diff_seconds": round(time.monotonic() - started, 3)},
    )
    finalize(report)
    # within one severity, the release-delta findings (with before/after) come first
    report.findings.sort(key=lambda f: (-f.severity.rank, not f.rule.startswith("diff."), f.rule, f.path))
    report.extra["changes"] = _change_rows(pairs, report.findings)
    report.extra["changes_summary"] = report.extra["changes"]["counts"]
    return report


def _artifact_findings(ctx: DiffContext) -> list[Finding]:
    """Whole-release checks: the release version going backwards (ShadowHammer)."""
    a, b = ctx.old_artifact.get("version"), ctx.new_artifact.get("version")
    import re

    ta = [int(x) for x in re.findall(r"\d+", str(a or ""))[:4]]
    tb = [int(x) for x in re.findall(r"\d+", str(b or ""))[:4]]
    same_name = ctx.old_artifact.get("file") == ctx.new_artifact.get("file")  # e.g. libusb-1.0.dll: a soname
    if a and a == b and not same_name and not ctx.new_artifact.get("ecosystem"):
        changed = [p for p in ctx.pairs if (p.changed or p.old is None or p.new is None)
                   and not (p.new or p.old).container and (p.new or p.old).type != "directory"]  # type: ignore[union-attr]
        if changed:
            return [Finding("diff.version-unchanged", Severity.MEDIUM, root_of(ctx.new_inventory),
                            f"{len(changed)} member(s) changed but the release still calls itself version {b}: the "
                            f"same version should be the same bytes", {"before": a, "after": b,
                            "changed": [(p.new or p.old).path for p in changed][:50]}, "T1195.002")]  # type: ignore[union-attr]
    if not ta or not tb or tb >= ta:
        return []
    # packages report this on their own container record (diff.package-republished)
    if ctx.new_artifact.get("ecosystem"):
        return []
    return [Finding("diff.version-backwards", Severity.HIGH, root_of(ctx.new_inventory),
                    f"the release version went backwards: {a} -> {b}; an older build is being shipped as an update",
                    {"before": a, "after": b}, "T1195.002")]


def diff_artifacts(
    old: str | Path | Report,
    new: str | Path | Report,
    options: ScanOptions | None = None,
    *,
    store: Any = None,
    release_date: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    old_name: str | None = None,
    old_version: str | None = None,
    new_name: str | None = None,
    new_version: str | None = None,
    incremental: bool = True,
) -> Report:
    """Public API: ``chainwatch.diff(old, new, options) -> Report``.

    ``old``/``new`` are artifact paths or already-made scan reports (e.g. a baseline loaded from the
    store). Two paths are scanned incrementally (analyzers only on members that changed) unless
    ``incremental=False``. When a store is given, its known-good components are checked.
    """
    from chainwatch.engine import scan

    options = options or ScanOptions()
    if incremental and not isinstance(old, Report) and not isinstance(new, Report):
        from chainwatch.diff.incremental import scan_pair

        old_report, new_report = scan_pair(Path(old), Path(new), options, old_name=old_name,
                                           old_version=old_version, new_name=new_name, new_version=new_version,
                                           progress=progress)
    else:
        old_report = old if isinstance(old, Report) else scan(old, options, name=old_name, version=old_version,
                                                              progress=progress)
        new_report = new if isinstance(new, Report) else scan(new, options, name=new_name, version=new_version,
                                                              progress=progress)
    lookup = None
    if store is not None and hasattr(store, "conn"):
        from chainwatch.diff.components import ComponentStore

        lookup = ComponentStore(store.conn).lookup
    return diff_reports(old_report, new_report, known_components=lookup, release_date=release_date,
                        settings=dict(options.settings), skip_rules=options.skip_rules)
