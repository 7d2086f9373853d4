"""``chainwatch hunt PATH...``: sweep folders, mounted images or collected files for campaign indicators."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chainwatch.cli.common import (
    EXIT_ERROR,
    Progress,
    _size,
    add_output_options,
    emit_report,
    options_from_args,
)
from chainwatch.intel.model import Indicator


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hunt", help="sweep files for IOCs: hashes, names, YARA-X rules, affected software",
                       description="Hunt folders, mounted images or collected files for the built-in campaign "
                                   "packs, the indicators in the store and (optionally) a signature-base checkout. "
                                   "Archives are opened. An interrupted hunt resumes where it stopped.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--signature-base", metavar="DIR", action="append", default=[],
                   help="also use this signature-base checkout (read at run time, not stored)")
    p.add_argument("--rules", metavar="FILE", action="append", default=[], help="extra YARA rule file(s)")
    p.add_argument("--no-builtin", action="store_true", help="leave out the built-in campaign packs")
    p.add_argument("--no-store-intel", action="store_true", help="leave out the indicators in the store")
    p.add_argument("--no-yara", action="store_true", help="hashes, names and software only")
    p.add_argument("--no-archives", action="store_true", help="do not open archives and installers")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip paths or names matching GLOB (repeatable); /proc, /sys, /dev, /run always")
    p.add_argument("--max-file-size", type=_size, default=256 * 1024 * 1024, metavar="SIZE",
                   help="YARA-scan files up to SIZE; larger ones get hashes and names only (default 256M)")
    p.add_argument("--skip-larger", type=_size, metavar="SIZE", help="skip files larger than SIZE entirely")
    p.add_argument("--fresh", action="store_true", help="do not resume an interrupted hunt of the same paths")
    p.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: one per core)")
    p.add_argument("--password", help="password for encrypted zips")
    p.add_argument("--db", metavar="PATH", help="SQLite store (default: $CHAINWATCH_DB or the user data dir)")
    p.add_argument("--no-store", action="store_true", help="no store: no stored intel, no resume journal")
    p.add_argument("--cache-dir", metavar="DIR", help="compiled YARA-X rule cache (default: user cache dir)")
    p.add_argument("--stix-sightings", metavar="FILE", help="also write the hits as STIX 2.1 sightings")
    add_output_options(p)
    p.set_defaults(func=run)


def gather_indicators(args: argparse.Namespace, conn: object | None) -> tuple[list[Indicator], str]:
    from chainwatch.intel.model import IndicatorKind
    from chainwatch.intel.store import IndicatorStore

    items: list[Indicator] = []
    ident = []
    if not args.no_builtin:
        from chainwatch.intel.packs import builtin_indicators

        items.extend(builtin_indicators())
    if conn is not None and not args.no_store_intel:
        store = IndicatorStore(conn)  # type: ignore[arg-type]
        items.extend(store.iter({IndicatorKind.MD5, IndicatorKind.SHA1, IndicatorKind.SHA256,
                                 IndicatorKind.FILENAME, IndicatorKind.SOFTWARE, IndicatorKind.YARA}))
        ident.append(store.fingerprint())
    for folder in args.signature_base:
        from chainwatch.intel.importers.signature_base import read_signature_base

        items.extend(read_signature_base(Path(folder)))
        ident.append(str(Path(folder).resolve()))
    for rule_file in args.rules:
        path = Path(rule_file)
        items.append(Indicator(kind=IndicatorKind.YARA, value=path.read_text(encoding="utf-8", errors="replace"),
                               source=f"rules:{path.name}", extra={"file": path.name}))
        ident.append(str(path.resolve()))
    return items, "|".join(ident)


def run(args: argparse.Namespace) -> int:
    from chainwatch.hunt.run import DEFAULT_EXCLUDES, HuntOptions, hunt

    for p in args.paths:
        if not Path(p).exists():
            print(f"chainwatch: error: {p} does not exist", file=sys.stderr)
            return EXIT_ERROR
    store = None
    if not args.no_store:
        from chainwatch.store import open_store

        store = open_store(Path(args.db) if args.db else None)
    scan_options = options_from_args(args)
    try:
        indicators, ident = gather_indicators(args, store.conn if store is not None else None)
        with Progress(scan_options.progress, "hunting") as bar:
            options = HuntOptions(
                jobs=args.jobs, max_file_size=args.max_file_size, skip_larger=args.skip_larger,
                excludes=DEFAULT_EXCLUDES + tuple(args.exclude), archives=not args.no_archives,
                yara=not args.no_yara, limits=scan_options.limits, password=scan_options.password,
                cache_dir=Path(args.cache_dir) if args.cache_dir else None, resume=not args.fresh,
                progress=bar.update,
            )
            report = hunt([Path(p) for p in args.paths], indicators, options,
                          conn=store.conn if store is not None else None, indicator_ids=ident)
    finally:
        if store is not None:
            store.close()
    if args.stix_sightings:
        from chainwatch.intel.export import bundle_json, export_sightings

        Path(args.stix_sightings).write_text(bundle_json(export_sightings(report)), encoding="utf-8")
    yara = report.extra.get("hunt", {}).get("yara", {})
    if yara.get("rules_total") and not args.quiet:
        print(f"YARA-X: {yara['rules_loaded']}/{yara['rules_total']} rules loaded "
              f"({yara['percent_loaded']}%){' from cache' if yara.get('cached') else ''}; "
              f"{report.stats['files']} files, {report.stats['mb_per_s']} MB/s", file=sys.stderr)
    return emit_report(report, args)
