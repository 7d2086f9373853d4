"""The 3CX scenario, end to end on real files: `make demo` (or `.venv/bin/python demo/run_demo.py`).

1. Downloads pinned real artifacts from PyPI (hash-checked, cached in demo/.cache/): the PyAV 14.0.0 and
   14.0.1 Windows wheels (FFmpeg DLLs bundled by a third party) and the msvc-runtime 14.42 / 14.44
   wheels (Microsoft-signed runtime DLLs).
2. Builds an Electron-like app folder "SoftPhone" 18.12.400 from them: ffmpeg.dll (FFmpeg's avformat),
   d3dcompiler_47.dll (a Microsoft-signed DLL), native modules, resources.
3. Builds 18.12.407, an honest update (rebuilt native modules, newer signed runtime), and 18.12.416, a
   trojanized update made now with the 3CX techniques: a loader bolted onto ffmpeg.dll (same version
   resource, new executable section, entry point moved, new imports, marker and RC4-key strings) and an
   RC4-encrypted payload tagged FEEDFACE inside d3dcompiler_47.dll's certificate table (signature valid).
4. Learns the known-good components of 18.12.400, then runs `chainwatch diff` on both updates, prints both
   reports and writes HTML/JSON to demo/out/.

Nothing is written outside demo/ (and the cache); nothing downloaded or built is ever executed.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from demo.pinned import pypi_file  # noqa: E402
from demo.techniques import add_loader, fake_payload, sigflip_inject  # noqa: E402

OUT = HERE / "out"
WHEELS = {
    "av-14.0.0": ("av", "14.0.0", "av-14.0.0-cp311-cp311-win_amd64.whl",
                  "7ba11274dd9b051f09eafd6740bfe409cf9c435cbcb493ae6f4d7cad52576d90"),
    "av-14.0.1": ("av", "14.0.1", "av-14.0.1-cp311-cp311-win_amd64.whl",
                  "25d817747929babe8b4a2a8dc06ce0562cc5d64a09231faa4d3b2b0037f3d71b"),
    "msvc-14.42": ("msvc-runtime", "14.42.34433", "msvc_runtime-14.42.34433-cp311-cp311-win_amd64.whl",
                   "60ab9e5ca8ef3e230ead1a3db66340628aafc25f0c10d0195ced8f5a2e24883f"),
    "msvc-14.44": ("msvc-runtime", "14.44.35112", "msvc_runtime-14.44.35112-cp311-cp311-win_amd64.whl",
                   "aba7fbe71897d25ed53fbb7f391e9f50289378a8a9ae218ba18530c663448391"),
}
NATIVE_MODULES = ("av/_core", "av/packet", "av/frame", "av/stream", "av/codec/codec", "av/container/core")


def member(whl: Path, suffix: str) -> bytes:
    """Bytes of the one wheel member whose name ends with ``suffix`` (read in memory, never extracted)."""
    with zipfile.ZipFile(whl) as zf:
        names = [n for n in zf.namelist() if n.endswith(suffix)]
        if len(names) != 1:
            raise SystemExit(f"{whl.name}: expected one member ending in {suffix}, found {names}")
        return zf.read(names[0])


def pyd(whl: Path, module: str) -> bytes:
    with zipfile.ZipFile(whl) as zf:
        name = next(n for n in zf.namelist() if n.startswith(module + ".") and n.endswith(".pyd"))
        return zf.read(name)


def build_release(root: Path, version: str, av: Path, msvc: Path) -> Path:
    app = root / f"SoftPhone-{version}"
    if app.exists():
        shutil.rmtree(app)
    (app / "resources" / "native").mkdir(parents=True)
    (app / "ffmpeg.dll").write_bytes(_lib(av, "avformat-61-"))
    (app / "avutil-59.dll").write_bytes(_lib(av, "avutil-59-"))
    (app / "swresample-5.dll").write_bytes(_lib(av, "swresample-5-"))
    (app / "d3dcompiler_47.dll").write_bytes(member(msvc, "data/data/msvcp140.dll"))
    (app / "vcruntime140.dll").write_bytes(member(msvc, "Scripts/vcruntime140.dll"))
    for mod in NATIVE_MODULES:
        (app / "resources" / "native" / (mod.replace("/", "_") + ".pyd")).write_bytes(pyd(av, mod))
    (app / "resources" / "app.asar").write_text(
        json.dumps({"name": "softphone", "version": version, "main": "main.js"}) + "\n", encoding="utf-8")
    (app / "version").write_text(version + "\n", encoding="utf-8")
    return app


def _lib(av: Path, prefix: str) -> bytes:
    with zipfile.ZipFile(av) as zf:
        name = next(n for n in zf.namelist() if n.startswith("av.libs/" + prefix))
        return zf.read(name)


def trojanize(clean: Path, base: Path, version: str) -> Path:
    """18.12.416: the honest update with ffmpeg.dll and d3dcompiler_47.dll replaced the 3CX way."""
    app = clean.parent / f"SoftPhone-{version}"
    if app.exists():
        shutil.rmtree(app)
    shutil.copytree(clean, app)
    (app / "version").write_text(version + "\n", encoding="utf-8")
    info = add_loader(base / "ffmpeg.dll", app / "ffmpeg.dll")
    signed = (base / "d3dcompiler_47.dll").read_bytes()
    (app / "d3dcompiler_47.dll").write_bytes(sigflip_inject(signed, fake_payload()))
    print(f"  ffmpeg.dll: loader section {info['section']} at RVA {info['section_rva']:#x} (marker FEEDFACE, RC4 key, "
          f"AVMonitorRefreshEvent), entry point moved from {info['old_entry']:#x}; version resource untouched")
    print(f"  d3dcompiler_47.dll: {len(fake_payload())} byte RC4 payload tagged FEEDFACE in the certificate table")
    return app


def render(report, fmt: str) -> str:
    from chainwatch.cli.common import render as cli_render

    try:
        return cli_render(report, fmt, False, color=sys.stdout.isatty() if fmt == "terminal" else False)
    except ValueError:
        if fmt != "html":
            raise
        return _fallback_html(report)


def _fallback_html(report) -> str:
    import html

    rows = "".join(f"<tr><td>{html.escape(f.severity.value)}</td><td>{html.escape(f.rule)}</td>"
                   f"<td>{html.escape(f.path)}</td><td>{html.escape(f.message)}</td></tr>" for f in report.findings)
    mods = "".join(f"<tr><td>{html.escape(m['path'])}</td><td><pre>{html.escape(json.dumps(m['before'], indent=1))}"
                   f"</pre></td><td><pre>{html.escape(json.dumps(m['after'], indent=1))}</pre></td></tr>"
                   for m in report.extra.get("changes", {}).get("modified", [])[:50])
    return (f"<!doctype html><meta charset=utf-8><title>chainwatch diff</title><h1>{html.escape(report.target)}</h1>"
            f"<p>verdict <b>{report.verdict.value}</b>, score {report.score}</p><table border=1>{rows}</table>"
            f"<h2>Modified members</h2><table border=1><tr><th>member</th><th>before</th><th>after</th></tr>{mods}"
            f"</table>")


def main() -> int:
    from chainwatch.diff import diff_artifacts
    from chainwatch.diff.components import ComponentStore
    from chainwatch.engine import scan
    from chainwatch.options import ScanOptions
    from chainwatch.store import open_store

    try:
        import lief

        lief.logging.disable()
    except Exception:
        pass
    print("1. fetching pinned artifacts from PyPI (sha256-checked, cached in demo/.cache/)")
    wheels = {key: pypi_file(*spec) for key, spec in WHEELS.items()}
    releases = OUT / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    print("2. building SoftPhone 18.12.400 (clean) and 18.12.407 (honest update)")
    v400 = build_release(releases, "18.12.400", wheels["av-14.0.0"], wheels["msvc-14.42"])
    v407 = build_release(releases, "18.12.407", wheels["av-14.0.1"], wheels["msvc-14.44"])
    print("3. building SoftPhone 18.12.416, trojanized with the 3CX techniques")
    v416 = trojanize(v407, v400, "18.12.416")

    db = OUT / "demo.db"
    db.unlink(missing_ok=True)
    store = open_store(db)
    options = ScanOptions()
    print("4. learning the known-good components of 18.12.400 (chainwatch components learn)")
    learned = ComponentStore(store.conn).learn(scan(v400, options), "SoftPhone 18.12.400")
    print(f"   {learned} versioned components recorded")

    status = 0
    for label, new, expect in (("honest update", v407, "clean"), ("trojanized update", v416, "malicious")):
        print(f"\n=== chainwatch diff {v400.name} {new.name}   ({label}) ===")
        report = diff_artifacts(v400, new, options, store=store, old_name="SoftPhone", old_version="18.12.400",
                                new_name="SoftPhone", new_version=new.name.split("-")[-1])
        print(render(report, "terminal"))
        counts = report.extra["changes"]["counts"]
        print(f"   verdict {report.verdict.value.upper()} (score {report.score}); changes: {counts}")
        print("   a reviewer reads first:")
        for f in [f for f in report.findings if f.severity.rank >= 2][:3] or report.findings[:1]:
            print(f"     [{f.severity.value}] {f.rule} {f.path.rsplit('/', 1)[-1]}: {f.message[:150]}")
        if not report.findings or all(f.severity.rank < 2 for f in report.findings):
            print("     nothing at medium or above: an honest version bump")
        html_path, json_path = OUT / f"diff-{new.name}.html", OUT / f"diff-{new.name}.json"
        html_path.write_text(render(report, "html"), encoding="utf-8")
        json_path.write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
        print(f"   report: {html_path.relative_to(HERE.parent)} (+ {json_path.name})")
        if report.verdict.value != expect:
            print(f"   !! expected verdict {expect}, got {report.verdict.value}")
            status = 1
    store.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
