"""The losses tasks train with, chosen by name; masked variants for sparse and unlabelled pixels.

- classification / segmentation: ``"ce"`` (cross-entropy with optional class weights and ignore
  index), ``"focal"`` (γ = 2), ``"dice"`` (soft Dice over classes), ``"ce+dice"`` (their sum);
- multi-label: ``"bce"`` (binary cross-entropy on logits, optional per-class positive weights),
  ``"focal"``;
- regression: ``"mse"``, ``"huber"`` (δ = 1), ``"l1"`` — over **labelled values only**: a target
  that is NaN (no label, e.g. a pixel without a GEDI footprint) or outside ``valid`` contributes
  neither to the loss nor to its gradient. A batch without any labelled value gives a zero loss
  that still back-propagates (zero gradients), so training never stalls on an empty batch.

Focal and Dice come from segmentation-models-pytorch.

Example:
    >>> import torch
    >>> loss = regression_loss("mse")
    >>> pred, target = torch.tensor([1.0, 5.0, 3.0]), torch.tensor([0.0, float("nan"), 3.0])
    >>> float(loss(pred, target))   # the NaN target is unlabelled: mean of 1 and 0
    0.5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import segmentation_models_pytorch as smp
import torch
from torch import Tensor, nn

from eoforge.errors import ConfigError

__all__ = [
    "CLASSIFICATION_LOSSES",
    "MULTILABEL_LOSSES",
    "REGRESSION_LOSSES",
    "class_loss",
    "multilabel_loss",
    "regression_loss",
]

CLASSIFICATION_LOSSES = ("ce", "focal", "dice", "ce+dice")
MULTILABEL_LOSSES = ("bce", "focal")
REGRESSION_LOSSES = ("mse", "huber", "l1")

Loss = Callable[[Tensor, Tensor], Tensor]


def _unknown(kind: str, name: str, known: Sequence[str]) -> ConfigError:
    return ConfigError(f"loss={name!r} is not a {kind} loss; use one of {', '.join(known)}")


def _weights(class_weights: Sequence[float] | None, num_classes: int) -> Tensor | None:
    if class_weights is None:
        return None
    if len(class_weights) != num_classes or any(w < 0 for w in class_weights):
        raise ConfigError(
            f"class_weights={list(class_weights)} must hold {num_classes} non-negative values, "
            "one per class"
        )
    return torch.tensor([float(w) for w in class_weights])


class _Sum(nn.Module):
    def __init__(self, *losses: nn.Module) -> None:
        super().__init__()
        self.losses = nn.ModuleList(losses)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return sum((loss(logits, target) for loss in self.losses), torch.zeros(()))


def class_loss(
    name: str,
    num_classes: int,
    *,
    class_weights: Sequence[float] | None = None,
    ignore_index: int | None = None,
) -> nn.Module:
    """A multi-class loss on logits ``(B, K[, H, W])`` and class ids ``(B[, H, W])``.

    Args:
        name: one of :data:`CLASSIFICATION_LOSSES`.
        num_classes: number of classes ``K``.
        class_weights: per-class weights (``"ce"``, ``"ce+dice"``; Dice and focal ignore them).
        ignore_index: a target value that contributes nothing.

    Example:
        >>> loss = class_loss("ce", 3, ignore_index=255)
        >>> logits = torch.zeros(1, 3, 2, 2)
        >>> round(float(loss(logits, torch.tensor([[[0, 1], [2, 255]]]))), 4)  # log(3)
        1.0986
    """
    weight = _weights(class_weights, num_classes)
    ignore = -100 if ignore_index is None else ignore_index
    if name == "ce":
        return nn.CrossEntropyLoss(weight=weight, ignore_index=ignore)
    if name == "focal":
        return cast(nn.Module, smp.losses.FocalLoss("multiclass", ignore_index=ignore_index))
    if name == "dice":
        return cast(nn.Module, smp.losses.DiceLoss("multiclass", ignore_index=ignore_index))
    if name == "ce+dice":
        return _Sum(
            nn.CrossEntropyLoss(weight=weight, ignore_index=ignore),
            smp.losses.DiceLoss("multiclass", ignore_index=ignore_index),
        )
    raise _unknown("classification/segmentation", name, CLASSIFICATION_LOSSES)


def multilabel_loss(
    name: str, num_classes: int, *, pos_weight: Sequence[float] | None = None
) -> nn.Module:
    """A multi-label loss on logits ``(B, K)`` and 0/1 targets ``(B, K)``.

    Example:
        >>> loss = multilabel_loss("bce", 2)
        >>> round(float(loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))), 4)  # log(2)
        0.6931
    """
    if name == "bce":
        return nn.BCEWithLogitsLoss(pos_weight=_weights(pos_weight, num_classes))
    if name == "focal":
        return cast(nn.Module, smp.losses.FocalLoss("multilabel"))
    raise _unknown("multi-label", name, MULTILABEL_LOSSES)


class MaskedRegressionLoss(nn.Module):
    """An element-wise regression loss averaged over the labelled (finite) targets only.

    Args:
        elementwise: the unreduced loss, e.g. ``nn.MSELoss(reduction="none")``.
    """

    def __init__(self, elementwise: nn.Module) -> None:
        super().__init__()
        self.elementwise = elementwise

    def forward(self, pred: Tensor, target: Tensor, valid: Tensor | None = None) -> Tensor:
        """Mean loss over elements whose target is finite (and ``valid``, when given)."""
        labelled = torch.isfinite(target)
        if valid is not None:
            labelled &= valid
        if not bool(labelled.any()):
            return (pred * 0).sum()  # zero, with a (zero) gradient for every parameter
        return self.elementwise(pred[labelled], target[labelled]).mean()  # type: ignore[no-any-return]


def regression_loss(name: str) -> MaskedRegressionLoss:
    """A regression loss over labelled values (see :class:`MaskedRegressionLoss`).

    Example:
        >>> float(regression_loss("l1")(torch.tensor([2.0]), torch.tensor([0.0])))
        2.0
    """
    losses: dict[str, nn.Module] = {
        "mse": nn.MSELoss(reduction="none"),
        "huber": nn.HuberLoss(reduction="none", delta=1.0),
        "l1": nn.L1Loss(reduction="none"),
    }
    if name not in losses:
        raise _unknown("regression", name, REGRESSION_LOSSES)
    return MaskedRegressionLoss(losses[name])
