"""``chainwatch intel import|list|export|stats``: manage the indicator store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from chainwatch.cli.common import EXIT_ERROR, EXIT_OK
from chainwatch.intel.importers import ImportError_
from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.intel.store import IndicatorStore

FORMATS = ("signature-base", "stix", "misp", "csv", "list", "builtin", "taxii")


def _store(args: argparse.Namespace) -> IndicatorStore:
    from chainwatch.store import open_store

    return IndicatorStore(open_store(Path(args.db) if args.db else None).conn)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("intel", help="import, list, export threat intel (IOCs, YARA rules, campaign packs)",
                       description="Manage the indicator store used by `chainwatch hunt` and log hunting.")
    p.add_argument("--db", metavar="PATH", help="SQLite store (default: $CHAINWATCH_DB or the user data dir)")
    isub = p.add_subparsers(dest="intel_command", metavar="ACTION")

    imp = isub.add_parser("import", help="import a feed into the store")
    imp.add_argument("format", choices=FORMATS, help="feed format ('builtin' = the campaign packs shipped here)")
    imp.add_argument("path", nargs="?", help="file or folder to import (not for builtin)")
    imp.add_argument("--source", help="source name to record (default: derived from the file name)")
    imp.add_argument("--kind", choices=[k.value for k in IndicatorKind], help="kind of every value (csv/list)")
    imp.add_argument("--mapping", help="CSV columns: value=COL,kind=COL,score=COL,description=COL,campaign=COL,...")
    imp.add_argument("--delimiter", default=",", help="CSV delimiter")
    imp.add_argument("--score", type=int, default=75, help="score of list entries (0-100)")
    imp.add_argument("--campaign", help="campaign of list entries")
    imp.add_argument("--expires", help="ISO 8601 expiry stamped on every imported indicator")
    imp.add_argument("--replace", action="store_true", help="drop the source's previous indicators first")
    imp.add_argument("--no-yara", action="store_true", help="signature-base: skip yara/")
    imp.add_argument("--collection", help="taxii: collection id (path = the API root URL)")
    imp.add_argument("--added-after", help="taxii: only objects added after this timestamp")
    imp.add_argument("--user", help="taxii: basic-auth user (password from $CHAINWATCH_TAXII_PASSWORD)")
    imp.set_defaults(func=run_import)

    ls = isub.add_parser("list", help="list indicators")
    ls.add_argument("--kind", action="append", choices=[k.value for k in IndicatorKind])
    ls.add_argument("--source", help="source name or prefix (e.g. signature-base)")
    ls.add_argument("--campaign")
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--json", action="store_true", help="JSON lines")
    ls.set_defaults(func=run_list)

    ex = isub.add_parser("export", help="export indicators as a STIX 2.1 bundle")
    ex.add_argument("--builtin", action="store_true", help="export the shipped campaign packs (not the store)")
    ex.add_argument("--source", help="only this source (or prefix)")
    ex.add_argument("--kind", action="append", choices=[k.value for k in IndicatorKind])
    ex.add_argument("--output", "-o", help="write to FILE (default stdout)")
    ex.set_defaults(func=run_export)

    st = isub.add_parser("stats", help="counts by kind, campaign and source")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=run_stats)
    for action_parser in (imp, ls, ex, st):  # `intel import builtin --db X` like every other command
        action_parser.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                                   help="SQLite store (also accepted before ACTION)")
    p.set_defaults(func=lambda args: (p.print_help(), EXIT_ERROR)[1])


def _with_expiry(items: Iterator[Indicator], expires: str | None) -> Iterator[Indicator]:
    from dataclasses import replace

    for ind in items:
        yield replace(ind, expires=expires) if expires else ind


def read_feed(args: argparse.Namespace) -> tuple[Iterator[Indicator], dict[str, str | None]]:
    """The indicators of the feed named on the command line, and how to describe its source."""
    fmt = args.format
    if fmt == "builtin":
        from chainwatch.intel.packs import builtin_indicators

        return builtin_indicators(), {"feed": "builtin", "license": "chainwatch"}
    if not args.path:
        raise ImportError_(f"{fmt} needs a path")
    if fmt == "taxii":
        import os

        from chainwatch.intel.importers.taxii import read_taxii

        if not args.collection:
            raise ImportError_("taxii needs --collection")
        return read_taxii(args.path, args.collection, added_after=args.added_after, user=args.user,
                          password=os.environ.get("CHAINWATCH_TAXII_PASSWORD"), source=args.source), {
            "feed": "taxii", "location": f"{args.path} collection {args.collection}"}
    path = Path(args.path)
    if not path.exists():
        raise ImportError_(f"{path} does not exist")
    kind = IndicatorKind(args.kind) if args.kind else None
    if fmt == "signature-base":
        from chainwatch.intel.importers import signature_base as sb

        return sb.read_signature_base(path, yara=not args.no_yara), {
            "feed": sb.FEED, "license": sb.LICENSE, "attribution": sb.ATTRIBUTION, "location": str(path)}
    if fmt == "stix":
        from chainwatch.intel.importers.stix import read_stix_bundle

        return read_stix_bundle(path, args.source), {"feed": "stix", "location": str(path)}
    if fmt == "misp":
        from chainwatch.intel.importers.misp import read_misp

        return read_misp(path, args.source), {"feed": "misp", "location": str(path)}
    from chainwatch.intel.importers import tabular

    if fmt == "csv":
        return tabular.read_csv(path, tabular.parse_mapping(args.mapping), kind, args.source, args.delimiter), {
            "feed": "csv", "location": str(path)}
    return tabular.read_plain(path, kind, args.source, args.score, campaign=args.campaign), {
        "feed": "list", "location": str(path)}


def run_import(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        items, meta = read_feed(args)
        items = _with_expiry(items, args.expires)
        if args.replace:
            first = list(items)
            for name in sorted({i.source for i in first}):
                store.delete_source(name)
            items = iter(first)
        count = store.add_many(items, feed=meta.get("feed"), location=meta.get("location"),
                               license=meta.get("license"), attribution=meta.get("attribution"))
    except ImportError_ as exc:
        print(f"chainwatch: import failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    stats = store.stats()
    print(f"imported {count} indicators; store now holds {stats['indicators']} ({json.dumps(stats['by_kind'])})")
    if meta.get("attribution"):
        print(f"source: {meta['attribution']} ({meta.get('license')})")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    store = _store(args)
    kinds = {IndicatorKind(k) for k in args.kind} if args.kind else None
    for n, ind in enumerate(store.iter(kinds, source=args.source, campaign=args.campaign)):
        if n >= args.limit:
            break
        if args.json:
            print(json.dumps(ind.to_dict()))
        else:
            value = ind.value if ind.kind != IndicatorKind.YARA else f"<{ind.extra.get('file', 'rules')}>"
            print(f"{ind.kind.value:16} {value[:90]:90} {ind.score:3} {ind.source} {ind.campaign or ''}")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from chainwatch.intel.export import bundle_json, export_bundle

    kinds = {IndicatorKind(k) for k in args.kind} if args.kind else None
    if args.builtin:
        from chainwatch.intel.packs import builtin_indicators

        items = [i for i in builtin_indicators() if kinds is None or i.kind in kinds]
    else:
        items = list(_store(args).iter(kinds, source=args.source))
    bundle, skipped = export_bundle(items)
    text = bundle_json(bundle)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    print(f"exported {len(items) - skipped} indicators ({skipped} kinds without a STIX pattern skipped)",
          file=sys.stderr)
    return EXIT_OK


def run_stats(args: argparse.Namespace) -> int:
    stats = _store(args).stats()
    if args.json:
        print(json.dumps(stats, indent=2))
        return EXIT_OK
    print(f"indicators: {stats['indicators']} (expired: {stats['expired']})")
    by_kind = cast("dict[str, int]", stats["by_kind"])  # IndicatorStore.stats() shapes
    sources = cast("list[dict[str, Any]]", stats["sources"])
    for kind, n in by_kind.items():
        print(f"  {kind:16} {n}")
    print("sources:")
    for s in sources:
        extra = f"  [{s['license']}]" if s.get("license") else ""
        print(f"  {s['name']:60} {s['indicators']:8}{extra}")
    return EXIT_OK
