from pathlib import Path

from chainwatch import ScanOptions, scan
from chainwatch.store import open_store


def test_scan_is_recorded_and_reloaded_with_inventory(tmp_path: Path) -> None:
    (tmp_path / "app-2.0").mkdir()
    (tmp_path / "app-2.0" / "x.txt").write_text("hello")
    store = open_store(tmp_path / "cw.db")
    assert store.schema_version() >= 1
    report = scan(tmp_path / "app-2.0", ScanOptions(jobs=1), store=store, name="app", version="2.0")
    latest = store.latest("app")
    assert latest is not None and latest.version == "2.0"
    loaded = store.load_report(latest.id)
    assert [m.sha256 for m in loaded.inventory] == [m.sha256 for m in report.inventory]
    assert loaded.verdict == report.verdict
    store.close()


def test_migrations_apply_once(tmp_path: Path) -> None:
    first = open_store(tmp_path / "cw.db")
    version = first.schema_version()
    first.close()
    again = open_store(tmp_path / "cw.db")
    assert again.migrate() == [] and again.schema_version() == version
    again.close()


def test_history_finds_a_scan_by_recorded_name_file_name_or_sha256(tmp_path: Path) -> None:
    target = tmp_path / "my_tool-1.0.bin"
    target.write_bytes(b"#!/bin/sh\necho hello\n" * 10)
    store = open_store(tmp_path / "cw.db")
    try:
        report = scan(target, ScanOptions(jobs=1), store=store, name="My_Tool")
        digest = report.artifact["sha256"]
        for query in ("My_Tool", "my_tool", "my_tool-1.0.bin", digest[:12], digest.upper()[:12]):
            assert [a.name for a in store.artifacts(query)] == ["My_Tool"], query
        for query in ("My%", "my_tool-1.0", digest[:6], "other"):
            assert store.artifacts(query) == [], query
    finally:
        store.close()
