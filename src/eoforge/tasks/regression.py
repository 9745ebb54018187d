"""``RegressionTask``: a value per image or per pixel, with sparse labels where they are sparse.

Batches carry ``image`` and ``target``: one value per image (B,) or (B, K), or a dense map
(B, H, W) with ``dense=True``. Targets that are NaN are **unlabelled**: for biomass from GEDI
footprints, say, only the few pixels under a footprint hold a value. They, and pixels that are not
``valid``, count neither in the loss (no gradient) nor in the metrics (RMSE, MAE, R²).

Example:
    >>> import torch
    >>> task = RegressionTask(backbone="pixel_mlp", dense=True, data_info={"bands": ["B04"]})
    >>> target = torch.full((1, 4, 4), float("nan")); target[0, 1, 2] = 3.0
    >>> batch = {"image": torch.rand(1, 1, 4, 4), "target": target}
    >>> float(task.step(batch, "train")) >= 0
    True
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torchmetrics import MetricCollection

from eoforge.errors import EoforgeError
from eoforge.tasks.base_task import Batch, EOTask
from eoforge.tasks.data_info import DataInfo
from eoforge.tasks.losses import regression_loss
from eoforge.tasks.metric_sets import labelled_pairs, regression_metrics

__all__ = ["RegressionTask"]


class RegressionTask(EOTask):
    """Scalar or dense regression; only labelled (finite, valid) targets count.

    Args:
        dense: a value per pixel (a dense decoder) instead of per image.
        loss: ``"mse"``, ``"huber"`` or ``"l1"``.
        num_outputs: regressed variables per image/pixel (default 1).
        **kwargs: the shared arguments of :class:`~eoforge.tasks.EOTask`.
    """

    def __init__(
        self,
        num_outputs: int = 1,
        dense: bool = False,
        loss: str = "mse",
        **kwargs: Any,
    ) -> None:
        self.dense_kind = "dense_regression" if dense else "regression"
        kwargs.pop("num_classes", None)  # a checkpoint's hyper-parameters repeat num_outputs
        super().__init__(num_classes=num_outputs, **kwargs)

    @property
    def model_task(self) -> str:
        """``"dense_regression"`` or ``"regression"``."""
        return self.dense_kind

    def default_num_classes(self, info: DataInfo) -> int:
        """One output per regressed variable."""
        return int(self.hp.num_outputs)

    def build_loss(self, info: DataInfo) -> nn.Module:
        """The masked regression loss."""
        return regression_loss(self.hp.loss)

    def build_metrics(self, info: DataInfo) -> MetricCollection:
        """RMSE, MAE, R² over labelled values."""
        return regression_metrics()

    def _outputs(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor | None]:
        if "target" not in batch:
            raise EoforgeError("RegressionTask needs batches with a 'target'")
        pred = self(batch["image"])
        target = batch["target"].float()
        valid = batch.get("valid") if self.hp.dense else None
        if self.hp.dense:
            if target.ndim == 3:  # (B, H, W): one variable
                target = target[:, None]
            if isinstance(valid, Tensor):
                valid = valid.bool()[:, None].expand_as(target)
        elif target.ndim == 1:
            target = target[:, None]
        if pred.shape != target.shape:
            raise EoforgeError(
                f"targets have shape {tuple(target.shape)} but the model gives "
                f"{tuple(pred.shape)}; set num_outputs (and dense) to match the targets"
            )
        return pred, target, valid if isinstance(valid, Tensor) else None

    def step(self, batch: Batch, split: str) -> Tensor:
        """Masked loss of one batch; update the split's metrics with labelled values."""
        pred, target, valid = self._outputs(batch)
        assert self.loss_fn is not None
        loss = self.loss_fn(pred, target, valid)
        labelled_pred, labelled_target = labelled_pairs(pred.detach(), target, valid)
        if labelled_target.numel():
            self.split_metrics(split).update(labelled_pred, labelled_target)
        return loss  # type: ignore[no-any-return]

    def predict_step(self, batch: Batch, batch_idx: int = 0) -> Tensor:
        """The predicted values."""
        return self(batch["image"])  # type: ignore[no-any-return]
