"""``chainwatch baseline add NAME ARTIFACT --version V`` and ``chainwatch baseline list``."""

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
    p = sub.add_parser("baseline", help="record releases to diff future updates against",
                       description="Record a trusted release in the store; `chainwatch diff --baseline NAME NEW` "
                                   "then compares against it, no old installer needed.")
    bsub = p.add_subparsers(dest="baseline_command", metavar="ACTION")
    add = bsub.add_parser("add", help="scan ARTIFACT and record it as baseline NAME")
    add.add_argument("name")
    add.add_argument("artifact")
    add.add_argument("--version", dest="artifact_version", help="version of the recorded release")
    add.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_limit_options(add)
    add_store_options(add)
    add.set_defaults(func=run_add)
    ls = bsub.add_parser("list", help="list recorded baselines")
    ls.add_argument("name", nargs="?")
    add_store_options(ls)
    ls.set_defaults(func=run_list)
    p.set_defaults(func=lambda a: (p.print_help(), EXIT_ERROR)[1])


def run_add(args: argparse.Namespace) -> int:
    from chainwatch.diff.baselines import add_baseline

    store = open_required_store(args, "a baseline")
    if store is None:
        return EXIT_ERROR
    try:
        options = options_from_args(args)
        with Progress(options.progress, "recording") as bar:
            base, report = add_baseline(store, args.name, args.artifact, args.artifact_version, options, bar.update)
    finally:
        store.close()
    print(f"baseline {base.name} {base.version or '(no version)'} recorded: {len(report.inventory)} members, "
          f"verdict {report.verdict.value}, store id {base.artifact_id}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from chainwatch.diff.baselines import list_baselines

    store = open_required_store(args, "listing baselines")
    if store is None:
        return EXIT_ERROR
    try:
        rows = list_baselines(store, args.name)
    finally:
        store.close()
    if not rows:
        print("no baselines recorded")
    for b in rows:
        print(f"{b.name}\t{b.version or '-'}\t{b.added_at[:19]}\t{b.target}")
    return EXIT_OK
