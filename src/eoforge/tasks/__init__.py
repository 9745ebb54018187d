"""Lightning tasks: classification (multi-class, multi-label), segmentation, regression.

- :class:`ClassificationTask`, :class:`SegmentationTask`, :class:`RegressionTask` (scalar or
  dense, with sparse labels) — built from plain arguments, so a YAML config drives them;
- :class:`DataInfo` — bands, classes, colours and normalisation, filled from the data module and
  stored in every checkpoint; :func:`load_task` rebuilds a trained task from its checkpoint alone;
- :func:`load_trained_model` — only what applying a model needs (normaliser, model, data facts),
  without importing Lightning.

Names are imported on first use: ``from eoforge.tasks import load_trained_model`` imports neither
Lightning nor torchmetrics (what prediction saves: ~1.5 s and ~100 MB per process).

Example:
    >>> from eoforge.tasks import SegmentationTask
    >>> SegmentationTask().hparams.loss
    'ce'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eoforge.tasks.base_task import EOTask
    from eoforge.tasks.checkpoint import load_task, save_task
    from eoforge.tasks.checkpoint_file import read_data_info
    from eoforge.tasks.classification import ClassificationTask
    from eoforge.tasks.data_info import DataInfo
    from eoforge.tasks.regression import RegressionTask
    from eoforge.tasks.segmentation import SegmentationTask
    from eoforge.tasks.trained_model import TrainedModel, load_trained_model

_MODULES = {
    "ClassificationTask": "classification",
    "DataInfo": "data_info",
    "EOTask": "base_task",
    "RegressionTask": "regression",
    "SegmentationTask": "segmentation",
    "TrainedModel": "trained_model",
    "load_task": "checkpoint",
    "load_trained_model": "trained_model",
    "read_data_info": "checkpoint_file",
    "save_task": "checkpoint",
}

__all__ = [
    "ClassificationTask",
    "DataInfo",
    "EOTask",
    "RegressionTask",
    "SegmentationTask",
    "TrainedModel",
    "load_task",
    "load_trained_model",
    "read_data_info",
    "save_task",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'eoforge.tasks' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"eoforge.tasks.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])
