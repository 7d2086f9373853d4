"""``chainwatch diff OLD NEW`` / ``chainwatch diff --baseline NAME NEW``: what an update changes, ranked."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

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

if TYPE_CHECKING:
    from chainwatch.models import Report


def _date(text: str) -> datetime:
    d = datetime.fromisoformat(text)
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="compare a release with the one before it",
                       description="Diff two releases (folders, wheels, sdists, npm tarballs, MSI, DMG, binaries) "
                                   "or a release against a recorded baseline; rank what changed by how dangerous.")
    p.add_argument("old", nargs="?", help="previous release (omit with --baseline)")
    p.add_argument("new", nargs="?", help="new release")
    p.add_argument("--baseline", metavar="NAME", help="compare NEW with the latest recorded baseline NAME")
    p.add_argument("--baseline-version", metavar="V", help="a specific recorded version of the baseline")
    p.add_argument("--release-date", type=_date, metavar="YYYY-MM-DD",
                   help="publication date of NEW (flags binaries compiled after it)")
    p.add_argument("--old-version", help="version of OLD (default: from metadata or file name)")
    p.add_argument("--new-version", help="version of NEW (default: from metadata or file name)")
    add_output_options(p)
    add_limit_options(p)
    add_store_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chainwatch.diff import diff_artifacts

    if args.baseline:
        if args.new is None and args.old is not None:
            args.new, args.old = args.old, None
        if args.old is not None or args.new is None:
            print("chainwatch: error: with --baseline give only NEW", file=sys.stderr)
            return EXIT_ERROR
    elif args.old is None or args.new is None:
        print("chainwatch: error: give OLD and NEW, or --baseline NAME NEW", file=sys.stderr)
        return EXIT_ERROR
    options = options_from_args(args)
    store = open_store_from_args(args)
    try:
        if args.baseline:
            if store is None:
                print("chainwatch: error: --baseline needs the store (drop --no-store)", file=sys.stderr)
                return EXIT_ERROR
            from chainwatch.diff.baselines import load_baseline

            old: str | Report = load_baseline(store, args.baseline, args.baseline_version)
        else:
            old = cast("str", args.old)  # given without --baseline (checked above)
        with Progress(options.progress, "diffing") as bar:
            report = diff_artifacts(old, args.new, options, store=store, release_date=args.release_date,
                                    progress=bar.update, old_version=args.old_version,
                                    new_version=args.new_version, new_name=args.baseline)
    except FileNotFoundError as exc:
        print(f"chainwatch: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if store is not None:
            store.close()
    return emit_report(report, args)
