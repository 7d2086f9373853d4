"""Indicator store: indicators and their sources in the chainwatch SQLite store.

Works over a plain ``sqlite3.Connection`` (``store.conn`` of ``chainwatch.store.open_store``); the
schema is ``chainwatch/store/migrations/0300_intel_indicators.sql``, applied here too when the
connection did not come through the migration runner (idempotent ``CREATE ... IF NOT EXISTS``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chainwatch.intel.model import Indicator, IndicatorKind

MIGRATION = Path(__file__).resolve().parents[1] / "store" / "migrations" / "0300_intel_indicators.sql"
BATCH = 50_000

_UPSERT = (
    "INSERT INTO intel_indicator (kind, value, source_id, score, description, campaign, first_seen, last_seen,"
    " expires, reference, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (kind, value, source_id) DO UPDATE SET score=excluded.score, description=excluded.description,"
    " campaign=COALESCE(excluded.campaign, campaign), first_seen=COALESCE(first_seen, excluded.first_seen),"
    " last_seen=COALESCE(excluded.last_seen, last_seen), expires=excluded.expires,"
    " reference=COALESCE(excluded.reference, reference), extra=COALESCE(excluded.extra, extra)"
)
_SELECT = (
    "SELECT i.kind, i.value, s.name, i.score, i.description, i.campaign, i.first_seen, i.last_seen, i.expires,"
    " i.reference, i.extra FROM intel_indicator i JOIN intel_source s ON s.id = i.source_id"
)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SourceInfo:
    name: str
    feed: str | None
    location: str | None
    license: str | None
    attribution: str | None
    imported_at: str
    indicators: int


def _row_to_indicator(row: tuple) -> Indicator:
    kind, value, source, score, desc, campaign, first, last, expires, ref, extra = row
    return Indicator(
        kind=IndicatorKind(kind), value=value, source=source, score=score, description=desc or "",
        campaign=campaign, first_seen=first, last_seen=last, expires=expires, reference=ref,
        extra=json.loads(extra) if extra else {},
    )


class IndicatorStore:
    """Add, de-duplicate, expire and iterate indicators. Not thread-safe (one connection)."""

    def __init__(self, conn: sqlite3.Connection | str | Path | None = None, ensure_schema: bool = True) -> None:
        """``conn``: an open connection (e.g. ``open_store(...).conn``), a store file path, or None for the
        default store (``$CHAINWATCH_DB`` or the user data dir)."""
        if conn is None or isinstance(conn, (str, Path)):
            from chainwatch.store import open_store

            self._owner = open_store(Path(conn) if conn is not None else None)
            conn = self._owner.conn
        self.conn = conn
        self._source_ids: dict[str, int] = {}
        if ensure_schema:
            self.conn.executescript(MIGRATION.read_text(encoding="utf-8"))

    @classmethod
    def open(cls, path: str | Path | None = None) -> IndicatorStore:
        """Open a store file (None: the default store)."""
        return cls(path)

    # -- sources --------------------------------------------------------------------------------
    def source_id(self, name: str, *, feed: str | None = None, location: str | None = None,
                  license: str | None = None, attribution: str | None = None) -> int:
        cached = self._source_ids.get(name)
        if cached is not None and feed is None and location is None:
            return cached
        self.conn.execute(
            "INSERT INTO intel_source (name, feed, location, license, attribution, imported_at) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (name) DO UPDATE SET feed=COALESCE(excluded.feed, feed),"
            " location=COALESCE(excluded.location, location), license=COALESCE(excluded.license, license),"
            " attribution=COALESCE(excluded.attribution, attribution), imported_at=excluded.imported_at",
            (name, feed, location, license, attribution, utc_now()),
        )
        (sid,) = self.conn.execute("SELECT id FROM intel_source WHERE name=?", (name,)).fetchone()
        self._source_ids[name] = sid
        return sid

    def sources(self) -> list[SourceInfo]:
        rows = self.conn.execute(
            "SELECT s.name, s.feed, s.location, s.license, s.attribution, s.imported_at,"
            " (SELECT COUNT(*) FROM intel_indicator i WHERE i.source_id = s.id) FROM intel_source s ORDER BY s.name"
        ).fetchall()
        return [SourceInfo(*r) for r in rows]

    def delete_source(self, name_or_prefix: str) -> int:
        """Remove a source (or every source whose name starts with ``prefix:``) and its indicators."""
        ids = [r[0] for r in self.conn.execute(
            "SELECT id FROM intel_source WHERE name=? OR name LIKE ?", (name_or_prefix, name_or_prefix + ":%"))]
        removed = 0
        with self.conn:
            for sid in ids:
                removed += self.conn.execute("DELETE FROM intel_indicator WHERE source_id=?", (sid,)).rowcount
                self.conn.execute("DELETE FROM intel_source WHERE id=?", (sid,))
        self._source_ids.clear()
        return removed

    # -- indicators -----------------------------------------------------------------------------
    def add(self, indicator: Indicator) -> int:
        return self.add_many([indicator])

    def add_many(self, indicators: Iterable[Indicator], *, feed: str | None = None,
                 location: str | None = None, license: str | None = None,
                 attribution: str | None = None, batch: int = BATCH) -> int:
        """Upsert indicators in large transactions; (kind, value, source) is the identity.

        Returns how many indicator rows were handed to SQLite (duplicates update in place).
        """
        total = 0
        rows: list[tuple] = []
        described: set[str] = set()
        for ind in indicators:
            sid = self._source_ids.get(ind.source)
            if sid is None or (feed is not None and ind.source not in described):
                sid = self.source_id(ind.source, feed=feed, location=location, license=license,
                                     attribution=attribution)
                described.add(ind.source)
            rows.append((
                ind.kind.value, ind.value, sid, int(ind.score), ind.description or "", ind.campaign,
                ind.first_seen, ind.last_seen, ind.expires, ind.reference,
                json.dumps(ind.extra, sort_keys=True) if ind.extra else None,
            ))
            if len(rows) >= batch:
                total += self._flush(rows)
                rows = []
        if rows:
            total += self._flush(rows)
        self.conn.commit()
        return total

    def _flush(self, rows: list[tuple]) -> int:
        with self.conn:
            self.conn.executemany(_UPSERT, rows)
        return len(rows)

    def iter(self, kinds: set[IndicatorKind] | None = None, *, include_expired: bool = False,
             source: str | None = None, campaign: str | None = None, now: str | None = None) -> Iterator[Indicator]:
        """Stream indicators (optionally only some kinds, one source or source prefix, one campaign)."""
        where: list[str] = []
        params: list[object] = []
        if kinds:
            where.append(f"i.kind IN ({','.join('?' * len(kinds))})")
            params.extend(sorted(k.value for k in kinds))
        if not include_expired:
            where.append("(i.expires IS NULL OR i.expires >= ?)")
            params.append(now or utc_now())
        if source:
            where.append("(s.name = ? OR s.name LIKE ?)")
            params.extend([source, source + ":%"])
        if campaign:
            where.append("i.campaign = ?")
            params.append(campaign)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY i.id"
        cur = self.conn.execute(sql, params)
        while True:
            chunk = cur.fetchmany(10_000)
            if not chunk:
                return
            for row in chunk:
                yield _row_to_indicator(row)

    def lookup(self, kind: IndicatorKind, value: str, *, include_expired: bool = False) -> list[Indicator]:
        sql = _SELECT + " WHERE i.kind = ? AND i.value = ?"
        params: list[object] = [kind.value, value]
        if not include_expired:
            sql += " AND (i.expires IS NULL OR i.expires >= ?)"
            params.append(utc_now())
        return [_row_to_indicator(r) for r in self.conn.execute(sql, params)]

    def purge_expired(self, now: str | None = None) -> int:
        with self.conn:
            return self.conn.execute(
                "DELETE FROM intel_indicator WHERE expires IS NOT NULL AND expires < ?", (now or utc_now(),)
            ).rowcount

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM intel_indicator").fetchone()[0])

    def stats(self) -> dict[str, object]:
        by_kind = dict(self.conn.execute("SELECT kind, COUNT(*) FROM intel_indicator GROUP BY kind ORDER BY kind"))
        by_campaign = dict(self.conn.execute(
            "SELECT campaign, COUNT(*) FROM intel_indicator WHERE campaign IS NOT NULL GROUP BY campaign"
            " ORDER BY campaign"))
        expired = self.conn.execute(
            "SELECT COUNT(*) FROM intel_indicator WHERE expires IS NOT NULL AND expires < ?", (utc_now(),)
        ).fetchone()[0]
        return {
            "indicators": sum(by_kind.values()),
            "by_kind": by_kind,
            "by_campaign": by_campaign,
            "expired": expired,
            "sources": [s.__dict__ for s in self.sources()],
        }

    def fingerprint(self) -> str:
        """Cheap identity of the current indicator set (changes when anything is imported or removed)."""
        row = self.conn.execute(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(score), 0) FROM intel_indicator").fetchone()
        src = self.conn.execute("SELECT COALESCE(MAX(imported_at), '') FROM intel_source").fetchone()[0]
        return f"{row[0]}-{row[1]}-{row[2]}-{src}"
