"""The metrics each task logs per split, from torchmetrics, under the names the field uses.

- multi-class (images or pixels): ``OA`` (overall accuracy), ``AA`` (average accuracy: the mean
  of per-class recalls), ``F1`` (macro), ``mIoU`` (mean intersection over union) and, for
  pixels, ``IoU_<class>`` per class — all from one confusion matrix (:class:`ConfusionMetrics`).
  Macro averages run over the classes present in targets or predictions (a class predicted but
  absent from the targets counts with recall 0), as scikit-learn's ``average="macro"`` does;
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

import math
from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import MultilabelAveragePrecision, MultilabelF1Score
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

__all__ = [
    "ConfusionMetrics",
    "class_metrics",
    "labelled_pairs",
    "multilabel_metrics",
    "regression_metrics",
]


class ConfusionMetrics(Metric):
    """OA, AA, F1, mIoU and per-class IoU, all from one confusion matrix.

    One ``bincount`` per update (torchmetrics' separate multi-class metrics each re-count the
    batch, which costs as much as the model's backward pass on a CPU). Macro averages run over
    the classes present in targets or predictions; a class absent from both gets a NaN IoU.

    Args:
        num_classes: the classes ``0 … K-1``.
        ignore_index: a target value that is not counted.
        class_names: names for the per-class IoU (``IoU_<name>``); ``None``: no per-class values.
    """

    full_state_update = False
    confusion: Tensor

    def __init__(
        self,
        num_classes: int,
        ignore_index: int | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.class_names = None if class_names is None else list(class_names)
        zeros = torch.zeros(num_classes, num_classes, dtype=torch.long)
        self.add_state("confusion", default=zeros, dist_reduce_fx="sum")

    def update(self, pred: Tensor, target: Tensor) -> None:
        """Count predicted class ids against targets (same shape; ignored targets skipped)."""
        k = self.num_classes
        pred, target = pred.reshape(-1).long(), target.reshape(-1).long()
        keep = (target >= 0) & (target < k)
        if self.ignore_index is not None:
            keep &= target != self.ignore_index
        counts = torch.bincount(target[keep] * k + pred[keep].clamp(0, k - 1), minlength=k * k)
        self.confusion += counts.reshape(k, k)

    def compute(self) -> dict[str, Tensor]:
        """The metrics (float tensors)."""
        cm = self.confusion.double()
        tp = cm.diagonal()
        truth, predicted = cm.sum(dim=1), cm.sum(dim=0)
        present = (truth + predicted) > 0

        def ratio(num: Tensor, den: Tensor) -> Tensor:
            return torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num))

        def macro(values: Tensor) -> Tensor:
            return values[present].mean() if bool(present.any()) else torch.tensor(0.0)

        iou = ratio(tp, truth + predicted - tp)
        out = {
            "OA": ratio(tp.sum(), cm.sum()),
            "AA": macro(ratio(tp, truth)),
            "F1": macro(ratio(2 * tp, truth + predicted)),
            "mIoU": macro(iou),
        }
        if self.class_names is not None:
            for i, name in enumerate(self.class_names):
                out[f"IoU_{name}"] = iou[i] if bool(present[i]) else torch.tensor(math.nan)
        return {key: value.float() for key, value in out.items()}


def class_metrics(
    num_classes: int,
    *,
    ignore_index: int | None = None,
    class_names: Sequence[str] | None = None,
) -> MetricCollection:
    """OA, AA, F1 and mIoU (plus per-class IoU when ``class_names`` are given).

    Updated with predicted class ids and targets (any shape, same for both).
    """
    metric = ConfusionMetrics(num_classes, ignore_index=ignore_index, class_names=class_names)
    return MetricCollection({"confusion": metric}, compute_groups=False)


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
