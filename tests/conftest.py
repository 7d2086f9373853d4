"""Shared fixtures. Tests needing ../shared skip with a clear reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """The read-only ../shared folder (corpus, malware, intel), or $CHAINWATCH_SHARED."""
    env = os.environ.get("CHAINWATCH_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared")
    for c in candidates:
        if (c / "corpus" / "manifest.json").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("../shared is not present (set CHAINWATCH_SHARED); CI provides it")
    return path


@pytest.fixture(scope="session")
def corpus(shared: Path) -> Path:
    return shared / "corpus"
