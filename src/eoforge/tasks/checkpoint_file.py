"""An eoforge checkpoint as a file: read it, and its facts, without importing Lightning.

Every eoforge task writes an ``"eoforge"`` entry into its Lightning checkpoints: the task's class
(``"eoforge.tasks.segmentation.SegmentationTask"``), the model's task (``"segmentation"``), the
eoforge version and the :class:`~eoforge.tasks.DataInfo` (band names in order, class names and
colours, normalisation). This module reads them with ``torch.load`` alone, so that applying a
model (:func:`eoforge.tasks.load_trained_model`) costs neither Lightning's import time nor its
memory.

Example:
    >>> read_data_info("no/such.ckpt")
    Traceback (most recent call last):
    ...
    eoforge.errors.NoFilesError: checkpoint 'no/such.ckpt' does not exist; check the path
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from eoforge.errors import EoforgeError, NoFilesError
from eoforge.tasks.data_info import DataInfo

__all__ = [
    "CHECKPOINT_KEY",
    "checkpoint_model_task",
    "read_checkpoint",
    "read_data_info",
    "saved_bands",
]

CHECKPOINT_KEY = "eoforge"
"""The checkpoint entry holding eoforge's facts about the task."""

_TASK_KINDS = {"SegmentationTask": "segmentation", "ClassificationTask": "classification"}


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The contents of an eoforge task checkpoint (on the CPU).

    Raises:
        NoFilesError: the file does not exist.
        EoforgeError: it is not a PyTorch checkpoint, or not one written by an eoforge task.
    """
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


def read_data_info(path: str | os.PathLike[str]) -> DataInfo:
    """The bands, classes, colours and normalisation a checkpoint's model expects."""
    return DataInfo.from_dict(read_checkpoint(path)[CHECKPOINT_KEY]["data_info"])


def saved_bands(path: str | os.PathLike[str]) -> list[str] | None:
    """The band names an eoforge checkpoint was trained on; ``None`` for other weight files."""
    if Path(path).suffix != ".ckpt":
        return None
    try:
        return list(read_data_info(path).bands)
    except EoforgeError:
        return None


def checkpoint_model_task(checkpoint: Mapping[str, Any], name: str = "the checkpoint") -> str:
    """The :func:`~eoforge.models.build_model` task of a checkpoint's model.

    Checkpoints record it (``"model_task"``); for those written before they did, it follows from
    the task class (a ``RegressionTask`` is dense when its ``dense`` hyper-parameter is set).

    Raises:
        EoforgeError: the checkpoint's task class is not one eoforge knows.
    """
    facts = checkpoint[CHECKPOINT_KEY]
    if "model_task" in facts:
        return str(facts["model_task"])
    class_name = str(facts.get("task", "")).rpartition(".")[2]
    if class_name == "RegressionTask":
        dense = bool(checkpoint.get("hyper_parameters", {}).get("dense", False))
        return "dense_regression" if dense else "regression"
    if class_name not in _TASK_KINDS:
        raise EoforgeError(
            f"{name} was written by task {facts.get('task')!r}, which this eoforge does not "
            f"know; install the eoforge version that wrote it ({facts.get('version')})"
        )
    return _TASK_KINDS[class_name]
