"""``chainwatch history``: what the store holds (recorded scans by artifact name and version)."""

from __future__ import annotations

import argparse
import json

from chainwatch.cli.common import EXIT_ERROR, EXIT_OK, add_store_options, open_required_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="list recorded scans (optionally of one artifact name)")
    p.add_argument("name", nargs="?", help="artifact name (any case), scanned file name, or sha256 prefix")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_store_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = open_required_store(args, "history")
    if store is None:
        return EXIT_ERROR
    try:
        rows = store.artifacts(args.name)
    finally:
        store.close()
    if args.json:
        for r in rows:
            print(json.dumps(r.__dict__))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"recorded scans{f' of {args.name}' if args.name else ''}")
    for col in ("id", "name", "version", "verdict", "score", "scanned at", "sha256"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.id), r.name, r.version or "", r.verdict, str(r.score), r.scanned_at[:19],
                      (r.sha256 or "")[:16])
    Console().print(table)
    return EXIT_OK
