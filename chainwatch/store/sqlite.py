"""SQLite store with versioned migrations (``migrations/NNNN_name.sql``, applied once, in order)."""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from chainwatch.models import MemberRecord, Report
from chainwatch.store.interface import Store, StoredArtifact


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("chainwatch.store") / "migrations"
    out = []
    for item in folder.iterdir():
        name = item.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, item.read_text(encoding="utf-8")))
    return sorted(out)


def _pack(obj: object) -> bytes:
    return zlib.compress(json.dumps(obj, separators=(",", ":"), default=str).encode(), 6)


def _unpack(blob: bytes) -> dict:
    return json.loads(zlib.decompress(blob))


class SqliteStore(Store):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply every migration not yet applied; returns the names applied now."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
        )
        done = {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in _migrations():
            if version in done:
                continue
            with self.conn:
                self.conn.executescript(sql)
                self.conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, datetime.now(UTC).isoformat())
                )
            applied.append(name)
        return applied

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def save_report(self, report: Report) -> int:
        art = report.artifact
        name = art.get("name") or Path(report.target).name
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO artifacts (name, version, sha256, target, kind, command, scanned_at, verdict, score,"
                " report_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    name,
                    art.get("version"),
                    art.get("sha256"),
                    report.target,
                    art.get("type"),
                    report.command,
                    datetime.now(UTC).isoformat(),
                    report.verdict.value,
                    report.score,
                    _pack(report.to_dict(include_inventory=False)),
                ),
            )
            artifact_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO members VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (artifact_id, m.path, m.size, m.type, m.md5, m.sha1, m.sha256, m.tlsh, m.entropy,
                     _pack(m.to_dict()))
                    for m in report.inventory
                ],
            )
            self.conn.executemany(
                "INSERT INTO findings VALUES (?,?,?,?,?,?)",
                [
                    (artifact_id, f.rule, f.severity.value, f.path, f.message, json.dumps(f.evidence, default=str))
                    for f in report.findings
                ],
            )
        return artifact_id

    @staticmethod
    def _row(row: sqlite3.Row) -> StoredArtifact:
        return StoredArtifact(
            id=row["id"], name=row["name"], version=row["version"], sha256=row["sha256"], target=row["target"],
            scanned_at=row["scanned_at"], verdict=row["verdict"], score=row["score"],
        )

    def artifacts(self, name: str | None = None) -> list[StoredArtifact]:
        sql = "SELECT * FROM artifacts"
        args: tuple = ()
        if name is not None:
            # the recorded name (often the product name from the version resource or package metadata),
            # any case; or the scanned file's name; or a sha256 prefix of 8+ hex digits
            like = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql += (" WHERE lower(name) = lower(?) OR target = ? OR target LIKE ? ESCAPE '\\'"
                    " OR (length(?) >= 8 AND sha256 LIKE ? ESCAPE '\\')")
            args = (name, name, f"%/{like}", name, f"{like.lower()}%")
        sql += " ORDER BY id DESC"
        return [self._row(r) for r in self.conn.execute(sql, args)]

    def load_report(self, artifact_id: int, with_inventory: bool = True) -> Report:
        row = self.conn.execute("SELECT report_json FROM artifacts WHERE id = ?", (artifact_id,)).fetchone()
        if row is None:
            raise KeyError(f"no recorded scan with id {artifact_id}")
        report = Report.from_dict(_unpack(row["report_json"]))
        if with_inventory:
            report.inventory = [
                MemberRecord.from_dict(_unpack(r[0]))
                for r in self.conn.execute(
                    "SELECT record_json FROM members WHERE artifact_id = ? ORDER BY path", (artifact_id,)
                )
            ]
        return report

    def latest(self, name: str, before_version: str | None = None) -> StoredArtifact | None:
        sql = "SELECT * FROM artifacts WHERE name = ?"
        args: list = [name]
        if before_version is not None:
            sql += " AND (version IS NULL OR version != ?)"
            args.append(before_version)
        row = self.conn.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return self._row(row) if row else None

    def find_by_sha256(self, sha256: str) -> StoredArtifact | None:
        row = self.conn.execute("SELECT * FROM artifacts WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
                                (sha256,)).fetchone()
        return self._row(row) if row else None

    def close(self) -> None:
        self.conn.close()
