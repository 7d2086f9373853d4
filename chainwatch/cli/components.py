"""``chainwatch components learn ARTIFACT`` / ``chainwatch components list``: known-good component builds."""

from __future__ import annotations

import argparse

from chainwatch.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    Progress,
    add_limit_options,
    add_store_options,
    open_required_store,
    options_from_args,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("components", help="known-good hashes of third-party components",
                       description="Learn the hashes of versioned binaries (e.g. ffmpeg.dll, d3dcompiler_47.dll of an "
                                   "Electron release) from a trusted artifact; a diff then flags a member claiming a "
                                   "known name and version with another hash.")
    csub = p.add_subparsers(dest="components_command", metavar="ACTION")
    learn = csub.add_parser("learn", help="record the versioned binaries of a trusted ARTIFACT")
    learn.add_argument("artifact")
    learn.add_argument("--source", help="label of where it came from (default: artifact name and version)")
    learn.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_limit_options(learn)
    add_store_options(learn)
    learn.set_defaults(func=run_learn)
    ls = csub.add_parser("list", help="list known components")
    ls.add_argument("name", nargs="?", help="substring of the component name")
    add_store_options(ls)
    ls.set_defaults(func=run_list)
    p.set_defaults(func=lambda a: (p.print_help(), EXIT_ERROR)[1])


def run_learn(args: argparse.Namespace) -> int:
    from chainwatch.diff.components import ComponentStore
    from chainwatch.engine import scan

    store = open_required_store(args, "known components")
    if store is None:
        return EXIT_ERROR
    try:
        options = options_from_args(args)
        with Progress(options.progress, "learning") as bar:
            report = scan(args.artifact, options, progress=bar.update)
        added = ComponentStore(store.conn).learn(report, args.source)
    finally:
        store.close()
    print(f"learned {added} new component build(s) from {args.artifact}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from chainwatch.diff.components import ComponentStore

    store = open_required_store(args, "known components")
    if store is None:
        return EXIT_ERROR
    try:
        rows = ComponentStore(store.conn).list(args.name)
    finally:
        store.close()
    if not rows:
        print("no known components")
    for r in rows:
        print(f"{r['name']}\t{r['version']}\t{r['sha256']}\t{r['source'] or ''}")
    return EXIT_OK
