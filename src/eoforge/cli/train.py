"""``eoforge fit|validate|test --config FILE.yaml``: train and evaluate with Lightning's CLI.

The config has the sections of Lightning's CLI — ``model`` (an eoforge task: ``class_path`` and
``init_args``), ``data`` (a data module), ``trainer`` and ``seed_everything`` — and every value can
be overridden on the command line (``--trainer.max_epochs 3``). eoforge's defaults: seed 0, CPU
or GPU automatically, deterministic algorithms, the best and last checkpoints (by the task's
validation loss) and a rich progress bar on a terminal. Metrics are logged by Lightning's default
logger (TensorBoard when installed, else a CSV file per run under
``<default_root_dir>/lightning_logs/``).

A wrong key, a value of the wrong type or a missing file in a config is reported on one line
(exit status 1); ``eoforge --debug fit …`` shows the traceback instead.

Example:
    $ eoforge fit --config configs/demo.yaml --trainer.max_epochs 2
    $ eoforge test --config configs/demo.yaml --ckpt_path runs/demo/checkpoints/last.ckpt
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from eoforge.errors import ConfigError

__all__ = ["TRAIN_COMMANDS", "EoforgeCLI", "run_lightning_cli"]

TRAIN_COMMANDS = ("fit", "validate", "test")
"""The subcommands handed to Lightning's CLI."""


def _cli_class() -> Any:
    """``EoforgeCLI``, defined on first use (importing Lightning takes a second)."""
    from lightning.pytorch import LightningDataModule
    from lightning.pytorch.callbacks import ModelCheckpoint, RichProgressBar
    from lightning.pytorch.cli import LightningCLI

    from eoforge.tasks import EOTask

    class EoforgeCLI(LightningCLI):
        """Lightning's CLI with eoforge's tasks, data modules and defaults."""

        def __init__(self, args: Sequence[str]) -> None:
            callbacks: list[Any] = [ModelCheckpoint(monitor="val/loss", save_last=True)]
            if sys.stderr.isatty():
                callbacks.append(RichProgressBar())
            trainer_defaults: dict[str, Any] = {"deterministic": True, "callbacks": callbacks}
            super().__init__(
                model_class=EOTask,
                datamodule_class=LightningDataModule,
                subclass_mode_model=True,
                subclass_mode_data=True,
                args=list(args),
                seed_everything_default=0,
                trainer_defaults=trainer_defaults,
                auto_configure_optimizers=False,
                parser_kwargs={"exit_on_error": False},
                save_config_kwargs={"overwrite": True},
            )

    return EoforgeCLI


def EoforgeCLI(args: Sequence[str]) -> Any:  # noqa: N802 - reads like the class it makes
    """Run Lightning's CLI with eoforge's defaults on ``args`` (``["fit", "--config", …]``)."""
    return _cli_class()(args)


def _log_to_current_stderr() -> None:
    """Point Lightning's log handlers at today's ``sys.stderr``.

    Lightning attaches them to the stream of the moment it is first imported; when the program
    (or a test harness) has replaced ``sys.stderr`` since, log lines would go to a closed stream.
    """
    import contextlib
    import logging

    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "torchmetrics"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                with handler.lock or contextlib.nullcontext():  # not setStream: it flushes
                    handler.stream = sys.stderr  # the old stream, which may be closed


def run_lightning_cli(args: Sequence[str]) -> int:
    """Run ``fit``/``validate``/``test``; configuration errors become :class:`ConfigError`.

    Raises:
        ConfigError: the config or command line is not valid (message on one line).
    """
    _log_to_current_stderr()
    try:
        EoforgeCLI(args)
    except argparse.ArgumentError as err:
        message = " ".join(str(err).split())
        raise ConfigError(
            f"{message}; see `eoforge {args[0] if args else 'fit'} --help` for the valid keys"
        ) from err
    return 0
