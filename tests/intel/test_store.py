from __future__ import annotations

import sqlite3
from pathlib import Path

from chainwatch.intel.model import Indicator, IndicatorKind, hash_kind, normalize_value
from chainwatch.intel.store import IndicatorStore


def _ind(value: str, kind: IndicatorKind = IndicatorKind.SHA256, source: str = "test:a", **kw: object) -> Indicator:
    return Indicator(kind=kind, value=value, source=source, **kw)  # type: ignore[arg-type]


def test_bulk_add_dedupes_on_kind_value_source() -> None:
    store = IndicatorStore(sqlite3.connect(":memory:"))
    items = [_ind(f"{i:064x}") for i in range(5000)]
    store.add_many(items + items, batch=1000)
    store.add_many([_ind(f"{1:064x}", source="test:b", score=10, description="again")])
    assert store.count() == 5001
    hits = store.lookup(IndicatorKind.SHA256, f"{1:064x}")
    assert {h.source for h in hits} == {"test:a", "test:b"}
    store.add_many([_ind(f"{1:064x}", score=99, description="updated")])
    updated = next(h for h in store.lookup(IndicatorKind.SHA256, f"{1:064x}") if h.source == "test:a")
    assert updated.score == 99 and updated.description == "updated"


def test_iter_by_kind_source_and_expiry() -> None:
    store = IndicatorStore(sqlite3.connect(":memory:"))
    store.add_many([
        _ind("a" * 32, IndicatorKind.MD5, extra={"k": 1}),
        _ind("evil.example", IndicatorKind.DOMAIN, source="feed:x", campaign="c1"),
        _ind("old.example", IndicatorKind.DOMAIN, source="feed:x", expires="2001-01-01T00:00:00Z"),
    ])
    assert {i.value for i in store.iter({IndicatorKind.DOMAIN})} == {"evil.example"}
    assert {i.value for i in store.iter({IndicatorKind.DOMAIN}, include_expired=True)} == {"evil.example",
                                                                                          "old.example"}
    assert [i.extra for i in store.iter({IndicatorKind.MD5})] == [{"k": 1}]
    assert {i.value for i in store.iter(source="feed")} == {"evil.example"}
    assert {i.value for i in store.iter(campaign="c1")} == {"evil.example"}
    assert store.purge_expired() == 1
    assert store.stats()["by_kind"] == {"domain": 1, "md5": 1}
    assert store.delete_source("feed") == 1
    assert store.count() == 1


def test_open_by_path_as_log_hunting_does(tmp_path: Path) -> None:
    db = tmp_path / "by-path.db"
    IndicatorStore(str(db)).add_many([_ind("c2.example", IndicatorKind.DOMAIN)])
    assert [i.value for i in IndicatorStore(db).iter({IndicatorKind.DOMAIN})] == ["c2.example"]


def test_schema_through_open_store(tmp_path: Path) -> None:
    from chainwatch.store import open_store

    s = open_store(tmp_path / "cw.db")
    tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"intel_indicator", "intel_source", "hunt_run", "hunt_done"} <= tables
    idx = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "intel_indicator_value" in idx
    plan = " ".join(str(r[-1]) for r in s.conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM intel_indicator WHERE kind='md5' AND value='x'"))
    assert "USING INDEX" in plan
    s.close()


def test_normalisation() -> None:
    assert hash_kind("A" * 32) == IndicatorKind.MD5 and hash_kind("a" * 40) == IndicatorKind.SHA1
    assert hash_kind("a" * 64) == IndicatorKind.SHA256 and hash_kind("z" * 32) is None
    assert normalize_value(IndicatorKind.DOMAIN, "Evil[.]Example.") == "evil.example"
    assert normalize_value(IndicatorKind.CERT_SERIAL, "00 85 38 A6 C5 01 8F 50 FC") == "8538a6c5018f50fc"
