"""Installed-software checks on binary registry hives (SOFTWARE, NTUSER.DAT) of a Windows image."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chainwatch.hunt.run import HuntOptions, hunt
from chainwatch.hunt.software import MAX_HIVE, HiveError, read_registry_hive
from chainwatch.intel.packs import builtin_indicators
from tests.hunt.regf import build_hive

UNINSTALL = r"Microsoft\Windows\CurrentVersion\Uninstall"


def _user_hive(version: str) -> bytes:
    return build_hive({
        rf"Software\{UNINSTALL}\3CXDesktopApp": {"DisplayName": "3CX Desktop App", "DisplayVersion": version,
                                                 "Publisher": "3CX Ltd"},
        rf"Software\{UNINSTALL}\Notepad++": {"DisplayName": "Notepad++ (64-bit x64)", "DisplayVersion": "8.6.2"},
        r"Software\Vendor\Settings": {"DisplayName": "not an uninstall entry", "DisplayVersion": "18.12.416"},
    })


def test_uninstall_entries_of_a_user_hive_are_read(tmp_path: Path) -> None:
    hive = tmp_path / "NTUSER.DAT"
    hive.write_bytes(_user_hive("18.12.416"))
    facts = {(name, version) for name, version, _where, _platform in read_registry_hive(hive)}
    assert facts == {("3CX Desktop App", "18.12.416"), ("Notepad++ (64-bit x64)", "8.6.2")}


def test_machine_hive_paths_and_the_32_bit_view(tmp_path: Path) -> None:
    hive = tmp_path / "SOFTWARE"
    hive.write_bytes(build_hive({
        rf"WOW6432Node\{UNINSTALL}\{{1F2E3D4C}}": {"DisplayName": "3CX Desktop App", "DisplayVersion": "18.12.407"},
        rf"{UNINSTALL}\7-Zip": {"DisplayName": "7-Zip 23.01 (x64)", "DisplayVersion": "23.01"},
    }, file_name="SOFTWARE"))
    facts = read_registry_hive(hive)
    where = {name: field for name, _v, field, _p in facts}
    assert where["3CX Desktop App"].endswith(r"\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{1F2E3D4C}")
    assert {p for *_rest, p in facts} == {"windows"}


def test_hunt_finds_the_affected_release_in_a_mounted_image_and_reports_bad_hives(tmp_path: Path) -> None:
    image = tmp_path / "image"
    alice = image / "Users" / "alice"
    bob = image / "Users" / "bob"
    config = image / "Windows" / "System32" / "config"
    for d in (alice, bob, config):
        d.mkdir(parents=True)
    (alice / "NTUSER.DAT").write_bytes(_user_hive("18.12.416"))  # trojanized build
    (bob / "NTUSER.DAT").write_bytes(_user_hive("18.12.422"))  # the fixed build
    hostile = bytearray(_user_hive("18.12.416"))
    struct.pack_into("<i", hostile, 4096 + 32, 4096)  # root cell marked free: no root key
    (config / "SOFTWARE").write_bytes(bytes(hostile))
    (image / "Users" / "carol").mkdir()
    (image / "Users" / "carol" / "NTUSER.DAT").write_bytes(b"not a hive at all")
    report = hunt([image], builtin_indicators(), HuntOptions(jobs=1, yara=False, cache_dir=tmp_path / "cache"))
    hits = [f for f in report.findings if f.rule == "hunt.software"]
    assert [f.path for f in hits] == [str(alice / "NTUSER.DAT")]
    ev = hits[0].evidence
    assert ev["version"] == "18.12.416" and ev["fixed"] == "18.12.422"
    assert ev["field"].endswith(r"\Software\Microsoft\Windows\CurrentVersion\Uninstall\3CXDesktopApp")
    assert "3CX" in (ev["indicator"]["campaign"] or "")
    errors = {e.path: e.message for e in report.errors}
    assert "not allocated" in errors[str(config / "SOFTWARE")]
    assert str(image / "Users" / "carol" / "NTUSER.DAT") not in errors  # only named like a hive: not an error


def test_oversized_or_truncated_hive_is_an_error(tmp_path: Path) -> None:
    hive = tmp_path / "NTUSER.DAT"
    hive.write_bytes(_user_hive("18.12.416")[:4100])
    with pytest.raises(HiveError, match="cut short"):
        read_registry_hive(hive)
    with hive.open("r+b") as fh:  # sparse: a valid start, then beyond the size cap
        fh.truncate(MAX_HIVE + 1)
    with pytest.raises(HiveError, match="larger than"):
        read_registry_hive(hive)
