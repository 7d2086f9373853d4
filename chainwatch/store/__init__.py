"""The embedded store: scans, baselines, components, indicators, caches."""

from __future__ import annotations

import os
from pathlib import Path

from chainwatch.store.interface import Store, StoredArtifact
from chainwatch.store.sqlite import SqliteStore


def default_db_path() -> Path:
    """$CHAINWATCH_DB, else chainwatch.db under the user's data dir."""
    env = os.environ.get("CHAINWATCH_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("chainwatch", appauthor=False)) / "chainwatch.db"


def open_store(path: str | Path | None = None) -> SqliteStore:
    return SqliteStore(path if path is not None else default_db_path())


__all__ = ["SqliteStore", "Store", "StoredArtifact", "default_db_path", "open_store"]
