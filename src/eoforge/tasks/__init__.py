"""Lightning tasks: classification (multi-class, multi-label), segmentation, regression.

- :class:`ClassificationTask`, :class:`SegmentationTask`, :class:`RegressionTask` (scalar or
  dense, with sparse labels) — built from plain arguments, so a YAML config drives them;
- :class:`DataInfo` — bands, classes, colours and normalisation, filled from the data module and
  stored in every checkpoint; :func:`load_task` rebuilds a trained task from its checkpoint alone.

Example:
    >>> from eoforge.tasks import SegmentationTask
    >>> SegmentationTask().hparams.loss
    'ce'
"""

from eoforge.tasks.base_task import EOTask
from eoforge.tasks.checkpoint import load_task, read_data_info, save_task
from eoforge.tasks.classification import ClassificationTask
from eoforge.tasks.data_info import DataInfo
from eoforge.tasks.regression import RegressionTask
from eoforge.tasks.segmentation import SegmentationTask

__all__ = [
    "ClassificationTask",
    "DataInfo",
    "EOTask",
    "RegressionTask",
    "SegmentationTask",
    "load_task",
    "read_data_info",
    "save_task",
]
