"""Benign test files carrying the 3CX traits, built at test time (no malware involved)."""

from __future__ import annotations

import base64
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

SIGFLIP_TAG = bytes.fromhex("FEEDFACEFEEDFACE")
RC4_KEY = b"3jB(2bsG#@c7"
VCRUNTIME = Path("binaries/pe/signed-microsoft/v14.42.34433/vcruntime140.dll")


def security_directory(data: bytes) -> tuple[int, int, int]:
    """(offset of the directory entry, table file offset, table size) of a PE."""
    e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    opt = e_lfanew + 24
    magic = struct.unpack_from("<H", data, opt)[0]
    entry = opt + (96 if magic == 0x10B else 112) + 4 * 8
    offset, size = struct.unpack_from("<II", data, entry)
    return entry, offset, size


def sigflip_tamper(signed_pe: bytes, payload: bytes) -> bytes:
    """Append tag + payload inside the last WIN_CERTIFICATE and grow dwLength and the directory size (SigFlip)."""
    entry, offset, size = security_directory(signed_pe)
    assert offset and size and offset + size == len(signed_pe), "certificate table must end the file"
    blob = SIGFLIP_TAG + payload
    blob += b"\0" * (-len(blob) % 8)
    out = bytearray(signed_pe + blob)
    struct.pack_into("<II", out, entry, offset, size + len(blob))
    dw_length = struct.unpack_from("<I", out, offset)[0]
    struct.pack_into("<I", out, offset, dw_length + len(blob))
    return bytes(out)


def png_1x1() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0"))
            + chunk(b"IEND", b""))


def ico_with_trailer(trailer: bytes | None) -> bytes:
    png = png_1x1()
    header = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 1, 1, 0, 0, 1, 32, len(png), 22)
    return header + png + (b"$" + base64.b64encode(trailer) if trailer is not None else b"")


def asar_with_package_json(package: dict) -> bytes:
    body = json.dumps(package).encode()
    index = json.dumps({"files": {"package.json": {"size": len(body), "offset": "0"}}}).encode()
    payload = struct.pack("<I", len(index)) + index + b"\0" * (-len(index) % 4)
    header = struct.pack("<I", len(payload)) + payload
    return struct.pack("<II", 4, len(header)) + header + body


def build_3cx_tree(root: Path, corpus: Path) -> dict[str, Path]:
    """A folder with every 3CX trait; returns the interesting paths by name."""
    signed = (corpus / VCRUNTIME).read_bytes()
    tampered = sigflip_tamper(signed, RC4_KEY + os.urandom(200))
    app = root / "Users/alice/AppData/Local/Programs/3CXDesktopApp/app"
    app.mkdir(parents=True)
    paths = {"d3dcompiler": app / "d3dcompiler_47.dll"}
    paths["d3dcompiler"].write_bytes(tampered)
    (app / "resources").mkdir()
    paths["asar"] = app / "resources/app.asar"
    paths["asar"].write_bytes(asar_with_package_json({"name": "3CXDesktopApp", "version": "18.12.416"}))
    paths["package"] = app / "package.json"
    paths["package"].write_text(json.dumps({"name": "3cx-desktop-app", "productName": "3CX Desktop App",
                                            "version": "18.12.416"}))
    icons = root / "cache"
    icons.mkdir()
    paths["ico"] = icons / "icon3.ico"
    paths["ico"].write_bytes(ico_with_trailer(os.urandom(120)))
    paths["plain_ico"] = icons / "plain.ico"
    paths["plain_ico"].write_bytes(ico_with_trailer(None))
    paths["clean_dll"] = root / "vcruntime140.dll"
    paths["clean_dll"].write_bytes(signed)
    paths["tag_outside"] = root / "notes.bin"  # the tag outside any certificate table: not SigFlip
    paths["tag_outside"].write_bytes(b"MZ" + b"\0" * 100 + SIGFLIP_TAG + b"\0" * 100)
    downloads = root / "Users/alice/Downloads"
    downloads.mkdir(parents=True)
    paths["msi"] = downloads / "3CXDesktopApp-18.12.416.msi"  # a zip standing in for the installer
    with zipfile.ZipFile(paths["msi"], "w") as zf:
        zf.writestr("APPDIR/d3dcompiler_47.dll", tampered)
        zf.writestr("APPDIR/ffmpeg.dll", b"MZ" + b"\0" * 64)
    fixed = root / "other/3CXDesktopApp/app"
    fixed.mkdir(parents=True)
    paths["fixed_package"] = fixed / "package.json"
    paths["fixed_package"].write_text(json.dumps({"name": "3CXDesktopApp", "version": "18.12.422"}))
    mac = root / "Applications/3CX Desktop App.app/Contents"
    mac.mkdir(parents=True)
    paths["plist"] = mac / "Info.plist"
    import plistlib

    paths["plist"].write_bytes(plistlib.dumps({"CFBundleIdentifier": "com.electron.3cx-desktop-app",
                                               "CFBundleName": "3CX Desktop App",
                                               "CFBundleShortVersionString": "18.11.1213"}))
    paths["reg"] = root / "uninstall.reg"
    paths["reg"].write_bytes(("Windows Registry Editor Version 5.00\r\n\r\n"
                              "[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\"
                              "3CXDesktopApp]\r\n\"DisplayName\"=\"3CX Desktop App\"\r\n"
                              "\"DisplayVersion\"=\"18.12.407\"\r\n").encode("utf-16"))
    return paths
