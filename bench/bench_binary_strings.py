"""Benchmark: strings/IOC extraction (with XOR and base64 recovery) and the capability scan.

Per corpus binary, then on a large file (>= 50 MB by default) built from the DLLs inside the corpus'
``av`` wheels. Each measurement runs in a fresh child process so its peak RSS is its own. The peer
for strings is GNU ``strings -a -n 6`` (ASCII) plus ``strings -a -n 6 -el`` (UTF-16LE), which only
extracts text; ours extracts the same runs and also finds indicators and decodes XOR/base64.

    PYTHONPATH=. .venv/bin/python bench/bench_binary_strings.py [--corpus ../shared/corpus]
        [--large-mb 50] [--skip-large]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _child(task: str, path: str, queue: Any) -> None:
    sys.path.insert(0, str(REPO))
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import lief  # imported before timing, as in a warm worker

    from chainwatch.binary.capabilities import analyze_capabilities, compiled_rules
    from chainwatch.binary.strings import analyze_strings

    del lief
    compiled_rules()  # once per process, as in a scan worker: not part of the per-file time
    analyze_strings(b"warm up the public-suffix list: www.example.com")
    warm_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu_start = time.process_time()
    summary: dict[str, Any] = {}
    if task == "facts":
        import asn1crypto.cms  # noqa: F401 - imported before timing, as in a warm worker
    if task == "strings":
        data = Path(path).read_bytes()
        facts = analyze_strings(data)
        summary = {k: len(facts[k]) for k in ("urls", "domains", "ips", "emails", "decoded")}
        summary["strings"] = facts["string_count"]
    elif task == "capabilities":
        caps = analyze_capabilities(path, 512 * 1024 * 1024)
        summary = {"capabilities": [c["id"] for c in caps]}
    elif task == "facts":
        head = Path(path).read_bytes()[:4]
        if head == b"\x7fELF":
            from chainwatch.binary.elf import elf_facts

            elf_facts(path)
        elif head in (b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
            from chainwatch.binary.macho import macho_facts

            macho_facts(path)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024, "task_mb": (peak_kb - warm_kb) / 1024,
               "base_mb": base_kb / 1024, **summary})


def measure(task: str, path: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(task, str(path), queue))
    proc.start()
    result = queue.get(timeout=600)
    proc.join()
    return result


def gnu_strings_cpu(path: Path) -> float | None:
    """CPU seconds (user+sys) of GNU strings, ASCII and UTF-16LE passes: fair on a busy machine."""
    exe = shutil.which("strings")
    if not exe:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for extra in ([], ["-el"]):
        subprocess.run([exe, "-a", "-n", "6", *extra, str(path)], stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build_large(corpus: Path, target_mb: int, out_dir: Path) -> Path:
    """Concatenate the DLLs of the av wheels (real code and data) until ``target_mb`` is reached."""
    out = out_dir / f"large-{target_mb}mb.bin"
    written = 0
    with out.open("wb") as fh:
        while written < target_mb * 1024 * 1024:
            for wheel in sorted((corpus / "releases").rglob("*.whl")):
                with zipfile.ZipFile(wheel) as zf:
                    for info in sorted(zf.infolist(), key=lambda i: -i.file_size):
                        if info.filename.endswith(".dll"):
                            fh.write(zf.read(info))
                            written += info.file_size
                            if written >= target_mb * 1024 * 1024:
                                return out
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--large-mb", type=int, default=50)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    manifest = json.loads((args.corpus / "manifest.json").read_text())
    binaries = [args.corpus / f["path"] for f in manifest["files"] if f["kind"] == "binary"]
    rows = []
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else "?"
    print(f"load average at start: {load} on {mp.cpu_count()} cores; "
          "times are CPU seconds of one process (wall in the JSON)")
    print(f"{'file':64} {'MB':>6} {'strings':>8} {'caps':>6} {'facts':>6} {'GNU':>6} {'peak MB':>8}")
    for path in binaries:
        s = measure("strings", path)
        c = measure("capabilities", path)
        f = measure("facts", path)
        peer = gnu_strings_cpu(path)
        size_mb = path.stat().st_size / 1e6
        rows.append({"file": str(path.relative_to(args.corpus)), "mb": size_mb, "strings": s, "capabilities": c,
                     "facts": f, "gnu_strings_s": peer})
        print(f"{str(path.relative_to(args.corpus))[-64:]:64} {size_mb:6.2f} {s['cpu']:8.3f} "
              f"{c['cpu']:6.3f} {f['cpu']:6.3f} {peer or 0:6.3f} {max(s['peak_mb'], c['peak_mb']):8.1f}")
    total = sum(r["strings"]["cpu"] + r["capabilities"]["cpu"] for r in rows)
    total_peer = sum(r["gnu_strings_s"] or 0 for r in rows)
    print(f"corpus binaries: {len(rows)} files, strings+capabilities {total:.2f} CPU s in total "
          f"(GNU strings alone {total_peer:.2f} s)")

    if not args.skip_large:
        with tempfile.TemporaryDirectory(prefix="chainwatch-bench-") as tmp:
            large = build_large(args.corpus, args.large_mb, Path(tmp))
            size_mb = large.stat().st_size / 1e6
            s = measure("strings", large)
            c = measure("capabilities", large)
            peer = gnu_strings_cpu(large)
            print(f"\nlarge file: {size_mb:.1f} MB (av wheel DLLs concatenated)")
            print(f"  strings/IOC/XOR/base64: {s['cpu']:.2f} CPU s, {s['seconds']:.2f} wall s "
                  f"({size_mb / s['cpu']:.1f} MB/CPU-s), "
                  f"peak RSS {s['peak_mb']:.0f} MB (+{s['task_mb']:.0f} MB for the file), "
                  f"{s['strings']} strings, {s['urls']} URLs, {s['domains']} domains, {s['decoded']} decoded")
            print(f"  capability scan (YARA-X + predicates): {c['cpu']:.2f} CPU s, {c['seconds']:.2f} wall s, "
                  f"peak RSS {c['peak_mb']:.0f} MB "
                  f"(+{c['task_mb']:.0f} MB), capabilities {c['capabilities']}")
            if peer:
                print(f"  GNU strings -a -n 6 (+ -el): {peer:.2f} CPU s; ours/GNU = {s['cpu'] / peer:.2f}x "
                      "(ours also extracts indicators and decodes XOR/base64)")
            rows.append({"file": "large", "mb": size_mb, "strings": s, "capabilities": c, "gnu_strings_s": peer})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
