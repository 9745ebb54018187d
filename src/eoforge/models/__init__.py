"""Models for Earth-observation tasks: one builder, a registry, and weight loading.

- :func:`build_model` — a classification/regression network (timm, with its head) or a
  segmentation/dense-regression network (smp decoder on a timm backbone, or the per-pixel
  :class:`PixelMLP`), for any number of input bands and any input size;
- :func:`register_model`, :func:`list_models`, :func:`list_backbones` — what can be built;
- :func:`load_weights` — ``.safetensors``, ``.pt``/``.pth`` and Lightning ``.ckpt`` files, with key
  prefixes matched and the first layer adapted to other bands (:func:`adapt_first_layer`).

``eoforge.models`` imports neither ``eoforge.data`` nor ``eoforge.tasks``.

Example:
    >>> import torch
    >>> from eoforge.models import build_model
    >>> model = build_model("dense_regression", backbone="pixel_mlp", in_channels=4)
    >>> model(torch.zeros(2, 4, 7, 9)).shape
    torch.Size([2, 1, 7, 9])
"""

from __future__ import annotations

# Importing the builder modules registers their models.
from eoforge.models import pixel_mlp as _pixel_mlp
from eoforge.models import smp_decoders as _smp_decoders
from eoforge.models import timm_head as _timm_head
from eoforge.models.backbones import CURATED_BACKBONES, check_backbone, list_backbones
from eoforge.models.band_adaptation import adapt_first_layer
from eoforge.models.build import DEFAULT_MODELS, build_model
from eoforge.models.checkpoint_reading import read_state_dict
from eoforge.models.first_layer import first_layer, first_layer_name
from eoforge.models.key_matching import KeyMatch, match_keys
from eoforge.models.pixel_mlp import PixelMLP
from eoforge.models.registry import (
    DENSE_TASKS,
    IMAGE_TASKS,
    TASKS,
    ModelEntry,
    list_models,
    model_entry,
    register_model,
)
from eoforge.models.stride_padding import StridePadded
from eoforge.models.weights import WeightsReport, load_weights

del _pixel_mlp, _smp_decoders, _timm_head

__all__ = [
    "CURATED_BACKBONES",
    "DEFAULT_MODELS",
    "DENSE_TASKS",
    "IMAGE_TASKS",
    "TASKS",
    "KeyMatch",
    "ModelEntry",
    "PixelMLP",
    "StridePadded",
    "WeightsReport",
    "adapt_first_layer",
    "build_model",
    "check_backbone",
    "first_layer",
    "first_layer_name",
    "list_backbones",
    "list_models",
    "load_weights",
    "match_keys",
    "model_entry",
    "read_state_dict",
    "register_model",
]
