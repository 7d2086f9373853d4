from __future__ import annotations

from chainwatch.packages import typosquat


def test_popular_names_are_never_squats() -> None:
    for name in ("requests", "boto3", "numpy", "python-dateutil"):
        assert typosquat.typosquat_of("pypi", name) is None
    assert typosquat.typosquat_of("npm", "debug") is None


def test_near_names_are_squats() -> None:
    assert typosquat.typosquat_of("pypi", "reqeusts")["target"] == "requests"  # type: ignore[index]
    assert typosquat.typosquat_of("pypi", "crypt0graphy")["target"] == "cryptography"  # type: ignore[index]
    assert typosquat.typosquat_of("pypi", "Matplorlib")["target"] == "matplotlib"  # type: ignore[index]


def test_odd_versions() -> None:
    assert typosquat.odd_version("0.0.0")
    assert typosquat.odd_version("99.10.0")
    assert typosquat.odd_version("1.2.3") is None
    assert typosquat.odd_version("2024.1.0") is None


def test_popular_lists_are_shipped() -> None:
    assert len(typosquat.popular("pypi")) > 10_000
    assert len(typosquat.popular("npm")) > 10_000
