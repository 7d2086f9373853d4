"""Every supported container opens and lists its members under the right logical names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainwatch import ScanOptions, scan
from chainwatch.filetype import detect_file
from tests.unpack import builders as b
from tests.unpack.helpers import open_container

needs_7zz = pytest.mark.skipif(not b.have("7zz"), reason="Debian's 7zip (7zz) is not installed")
PAYLOAD = {"bin/tool.dll": b"MZ" + os.urandom(300), "README.txt": b"hello\n"}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_zip_members_and_password(tmp_path: Path) -> None:
    opened = open_container(_write(tmp_path, "a.zip", b.zip_bytes(PAYLOAD)))
    assert opened.unpacker == "zip" and opened.members == PAYLOAD and not opened.errors


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "w"])
def test_tar_family(tmp_path: Path, mode: str) -> None:
    data = b.tar_bytes({f"pkg/{k}": v for k, v in PAYLOAD.items()}, mode=mode)
    opened = open_container(_write(tmp_path, "pkg.tar.x", data))
    assert opened.members == {f"pkg/{k}": v for k, v in PAYLOAD.items()}


def test_single_zstd_file(tmp_path: Path) -> None:
    import zstandard

    data = zstandard.ZstdCompressor().compress(b"log line\n" * 100)
    opened = open_container(_write(tmp_path, "app.log.zst", data))
    assert opened.members == {"app.log": b"log line\n" * 100}


def test_deb_opens_through_ar_then_tar(tmp_path: Path) -> None:
    deb = _write(tmp_path, "demo_1.0_amd64.deb", b.deb_bytes({"usr/bin/tool": b"#!/bin/sh\necho hi\n"}))
    opened = open_container(deb)
    assert opened.unpacker == "libarchive"
    assert set(opened.members) == {"debian-binary", "control.tar.xz", "data.tar.xz"}
    report = scan(deb, ScanOptions(jobs=1, temp_root=tmp_path))
    paths = {m.path for m in report.inventory}
    assert "demo_1.0_amd64.deb!/data.tar.xz!/usr/bin/tool" in paths
    assert not report.errors


def test_rpm_and_cpio(tmp_path: Path) -> None:
    rpm = open_container(_write(tmp_path, "demo.rpm", b.rpm_bytes({"./usr/lib/libdemo.so": b"\x7fELF" + bytes(60)})))
    assert rpm.kind == "archive/rpm" and rpm.members == {"usr/lib/libdemo.so": b"\x7fELF" + bytes(60)}
    cpio = open_container(_write(tmp_path, "x.cpio", b.cpio_bytes({"etc/conf": b"k=v\n"})))
    assert cpio.kind == "archive/cpio" and cpio.members == {"etc/conf": b"k=v\n"}


def test_asar_index_unpacked_and_links(tmp_path: Path) -> None:
    files = {"package.json": b'{"main":"main.js"}', "main.js": b"require('./lib/x')\n", "lib/x.js": b"1;\n",
             "native/addon.node": b"\x7fELF" + bytes(40)}
    asar = _write(tmp_path, "app.asar", b.asar_bytes(files, unpacked=("native/addon.node",), links={"up": "../.."}))
    assert detect_file(asar) == "archive/asar"
    opened = open_container(asar)
    assert opened.members == {k: v for k, v in files.items() if k != "native/addon.node"}
    info = [e for e in opened.errors if e.kind == "info"]
    assert [e.path for e in info] == ["app.asar!/native/addon.node"]
    assert "app.asar.unpacked/native/addon.node" in info[0].message
    assert any(e.kind == "link" and e.path == "app.asar!/up" for e in opened.errors)


def test_asar_entry_pointing_outside_is_an_error(tmp_path: Path) -> None:
    data = bytearray(b.asar_bytes({"a.js": b"12345678"}))
    data = data[:-4]  # the last member now runs past the end of the file
    opened = open_container(_write(tmp_path, "cut.asar", bytes(data)))
    assert "unreadable" in opened.kinds() and not opened.members


@pytest.mark.parametrize("builder", [b.crx2_bytes, b.crx3_bytes])
def test_crx_versions(tmp_path: Path, builder: object) -> None:
    files = {"manifest.json": b'{"manifest_version":3}', "js/background.js": b"chrome.runtime;\n"}
    crx = _write(tmp_path, "ext.crx", builder(files))  # type: ignore[operator]
    assert detect_file(crx) == "archive/crx"
    opened = open_container(crx)
    assert opened.unpacker == "crx" and opened.members == files


@needs_7zz
def test_7z_archive(tmp_path: Path) -> None:
    archive = b.sevenzip_archive(tmp_path, PAYLOAD)
    opened = open_container(archive)
    assert opened.kind == "archive/7z" and opened.unpacker == "7zz"
    assert opened.members == PAYLOAD and not opened.errors


@needs_7zz
def test_encrypted_7z_with_and_without_password(tmp_path: Path) -> None:
    archive = b.sevenzip_archive(tmp_path, PAYLOAD, password="infected")
    assert open_container(archive, password=b"infected").members == PAYLOAD
    wrong = open_container(archive, password=b"wrong")
    assert wrong.failure is not None and wrong.failure.kind == "password" and not wrong.members
    missing = open_container(archive)
    assert missing.failure is not None and missing.failure.kind == "password"


@needs_7zz
def test_cab(tmp_path: Path) -> None:
    opened = open_container(_write(tmp_path, "x.cab", b.cab_bytes(PAYLOAD)))
    assert opened.kind == "archive/cab" and opened.members == PAYLOAD


@needs_7zz
@pytest.mark.skipif(not b.have("xorriso"), reason="xorriso (to build an ISO 9660 image) is not installed")
def test_iso_and_dmg_with_clean_paths(tmp_path: Path) -> None:
    tree = tmp_path / "vol"
    app = tree / "3CX Desktop App.app" / "Contents"
    (app / "MacOS").mkdir(parents=True)
    (app / "Info.plist").write_bytes(b"<plist/>\n")
    binary = b"\xcf\xfa\xed\xfe" + os.urandom(4000)
    (app / "MacOS" / "3CX Desktop App").write_bytes(binary)
    iso = b.iso_image(tree, tmp_path / "vol.iso")
    expected = {"3CX Desktop App.app/Contents/Info.plist": b"<plist/>\n",
                "3CX Desktop App.app/Contents/MacOS/3CX Desktop App": binary}
    assert open_container(iso).members == expected
    # a DMG as hdiutil lays it out: protective MBR, GPT, then the file-system partition
    dmg = _write(tmp_path, "3CXDesktopApp-18.12.416.dmg", b.udif_dmg([
        ("Protective Master Boot Record (MBR : 0)", bytes(512)),
        ("GPT Header (Primary GPT Header : 1)", bytes(512)),
        ("GPT Partition Data (Primary GPT Table : 2)", bytes(16384)),
        ("disk image (Apple_HFS : 4)", iso.read_bytes()),
    ]))
    assert detect_file(dmg) == "archive/dmg"
    opened = open_container(dmg)
    assert opened.members == expected  # no "3.hfs" partition layer in the logical paths
    report = scan(dmg, ScanOptions(jobs=1, temp_root=tmp_path))
    assert "3CXDesktopApp-18.12.416.dmg!/3CX Desktop App.app/Contents/MacOS/3CX Desktop App" in {
        m.path for m in report.inventory}
    # two file-system partitions: 7zz does not descend by itself; one folder per partition
    two = _write(tmp_path, "two.dmg", b.udif_dmg([("Protective Master Boot Record (MBR : 0)", bytes(512)),
                                                 ("disk image (Apple_HFS : 1)", iso.read_bytes()),
                                                 ("extra (Apple_HFS : 2)", iso.read_bytes()),
                                                 ("junk (Apple_HFS : 3)", os.urandom(2048))]))
    opened = open_container(two)
    assert {k for k in opened.members if not k.startswith("3.")} == {
        f"{part}/{name}" for part in ("1.hfs", "2.hfs") for name in expected}
    assert any(e.kind == "info" and e.path == "two.dmg!/3.hfs" for e in opened.errors)
    # UDBZ: bzip2 chunks, so the file starts like a .bz2; the koly trailer still makes it a DMG
    udbz = _write(tmp_path, "app-udbz.dmg", b.udif_dmg([("disk image (Apple_HFS : 0)", iso.read_bytes())], "bzip2"))
    assert udbz.read_bytes()[:3] == b"BZh" and detect_file(udbz) == "archive/dmg"
    report = scan(udbz, ScanOptions(jobs=1, temp_root=tmp_path))
    assert "app-udbz.dmg!/3CX Desktop App.app/Contents/Info.plist" in {m.path for m in report.inventory}


@needs_7zz
@pytest.mark.skipif(not b.have("makensis"), reason="NSIS (makensis) is not installed")
def test_nsis_installer(tmp_path: Path) -> None:
    work = tmp_path / "nsis"
    work.mkdir()
    exe = b.nsis_installer(work, {"app.exe": b"MZ" + os.urandom(500), "plugins/helper.dll": b"MZ" + os.urandom(200)})
    assert detect_file(exe) == "pe/nsis"
    opened = open_container(exe)
    assert opened.unpacker == "7zz"
    assert opened.members["app.exe"][:2] == b"MZ" and "plugins/helper.dll" in opened.members
    report = scan(exe, ScanOptions(jobs=1, temp_root=tmp_path))
    assert "setup.exe!/plugins/helper.dll" in {m.path for m in report.inventory}


@needs_7zz
@pytest.mark.skipif(not b.have("wixl"), reason="msitools' wixl (to build an MSI) is not installed")
def test_msi_installer(tmp_path: Path) -> None:
    work = tmp_path / "msi"
    work.mkdir()
    dll = b"MZ" + os.urandom(700)
    msi = b.msi_installer(work, {"ffmpeg.dll": dll, "3CXDesktopApp.exe": b"MZ" + bytes(64)},
                          binary={"CustomActionDll": b"MZ" + b"\x01" * 100})
    assert detect_file(msi) == "archive/msi"
    opened = open_container(msi)
    assert opened.members.get("ProgramFilesFolder/Demo/ffmpeg.dll") == dll
    assert opened.members.get("Binary/CustomActionDll") == b"MZ" + b"\x01" * 100
    assert not any(name.startswith("!") for name in opened.members)  # MSI tables are not members
    assert "[5]SummaryInformation" in opened.members


def test_missing_7zz_is_a_clear_error(tmp_path: Path) -> None:
    from chainwatch.options import Limits
    from chainwatch.unpack.interface import Budget, ExtractionSink, UnpackContext, UnpackError
    from chainwatch.unpack.sevenzip import SevenZipUnpacker

    cab = _write(tmp_path, "x.cab", b.cab_bytes(PAYLOAD))
    unpacker = SevenZipUnpacker()
    sink = ExtractionSink(dest=tmp_path / "d", container="x.cab", budget=Budget(Limits()))
    (tmp_path / "d").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", str(tmp_path / "nowhere"))
        with pytest.raises(UnpackError, match="7-Zip is not installed") as info:
            unpacker.unpack(cab, sink, UnpackContext(Limits()))
    assert info.value.kind == "unsupported"


def test_libarchive_reads_cab_when_7zz_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cab = _write(tmp_path, "x.cab", b.cab_bytes(PAYLOAD))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    opened = open_container(cab)
    assert opened.unpacker == "libarchive" and opened.members == PAYLOAD


@needs_7zz
def test_xar_pkg(tmp_path: Path) -> None:
    import libarchive

    pkg = tmp_path / "Installer.pkg"
    with libarchive.file_writer(str(pkg), "xar") as writer:
        writer.add_file_from_memory("Scripts/postinstall", 20, b"#!/bin/sh\nexit 0\n\n\n\n")
        writer.add_file_from_memory("Distribution", 5, b"<x/>\n")
    assert detect_file(pkg) == "archive/xar"
    opened = open_container(pkg)
    assert opened.unpacker == "7zz"
    assert opened.members["Scripts/postinstall"].startswith(b"#!/bin/sh") and "Distribution" in opened.members


def test_read_only_folders_do_not_survive_the_sandbox(tmp_path: Path) -> None:
    from chainwatch.sandbox import Sandbox

    with Sandbox(tmp_path) as sandbox:
        d = sandbox.new_dir("x") / "ro"
        d.mkdir()
        (d / "f.txt").write_text("x")
        d.chmod(0o500)
        root = sandbox.path
    assert root is not None and not root.exists()
