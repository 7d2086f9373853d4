"""Diff benchmark: benign consecutive releases stay quiet, trojanized variants are flagged by technique.

    .venv/bin/python bench/diff_eval.py [--benign-only | --variants-only] [--limit N]

Benign pairs: ../shared/corpus release pairs (when present) + bench/diff_pairs.json (consecutive
releases of popular PyPI/npm packages, downloaded and digest-checked into demo/.cache/). Variants:
generated now from the same real releases, one per technique (PE, ELF, Mach-O, PyPI, npm), see
bench/variants.py; the .NET one is a small library compiled now in two releases with mono's ``mcs``
(Debian mono-mcs; the variant reports a generation error without it). Goal: every variant flagged
(suspicious or malicious) with a finding naming its technique; at most 1% of benign pairs flagged.
Results: bench/out/diff_eval.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import variants as V  # noqa: E402
from demo.pinned import CACHE, _get, pypi_file  # noqa: E402
from demo.run_demo import WHEELS  # noqa: E402

OUT = REPO / "bench" / "out"
PAIRS = REPO / "bench" / "diff_pairs.json"
NODE_NOTIFIER = ("node-notifier", "10.0.1", "https://registry.npmjs.org/node-notifier/-/node-notifier-10.0.1.tgz")


# ----------------------------------------------------------------------------- inputs

def fetch_npm(entry: dict) -> Path:
    import hashlib

    dest = CACHE / "npm" / f"{entry['project'].replace('/', '__')}-{entry['version']}.tgz"
    if dest.is_file() and hashlib.sha1(dest.read_bytes()).hexdigest() == entry["sha1"]:
        return dest
    data = _get(entry["tarball"], timeout=300)
    if hashlib.sha1(data).hexdigest() != entry["sha1"]:
        raise RuntimeError(f"npm {entry['project']}@{entry['version']}: sha1 mismatch")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


def fetch(entry: dict) -> Path:
    if "tarball" in entry:
        return fetch_npm(entry)
    return pypi_file(entry["project"], entry["version"], entry["filename"], entry["sha256"])


def shared_dir() -> Path | None:
    env = os.environ.get("CHAINWATCH_SHARED")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared"]:
        if (c / "corpus" / "manifest.json").is_file():
            return c
    return None


def corpus_pairs(shared: Path) -> list[tuple[str, Path, Path]]:
    c = shared / "corpus"
    b = c / "binaries"
    pairs = [
        ("pe msvc vcruntime140 14.42->14.44", b / "pe/signed-microsoft/v14.42.34433/vcruntime140.dll",
         b / "pe/signed-microsoft/v14.44.35112/vcruntime140.dll"),
        ("pe msvc msvcp140 14.42->14.44", b / "pe/signed-microsoft/v14.42.34433/msvcp140.dll",
         b / "pe/signed-microsoft/v14.44.35112/msvcp140.dll"),
        ("pe libusb 1.0.26->1.0.30", b / "pe/unsigned/libusb-package-1.0.26.4/libusb-1.0.dll",
         b / "pe/unsigned/libusb-package-1.0.30.0/libusb-1.0.dll"),
        ("elf markupsafe 3.0.2->3.0.3", b / "elf/markupsafe/v3.0.2/_speedups.cpython-311-x86_64-linux-gnu.so",
         b / "elf/markupsafe/v3.0.3/_speedups.cpython-311-x86_64-linux-gnu.so"),
        ("elf libusb 1.0.26->1.0.30", b / "elf/libusb-package/v1.0.26.4/libusb-1.0.so",
         b / "elf/libusb-package/v1.0.30.0/libusb-1.0.so"),
        ("macho markupsafe arm64 3.0.2->3.0.3", b / "macho/markupsafe/v3.0.2/arm64/_speedups.cpython-311-darwin.so",
         b / "macho/markupsafe/v3.0.3/arm64/_speedups.cpython-311-darwin.so"),
        ("macho libusb arm64", b / "macho/libusb-package/v1.0.26.4/arm64/libusb-1.0.dylib",
         b / "macho/libusb-package/v1.0.30.0/arm64/libusb-1.0.dylib"),
        ("macho libusb x86_64", b / "macho/libusb-package/v1.0.26.4/x86_64/libusb-1.0.dylib",
         b / "macho/libusb-package/v1.0.30.0/x86_64/libusb-1.0.dylib"),
        ("app-win av 14.0.0->14.0.1", c / "releases/app-win/14.0.0/av-14.0.0-cp311-cp311-win_amd64.whl",
         c / "releases/app-win/14.0.1/av-14.0.1-cp311-cp311-win_amd64.whl"),
    ]
    for name, old, new in (("requests", "2.34.1", "2.34.2"), ("six", "1.16.0", "1.17.0"), ("idna", "3.19", "3.20")):
        d = c / "packages/pypi" / name
        pairs.append((f"pypi {name} sdist {old}->{new}", d / f"{name}-{old}.tar.gz", d / f"{name}-{new}.tar.gz"))
        whl_old = next(d.glob(f"{name}-{old}-*.whl"))
        whl_new = next(d.glob(f"{name}-{new}-*.whl"))
        pairs.append((f"pypi {name} wheel {old}->{new}", whl_old, whl_new))
    npm = (("chalk", "5.6.0", "5.6.2"), ("debug", "4.4.1", "4.4.3"), ("ua-parser-js", "0.7.28", "0.7.30"),
           ("event-stream", "3.3.5", "4.0.1"), ("ms", "2.1.2", "2.1.3"), ("inherits", "2.0.3", "2.0.4"))
    for name, old, new in npm:
        d = c / "packages/npm" / name
        pairs.append((f"npm {name} {old}->{new}", d / f"{name}-{old}.tgz", d / f"{name}-{new}.tgz"))
    return [p for p in pairs if p[1].exists() and p[2].exists()]


def registry_pairs() -> list[tuple[str, Path, Path]]:
    out = []
    for p in json.loads(PAIRS.read_text(encoding="utf-8")):
        label = f"{p['ecosystem']} {p['old']['project']} {p['kind']} {p['old']['version']}->{p['new']['version']}"
        try:
            out.append((label, fetch(p["old"]), fetch(p["new"])))
        except Exception as exc:
            print(f"  skip {label}: {exc}", file=sys.stderr)
    return out


# ----------------------------------------------------------------------------- diff

def options_for(*paths: Path):
    from chainwatch.options import ScanOptions

    size = sum(p.stat().st_size if p.is_file() else 0 for p in paths)
    return ScanOptions(jobs=1 if size < 8_000_000 else 0)


def run_diff(old: Path, new: Path, store=None) -> tuple[object, float]:
    from chainwatch.diff import diff_artifacts

    started = time.monotonic()
    report = diff_artifacts(old, new, options_for(old, new), store=store)
    return report, time.monotonic() - started


def top(report, n: int = 2) -> str:
    shown = [f for f in report.findings if f.severity.rank >= 1][:n]
    return "; ".join(f"[{f.severity.value}] {f.rule} {f.path.rsplit('/', 1)[-1]}" for f in shown)


# ----------------------------------------------------------------------------- variants

def _wheel_edit(src: Path, dst: Path, pattern: str, transform, tmp: Path, replace_with: bytes | None = None) -> None:
    import re

    def edit(name: str, data: bytes) -> bytes:
        if re.search(pattern, name):
            return replace_with if replace_with is not None else transform(data, tmp)
        return data

    V.rewrite_zip(src, dst, edit)


def build_variant(name: str, inputs: dict[str, str], out_dir: str) -> dict:
    """Runs in a fresh process (LIEF can crash on odd input): writes the variant, returns its paths."""
    import lief

    lief.logging.disable()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out))
    i = {k: Path(v) for k, v in inputs.items()}
    learn = None
    if name == "pe/loader-same-version":  # 3CX ffmpeg.dll: same release, one DLL trojanized
        old = i["msvc_new"]
        new = out / i["msvc_new"].name
        _wheel_edit(old, new, r"Scripts/vcruntime140\.dll$", V.pe_loader, tmp)
    elif name == "pe/loader-in-update":
        old, new = i["pe_old"], out / i["pe_new"].name
        _wheel_edit(i["pe_new"], new, r"\.pyd$", V.pe_loader, tmp)
    elif name == "pe/cert-table-payload":
        old, new = i["msvc_old"], out / i["msvc_new"].name
        _wheel_edit(i["msvc_new"], new, r"data/data/msvcp140\.dll$", V.pe_sigflip, tmp)
    elif name == "pe/signature-broken":
        old, new = i["msvc_old"], out / i["msvc_new"].name
        _wheel_edit(i["msvc_new"], new, r"Scripts/vcruntime140\.dll$", V.pe_break_signature, tmp)
    elif name == "pe/signature-removed":
        old, new = i["msvc_old"], out / i["msvc_new"].name
        _wheel_edit(i["msvc_new"], new, r"Scripts/vcruntime140\.dll$", V.pe_strip_signature, tmp)
    elif name == "pe/signer-changed":
        import tarfile

        with tarfile.open(i["node_notifier"]) as tf:
            other = tf.extractfile("package/vendor/snoreToast/snoretoast-x64.exe").read()  # type: ignore[union-attr]
        old, new = i["msvc_old"], out / i["msvc_new"].name
        _wheel_edit(i["msvc_new"], new, r"Scripts/vcruntime140\.dll$", None, tmp, replace_with=other)
    elif name == "pe/injection-imports":
        old, new = i["pe_old"], out / i["pe_new"].name
        _wheel_edit(i["pe_new"], new, r"\.pyd$", V.pe_injection_imports, tmp)
    elif name == "pe/version-backwards":  # ShadowHammer: an update ships an older signed build
        _, older = V.zip_member(i["msvc_old"], r"Scripts/vcruntime140\.dll$")
        old, new = i["msvc_new"], out / ("rolled-" + i["msvc_new"].name)
        _wheel_edit(i["msvc_new"], new, r"Scripts/vcruntime140\.dll$", None, tmp, replace_with=older)
    elif name == "pe/compile-time":
        _, old_pyd = V.zip_member(i["pe_old"], r"\.pyd$")
        when = V.pe_timestamp(old_pyd) - 400 * 86400
        old, new = i["pe_old"], out / i["pe_new"].name
        _wheel_edit(i["pe_new"], new, r"\.pyd$", lambda d, t: V.pe_backdate(d, t, when), tmp)
    elif name == "pe/network-indicator":
        old, new = i["pe_old"], out / i["pe_new"].name
        _wheel_edit(i["pe_new"], new, r"\.pyd$", V.pe_network_section, tmp)
    elif name == "pe/component-mismatch":  # known-good components learned from the upstream build
        old, new = i["msvc_new"], out / ("patched-" + i["msvc_new"].name)
        _wheel_edit(i["msvc_new"], new, r"data/data/msvcp140\.dll$", V.pe_break_signature, tmp)
        learn = str(i["msvc_new"])
    elif name == "any/new-executable":
        _, exe = V.zip_member(i["msvc_old"], r"Scripts/vcruntime140\.dll$")
        old, new = i["py_old"], out / i["py_new"].name
        V.rewrite_zip(i["py_new"], new, lambda n, d: d, add={"six_native_helper.exe": exe})
    elif name == "pe/sideload-dll":  # an unsigned DLL named like a system DLL next to signed ones
        _, pyd = V.zip_member(i["pe_new"], r"\.pyd$")
        old, new = i["msvc_old"], out / i["msvc_new"].name
        prefix = i["msvc_new"].name.split("-cp")[0].replace("msvc_runtime-", "msvc_runtime-")
        V.rewrite_zip(i["msvc_new"], new, lambda n, d: d,
                      add={f"{prefix}.data/data/Scripts/version.dll": V.pe_loader(pyd, tmp)})
    elif name == "any/high-entropy-blob":
        import random

        rnd = random.Random(9)
        old, new = i["py_old"], out / i["py_new"].name
        V.rewrite_zip(i["py_new"], new, lambda n, d: d,
                      add={"six_assets.dat": bytes(rnd.getrandbits(8) for _ in range(64 * 1024))})
    elif name.startswith("elf/"):
        fn = {"elf/new-needed": V.elf_add_needed, "elf/new-constructor": V.elf_extra_constructor,
              "elf/new-exec-section": V.elf_add_exec_section, "elf/network-indicator": V.append_indicators}[name]
        old, new = i["elf_old"], out / i["elf_new"].name
        _wheel_edit(i["elf_new"], new, r"\.so$", fn, tmp)
    elif name == "dotnet/types-added-same-version":
        old, new = V.dotnet_release_pair(out, tmp)
    elif name == "macho/team-id-changed":  # the same build re-signed by another developer account
        old, new = out / "signed-by-vendor" / i["macho_new"].name, out / i["macho_new"].name
        old.parent.mkdir(exist_ok=True)
        _wheel_edit(i["macho_new"], old, r"\.so$", lambda d, _t: V.macho_set_team(d, "ZX9K4Q7B2M"), tmp)
        _wheel_edit(i["macho_new"], new, r"\.so$", lambda d, _t: V.macho_set_team(d, "Q3W8E1R5T6"), tmp)
    elif name.startswith("macho/"):
        fn = {"macho/new-dylib": V.macho_add_dylib, "macho/network-indicator": V.append_indicators}[name]
        old, new = i["macho_old"], out / i["macho_new"].name
        _wheel_edit(i["macho_new"], new, r"\.so$", fn, tmp)
    elif name == "pypi/pth-hook":
        old, new = i["py_old"], out / i["py_new"].name
        V.rewrite_zip(i["py_new"], new, lambda n, d: d,
                      add={"zz_six_init.pth": b"import os, sys; exec(open(os.path.join(sys.prefix, 'x')).read())\n"})
    elif name == "pypi/new-dependency":
        old = i["py_new"]
        new = V.wheel_patch_release(i["py_new"], out, extra_requires="six-helpers-utils (>=0.1)")
    elif name == "pypi/setup-cmdclass":
        old = i["sdist_new"]
        new = V.sdist_cmdclass(i["sdist_new"], out)
    elif name == "pypi/env-to-network":
        old = i["py2_new"]
        new = V.wheel_patch_release(i["py2_new"], out, add={"idna/_telemetry.py": V.PY_EXFIL})
    elif name == "pypi/obfuscation":
        old = i["py2_new"]
        new = V.wheel_patch_release(i["py2_new"], out, add={"idna/_compat2.py": V.py_obfuscated()})
    elif name == "npm/preinstall":
        old = i["npm_new"]
        new = V.npm_patch_release(i["npm_new"], out,
                                  package_edit=lambda d: d.setdefault("scripts", {}).update(
                                      {"preinstall": "node preinstall.js"}),
                                  add={"package/preinstall.js": V.JS_EXFIL})
    elif name == "npm/new-dependency":
        old = i["npm_new"]
        new = V.npm_patch_release(i["npm_new"], out,
                                  package_edit=lambda d: d.setdefault("dependencies", {}).update(
                                      {"flatmap-stream": "0.1.1"}))
    elif name == "npm/obfuscation":
        old = i["npm_new"]
        new = V.npm_patch_release(i["npm_new"], out, main_append=V.js_obfuscated())
    elif name == "npm/env-to-network":
        old = i["npm_new"]
        new = V.npm_patch_release(i["npm_new"], out, main_append=V.JS_EXFIL)
    else:
        raise ValueError(name)
    return {"old": str(old), "new": str(new), "learn": learn}


TECHNIQUES: dict[str, tuple[str, set[str]]] = {
    # technique: (what it models, rule ids that name it)
    "pe/loader-same-version": ("3CX ffmpeg.dll: loader added, version resource unchanged",
                               {"diff.trojanized-member", "diff.new-exec-section", "diff.entrypoint-moved"}),
    "pe/loader-in-update": ("loader section + entry point in a rebuilt module", {"diff.new-exec-section",
                                                                                "diff.entrypoint-moved"}),
    "pe/cert-table-payload": ("3CX d3dcompiler_47.dll: payload in the certificate table", {"diff.cert-table-slack"}),
    "pe/signature-broken": ("signed DLL patched after signing", {"diff.signature-lost"}),
    "pe/signature-removed": ("signature stripped", {"diff.signature-lost"}),
    "pe/signer-changed": ("DLL now signed by someone else", {"diff.signer-changed", "diff.sibling-signer-new"}),
    "pe/injection-imports": ("new process-injection imports", {"diff.new-exec-imports"}),
    "pe/version-backwards": ("ShadowHammer: older signed build shipped as update", {"diff.version-backwards"}),
    "pe/compile-time": ("rebuilt module compiled before the previous build", {"diff.compile-time"}),
    "pe/network-indicator": ("C2 URL/IP added to a module that had none", {"diff.new-network-indicator"}),
    "pe/component-mismatch": ("known component, known version, other hash", {"diff.component-mismatch"}),
    "pe/sideload-dll": ("unsigned version.dll planted next to signed DLLs", {"diff.new-executable"}),
    "any/new-executable": ("new PE in a pure-Python package", {"diff.new-executable"}),
    "any/high-entropy-blob": ("new encrypted blob", {"diff.new-blob"}),
    "elf/new-needed": ("new DT_NEEDED library", {"diff.elf-new-needed"}),
    "elf/new-constructor": ("new init_array constructor", {"diff.elf-new-init"}),
    "elf/new-exec-section": ("new executable section", {"diff.new-exec-section"}),
    "elf/network-indicator": ("C2 URL/IP added", {"diff.new-network-indicator"}),
    "dotnet/types-added-same-version": ("SUNBURST: a class added to a .NET DLL, assembly version kept "
                                        "(compiled now with mcs)", {"diff.dotnet-types-added"}),
    "macho/new-dylib": ("new @rpath dylib load", {"diff.macho-new-dylib"}),
    "macho/network-indicator": ("C2 URL/IP added", {"diff.new-network-indicator"}),
    "macho/team-id-changed": ("same build, Team ID of another developer account in its signature",
                              {"diff.signer-changed"}),
    "pypi/pth-hook": (".pth file with code", {"diff.new-install-hook"}),
    "pypi/new-dependency": ("dependency added in a patch release", {"diff.new-dependency"}),
    "pypi/setup-cmdclass": ("setup.py install override (cmdclass)", {"diff.new-install-hook"}),
    "pypi/env-to-network": ("env dumped to the network (ctx-like)", {"diff.env-to-network"}),
    "pypi/obfuscation": ("base64 exec payload", {"diff.obfuscation-appeared"}),
    "npm/preinstall": ("preinstall script (ua-parser-js 0.7.29)", {"diff.new-install-hook"}),
    "npm/new-dependency": ("dependency added in a patch (event-stream 3.3.6)", {"diff.new-dependency"}),
    "npm/obfuscation": ("obfuscated code appended", {"diff.obfuscation-appeared"}),
    "npm/env-to-network": ("process.env posted to a raw IP", {"diff.env-to-network"}),
}


def variant_inputs() -> dict[str, str]:
    pairs = json.loads(PAIRS.read_text(encoding="utf-8"))

    def pair(project: str, kind: str, pattern: str = "") -> tuple[Path, Path]:
        p = next(p for p in pairs if p["old"]["project"] == project and p["kind"] == kind
                 and pattern in p["new"].get("filename", ""))
        return fetch(p["old"]), fetch(p["new"])

    inputs: dict[str, Path] = {}
    inputs["msvc_old"] = pypi_file(*WHEELS["msvc-14.42"])
    inputs["msvc_new"] = pypi_file(*WHEELS["msvc-14.44"])
    inputs["pe_old"], inputs["pe_new"] = pair("pyyaml", "binary-wheel", "win_amd64")
    inputs["elf_old"], inputs["elf_new"] = pair("markupsafe", "binary-wheel", "manylinux")
    inputs["macho_old"], inputs["macho_new"] = pair("markupsafe", "binary-wheel", "macosx")
    inputs["py_old"], inputs["py_new"] = pair("six", "wheel")
    inputs["py2_old"], inputs["py2_new"] = pair("idna", "wheel")
    inputs["sdist_old"], inputs["sdist_new"] = pair("six", "sdist")
    inputs["npm_old"], inputs["npm_new"] = pair("debug", "tarball")
    import hashlib

    nn = CACHE / "npm" / "node-notifier-10.0.1.tgz"
    if not nn.is_file():
        doc = json.loads(_get("https://registry.npmjs.org/node-notifier/10.0.1"))
        data = _get(doc["dist"]["tarball"], timeout=300)
        if hashlib.sha1(data).hexdigest() != doc["dist"]["shasum"]:
            raise RuntimeError("node-notifier: sha1 mismatch")
        nn.parent.mkdir(parents=True, exist_ok=True)
        nn.write_bytes(data)
    inputs["node_notifier"] = nn
    return {k: str(v) for k, v in inputs.items()}


def run_variants(only: str | None) -> list[dict]:
    from chainwatch.diff.components import ComponentStore
    from chainwatch.engine import scan
    from chainwatch.store import open_store

    inputs = variant_inputs()
    results = []
    ctx = multiprocessing.get_context("spawn")
    for name, (what, expected) in TECHNIQUES.items():
        if only and only not in name:
            continue
        out_dir = OUT / "variants" / name.replace("/", "_")
        try:
            with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                made = pool.submit(build_variant, name, inputs, str(out_dir)).result(timeout=300)
        except Exception as exc:
            results.append({"technique": name, "what": what, "error": f"generation failed: {exc}"})
            print(f"  {name}: generation failed: {exc}", file=sys.stderr)
            continue
        store = None
        if made.get("learn"):
            store = open_store(":memory:")
            ComponentStore(store.conn).learn(scan(made["learn"], options_for(Path(made["learn"]))), "upstream")
        try:
            report, seconds = run_diff(Path(made["old"]), Path(made["new"]), store)
        except Exception:
            results.append({"technique": name, "what": what, "error": traceback.format_exc(limit=3)})
            continue
        rules = {f.rule for f in report.findings if f.severity.rank >= 1}
        results.append({
            "technique": name, "what": what, "verdict": report.verdict.value, "score": report.score,
            "flagged": report.verdict.value != "clean", "named": bool(rules & expected),
            "expected": sorted(expected), "rules": sorted(rules), "top": top(report, 3), "seconds": round(seconds, 2),
        })
    return results


def run_benign(limit: int | None) -> list[dict]:
    pairs = []
    shared = shared_dir()
    if shared:
        pairs += corpus_pairs(shared)
    pairs += registry_pairs()
    if limit:
        pairs = pairs[:limit]
    results = []
    for label, old, new in pairs:
        try:
            report, seconds = run_diff(old, new)
        except Exception as exc:
            results.append({"pair": label, "error": f"{type(exc).__name__}: {exc}"})
            continue
        results.append({"pair": label, "verdict": report.verdict.value, "score": report.score,
                        "flagged": report.verdict.value != "clean", "top": top(report),
                        "changes": report.extra["changes"]["counts"], "seconds": round(seconds, 2)})
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benign-only", action="store_true")
    ap.add_argument("--variants-only", action="store_true")
    ap.add_argument("--only", help="substring of the technique names to run")
    ap.add_argument("--limit", type=int, help="first N benign pairs only")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    benign = [] if args.variants_only else run_benign(args.limit)
    malicious = [] if args.benign_only else run_variants(args.only)

    if malicious:
        print(f"\n{'technique':28} {'verdict':10} {'score':>5} {'named':6} top findings")
        for r in malicious:
            if "error" in r:
                print(f"{r['technique']:28} ERROR      {r['error'][:90]}")
                continue
            print(f"{r['technique']:28} {r['verdict']:10} {r['score']:>5} {'yes' if r['named'] else 'NO':6} "
                  f"{r['top'][:150]}")
        ok = [r for r in malicious if r.get("flagged") and r.get("named")]
        print(f"\nvariants flagged with the technique named: {len(ok)}/{len(malicious)}")
    if benign:
        flagged = [r for r in benign if r.get("flagged")]
        errors = [r for r in benign if "error" in r]
        print(f"\nbenign pairs: {len(benign)}, flagged {len(flagged)} ({100 * len(flagged) / len(benign):.1f}%), "
              f"errors {len(errors)}")
        for r in flagged + errors:
            print(f"  {r['pair']}: {r.get('verdict', 'ERROR')} {r.get('top') or r.get('error')}")
    (OUT / "diff_eval.json").write_text(json.dumps({"benign": benign, "variants": malicious}, indent=1),
                                        encoding="utf-8")
    print(f"\nresults: {OUT / 'diff_eval.json'}  ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
