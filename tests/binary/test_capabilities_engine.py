"""End to end through ``chainwatch.scan``: the tampered copies surface as findings in a real report."""

from __future__ import annotations

import shutil
from pathlib import Path

import lief

from chainwatch.engine import scan
from chainwatch.models import Severity
from chainwatch.options import ScanOptions

from .test_capabilities import LOADER_NAMES, LOADER_STUB


def test_scan_reports_loader_chain_and_hidden_url(corpus: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    src = corpus / "binaries/pe/unsigned/libusb-package-1.0.30.0/libusb-1.0.dll"
    dll = app / "ffmpeg.dll"
    shutil.copyfile(src, dll)
    pe = lief.PE.parse(str(src))
    text, rdata = pe.get_section(".text"), pe.get_section(".rdata")
    hidden = bytes(b ^ 0x7A for b in b"https://msedgepackageinfo.example.com/ms-webview\x00")
    with dll.open("r+b") as fh:
        fh.seek(text.offset + text.size // 2)
        fh.write(LOADER_STUB)
        fh.seek(rdata.offset + rdata.size // 2)
        fh.write(LOADER_NAMES + b"\x00" + hidden)
    shutil.copyfile(corpus / "binaries/elf/debian-hello/hello", app / "hello")

    report = scan(app, ScanOptions(jobs=1))
    by_rule = {(f.rule, f.path.rsplit("/", 1)[-1]): f for f in report.findings}
    chain = by_rule[("capability.loader-chain", "ffmpeg.dll")]
    assert chain.severity is Severity.HIGH
    encoded = by_rule[("strings.encoded-indicator", "ffmpeg.dll")]
    assert encoded.evidence["decoded"][0]["encoding"] == "xor:0x7a"
    assert not [f for f in report.findings if f.path.endswith("hello") and f.severity > Severity.LOW]
    hello = next(m for m in report.inventory if m.path.endswith("hello"))
    assert hello.features["elf"]["interpreter"] == "/lib64/ld-linux-x86-64.so.2"
