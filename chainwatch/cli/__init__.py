"""Command line: ``chainwatch <command> ...``. Each module here defines ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from chainwatch._version import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainwatch",
        description="Catch supply-chain compromises: trojanized releases, malicious packages, campaign indicators.",
    )
    parser.add_argument("--version", action="version", version=f"chainwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    pkg = importlib.import_module("chainwatch.cli")
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"chainwatch.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("chainwatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainwatch intel list | head`: the reader left, that is not an error of ours
        _silence_stdout()
        return EXIT_OK
    except (FileNotFoundError, ValueError, PermissionError) as exc:
        print(f"chainwatch: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
