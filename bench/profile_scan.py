"""CPU seconds per analyzer (and for fingerprinting) of one ``chainwatch.scan`` run, in-process.

    python bench/profile_scan.py ARTIFACT

Runs with ``jobs=1`` so every CPU second is counted in this process: the per-core cost that the
issue goals (e.g. "facts of a 50 MB DLL under 2 s on one core") are stated in.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import chainwatch.engine as engine
from chainwatch import registry
from chainwatch.options import ScanOptions


def main(target: str) -> None:
    cpu: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for analyzer in registry.member_analyzers():
        analyzer.prepare()
        original = analyzer.analyze

        def timed(ctx: Any, original: Any = original, name: str = analyzer.name) -> Any:
            start = time.process_time()
            try:
                return original(ctx)
            finally:
                cpu[name] += time.process_time() - start
                calls[name] += 1

        analyzer.analyze = timed  # type: ignore[method-assign]
    plain_fingerprint = engine.fingerprint_file

    def timed_fingerprint(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return plain_fingerprint(*args, **kwargs)
        finally:
            cpu["fingerprint"] += time.process_time() - start
            calls["fingerprint"] += 1

    engine.fingerprint_file = timed_fingerprint  # type: ignore[assignment]
    start_cpu, start_wall = time.process_time(), time.monotonic()
    report = engine.scan(target, ScanOptions(jobs=1))
    total = time.process_time() - start_cpu
    print(f"{target}: {len(report.inventory)} members, {report.verdict.value}; "
          f"total {total:.2f} CPU s, {time.monotonic() - start_wall:.2f} wall s")
    for name, seconds in cpu.most_common():
        print(f"  {name:14} {seconds:7.2f} CPU s  ({calls[name]} calls)")
    facts = sum(v for k, v in cpu.items() if k != "fingerprint")
    print(f"  analyzers (facts) total {facts:.2f} CPU s")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
