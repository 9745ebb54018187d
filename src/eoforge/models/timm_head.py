"""Image-level models: a timm network with its own classifier head.

Registers ``"timm_head"`` for ``"classification"`` and ``"regression"``: ``timm.create_model(
backbone, pretrained=False, in_chans=in_channels, num_classes=num_outputs)``, whose output is
``(B, num_outputs)`` raw logits (single- or multi-label: the task's loss differs, the model does
not) or raw values. timm's networks pool globally, so any input size works.

Example:
    >>> import torch
    >>> model = build_timm_head(task="classification", backbone="resnet18", in_channels=13,
    ...                         num_outputs=10)
    >>> model.eval()(torch.zeros(2, 13, 45, 33)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import timm
from torch import nn

from eoforge.errors import ModelConfigError
from eoforge.models.registry import IMAGE_TASKS, register_model

__all__ = ["build_timm_head"]


@register_model("timm_head", tasks=IMAGE_TASKS)
def build_timm_head(
    *,
    task: str,
    backbone: str,
    in_channels: int,
    num_outputs: int,
    drop_rate: float = 0.0,
    global_pool: str = "avg",
) -> nn.Module:
    """A timm backbone with its classifier head, for image-level tasks.

    Args:
        task: ``"classification"`` or ``"regression"`` (the model is the same).
        backbone: A timm model name.
        in_channels: Input bands.
        num_outputs: Classes, or regressed variables.
        drop_rate: Dropout before the last layer.
        global_pool: timm's pooling (``"avg"``, ``"max"``, ``"avgmax"``, ...).

    Returns:
        The timm model.

    Raises:
        ModelConfigError: timm cannot build it with these arguments.

    Example:
        >>> model = build_timm_head(task="regression", backbone="resnet18", in_channels=1,
        ...                         num_outputs=2)
        >>> model.fc
        Linear(in_features=512, out_features=2, bias=True)
    """
    del task
    try:
        model: nn.Module = timm.create_model(
            backbone,
            pretrained=False,
            in_chans=in_channels,
            num_classes=num_outputs,
            drop_rate=drop_rate,
            global_pool=global_pool,
        )
    except (ValueError, TypeError, RuntimeError, KeyError, AssertionError) as err:
        raise ModelConfigError(
            f"cannot build timm model {backbone!r} with drop_rate={drop_rate}, "
            f"global_pool={global_pool!r}: {err}; check the options, or pick a backbone from "
            "eoforge.models.list_backbones()"
        ) from err
    return model
