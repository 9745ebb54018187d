"""``SegmentationTask``: a class for every pixel (land cover, floods, tree crowns, …).

Batches carry ``image`` (B, C, H, W) and ``mask`` (B, H, W) class ids; pixels that are
``ignore_index``, or not ``valid`` in the batch (nodata in the image, or — in evaluation — pixels
another patch owns), count neither in the loss nor in the metrics.

Example:
    >>> import torch
    >>> task = SegmentationTask(backbone="pixel_mlp", loss="ce+dice", data_info={
    ...     "bands": ["B04", "B08"], "classes": ["water", "land"], "ignore_index": 255})
    >>> batch = {"image": torch.rand(2, 2, 8, 8), "mask": torch.randint(0, 2, (2, 8, 8))}
    >>> float(task.step(batch, "train")) > 0
    True
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor
from torchmetrics import MetricCollection

from eoforge.errors import EoforgeError
from eoforge.tasks.base_task import Batch, EOTask
from eoforge.tasks.data_info import DataInfo
from eoforge.tasks.losses import class_loss
from eoforge.tasks.metric_sets import class_metrics

__all__ = ["SegmentationTask", "dense_labels"]

INTERNAL_IGNORE = -1
"""The label used for ignored pixels when the data has no ``ignore_index`` of its own."""


def dense_labels(batch: Batch, ignore_index: int, num_classes: int) -> Tensor:
    """The batch's ``mask`` with invalid pixels set to ``ignore_index``; checks the class ids.

    Raises:
        EoforgeError: a label is neither a class id (0 … num_classes-1) nor ``ignore_index``.

    Example:
        >>> import torch
        >>> batch = {"mask": torch.tensor([[1, 0]]), "valid": torch.tensor([[True, False]])}
        >>> dense_labels(batch, 255, 2).tolist()
        [[1, 255]]
    """
    mask = batch["mask"].long()
    valid = batch.get("valid")
    if isinstance(valid, Tensor):
        mask = torch.where(valid.bool(), mask, torch.full_like(mask, ignore_index))
    bad = (mask != ignore_index) & ((mask < 0) | (mask >= num_classes))
    if bool(bad.any()):
        values = sorted(set(mask[bad].unique().tolist()))[:5]
        raise EoforgeError(
            f"mask values {values} are not class ids 0..{num_classes - 1} (nor the ignore index "
            f"{ignore_index}); set num_classes, or ignore_index to the label's nodata value"
        )
    return cast(Tensor, mask)


class SegmentationTask(EOTask):
    """Semantic segmentation with a dense decoder on a backbone.

    Args:
        model: decoder (default: ``"unet"``, or none for a standalone backbone).
        backbone: timm backbone, or ``"pixel_mlp"`` (per-pixel model).
        loss: ``"ce"``, ``"focal"``, ``"dice"`` or ``"ce+dice"``.
        class_weights: per-class weights of the cross-entropy.
        ignore_index: label of unlabelled pixels (default: the data's, e.g. its nodata value).
        **kwargs: the shared arguments of :class:`~eoforge.tasks.EOTask` (``lr``, ``weights``,
            ``augment``, ``freeze_backbone``, ``in_channels``, ``num_classes``, …).
    """

    kind = "segmentation"

    def __init__(
        self,
        loss: str = "ce",
        class_weights: list[float] | None = None,
        ignore_index: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    @property
    def ignore_index(self) -> int:
        """The label value ignored in loss and metrics."""
        configured = self.hparams.get("ignore_index")
        if configured is not None:
            return int(configured)
        info = self._info_from_hparams()
        if info is not None and info.ignore_index is not None:
            return info.ignore_index
        return INTERNAL_IGNORE

    def build_loss(self, info: DataInfo) -> torch.nn.Module:
        """The configured loss over the classes, ignoring :attr:`ignore_index`."""
        return class_loss(
            self.hp.loss,
            int(self.hp.num_classes),
            class_weights=self.hp.class_weights,
            ignore_index=self.ignore_index,
        )

    def build_metrics(self, info: DataInfo) -> MetricCollection:
        """OA, AA, F1, mIoU and per-class IoU (by class name when the data names them)."""
        n = int(self.hp.num_classes)
        names = list(info.classes) if len(info.classes) == n else [str(i) for i in range(n)]
        return class_metrics(n, ignore_index=self.ignore_index, class_names=names)

    def step(self, batch: Batch, split: str) -> Tensor:
        """Cross-entropy (or the chosen loss) of one batch; update the split's metrics."""
        if "mask" not in batch:
            raise EoforgeError(
                "SegmentationTask needs batches with a 'mask'; give the data module a mask "
                "(label raster or polygons)"
            )
        logits = self(batch["image"])
        target = dense_labels(batch, self.ignore_index, int(self.hp.num_classes))
        assert self.loss_fn is not None
        if bool((target == self.ignore_index).all()):
            loss = (logits * 0).sum()  # nothing labelled here
        else:
            loss = self.loss_fn(logits, target)
        self.split_metrics(split).update(logits.argmax(dim=1), target)
        return loss  # type: ignore[no-any-return]

    def predict_step(self, batch: Batch, batch_idx: int = 0) -> Tensor:
        """Class probabilities ``(B, K, H, W)``."""
        return torch.softmax(self(batch["image"]), dim=1)
