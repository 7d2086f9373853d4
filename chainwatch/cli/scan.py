"""``chainwatch scan``: inventory and judge one or more artifacts."""

from __future__ import annotations

import argparse

from chainwatch.cli.common import (
    EXIT_ERROR,
    Progress,
    add_limit_options,
    add_output_options,
    add_store_options,
    emit_report,
    open_store_from_args,
    options_from_args,
)
from chainwatch.engine import scan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="open an artifact recursively, inventory it and judge it",
                       description="Open an installer, app folder, wheel, sdist, npm tarball or binary; "
                                   "describe every member; report findings and a verdict.")
    p.add_argument("target", help="file or directory to scan")
    p.add_argument("--name", help="artifact name to record (default: from metadata or file name)")
    p.add_argument("--artifact-version", dest="artifact_version", help="artifact version to record")
    add_output_options(p)
    add_limit_options(p)
    add_store_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    store = open_store_from_args(args)
    try:
        with Progress(options.progress, "scanning") as bar:
            report = scan(args.target, options, store=store, name=args.name, version=args.artifact_version,
                          progress=bar.update)
    except FileNotFoundError as exc:
        import sys

        print(f"chainwatch: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if store is not None:
            store.close()
    return emit_report(report, args)
