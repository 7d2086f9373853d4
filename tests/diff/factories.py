"""Member records with realistic facts (shapes of docs/ARCHITECTURE.md), for unit tests of delta rules."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from chainwatch.models import MemberRecord


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def pe_record(path: str, *, content: str, version: str = "4.4.0.0", product: str = "FFmpeg",
              sections: list[tuple[str, bool]] | None = None, entry_section: str = ".text",
              imports: dict[str, list[str]] | None = None, timestamp: int = 1_667_000_000,
              signer: str | None = None, serial: str = "33000003", status: str | None = None,
              slack: dict[str, Any] | None = None, parent: str | None = None, depth: int = 1) -> MemberRecord:
    secs = sections or [(".text", True), (".rdata", False), (".data", False), (".reloc", False)]
    features: dict[str, Any] = {
        "pe": {
            "machine": "AMD64", "is_dll": True, "subsystem": "WINDOWS_GUI", "timestamp": timestamp,
            "entrypoint": 0x1000, "entry_section": entry_section,
            "sections": [{"name": n, "virtual_size": 4096, "raw_size": 4096, "entropy": 6.1 if x else 3.0,
                          "characteristics": 0x60000020 if x else 0x40000040, "executable": x, "writable": False}
                         for n, x in secs],
            "imports": imports or {"KERNEL32.dll": ["GetLastError", "HeapAlloc", "LoadLibraryW", "GetProcAddress"],
                                   "msvcrt.dll": ["malloc", "free", "memcpy"]},
            "delay_imports": {}, "exports": ["avcodec_open2"], "version_info": {
                "CompanyName": "FFmpeg Project", "ProductName": product, "FileVersion": version,
                "ProductVersion": version, "OriginalFilename": path.rsplit("/", 1)[-1]},
        },
    }
    if signer is not None or status is not None:
        entries = [{"offset": 90000, "length": 9000, "revision": 512, "type": 2, "pkcs7_length": 8995,
                    "slack": slack or {"offset": 98995, "length": 5, "entropy": 0.0, "all_zero": True,
                                       "sigflip_tag": False}}]
        features["authenticode"] = {
            "signed": signer is not None, "status": status or ("valid" if signer else "unsigned"),
            "signatures": [{"signer_subject": signer, "signer_issuer": "CN=Microsoft Code Signing PCA 2011",
                            "serial": serial, "digest_matches": True, "signature_valid": True,
                            "chain_trusted": True}] if signer else [],
            "cert_table": {"offset": 90000, "size": 9000, "entries": entries, "data_after_table": 0,
                           "not_at_end": False} if signer else {},
        }
    return MemberRecord(path=path, size=100_000 + len(content), type="pe/dll", sha256=sha(content), md5="", sha1="",
                        entropy=6.2, depth=depth, parent=parent, features=features)


def evolve(record: MemberRecord, path: str | None = None, content: str | None = None, **changes: Any) -> MemberRecord:
    """A copy of ``record`` with new bytes (content) and patched facts: changes are ``analyzer__key=value``."""
    out = copy.deepcopy(record)
    if path:
        out.path = path
        out.parent = path.rsplit("/", 1)[0] if "/" in path else None
    if content is not None:
        out.sha256 = sha(content)
        out.size = 100_000 + len(content)
    for key, value in changes.items():
        analyzer, _, field = key.partition("__")
        out.features.setdefault(analyzer, {})[field] = value
    return out


def root(path: str, kind: str = "directory") -> MemberRecord:
    return MemberRecord(path=path, size=0, type=kind, sha256=sha(path), depth=0, parent=None, container=True)
