"""``ClassificationTask``: one class per image (scene classification) or several (multi-label).

Batches carry ``image`` (B, C, H, W) and ``label``: class ids (B,) for multi-class, or 0/1
vectors (B, K) with ``multilabel=True`` (BigEarthNet's 19 classes, say).

Example:
    >>> import torch
    >>> task = ClassificationTask(backbone="resnet18", multilabel=True, loss="bce",
    ...     data_info={"bands": ["B02", "B03", "B04"], "classes": ["a", "b", "c"]})
    >>> batch = {"image": torch.rand(2, 3, 32, 32), "label": torch.tensor([[1, 0, 1], [0, 1, 0]])}
    >>> float(task.step(batch, "train")) > 0
    True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torchmetrics import MetricCollection

from eoforge.errors import EoforgeError
from eoforge.tasks.base_task import Batch, EOTask
from eoforge.tasks.data_info import DataInfo
from eoforge.tasks.losses import class_loss, multilabel_loss
from eoforge.tasks.metric_sets import class_metrics, multilabel_metrics

__all__ = ["ClassificationTask"]


class ClassificationTask(EOTask):
    """Image-level classification, multi-class or multi-label, with a timm backbone and head.

    Args:
        multilabel: several labels per image (BCE or focal loss, mAP/F1 metrics).
        loss: ``"ce"`` / ``"focal"`` (multi-class), ``"bce"`` / ``"focal"`` (multi-label).
        class_weights: per-class weights (multi-class CE) or positive weights (multi-label BCE).
        ignore_index: label of images without a class (multi-class only).
        **kwargs: the shared arguments of :class:`~eoforge.tasks.EOTask`.
    """

    kind = "classification"

    def __init__(
        self,
        multilabel: bool = False,
        loss: str | None = None,
        class_weights: list[float] | None = None,
        ignore_index: int | None = None,
        **kwargs: Any,
    ) -> None:
        if multilabel and ignore_index is not None:
            raise EoforgeError("ignore_index is for multi-class labels; drop it with multilabel")
        super().__init__(**kwargs)

    def build_loss(self, info: DataInfo) -> nn.Module:
        """CE/focal for multi-class, BCE/focal for multi-label."""
        n = int(self.hp.num_classes)
        if self.hp.multilabel:
            name = self.hp.loss or "bce"
            return multilabel_loss(name, n, pos_weight=self.hp.class_weights)
        return class_loss(
            self.hp.loss or "ce",
            n,
            class_weights=self.hp.class_weights,
            ignore_index=self.hp.ignore_index,
        )

    def build_metrics(self, info: DataInfo) -> MetricCollection:
        """OA/AA/F1/mIoU, or mAP and F1 for multi-label."""
        n = int(self.hp.num_classes)
        if self.hp.multilabel:
            return multilabel_metrics(n)
        return class_metrics(n, ignore_index=self.hp.ignore_index)

    def step(self, batch: Batch, split: str) -> Tensor:
        """Loss of one batch; update the split's metrics."""
        if "label" not in batch:
            raise EoforgeError(
                "ClassificationTask needs batches with a 'label' (class id, or 0/1 per class "
                "with multilabel=True)"
            )
        logits = self(batch["image"])
        label = batch["label"]
        assert self.loss_fn is not None
        if self.hp.multilabel:
            if label.shape != logits.shape:
                raise EoforgeError(
                    f"multi-label targets have shape {tuple(label.shape)} but the model gives "
                    f"{tuple(logits.shape)}; give one 0/1 value per class"
                )
            loss = self.loss_fn(logits, label.float())
            self.split_metrics(split).update(torch.sigmoid(logits), label.long())
        else:
            loss = self.loss_fn(logits, label.long())
            self.split_metrics(split).update(logits.argmax(dim=1), label.long())
        return loss  # type: ignore[no-any-return]

    def predict_step(self, batch: Batch, batch_idx: int = 0) -> Tensor:
        """Class probabilities (softmax), or label probabilities (sigmoid) for multi-label."""
        logits = self(batch["image"])
        return torch.sigmoid(logits) if self.hp.multilabel else torch.softmax(logits, dim=1)
