"""Upstream component provenance: known-good hashes of third-party components by name and version.

``learn`` records every binary of a trusted artifact that claims a version (PE version resource, .NET
assembly version); ``lookup`` returns the known builds of the name and version a member claims, so a
member claiming ``ffmpeg.dll`` 4.4 with another hash stands out even without an older release.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from chainwatch.diff import facts as F
from chainwatch.diff.match import normalise_component
from chainwatch.models import MemberRecord, Report


def component_key(record: MemberRecord) -> str:
    return normalise_component(record.name)


def component_identity(record: MemberRecord) -> tuple[str, str] | None:
    """(key, version) a member claims, or None when it claims no version."""
    if not F.is_binary(record):
        return None
    version = F.claimed_version(record)
    if not version:
        return None
    return component_key(record), version


class ComponentStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def learn(self, report: Report, source: str | None = None) -> int:
        """Record every versioned binary of a trusted report; returns how many rows were new."""
        source = source or report.artifact.get("name") or report.target
        if report.artifact.get("version"):
            source = f"{source} {report.artifact['version']}"
        now = datetime.now(UTC).isoformat()
        rows = []
        for r in report.inventory:
            ident = component_identity(r)
            if ident is None or not r.sha256:
                continue
            rows.append((ident[0], r.name, ident[1], F.claimed_product(r), r.sha256, r.size, source, now))
        with self.conn:
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO known_components VALUES (?,?,?,?,?,?,?,?)", rows)
            return self.conn.total_changes - before

    def lookup(self, record: MemberRecord) -> list[dict[str, Any]]:
        ident = component_identity(record)
        if ident is None:
            return []
        cur = self.conn.execute("SELECT * FROM known_components WHERE key = ? AND version = ?", ident)
        return [dict(row) for row in cur.fetchall()]

    def list(self, name: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM known_components"
        args: tuple = ()
        if name:
            sql += " WHERE key LIKE ? OR name LIKE ?"
            args = (f"%{name.lower()}%", f"%{name}%")
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY key, version", args)]
