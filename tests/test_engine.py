"""Engine behaviour on artifacts made at test time: nesting, logical paths, directories, errors."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from chainwatch import Limits, ScanOptions, scan
from chainwatch.filetype import detect_file


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tgz_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_nested_containers_get_logical_paths(tmp_path: Path) -> None:
    inner = _tgz_bytes({"package/index.js": b"module.exports = 1;\n", "package/package.json": b'{"name":"x"}'})
    outer = tmp_path / "bundle-1.0.zip"
    outer.write_bytes(_zip_bytes({"vendor/x-1.0.tgz": inner, "README.md": b"# hi\n"}))
    report = scan(outer, ScanOptions(jobs=1))
    paths = {m.path: m for m in report.inventory}
    assert "bundle-1.0.zip!/vendor/x-1.0.tgz!/package/index.js" in paths
    js = paths["bundle-1.0.zip!/vendor/x-1.0.tgz!/package/index.js"]
    assert js.type == "script/javascript"
    assert js.depth == 2 and js.parent == "bundle-1.0.zip!/vendor/x-1.0.tgz"
    assert paths["bundle-1.0.zip!/vendor/x-1.0.tgz"].container
    assert report.artifact["name"] == "bundle" and report.artifact["version"] == "1.0"


def test_directory_target_and_process_pool_agree(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "lib").mkdir(parents=True)
    (app / "lib" / "a.py").write_text("import os\nprint(os.name)\n")
    (app / "data.bin").write_bytes(bytes(range(256)) * 64)
    (app / "lib" / "b.zip").write_bytes(_zip_bytes({"c.txt": b"hello world\n"}))
    serial = scan(app, ScanOptions(jobs=1))
    pooled = scan(app, ScanOptions(jobs=2))
    assert [(m.path, m.sha256, m.type) for m in serial.inventory] == [
        (m.path, m.sha256, m.type) for m in pooled.inventory
    ]
    kinds = {m.path: m.type for m in serial.inventory}
    assert kinds["app"] == "directory"
    assert kinds["app/lib/a.py"] == "script/python"
    assert kinds["app/lib/b.zip!/c.txt"] == "text/plain"
    data = next(m for m in serial.inventory if m.path == "app/data.bin")
    assert abs(data.entropy - 8.0) < 1e-6  # every byte value equally often


def test_directory_symlinks_are_not_followed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    secret = tmp_path / "outside.txt"
    secret.write_text("outside the artifact")
    (app / "link.txt").symlink_to(secret)
    (app / "real.txt").write_text("inside")
    report = scan(app, ScanOptions(jobs=1))
    assert [m.path for m in report.inventory if m.type != "directory"] == ["app/real.txt"]
    assert any(e.kind == "link" and e.path == "app/link.txt" for e in report.errors)


def test_depth_limit_is_an_error_entry_and_scan_goes_on(tmp_path: Path) -> None:
    data = b"deepest"
    for _ in range(5):
        data = _zip_bytes({"inner.zip" if data[:2] == b"PK" else "x.txt": data, "side.txt": b"side"})
    target = tmp_path / "nest.zip"
    target.write_bytes(data)
    report = scan(target, ScanOptions(jobs=1, limits=Limits(max_depth=3)))
    assert any(e.kind == "limit" and "nesting depth" in e.message for e in report.errors)
    assert any(m.path.endswith("side.txt") for m in report.inventory)
    assert max(m.depth for m in report.inventory) == 3


def test_corrupt_container_is_unreadable_member_not_crash(tmp_path: Path) -> None:
    good = _zip_bytes({"a.txt": b"a" * 1000, "b.txt": b"b" * 1000})
    bad = tmp_path / "cut.zip"
    bad.write_bytes(good[: len(good) // 2])
    report = scan(bad, ScanOptions(jobs=1))
    # the zip directory is gone; the members before the cut are recovered from their local headers
    assert [m.path for m in report.inventory][:2] == ["cut.zip", "cut.zip!/a.txt"]
    assert report.errors and all(e.kind == "unreadable" for e in report.errors)
    assert report.verdict.value == "clean"


def test_detection_is_by_content_not_name(tmp_path: Path) -> None:
    fake = tmp_path / "image.png"
    fake.write_bytes(_zip_bytes({"x": b"y"}))
    assert detect_file(fake) == "archive/zip"
    script = tmp_path / "noext"
    script.write_bytes(b"#!/usr/bin/env python3\nprint(1)\n")
    assert detect_file(script) == "script/python"
