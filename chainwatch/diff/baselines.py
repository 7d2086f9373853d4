"""Baselines: named releases recorded in the store, so a new release is diffed without the old files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainwatch.models import Report
from chainwatch.options import ScanOptions


@dataclass(frozen=True)
class Baseline:
    id: int
    name: str
    version: str | None
    artifact_id: int
    added_at: str
    target: str


def add_baseline(store: Any, name: str, artifact: str | Path, version: str | None = None,
                 options: ScanOptions | None = None, progress: Any = None) -> tuple[Baseline, Report]:
    """Scan ``artifact``, record the scan in the store under ``name`` and mark it a baseline."""
    from chainwatch.engine import scan

    report = scan(artifact, options, store=store, name=name, version=version, progress=progress)
    row = store.latest(name)
    if row is None:  # pragma: no cover - the scan above recorded it
        raise RuntimeError("the baseline scan was not recorded")
    now = datetime.now(UTC).isoformat()
    with store.conn:
        cur = store.conn.execute("INSERT INTO baselines (name, version, artifact_id, added_at) VALUES (?,?,?,?)",
                                 (name, version or report.artifact.get("version"), row.id, now))
    base = Baseline(int(cur.lastrowid or 0), name, version or report.artifact.get("version"), row.id, now,
                    str(artifact))
    return base, report


def list_baselines(store: Any, name: str | None = None) -> list[Baseline]:
    sql = ("SELECT b.id, b.name, b.version, b.artifact_id, b.added_at, a.target FROM baselines b "
           "JOIN artifacts a ON a.id = b.artifact_id")
    args: tuple = ()
    if name:
        sql += " WHERE b.name = ?"
        args = (name,)
    rows = store.conn.execute(sql + " ORDER BY b.id DESC", args).fetchall()
    return [Baseline(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def load_baseline(store: Any, name: str, version: str | None = None) -> Report:
    """The latest baseline of ``name`` (or that version), else the latest recorded scan of ``name``."""
    for base in list_baselines(store, name):
        if version is None or base.version == version:
            return store.load_report(base.artifact_id)
    if version is None:
        row = store.latest(name)
        if row is not None:
            return store.load_report(row.id)
    have = sorted({b.name for b in list_baselines(store)})
    raise ValueError(f"no baseline named {name!r}{f' version {version}' if version else ''} in the store"
                     + (f"; known: {', '.join(have)}" if have else "; record one with `chainwatch baseline add`"))
