"""Rebuild a trained task from its checkpoint alone: model, normaliser, bands and classes.

Every eoforge task writes an ``"eoforge"`` entry into its Lightning checkpoints (see
:mod:`eoforge.tasks.checkpoint_file`). :func:`load_task` rebuilds the whole task (to train on,
or test); :func:`read_data_info` reads only the facts (no model built);
:func:`eoforge.tasks.load_trained_model` rebuilds only what predicting needs, without Lightning.

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

from eoforge.errors import EoforgeError
from eoforge.tasks.base_task import EOTask
from eoforge.tasks.checkpoint_file import (
    CHECKPOINT_KEY,
    read_checkpoint,
    read_data_info,
    saved_bands,
)

__all__ = ["CHECKPOINT_KEY", "load_task", "read_data_info", "save_task", "saved_bands"]


def load_task(path: str | os.PathLike[str], *, map_location: str = "cpu") -> EOTask:
    """The trained task of a checkpoint, in eval mode, ready to predict.

    Raises:
        NoFilesError: the file does not exist.
        EoforgeError: it is not an eoforge task checkpoint, or its task class is unknown.
    """
    facts = read_checkpoint(path)[CHECKPOINT_KEY]
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
