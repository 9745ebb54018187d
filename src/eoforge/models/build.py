"""Build any registered model for a task, with any number of input bands, optionally with weights.

How ``build_model``'s arguments choose the registry entry (:func:`~eoforge.models.list_models`):

- ``backbone`` names a standalone entry (``"pixel_mlp"``): that model, and ``decoder`` must be
  None or the same name;
- else ``decoder`` names the entry: a dense decoder (``"unet"``, ``"fpn"``, ``"deeplabv3plus"``,
  ``"upernet"``, ``"unet_tiny"``) for ``"segmentation"``/``"dense_regression"``, or the head
  ``"timm_head"`` for ``"classification"``/``"regression"``, built on the timm ``backbone``;
- ``decoder=None`` picks :data:`DEFAULT_MODELS` for the task (``"unet"`` for dense tasks,
  ``"timm_head"`` for image-level tasks).

Outputs are raw (no activation): ``(B, num_classes)`` for image-level tasks, ``(B, num_classes,
H, W)`` at the input's height and width for dense tasks; for regression ``num_classes`` is the
number of regressed variables. Every model is built with random weights (never a download);
``weights=`` then loads a file with :func:`~eoforge.models.weights.load_weights` (strict, the
first layer adapted by count if the file has another number of bands; call ``load_weights`` itself
to match bands by name or load partially). Options the chosen entry does not accept are refused.

Example:
    >>> import torch
    >>> model = build_model("segmentation", backbone="resnet18", decoder="fpn", in_channels=13,
    ...                     num_classes=5)
    >>> model.eval()(torch.zeros(1, 13, 70, 90)).shape
    torch.Size([1, 5, 70, 90])
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from torch import nn

from eoforge.errors import ModelConfigError
from eoforge.models.backbones import check_backbone
from eoforge.models.registry import ModelEntry, check_task, list_models, model_entry
from eoforge.models.unknown_name import unknown_name_error
from eoforge.models.weights import load_weights

__all__ = ["DEFAULT_MODELS", "build_model"]

DEFAULT_MODELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "classification": "timm_head",
        "regression": "timm_head",
        "segmentation": "unet",
        "dense_regression": "unet",
    }
)
"""The entry ``build_model`` uses for each task when ``decoder`` is None."""


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelConfigError(f"{name}={value!r} is not valid; pass an integer >= 1")
    return value


def _entry_for(task: str, backbone: str, decoder: str | None) -> ModelEntry:
    if backbone in list_models() and model_entry(backbone).standalone:
        entry = model_entry(backbone)
        if decoder not in (None, backbone):
            raise ModelConfigError(
                f"backbone={backbone!r} is a standalone model and takes no decoder; drop "
                f"decoder={decoder!r}, or pick a timm backbone for it"
            )
    else:
        name = DEFAULT_MODELS[task] if decoder is None else decoder
        on_backbone = [n for n in list_models(task) if not model_entry(n).standalone]
        if name not in list_models():
            raise unknown_name_error(
                "decoder",
                name,
                on_backbone,
                hint=f"these are the ones for task {task!r}",
            )
        entry = model_entry(name)
        if entry.standalone:
            raise ModelConfigError(
                f"{name!r} is a standalone model, not a decoder; pass backbone={name!r} and "
                "decoder=None"
            )
    if task not in entry.tasks:
        raise ModelConfigError(
            f"model {entry.name!r} does not support task {task!r} (it supports "
            f"{sorted(entry.tasks)}); for {task!r} use one of {list_models(task)}"
        )
    return entry


def build_model(
    task: str,
    *,
    backbone: str = "resnet18",
    decoder: str | None = None,
    in_channels: int = 3,
    num_classes: int = 1,
    weights: str | os.PathLike[str] | None = None,
    **options: Any,
) -> nn.Module:
    """A fresh model for ``task`` (see the module docstring for how the entry is chosen).

    Args:
        task: ``"classification"``, ``"regression"``, ``"segmentation"`` or
            ``"dense_regression"``.
        backbone: A timm model name (:func:`~eoforge.models.list_backbones` lists tested ones),
            or a standalone model such as ``"pixel_mlp"``.
        decoder: A registered decoder or head for the task; None for the task's default.
        in_channels: Input bands (>= 1).
        num_classes: Output channels: classes, or regressed variables (>= 1).
        weights: A weights file to load (``.safetensors``, ``.pt``, ``.pth``, ``.ckpt``).
        **options: The chosen entry's own options (``ModelEntry.options``, e.g.
            ``decoder_channels`` for ``"unet"``, ``hidden_channels`` for ``"pixel_mlp"``).

    Returns:
        The model, in training mode.

    Raises:
        UnknownNameError: Unknown task, backbone, decoder or option; the message lists valid ones.
        ModelConfigError: A combination that cannot be built (decoder for the wrong task, bad
            channel or class count).
        CheckpointError: ``weights`` does not fit the model.

    Example:
        >>> model = build_model("classification", backbone="resnet18", in_channels=4,
        ...                     num_classes=10)
        >>> model.conv1.in_channels, model.fc.out_features
        (4, 10)
    """
    check_task(task)
    _check_count("in_channels", in_channels)
    _check_count("num_classes", num_classes)
    entry = _entry_for(task, backbone, decoder)
    for option in options:
        if option not in entry.options:
            raise unknown_name_error(
                "option",
                option,
                entry.options,
                hint=f"those are what model {entry.name!r} accepts; remove the others",
            )
    if not entry.standalone:
        check_backbone(backbone)
    model = entry.builder(
        task=task, backbone=backbone, in_channels=in_channels, num_outputs=num_classes, **options
    )
    if weights is not None:
        load_weights(model, weights)
    return model
