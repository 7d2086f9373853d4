"""``chainwatch hunt-logs PATH...``: C2 indicators and beacons in DNS, proxy, Zeek, Suricata and Sysmon logs."""

from __future__ import annotations

import argparse
import sys

from chainwatch.cli.common import EXIT_ERROR, add_output_options, emit_report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hunt-logs", help="hunt network/process logs for indicator hits and beacons")
    p.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories (gzip/zstd/bz2/xz read too)")
    p.add_argument("--indicators", action="append", metavar="FILE",
                   help="indicator file: JSON lines of Indicator dicts, or one value per line (repeatable); "
                        "replaces the built-in packs and the intel store unless --builtin/--store-intel")
    p.add_argument("--db", metavar="PATH", help="intel store to read indicators from (default: the user store)")
    p.add_argument("--builtin", action="store_true", default=None, help="also use the built-in campaign packs")
    p.add_argument("--store-intel", action="store_true", default=None, help="also use the intel store")
    p.add_argument("--map", dest="mapping", metavar="SPEC",
                   help="column mapping for generic CSV/JSONL logs, e.g. ts=time,src=client,domain=query")
    p.add_argument("--log-format", dest="log_format", metavar="NAME",
                   help="force a reader (zeek-tsv, zeek-json, suricata-eve, sysmon-evtx, sysmon-xml, sysmon-json, "
                        "squid, generic) instead of auto-detection")
    p.add_argument("--no-beacons", action="store_true", help="indicator matching only")
    p.add_argument("--include-allowlisted", action="store_true",
                   help="also report beacons to allow-listed periodic services (as info)")
    p.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: one per core)")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chainwatch.logs.findings import build_report
    from chainwatch.logs.hunt import HuntOptions, hunt
    from chainwatch.logs.indicators import load_indicators
    from chainwatch.logs.match import LogMatcher
    from chainwatch.logs.readers.generic import parse_mapping

    try:
        indicators, warnings = load_indicators(args.db, args.indicators, builtin=args.builtin,
                                               store=args.store_intel)
    except (RuntimeError, OSError) as exc:
        print(f"chainwatch: {exc}", file=sys.stderr)
        return EXIT_ERROR
    options = HuntOptions(jobs=args.jobs, mapping=parse_mapping(args.mapping), force_format=args.log_format,
                          beacons=not args.no_beacons, include_allowlisted=args.include_allowlisted)
    result = hunt(args.paths, LogMatcher.from_indicators(indicators), options)
    report = build_report(result, args.paths, options, warnings)
    report.stats["indicators"] = len(indicators)
    return emit_report(report, args)
