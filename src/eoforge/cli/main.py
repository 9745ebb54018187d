"""Entry point of the ``eoforge`` command: parses the subcommand and turns errors into one line.

Every :class:`~eoforge.errors.EoforgeError` is printed as ``error: <message>`` on one line and the
process exits with status 1; ``--debug`` shows the traceback instead.

Example:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    eoforge ...
    0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import eoforge
from eoforge.cli import demo
from eoforge.errors import EoforgeError

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="eoforge", description="Deep learning on Earth-observation imagery."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"eoforge {eoforge.__version__}")
        return 0
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except EoforgeError as err:
        if args.debug:
            raise
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
