"""Hostile inputs: each gives its error entry (the right kind), the rest of the container still opens,
memory stays bounded, and nothing is written outside the private temp dir.

End-to-end through ``chainwatch.scan`` with the temp root and the working directory pointed at empty
folders of the test, so "nothing left behind, nothing written elsewhere" is asserted on the file system.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainwatch import Limits, Report, ScanOptions, scan
from chainwatch.options import MiB
from tests.unpack import builders as b
from tests.unpack.helpers import open_container

needs_7zz = pytest.mark.skipif(not b.have("7zz"), reason="Debian's 7zip (7zz) is not installed")
REPO = Path(__file__).resolve().parents[2]


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


class Arena:
    """A test folder with an empty temp root and an empty cwd, to check nothing leaks out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs = root / "inputs"
        self.temp = root / "temp"
        self.cwd = root / "cwd"
        for d in (self.inputs, self.temp, self.cwd):
            d.mkdir()

    def add(self, name: str, data: bytes) -> Path:
        p = self.inputs / name
        p.write_bytes(data)
        return p

    def scan(self, path: Path, **limits: object) -> Report:
        before = _files_under(self.root)
        report = scan(path, ScanOptions(jobs=1, temp_root=self.temp, limits=Limits().with_overrides(**limits)))
        assert not any(self.temp.iterdir()), "the private temp dir was not removed"
        assert not any(self.cwd.iterdir()), "something was written to the working directory"
        assert _files_under(self.root) == before, "files appeared outside the sandbox"
        return report


@pytest.fixture
def arena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arena]:
    a = Arena(tmp_path)
    monkeypatch.chdir(a.cwd)
    monkeypatch.setenv("TMPDIR", str(a.temp))
    yield a


def _paths(report: Report) -> set[str]:
    return {m.path for m in report.inventory}


def _errors(report: Report, kind: str) -> list[str]:
    return [e.path for e in report.errors if e.kind == kind]


# ------------------------------------------------------------------------------------------ bombs


def test_zip_bomb_nested_in_a_zip(arena: Arena) -> None:
    outer = arena.add("outer.zip", b.zip_bytes({"bomb.zip": b.zip_bomb(10 * b.GiB), "readme.txt": b"hi there\n"}))
    assert outer.stat().st_size < 64 * 1024  # 10 GiB of zeros in a few KB
    report = arena.scan(outer)
    assert "outer.zip!/bomb.zip!/zeros.bin" in _errors(report, "limit")
    assert {"outer.zip!/readme.txt", "outer.zip!/bomb.zip"} <= _paths(report)
    assert "outer.zip!/bomb.zip!/zeros.bin" not in _paths(report)


def test_zip_bomb_under_the_member_limit_is_stopped_by_the_ratio(arena: Arena) -> None:
    bomb = arena.add("bomb.zip", b.zip_bomb(64 * MiB))
    report = arena.scan(bomb)
    [err] = [e for e in report.errors if e.path == "bomb.zip!/zeros.bin"]
    assert err.kind == "limit" and "ratio" in err.message


def test_targz_bomb_is_refused_without_inflating(arena: Arena) -> None:
    bomb = arena.add("pkg-1.0.tar.gz", b.targz_bomb(10 * b.GiB))
    started = time.monotonic()
    report = arena.scan(bomb)
    assert time.monotonic() - started < 60  # inflating 10 GiB to skip it would take minutes
    assert "pkg-1.0.tar.gz!/zeros.bin" in _errors(report, "limit")


def test_single_gzip_bomb(arena: Arena) -> None:
    report = arena.scan(arena.add("zeros.bin.gz", b.gz_bomb(10 * b.GiB)))
    assert "zeros.bin.gz" in _errors(report, "limit")


@needs_7zz
def test_7z_bomb_is_refused_from_its_listing(arena: Arena) -> None:
    archive = b.sevenzip_archive(arena.root, {"zeros.bin": bytes(8 * MiB), "ok.txt": b"fine\n"})
    report = arena.scan(archive, ratio_floor_bytes=1 * MiB, max_ratio=20.0)
    assert "test.7z" in _errors(report, "limit")


# ------------------------------------------------------------------------------------ unsafe names


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_traversal_and_absolute_names(arena: Arena, fmt: str) -> None:
    absolute = arena.root / "abs-target.txt"
    files = {"../../../evil.txt": b"escape", "a/../../evil2.txt": b"escape", str(absolute): b"absolute",
             "C:/Windows/evil.dll": b"drive", "ok/ok.txt": b"fine\n"}
    data = b.zip_bytes(files) if fmt == "zip" else b.tar_bytes(files)
    report = arena.scan(arena.add(f"evil.{fmt}", data))
    assert f"evil.{fmt}!/ok/ok.txt" in _paths(report)
    unsafe = _errors(report, "unsafe-path")
    assert len(unsafe) == 4, report.errors
    assert not absolute.exists()


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_symlink_members_are_never_created_or_followed(arena: Arena, fmt: str) -> None:
    outside = arena.root / "outside"
    outside.mkdir()
    if fmt == "zip":
        data = b.zip_with_symlink("escape", str(outside), {"escape/planted.txt": b"through the link", "ok.txt": b"x"})
    else:
        data = b.tar_bytes({"escape/planted.txt": b"through the link", "ok.txt": b"x"},
                           links={"passwd": "/etc/passwd", "escape": str(outside)}, hardlinks={"hard": "/etc/shadow"})
        # links must come before the member written "through" them: rebuild in that order
        import io
        import tarfile

        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            links = (("passwd", "/etc/passwd", tarfile.SYMTYPE), ("escape", str(outside), tarfile.SYMTYPE),
                     ("hard", "/etc/shadow", tarfile.LNKTYPE))
            for name, target, kind in links:
                info = tarfile.TarInfo(name)
                info.type, info.linkname = kind, target
                tf.addfile(info)
            for name, content in (("escape/planted.txt", b"through the link"), ("ok.txt", b"x")):
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tf.addfile(info, io.BytesIO(content))
        data = buf.getvalue()
    path = arena.add(f"links.{fmt}", data)
    report = arena.scan(path)
    assert f"links.{fmt}!/escape" in _errors(report, "link")
    assert f"links.{fmt}!/ok.txt" in _paths(report)
    assert not any(outside.iterdir()), "a member was written through a link"
    opened = open_container(path, temp_root=arena.temp)
    assert not any(p.is_symlink() for p in opened.dest_files)


@needs_7zz
def test_7z_with_links(arena: Arena) -> None:
    outside = arena.root / "outside"
    outside.mkdir()
    archive = b.sevenzip_archive(arena.root, {"ok.txt": b"fine\n"},
                                 links={"passwd": "/etc/passwd", "up": "../../../../outside", "out": str(outside)})
    report = arena.scan(archive)
    assert {"test.7z!/passwd", "test.7z!/up", "test.7z!/out"} <= set(_errors(report, "link"))
    assert "test.7z!/ok.txt" in _paths(report)
    opened = open_container(archive, temp_root=arena.temp)
    assert list(opened.members) == ["ok.txt"]
    assert not any(p.is_symlink() for p in opened.dest_files)


# ----------------------------------------------------------------------------- depth, truncation


def test_fifty_nesting_levels(arena: Arena) -> None:
    deep = arena.add("deep.zip", b.nested(50))
    report = arena.scan(deep)
    limit = [e for e in report.errors if e.kind == "limit" and "depth" in e.message]
    assert len(limit) == 1
    assert any(p.endswith("!/side.txt") for p in _paths(report))
    opened_all = arena.scan(deep, max_depth=64)  # no recursion blow-up when the limit allows it all
    leaf = [p for p in _paths(opened_all) if p.endswith("!/leaf.txt")]
    assert len(leaf) == 1 and leaf[0].count("!/") == 50


def test_truncated_zip_keeps_the_members_before_the_cut(arena: Arena) -> None:
    first = os.urandom(600).hex().encode()
    data = b.zip_bytes({"first.txt": first, "second.bin": os.urandom(50_000), "third.txt": b"3"})
    report = arena.scan(arena.add("cut.zip", data[: len(data) // 2]))
    assert "cut.zip!/first.txt" in _paths(report)
    assert "cut.zip" in _errors(report, "unreadable")


def test_truncated_targz_keeps_the_members_before_the_cut(arena: Arena) -> None:
    first = b"print(%r)\n" % os.urandom(300).hex()
    data = b.tar_bytes({"pkg/a.py": first, "pkg/blob.bin": os.urandom(200_000), "pkg/z.py": b"z=1\n"})
    report = arena.scan(arena.add("pkg.tar.gz", data[: len(data) // 2]))
    assert "pkg.tar.gz!/pkg/a.py" in _paths(report)
    assert _errors(report, "unreadable")


def test_garbage_with_an_archive_name_is_not_a_crash(arena: Arena) -> None:
    for name in ("x.zip", "x.7z", "x.dmg", "x.msi", "x.deb", "x.asar", "x.crx"):
        arena.add(name, b"\x00garbage" * 10)
    arena.add("cut.7z", b"7z\xbc\xaf\x27\x1c" + os.urandom(100))
    arena.add("cut.crx", b"Cr24\x03\x00\x00\x00\xff\xff\xff\x7f" + bytes(20))
    arena.add("cut.asar", b"\x04\x00\x00\x00\x50\x00\x00\x00\x4c\x00\x00\x00\x40\x00\x00\x00{\"files\":{")
    report = arena.scan(arena.inputs)
    assert {"inputs/cut.7z", "inputs/cut.crx", "inputs/cut.asar"} <= set(_errors(report, "unreadable"))
    assert len([m for m in report.inventory if m.type != "directory"]) == 10


# ---------------------------------------------------------------------------------- passwords


@needs_7zz
def test_wrong_zip_password(arena: Arena) -> None:
    sample = b.encrypted_zip(arena.root / "inputs", {"payload.dll": b"MZ" + os.urandom(300)},
                             {"notes.txt": b"plain\n"}, "infected")
    report = scan(sample, ScanOptions(jobs=1, temp_root=arena.temp, password=b"wrong"))
    assert "sample.zip!/payload.dll" in _errors(report, "password")
    assert "sample.zip!/notes.txt" in _paths(report)
    right = scan(sample, ScanOptions(jobs=1, temp_root=arena.temp, password=b"infected"))
    assert "sample.zip!/payload.dll" in _paths(right)
    none = scan(sample, ScanOptions(jobs=1, temp_root=arena.temp))
    assert "sample.zip!/payload.dll" in _errors(none, "password")
    assert not any(arena.temp.iterdir())


@needs_7zz
def test_wrong_zip_password_that_passes_the_check_byte(arena: Arena) -> None:
    """ZipCrypto checks one byte, so 1 wrong password in 256 opens the member and decrypts garbage."""
    sample = b.encrypted_zip(arena.root / "inputs", {"payload.dll": b"MZ" + os.urandom(300)},
                             {"notes.txt": b"plain\n"}, "infected")
    with zipfile.ZipFile(sample) as zf:
        lucky = next(pw for pw in (b"wrong%d" % i for i in range(20_000)) if _opens(zf, "payload.dll", pw))
    report = scan(sample, ScanOptions(jobs=1, temp_root=arena.temp, password=lucky))
    assert "sample.zip!/payload.dll" in _errors(report, "password")
    assert "sample.zip!/payload.dll" not in _paths(report)


def _opens(zf: zipfile.ZipFile, name: str, password: bytes) -> bool:
    try:
        zf.open(name, pwd=password).close()
    except RuntimeError:
        return False
    return True


# ------------------------------------------------------------------------------------ memory


_RSS_SCRIPT = """
import sys
from chainwatch import ScanOptions, scan
report = scan(sys.argv[1], ScanOptions(jobs=2))
print(len(report.inventory), len(report.errors))
"""


def test_hostile_set_stays_under_500_mb_rss(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    inputs = tmp_path / "hostile"
    inputs.mkdir()
    (inputs / "outer.zip").write_bytes(b.zip_bytes({"bomb.zip": b.zip_bomb(10 * b.GiB), "r.txt": b"r"}))
    (inputs / "bomb64.zip").write_bytes(b.zip_bomb(64 * MiB))
    (inputs / "pkg.tar.gz").write_bytes(b.targz_bomb(10 * b.GiB))
    (inputs / "zeros.gz").write_bytes(b.gz_bomb(10 * b.GiB))
    (inputs / "deep.zip").write_bytes(b.nested(50))
    (inputs / "evil.zip").write_bytes(b.zip_bytes({"../../evil.txt": b"x", "/abs.txt": b"y", "ok.txt": b"z"}))
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = psutil.Popen([sys.executable, "-c", _RSS_SCRIPT, str(inputs)], env=env, cwd=tmp_path,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [proc, *proc.children(recursive=True)]:
                total += p.memory_info().rss
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.02)
    _out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert peak < 500 * MiB, f"process tree peaked at {peak / MiB:.0f} MiB"
    assert not any((tmp_path / "tmp").iterdir())


def test_many_small_bombs_add_up_to_a_container_ratio_breach(arena: Arena) -> None:
    # each member is under the per-member ratio floor, together they inflate ~1000:1
    arena.add("many.zip", b.zip_of_small_bombs(40, 1 * MiB))
    report = arena.scan(arena.inputs / "many.zip", ratio_floor_bytes=2 * MiB, max_ratio=100.0)
    assert "many.zip" in _errors(report, "limit")
    assert len([p for p in _paths(report) if p.startswith("many.zip!/")]) < 40


def test_zip_listing_more_entries_than_the_member_limit(arena: Arena) -> None:
    files = {f"f{i:04d}.txt": os.urandom(64).hex().encode() for i in range(300)}
    report = arena.scan(arena.add("wide.zip", b.zip_bytes(files)), max_members=100)
    assert any(e.kind == "limit" for e in report.errors)
    assert len([p for p in _paths(report) if p.startswith("wide.zip!/")]) <= 100


@needs_7zz
def test_large_encrypted_members_are_decrypted_by_7zz(arena: Arena) -> None:
    big = os.urandom(3 * MiB)
    sample = b.encrypted_zip(arena.root / "inputs", {"big.bin": big, "small.txt": os.urandom(100).hex().encode()},
                             {"notes.txt": os.urandom(50).hex().encode()}, "infected")
    opened = open_container(sample, password=b"infected", temp_root=arena.temp)
    assert opened.members["big.bin"] == big and set(opened.members) == {"big.bin", "small.txt", "notes.txt"}
    wrong = open_container(sample, password=b"nope", temp_root=arena.temp)
    assert set(wrong.members) == {"notes.txt"}
    assert {e.path for e in wrong.errors if e.kind == "password"} == {"sample.zip!/big.bin", "sample.zip!/small.txt"}
    assert not any(arena.temp.iterdir())


def test_flood_of_links_is_capped(arena: Arena) -> None:
    links = {f"l{i:05d}": "/etc/passwd" for i in range(5000)}
    data = b.tar_bytes({"ok.txt": os.urandom(40).hex().encode()}, links=links)
    opened = open_container(arena.add("flood.tar.gz", data), temp_root=arena.temp)
    assert "ok.txt" in opened.members
    assert len(opened.errors) <= 1001
    assert any("not listed" in e.message for e in opened.errors)
    capped = open_container(arena.inputs / "flood.tar.gz", Limits(max_members=100), temp_root=arena.temp)
    assert capped.failure is not None and capped.failure.kind == "limit"


@needs_7zz
def test_truncated_7zz_formats_degrade_to_error_entries(arena: Arena) -> None:
    work = arena.root / "build"
    work.mkdir()
    payload = {"app.bin": os.urandom(200_000), "readme.txt": os.urandom(100).hex().encode()}
    made = {"a.7z": b.sevenzip_archive(work, payload).read_bytes(), "a.cab": b.cab_bytes(payload),
            "a.dmg": b.udif_dmg([("disk image (Apple_HFS : 0)", b.cab_bytes(payload) * 40)])}
    if b.have("wixl"):
        (work / "msi").mkdir()
        made["a.msi"] = b.msi_installer(work / "msi", {"a.dll": os.urandom(300_000)}).read_bytes()
    if b.have("makensis"):
        (work / "nsis").mkdir()
        made["a.exe"] = b.nsis_installer(work / "nsis", {"a.dll": os.urandom(300_000)}).read_bytes()
    for name, data in made.items():
        if name.endswith(".dmg"):  # a DMG is found by its trailer: corrupt the data fork instead
            arena.add(f"cut-{name}", os.urandom(len(data) - 2000) + data[-2000:])
        else:
            arena.add(f"cut-{name}", data[: len(data) * 2 // 3])
    report = arena.scan(arena.inputs)
    tops = {f"inputs/cut-{name}" for name in made}
    assert tops <= _paths(report)  # every truncated container is still an inventory record
    failed = {e.path.split("!/")[0] for e in report.errors if e.kind in ("unreadable", "password", "limit")}
    assert tops - {"inputs/cut-a.exe"} <= failed, report.errors  # (a cut NSIS stub may still list its header)
