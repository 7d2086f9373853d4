"""The fast paths give the same facts as the plain ones: threaded and streamed fingerprints."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import chainwatch.engine as engine
from chainwatch.fingerprint import CHUNK, StreamFingerprint, fingerprint_file
from chainwatch.options import ScanOptions

DLL = "binaries/pe/signed-microsoft/v14.44.35112/vcruntime140.dll"


def _plain(data: bytes) -> tuple:
    import hashlib

    return len(data), hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest()


def test_threaded_fingerprint_of_a_large_file_matches_the_plain_hashes(tmp_path: Path, corpus: Path) -> None:
    dll = (corpus / DLL).read_bytes()
    data = dll * (2 * CHUNK // len(dll) + 2)  # more than two chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    fp = fingerprint_file(path)
    assert (fp.size, fp.md5, fp.sha1, fp.sha256) == _plain(data)
    assert fp.head == data[: 64 * 1024]
    small = fingerprint_file(corpus / DLL)  # under one chunk: the single-thread path
    assert (small.size, small.md5, small.sha1, small.sha256) == _plain((corpus / DLL).read_bytes())


def test_stream_fingerprint_equals_file_fingerprint(corpus: Path) -> None:
    path = corpus / DLL
    streamed = StreamFingerprint()
    with path.open("rb") as fh:
        while chunk := fh.read(4099):  # odd chunk size: TLSH's window and the head cross chunks
            streamed.feed(chunk)
    assert streamed.finish() == fingerprint_file(path)


def test_fingerprints_taken_while_unpacking_give_the_same_records(tmp_path: Path, corpus: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(corpus / DLL, "demo/vcruntime140.dll")
        zf.writestr("demo/__init__.py", "print('hi')\n")
    options = ScanOptions(jobs=1, analyzers=())
    plain = {r.path: r for r in engine.scan(wheel, options).inventory}
    seen: list[str] = []
    original = engine.analyze_member

    def spy(unit: engine.MemberUnit) -> engine.MemberOutcome:
        if unit.fingerprint is not None:
            seen.append(unit.path)
        return original(unit)

    monkeypatch.setattr(engine, "STREAM_FINGERPRINT_BYTES", 1024)
    monkeypatch.setattr(engine, "EARLY_FINGERPRINT_BYTES", 1024)
    monkeypatch.setattr(engine, "analyze_member", spy)
    streamed = {r.path: r for r in engine.scan(wheel, options).inventory}
    # the DLL was fingerprinted while unpacked, the wheel while the walker opened it; the script is too small
    assert seen == [f"{wheel.name}!/demo/vcruntime140.dll", wheel.name]
    assert streamed.keys() == plain.keys()
    for path, record in plain.items():
        assert streamed[path].to_dict() == record.to_dict(), path
