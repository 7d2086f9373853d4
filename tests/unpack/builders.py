"""Fixture builders: every container and every hostile input is made at test time, cheaply.

The bombs never hold their inflated bytes anywhere: a raw-deflate stream of zeros is a short block
repeated (after a full flush the compressor state is the same, so the output block repeats), so
10 GB of zeros is written as ~10 MB (one level) or ~20 KB (nested), in milliseconds.
"""

from __future__ import annotations

import base64
import io
import json
import plistlib
import shutil
import stat
import struct
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

GiB = 1024**3
_CHUNK = 1024 * 1024


def zip_bytes(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_with_symlink(name: str, target: str, others: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # unix
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
        for n, data in others.items():
            zf.writestr(n, data)
    return buf.getvalue()


def tar_bytes(files: dict[str, bytes], mode: str = "w:gz", links: dict[str, str] | None = None,
              hardlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
        for name, target in (hardlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.LNKTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


# --------------------------------------------------------------------------- bombs


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate of ``size`` zero bytes (size a multiple of 1 MiB) and its CRC-32, built in ms."""
    assert size % _CHUNK == 0
    zeros = bytes(_CHUNK)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    block2 = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    assert block == block2, "deflate output of zeros is not periodic"
    tail = comp.flush(zlib.Z_FINISH)
    # CRC-32 of n MiB of zeros by squaring (crc32 of a repeated chunk is not cheap otherwise): the
    # zip reader checks it only at the very end, which a bomb never reaches; compute it anyway for
    # small sizes so the fixture is a valid archive.
    crc = 0
    if size <= 64 * _CHUNK:
        for _ in range(size // _CHUNK):
            crc = zlib.crc32(zeros, crc)
    return block * (size // _CHUNK) + tail, crc


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from already-deflated members: (name, raw deflate, inflated size, crc32)."""
    out = bytearray()
    central = bytearray()
    for name, data, size, crc in members:
        zip64 = size >= 0xFFFFFFFF
        fname = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if zip64 else b""
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45 if zip64 else 20, 0, 8, 0, 0, crc,
                           0xFFFFFFFF if zip64 else len(data), 0xFFFFFFFF if zip64 else size,
                           len(fname), len(extra)) + fname + extra + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 45, 45 if zip64 else 20, 0, 8, 0, 0, crc,
                               0xFFFFFFFF if zip64 else len(data), 0xFFFFFFFF if zip64 else size,
                               len(fname), len(extra), 0, 0, 0, 0, offset) + fname + extra
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + eocd)


def zip_bomb(size: int = 10 * GiB, name: str = "zeros.bin") -> bytes:
    """A one-member zip whose member inflates to ``size`` zero bytes (10 GiB -> ~10 MB)."""
    data, crc = _deflated_zeros(size)
    return _raw_zip([(name, data, size, crc)])


def zip_of_small_bombs(count: int, size: int) -> bytes:
    """``count`` members of ``size`` zeros each: every one under the ratio floor, together a bomb."""
    data, crc = _deflated_zeros(size)
    return _raw_zip([(f"part{i:03d}.bin", data, size, crc) for i in range(count)])


def nested_zip_bomb(size: int = 10 * GiB, levels: int = 2) -> bytes:
    """A zip bomb inside zips: each outer level deflates the (very repetitive) inner one again."""
    data = zip_bomb(size)
    for i in range(levels - 1):
        data = zip_bytes({f"layer{i}.zip": data, "readme.txt": b"not a bomb\n"})
    return data


def targz_bomb(size: int = 10 * GiB) -> bytes:
    """A .tar.gz whose single member is ``size`` zeros (the gzip trailer CRC is not computed)."""
    header = tarfile.TarInfo("zeros.bin")
    header.size = size
    tar_head = header.tobuf(format=tarfile.GNU_FORMAT)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(tar_head) + comp.flush(zlib.Z_FULL_FLUSH)
    body, _ = _deflated_zeros(size)
    gz_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return gz_header + first + body + struct.pack("<II", 0, (size + len(tar_head)) & 0xFFFFFFFF)


def nested(levels: int, leaf: bytes = b"deepest level\n") -> bytes:
    """``levels`` zips, each holding the next one and a side file."""
    data = zip_bytes({"leaf.txt": leaf})
    for _ in range(levels - 1):
        data = zip_bytes({"inner.zip": data, "side.txt": b"side\n"})
    return data


# --------------------------------------------------------------------------- formats


def ar_bytes(files: dict[str, bytes]) -> bytes:
    """A System V ``ar`` archive (what a .deb is)."""
    out = bytearray(b"!<arch>\n")
    for name, data in files.items():
        out += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
        out += data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


def deb_bytes(files: dict[str, bytes]) -> bytes:
    control = tar_bytes({"./control": b"Package: demo\nVersion: 1.0\n"}, mode="w:xz")
    data = tar_bytes({f"./{n}": d for n, d in files.items()}, mode="w:xz")
    return ar_bytes({"debian-binary": b"2.0\n", "control.tar.xz": control, "data.tar.xz": data})


def cpio_bytes(files: dict[str, bytes]) -> bytes:
    """A newc cpio archive (the payload format of an rpm)."""
    out = bytearray()
    ino = 1
    for name, data in [*files.items(), ("TRAILER!!!", b"")]:
        fname = name.encode() + b"\0"
        mode = 0o100644 if name != "TRAILER!!!" else 0
        hdr = "070701" + "".join(f"{v:08x}" for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(fname), 0))
        out += hdr.encode() + fname
        out += b"\0" * ((4 - len(out) % 4) % 4)
        out += data
        out += b"\0" * ((4 - len(out) % 4) % 4)
        ino += 1
    return bytes(out)


def rpm_bytes(files: dict[str, bytes]) -> bytes:
    """A minimal rpm: 96-byte lead, empty signature and main headers, gzip'd cpio payload."""
    import gzip

    lead = b"\xed\xab\xee\xdb" + bytes([3, 0]) + struct.pack(">hh", 0, 1) + b"demo-1.0".ljust(66, b"\0")
    lead += struct.pack(">hh", 1, 5) + bytes(16)
    assert len(lead) == 96
    empty_header = b"\x8e\xad\xe8\x01" + bytes(4) + struct.pack(">II", 0, 0)
    return lead + empty_header + empty_header + gzip.compress(cpio_bytes(files))


def asar_bytes(files: dict[str, bytes], unpacked: tuple[str, ...] = (), links: dict[str, str] | None = None) -> bytes:
    """An Electron asar archive with the given files (paths with '/')."""
    tree: dict[str, object] = {"files": {}}
    blob = bytearray()
    for path, data in files.items():
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            node = node["files"].setdefault(part, {"files": {}})  # type: ignore[index, union-attr]
        if path in unpacked:
            node["files"][parts[-1]] = {"size": len(data), "unpacked": True}  # type: ignore[index]
        else:
            node["files"][parts[-1]] = {"size": len(data), "offset": str(len(blob))}  # type: ignore[index]
            blob += data
    for path, target in (links or {}).items():
        tree["files"][path] = {"link": target}  # type: ignore[index]
    js = json.dumps(tree).encode()
    padded = js + b"\0" * ((4 - len(js) % 4) % 4)
    header = struct.pack("<II", 4 + len(padded), len(js)) + padded  # header pickle: payload size, string
    return struct.pack("<II", 4, len(header)) + header + bytes(blob)


def crx3_bytes(files: dict[str, bytes]) -> bytes:
    header = b"\x12\x0a" + bytes(10)  # opaque protobuf bytes: never parsed
    return b"Cr24" + struct.pack("<II", 3, len(header)) + header + zip_bytes(files)


def crx2_bytes(files: dict[str, bytes]) -> bytes:
    key, sig = b"K" * 162, b"S" * 128
    return b"Cr24" + struct.pack("<III", 2, len(key), len(sig)) + key + sig + zip_bytes(files)


def cab_bytes(files: dict[str, bytes]) -> bytes:
    """An uncompressed Microsoft cabinet (one folder, stored blocks, no checksums)."""
    names = [n.replace("/", "\\").encode() + b"\0" for n in files]
    payload = b"".join(files.values())
    blocks = [payload[i : i + 32768] for i in range(0, len(payload), 32768)] or [b""]
    header_len, folder_len = 36, 8
    files_len = sum(16 + len(n) for n in names)
    data_start = header_len + folder_len + files_len
    data = b"".join(struct.pack("<IHH", 0, len(b), len(b)) + b for b in blocks)
    total = data_start + len(data)
    out = struct.pack("<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, header_len + folder_len, 0, 3, 1, 1, len(files), 0, 0, 0)
    out += struct.pack("<IHH", data_start, len(blocks), 0)
    offset = 0
    for name, content in zip(names, files.values(), strict=True):
        out += struct.pack("<IIHHHH", len(content), offset, 0, 0x5A21, 0, 0x20) + name
        offset += len(content)
    return out + data


def udif_dmg(partitions: list[tuple[str, bytes]], compression: str = "zlib") -> bytes:
    """A UDIF disk image (what hdiutil writes): zlib chunks, a plist of partitions, the koly trailer."""
    sector = 512
    data = bytearray()
    blkx = []
    first_sector = 0
    for idx, (name, raw) in enumerate(partitions):
        if len(raw) % sector:
            raw = raw + bytes(sector - len(raw) % sector)
        nsec = len(raw) // sector
        chunks = []
        for s in range(0, nsec, 2048):
            part = raw[s * sector : (s + 2048) * sector]
            if compression == "bzip2":
                import bz2

                comp, ctype = bz2.compress(part, 9), 0x80000006
            else:
                comp, ctype = zlib.compress(part, 9), 0x80000005
            chunks.append(struct.pack(">IIQQQQ", ctype, 0, s, len(part) // sector, len(data), len(comp)))
            data += comp
        chunks.append(struct.pack(">IIQQQQ", 0xFFFFFFFF, 0, nsec, 0, len(data), 0))
        mish = struct.pack(">4sIQQQII24x", b"mish", 1, first_sector, nsec, 0, 0, idx) + bytes(136)
        mish += struct.pack(">I", len(chunks)) + b"".join(chunks)
        blkx.append({"Attributes": "0x0050", "CFName": name, "Data": mish, "ID": str(idx - 1), "Name": name})
        first_sector += nsec
    plist = plistlib.dumps({"resource-fork": {"blkx": blkx}})
    xml_offset = len(data)
    koly = struct.pack(">4sIIIQQQQQII16s", b"koly", 4, 512, 1, 0, 0, xml_offset, 0, 0, 1, 1, bytes(16))
    koly += bytes(136) + struct.pack(">QQ", xml_offset, len(plist)) + bytes(120) + bytes(136)
    koly += struct.pack(">IQ12x", 1, first_sector)
    assert len(koly) == 512
    return bytes(data) + plist + koly


def _b64(data: bytes) -> str:  # pragma: no cover - kept for debugging fixtures
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------- external tools


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdin=subprocess.DEVNULL, capture_output=True, env=env)


def iso_image(tree: Path, out: Path) -> Path:
    run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "TEST", "-o", str(out), str(tree)], cwd=tree.parent)
    return out


def nsis_installer(workdir: Path, files: dict[str, bytes]) -> Path:
    """A real NSIS installer made with makensis (never run)."""
    lines = ['OutFile "setup.exe"', 'InstallDir "$PROGRAMFILES\\Demo"', "RequestExecutionLevel user", "Section"]
    for name, data in files.items():
        src = workdir / "payload" / name
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(data)
        sub = "\\".join(name.split("/")[:-1])
        lines.append(f'  SetOutPath "$INSTDIR{chr(92) + sub if sub else ""}"')
        lines.append(f'  File "{src.relative_to(workdir)}"')
    lines.append("SectionEnd")
    (workdir / "setup.nsi").write_text("\n".join(lines) + "\n")
    run(["makensis", "-V1", "setup.nsi"], cwd=workdir)
    return workdir / "setup.exe"


def msi_installer(workdir: Path, files: dict[str, bytes], binary: dict[str, bytes] | None = None) -> Path:
    """A real MSI made with wixl: files under APPDIR (ProgramFilesFolder/Demo), cabinet embedded."""
    comps, refs, bins = [], [], []
    for i, (name, data) in enumerate(files.items()):
        (workdir / name).write_bytes(data)
        guid = f"12345678-1234-1234-1234-{i:012d}"
        comps.append(f'<Component Id="C{i}" Guid="{guid}"><File Id="F{i}" Name="{name}" Source="{name}" /></Component>')
        refs.append(f'<ComponentRef Id="C{i}" />')
    for i, (name, data) in enumerate((binary or {}).items()):
        (workdir / f"bin{i}").write_bytes(data)
        bins.append(f'<Binary Id="{name}" SourceFile="bin{i}" />')
    wxs = f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Demo" Language="1033" Version="1.0.0" Manufacturer="Demo"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="200" Compressed="yes" />
    <Media Id="1" Cabinet="disk1.cab" EmbedCab="yes" />
    {''.join(bins)}
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="APPDIR" Name="Demo">{''.join(comps)}</Directory>
      </Directory>
    </Directory>
    <Feature Id="F" Level="1">{''.join(refs)}</Feature>
  </Product>
</Wix>
"""
    (workdir / "demo.wxs").write_text(wxs)
    run(["wixl", "-o", "demo.msi", "demo.wxs"], cwd=workdir)
    return workdir / "demo.msi"


def sevenzip_archive(workdir: Path, files: dict[str, bytes], links: dict[str, str] | None = None,
                     password: str | None = None, name: str = "test.7z") -> Path:
    src = workdir / "src7z"
    src.mkdir()
    for n, data in files.items():
        p = src / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for n, target in (links or {}).items():
        (src / n).symlink_to(target)
    cmd = ["7zz", "a", "-snl", "-bd", "-y"]
    if password:
        cmd += [f"-p{password}", "-mhe=on"]
    run([*cmd, str(workdir / name), "."], cwd=src)
    return workdir / name


def gz_bomb(size: int = 10 * GiB) -> bytes:
    """A single gzip file of ``size`` zeros (not a tar): ``zeros.bin.gz``."""
    body, _ = _deflated_zeros(size)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", 0, size & 0xFFFFFFFF)


def encrypted_zip(workdir: Path, secret: dict[str, bytes], plain: dict[str, bytes], password: str) -> Path:
    """A zip with ZipCrypto-encrypted members and plain ones (made with 7zz)."""
    out = workdir / "sample.zip"
    for group, pw in ((secret, password), (plain, None)):
        src = workdir / ("enc" if pw else "plain")
        src.mkdir()
        for n, data in group.items():
            (src / n).write_bytes(data)
        cmd = ["7zz", "a", "-tzip", "-bd", "-y"] + ([f"-p{pw}", "-mem=ZipCrypto"] if pw else [])
        run([*cmd, str(out), *group], cwd=src)
    return out
