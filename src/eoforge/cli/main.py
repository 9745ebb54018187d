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
from eoforge.cli import data, datasets, demo, predict
from eoforge.cli.train import TRAIN_COMMANDS, run_lightning_cli
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
    for command in TRAIN_COMMANDS:  # listed here; parsed by Lightning's CLI (see cli.train)
        sub.add_parser(command, add_help=False, help=f"{command} a model: --config FILE.yaml")
    demo.register(sub)
    datasets.register(sub)
    data.register(sub)
    predict.register(sub)
    return parser


def _train_command(argv: Sequence[str]) -> tuple[int, bool] | None:
    """``(index, debug)`` when ``argv`` runs fit/validate/test, else ``None``."""
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            return (i, "--debug" in argv[:i]) if arg in TRAIN_COMMANDS else None
    return None


def _report(err: BaseException, debug: bool) -> int:
    if debug:
        raise err
    print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    train = _train_command(argv)
    if train is not None:
        index, debug = train
        try:
            return run_lightning_cli(argv[index:])
        except EoforgeError as err:
            return _report(err, debug)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
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
        return _report(err, args.debug)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
