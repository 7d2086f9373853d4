"""Report objects that look like real chainwatch results (3CX-style trojanized installer)."""

from __future__ import annotations

from chainwatch.models import Finding, MemberRecord, Report, ScanError, ScoreItem, Severity, Verdict

HOSTILE_NAME = "<script>alert(1)</script>"


def trojanized_installer_report() -> Report:
    msi = "3CXDesktopApp-18.12.416.msi"
    ffmpeg = f"{msi}!/APPDIR/ffmpeg.dll"
    d3d = f"{msi}!/APPDIR/d3dcompiler_47.dll"
    hostile = f"{msi}!/APPDIR/{HOSTILE_NAME}.js"
    inventory = [
        MemberRecord(path=msi, size=104_857_600, type="archive/msi", md5="0" * 31 + "1", sha1="a" * 40,
                     sha256="aa" * 32, entropy=7.91, container=True),
        MemberRecord(path=f"{msi}!/APPDIR", size=0, type="directory", depth=1, parent=msi, container=True),
        MemberRecord(path=ffmpeg, size=2_860_544, type="pe", md5="74bc2d0b6680faa1a5a76b27e5479cbc",
                     sha1="bf939c9c261d27ee7bb92325cc588624fca75429",
                     sha256="7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896",
                     tlsh="T1E3D5AE1BF3A4C0B9C46A1230D1D7A3752D6A3C81571E1ABAF7A476CC3E70A80ED5D1A6",
                     entropy=6.53, depth=2, parent=f"{msi}!/APPDIR",
                     features={"pe": {"machine": "AMD64", "is_dll": True,
                                      "version_info": {"CompanyName": "FFmpeg Project", "ProductName": "FFmpeg",
                                                       "FileVersion": "4.4.1", "ProductVersion": "4.4.1"}}}),
        MemberRecord(path=d3d, size=4_916_728, type="pe", md5="82187ad3f0c6c225e2fba0c867280cc9",
                     sha1="3a2c0a3f0d0d2e06b9e5b7f6a3d9c8e1f2a4b5c6",
                     sha256="11be1803e2e307b647a8a7e02d128335c448ff741bf06bf52b332e0bbf423b03",
                     entropy=6.12, depth=2, parent=f"{msi}!/APPDIR",
                     features={"authenticode": {"signed": True, "status": "valid"}}),
        MemberRecord(path=hostile, size=120, type="script/javascript", md5="1" * 32, sha1="2" * 40,
                     sha256="3" * 64, entropy=4.2, depth=2, parent=f"{msi}!/APPDIR"),
        MemberRecord(path=f"{msi}!/APPDIR/resources/app.asar!/package.json", size=512, type="text/json",
                     md5="4" * 32, sha1="5" * 40, sha256="6" * 64, entropy=4.8, depth=3,
                     parent=f"{msi}!/APPDIR",
                     features={"package": {"ecosystem": "npm", "name": "3cx-desktop", "version": "18.12.416"}}),
    ]
    findings = [
        Finding(
            rule="authenticode.cert-table-slack",
            severity=Severity.CRITICAL,
            path=d3d,
            message="Data hidden after the signature in the certificate table (signature still verifies).",
            evidence={"offset": 4_906_872, "length": 9_856, "entropy": 7.98, "sigflip_tag": "FEEDFACE",
                      "head": bytes.fromhex("fe ed fa ce 3c 2f 73 63 72 69 70 74 3e 00 11 22")},
            attack="T1553.002",
        ),
        Finding(
            rule="pe.unexpected-export-loader",
            severity=Severity.HIGH,
            path=ffmpeg,
            message="ffmpeg.dll reads a sibling file and decrypts it in memory (DLL side-loading pattern).",
            evidence={"reads": "d3dcompiler_47.dll", "xor_key": "3jB(2bsG#@c7",
                      "imports": {"KERNEL32.dll": ["VirtualProtect", "CreateFileW"]}},
            attack="T1574.002",
        ),
        Finding(
            rule="strings.network-indicator",
            severity=Severity.MEDIUM,
            path=ffmpeg,
            message="Hard-coded URL in a component that normally has none.",
            evidence={"url": "https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico",
                      "offset": 0x1A2B0},
        ),
        Finding(
            rule="script.obfuscated",
            severity=Severity.LOW,
            path=hostile,
            message=f"Obfuscated JavaScript in {HOSTILE_NAME}",
            evidence={"sample": "<img src=x onerror=alert(2)>", "entropy": 5.9},
        ),
        Finding(rule="pe.no-version-info", severity=Severity.INFO, path=ffmpeg,
                message="Version resource present but product name is generic.", evidence={}),
    ]
    errors = [
        ScanError(path=f"{msi}!/APPDIR/update.7z", message="password required", kind="password"),
        ScanError(path=f"{msi}!/APPDIR/bomb.zip", message="compression ratio 10240 exceeds limit 200", kind="limit"),
    ]
    breakdown = [
        ScoreItem("authenticode.cert-table-slack", d3d, Severity.CRITICAL, 60),
        ScoreItem("pe.unexpected-export-loader", ffmpeg, Severity.HIGH, 25),
        ScoreItem("strings.network-indicator", ffmpeg, Severity.MEDIUM, 10),
        ScoreItem("script.obfuscated", hostile, Severity.LOW, 5),
    ]
    return Report(
        target=f"/data/releases/{msi}",
        verdict=Verdict.MALICIOUS,
        score=100,
        findings=findings,
        errors=errors,
        inventory=inventory,
        score_breakdown=breakdown,
        artifact={"name": "3CXDesktopApp", "version": "18.12.416", "sha256": "aa" * 32, "size": 104_857_600,
                  "type": "archive/msi"},
        stats={"members": len(inventory), "unpacked_bytes": 112_000_000, "seconds": 3.2},
    )


def clean_report() -> Report:
    inv = [
        MemberRecord(path="requests-2.32.3-py3-none-any.whl", size=64_928, type="archive/zip",
                     md5="b" * 32, sha1="c" * 40, sha256="d" * 64, entropy=7.99, container=True),
        MemberRecord(path="requests-2.32.3-py3-none-any.whl!/requests/api.py", size=6_449, type="script/python",
                     md5="e" * 32, sha1="f" * 40, sha256="0" * 64, entropy=4.6, depth=1,
                     parent="requests-2.32.3-py3-none-any.whl"),
    ]
    return Report(target="requests-2.32.3-py3-none-any.whl", inventory=inv,
                  stats={"members": 2, "unpacked_bytes": 71_377, "seconds": 0.05})
