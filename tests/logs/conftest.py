"""Fixtures for the log-hunting tests: the 3CX test indicators and one small generated scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainwatch.logs.indicators import read_indicator_file
from chainwatch.logs.match import LogMatcher

FIXTURES = Path(__file__).parent / "fixtures"
INDICATORS = FIXTURES / "3cx_indicators.jsonl"


@pytest.fixture(scope="session")
def indicators() -> list[Any]:
    return list(read_indicator_file(INDICATORS))


@pytest.fixture(scope="session")
def matcher(indicators: list[Any]) -> LogMatcher:
    return LogMatcher.from_indicators(indicators)


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A small but complete scenario: 5 hosts, 11 days (the infected host wakes on day 10)."""
    from chainwatch.logs.generator import generate

    out = tmp_path_factory.mktemp("scenario")
    manifest = generate(out, days=11, hosts=5, seed=11, browse_per_hour=3.0)
    assert json.loads((out / "manifest.json").read_text())["infected"]["ip"] == manifest["infected"]["ip"]
    return out, manifest
