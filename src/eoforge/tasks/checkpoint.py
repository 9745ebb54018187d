"""Rebuild a trained task from its checkpoint alone: model, normaliser, bands and classes.

Every eoforge task writes an ``"eoforge"`` entry into its Lightning checkpoints: the task's class
(``"eoforge.tasks.segmentation.SegmentationTask"``), the eoforge version and the
:class:`~eoforge.tasks.DataInfo` (band names in order, class names and colours, normalisation).
:func:`load_task` reads it back, :func:`read_data_info` reads only the facts (no model built).

Example:
    >>> read_data_info("no/such.ckpt")
    Traceback (most recent call last):
    ...
    eoforge.errors.NoFilesError: checkpoint 'no/such.ckpt' does not exist; check the path
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import torch

from eoforge.errors import EoforgeError, NoFilesError
from eoforge.tasks.base_task import EOTask
from eoforge.tasks.data_info import DataInfo

__all__ = ["CHECKPOINT_KEY", "load_task", "read_data_info", "save_task", "saved_bands"]

CHECKPOINT_KEY = "eoforge"
"""The checkpoint entry holding eoforge's facts about the task."""


def _read(path: str | os.PathLike[str]) -> dict[str, Any]:
    where = Path(path)
    if not where.is_file():
        raise NoFilesError(f"checkpoint '{path}' does not exist; check the path")
    try:
        checkpoint = torch.load(where, map_location="cpu", weights_only=False)
    except Exception as err:  # pickle / zip errors: not a checkpoint
        raise EoforgeError(
            f"cannot read '{path}' as a PyTorch checkpoint ({err}); give a .ckpt file written "
            "by eoforge fit"
        ) from err
    if not isinstance(checkpoint, dict) or CHECKPOINT_KEY not in checkpoint:
        raise EoforgeError(
            f"'{path}' is not an eoforge task checkpoint (no '{CHECKPOINT_KEY}' entry); give a "
            ".ckpt written by eoforge fit, or load plain weights with eoforge.models.load_weights"
        )
    return checkpoint


def saved_bands(path: str | os.PathLike[str]) -> list[str] | None:
    """The band names an eoforge checkpoint was trained on; ``None`` for other weight files."""
    if Path(path).suffix != ".ckpt":
        return None
    try:
        return list(read_data_info(path).bands)
    except EoforgeError:
        return None


def read_data_info(path: str | os.PathLike[str]) -> DataInfo:
    """The bands, classes, colours and normalisation a checkpoint's model expects."""
    return DataInfo.from_dict(_read(path)[CHECKPOINT_KEY]["data_info"])


def load_task(path: str | os.PathLike[str], *, map_location: str = "cpu") -> EOTask:
    """The trained task of a checkpoint, in eval mode, ready to predict.

    Raises:
        NoFilesError: the file does not exist.
        EoforgeError: it is not an eoforge task checkpoint, or its task class is unknown.
    """
    facts = _read(path)[CHECKPOINT_KEY]
    module_name, _, class_name = str(facts["task"]).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise EoforgeError(
            f"'{path}' was written by task {facts['task']!r}, which this eoforge cannot import "
            f"({err}); install the eoforge version that wrote it ({facts.get('version')})"
        ) from err
    if not (isinstance(cls, type) and issubclass(cls, EOTask)):
        raise EoforgeError(f"'{path}' names {facts['task']!r}, which is not an eoforge task")
    task = cls.load_from_checkpoint(Path(path), map_location=map_location)
    task.eval()
    return task


def save_task(task: EOTask, path: str | os.PathLike[str]) -> Path:
    """Write ``task`` as a checkpoint :func:`load_task` reads (no training run needed).

    For tasks built or changed outside a ``Trainer`` (e.g. with weights loaded by hand).

    Example:
        >>> import tempfile
        >>> from eoforge.tasks import SegmentationTask
        >>> task = SegmentationTask(backbone="pixel_mlp", data_info={"bands": ["B04"],
        ...                         "classes": ["water", "land"]})
        >>> path = save_task(task, tempfile.mkdtemp() + "/task.ckpt")
        >>> load_task(path).data_info.classes
        ('water', 'land')
    """
    from lightning.pytorch import Trainer

    trainer = Trainer(
        accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False,
    )  # fmt: skip
    trainer.strategy.connect(task)
    where = Path(path)
    where.parent.mkdir(parents=True, exist_ok=True)
    trainer.save_checkpoint(where)
    return where
