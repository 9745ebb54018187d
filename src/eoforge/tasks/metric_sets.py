"""The metrics each task logs per split, from torchmetrics, under the names the field uses.

- multi-class (images or pixels): ``OA`` (overall accuracy), ``AA`` (average accuracy: the mean
  of per-class recalls), ``F1`` (macro), ``mIoU`` (mean intersection over union) and, for
  pixels, ``IoU_<class>`` per class. Macro averages run over the classes present in targets or
  predictions (a class predicted but absent from the targets counts with recall 0), as
  scikit-learn's ``average="macro"`` does;
- multi-label: ``mAP`` (macro average precision), ``F1_micro``, ``F1_macro``;
- regression: ``RMSE``, ``MAE``, ``R2`` over labelled values only.

Example:
    >>> import torch
    >>> metrics = class_metrics(3, ignore_index=255)
    >>> metrics.update(torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 255]))
    >>> {k: round(float(v), 3) for k, v in sorted(metrics.compute().items())}
    {'AA': 0.5, 'F1': 0.556, 'OA': 0.667, 'mIoU': 0.5}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassF1Score,
    MulticlassJaccardIndex,
    MultilabelAveragePrecision,
    MultilabelF1Score,
)
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

__all__ = ["PerClassIoU", "class_metrics", "multilabel_metrics", "regression_metrics"]


class PerClassIoU(MulticlassJaccardIndex):
    """Per-class IoU, returned as ``{"IoU_<name>": value}`` (flattened into the logged metrics)."""

    def __init__(self, class_names: Sequence[str], **kwargs: Any) -> None:
        super().__init__(num_classes=len(class_names), average="none", **kwargs)
        self.class_names = list(class_names)

    def compute(self) -> dict[str, Tensor]:  # type: ignore[override]
        """IoU of each class by name."""
        values = super().compute()
        return {f"IoU_{name}": values[i] for i, name in enumerate(self.class_names)}


def class_metrics(
    num_classes: int,
    *,
    ignore_index: int | None = None,
    class_names: Sequence[str] | None = None,
) -> MetricCollection:
    """OA, AA, F1 and mIoU (plus per-class IoU when ``class_names`` are given).

    Updated with predicted class ids and targets (any shape, same for both).
    """
    common: dict[str, Any] = {"num_classes": num_classes, "ignore_index": ignore_index}
    metrics: dict[str, Metric | MetricCollection] = {
        "OA": MulticlassAccuracy(average="micro", **common),
        "AA": MulticlassAccuracy(average="macro", **common),
        "F1": MulticlassF1Score(average="macro", **common),
        "mIoU": MulticlassJaccardIndex(average="macro", **common),
    }
    if class_names is not None:
        metrics["IoU"] = PerClassIoU(class_names, ignore_index=ignore_index)
    return MetricCollection(metrics, compute_groups=False)


def multilabel_metrics(num_labels: int) -> MetricCollection:
    """Mean average precision (macro), F1 micro and macro, from label probabilities and 0/1 targets.

    Example:
        >>> m = multilabel_metrics(2)
        >>> m.update(torch.tensor([[0.9, 0.2], [0.4, 0.7]]), torch.tensor([[1, 0], [0, 1]]))
        >>> round(float(m.compute()["mAP"]), 3)
        1.0
    """
    return MetricCollection(
        {
            "mAP": MultilabelAveragePrecision(num_labels, average="macro"),
            "F1_micro": MultilabelF1Score(num_labels, average="micro"),
            "F1_macro": MultilabelF1Score(num_labels, average="macro"),
        },
        compute_groups=False,
    )


def regression_metrics() -> MetricCollection:
    """RMSE, MAE and R²; update them with labelled values only (see :func:`labelled_pairs`).

    Example:
        >>> m = regression_metrics()
        >>> m.update(torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 2.0, 3.0]))
        >>> round(float(m.compute()["MAE"]), 3)
        0.333
    """
    return MetricCollection(
        {
            "RMSE": MeanSquaredError(squared=False),
            "MAE": MeanAbsoluteError(),
            "R2": R2Score(),
        },
        compute_groups=False,
    )


def labelled_pairs(
    pred: Tensor, target: Tensor, valid: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The flattened predictions and targets where the target is finite (and ``valid``).

    Example:
        >>> labelled_pairs(torch.tensor([1.0, 2.0]), torch.tensor([float("nan"), 5.0]))
        (tensor([2.]), tensor([5.]))
    """
    keep = torch.isfinite(target)
    if valid is not None:
        keep &= valid
    return pred[keep].float(), target[keep].float()
