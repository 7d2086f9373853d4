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


def test_tlsh_in_a_helper_process_equals_py_tlsh(tmp_path: Path, corpus: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tlsh

    import chainwatch.fingerprint as fingerprint

    dll = (corpus / DLL).read_bytes()
    path = tmp_path / "big.bin"
    path.write_bytes(dll * 8)
    monkeypatch.setattr(fingerprint, "TLSH_PROCESS_BYTES", len(dll))  # this file takes the helper path
    started: list[object] = []
    original = fingerprint._TlshProcess.__init__

    def spy(self: object) -> None:
        started.append(self)
        original(self)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprint._TlshProcess, "__init__", spy)
    fp = fingerprint_file(path)
    assert started, "the helper process was not used"
    assert fp.tlsh == tlsh.hash(dll * 8)
    streamed = StreamFingerprint()
    for i in range(0, len(dll) * 8, 65537):
        streamed.feed((dll * 8)[i:i + 65537])
    assert streamed.finish() == fp
    flat = tmp_path / "zeros.bin"
    flat.write_bytes(bytes(len(dll) * 2))  # TLSH has no digest for a run of one byte: None, not an error
    assert fingerprint_file(flat).tlsh is None


def test_byte_counts_by_pairs_equal_plain_counts() -> None:
    import os

    import numpy as np

    from chainwatch.fingerprint import byte_counts, shannon_entropy

    for n in (1, 2, 3, 1001, 4096):
        data = os.urandom(n)
        assert (byte_counts(data) == np.bincount(np.frombuffer(data, np.uint8), minlength=256)).all()
    assert shannon_entropy(b"ab" * 100) == 1.0
    assert shannon_entropy(b"a") == 0.0


def test_compressed_containers_get_hashes_but_no_tlsh(tmp_path: Path, corpus: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(corpus / DLL, "demo/vcruntime140.dll")
    records = {r.path: r for r in engine.scan(wheel, ScanOptions(jobs=1, analyzers=())).inventory}
    assert records[wheel.name].tlsh is None and records[wheel.name].sha256
    assert records[f"{wheel.name}!/demo/vcruntime140.dll"].tlsh


def test_zip_members_inflate_with_isal_and_keep_zipfile_checks(tmp_path: Path) -> None:
    """The decompressor swap still holds on this Python's zipfile, and a corrupt member is an error."""
    from isal import isal_zlib

    from chainwatch.unpack.zip import _use_fast_inflate

    path = tmp_path / "a.zip"
    payload = b"".join(b"line %d\n" % i for i in range(50_000))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", payload)
    with zipfile.ZipFile(path) as zf, zf.open("a.txt") as stream:
        _use_fast_inflate(stream)
        assert isinstance(stream._decompressor, type(isal_zlib.decompressobj(-15)))  # type: ignore[attr-defined]
        assert stream.read() == payload
    data = bytearray(path.read_bytes())
    data[200:240] = bytes(40)  # inside the deflate stream: CRC or inflate must fail
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    report = engine.scan(tmp_path / "bad.zip", ScanOptions(jobs=1, analyzers=()))
    assert any(e.kind == "unreadable" and "a.txt" in e.path for e in report.errors), report.errors


def test_corrupt_gzip_raises_oserror_like_gzip_does() -> None:
    import gzip
    import io

    from chainwatch.streams import decompressing_reader

    good = gzip.compress(b"".join(b"%d\n" % i for i in range(100_000)))
    assert decompressing_reader("compressed/gzip", io.BytesIO(good)).read() == gzip.decompress(good)
    bad = good[:20] + bytes(200) + good[220:]
    with pytest.raises(OSError):
        decompressing_reader("compressed/gzip", io.BytesIO(bad)).read()
    with pytest.raises(EOFError):
        decompressing_reader("compressed/gzip", io.BytesIO(good[: len(good) // 2])).read()


def test_a_failing_tlsh_helper_costs_the_tlsh_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    import chainwatch.fingerprint as fingerprint

    data = bytes(range(256)) * 20_000
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    monkeypatch.setattr(fingerprint, "TLSH_PROCESS_BYTES", 1024)
    monkeypatch.setattr(fingerprint, "_TLSH_HELPER_CODE", "import sys; sys.exit(3)")  # dies at once
    fp = fingerprint_file(path)
    assert fp.tlsh is None and fp.sha256 == hashlib.sha256(data).hexdigest() and fp.size == len(data)
