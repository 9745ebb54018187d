"""Dense-task models: segmentation-models-pytorch decoders on timm feature pyramids.

Registers ``"unet"``, ``"fpn"``, ``"deeplabv3plus"``, ``"upernet"`` and ``"unet_tiny"`` for
``"segmentation"`` and ``"dense_regression"``. Each is an smp model whose encoder is smp's
timm-universal encoder (``encoder_name="tu-<timm name>"``: ``timm.create_model(name,
features_only=True, in_chans=in_channels, pretrained=False)``), so any timm backbone with a
ResNet-like or ConvNeXt-like feature pyramid works, with any number of input bands, and never a
download (``encoder_weights=None``). The smp model is wrapped in
:class:`~eoforge.models.stride_padding.StridePadded`, so that any input height and width works.

Options are the smp model's own keyword arguments (``decoder_channels``, ``encoder_depth``,
``encoder_output_stride`` for DeepLabV3+, ...), except those eoforge sets itself
(``encoder_name``, ``encoder_weights``, ``in_channels``, ``classes``, ``activation``,
``aux_params``): outputs are raw logits or values, the task applies its loss.

``"unet_tiny"`` is a U-Net with a quarter of the default decoder channels, ``(64, 32, 16, 16,
16)`` in place of ``(256, 128, 64, 32, 16)``, so that nearly all its cost is the encoder's: on the
default resnet18 backbone it has 11.8 M parameters (14.4 M for ``"unet"``) and one training step
(forward, backward, AdamW) on a ``(16, 10, 128, 128)`` batch takes about 0.6 s on 2 busy CPU
cores (0.8 s for ``"unet"``; 0.3 s with ``backbone="mobilenetv3_small_100"``): about a hundred
steps a minute.

Example:
    >>> import torch
    >>> model = build_smp_model("fpn", backbone="resnet18", in_channels=4, num_outputs=3)
    >>> model.eval()(torch.zeros(1, 4, 70, 90)).shape
    torch.Size([1, 3, 70, 90])
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import segmentation_models_pytorch as smp
from torch import nn

from eoforge.errors import ModelConfigError
from eoforge.models.registry import DENSE_TASKS, register_model
from eoforge.models.stride_padding import StridePadded

__all__ = ["SMP_ARCHITECTURES", "UNET_TINY_DECODER_CHANNELS", "build_smp_model"]

SMP_ARCHITECTURES: Final[Mapping[str, str]] = MappingProxyType(
    {"deeplabv3plus": "DeepLabV3Plus", "fpn": "FPN", "unet": "Unet", "upernet": "UPerNet"}
)
"""eoforge decoder name -> smp model class name."""

UNET_TINY_DECODER_CHANNELS: Final[tuple[int, ...]] = (64, 32, 16, 16, 16)
"""Decoder channels of ``"unet_tiny"``, from the deepest stage to full resolution."""

_SET_BY_EOFORGE: Final = frozenset(
    {"self", "encoder_name", "encoder_weights", "in_channels", "classes", "activation"}
    | {"aux_params", "kwargs"}
)


def _smp_options(architecture: str) -> tuple[str, ...]:
    cls = getattr(smp, SMP_ARCHITECTURES[architecture])
    names = inspect.signature(cls.__init__).parameters
    return tuple(name for name in names if name not in _SET_BY_EOFORGE)


def build_smp_model(
    architecture: str, *, backbone: str, in_channels: int, num_outputs: int, **options: Any
) -> nn.Module:
    """An smp ``architecture`` on the timm ``backbone``, padded to accept any input size.

    Args:
        architecture: A key of :data:`SMP_ARCHITECTURES`.
        backbone: A timm model name.
        in_channels: Input bands.
        num_outputs: Output channels.
        **options: Keyword arguments of the smp model class.

    Returns:
        A :class:`~eoforge.models.stride_padding.StridePadded` smp model.

    Raises:
        ModelConfigError: smp or timm cannot build this combination; the message says why.

    Example:
        >>> model = build_smp_model("deeplabv3plus", backbone="resnet18", in_channels=1,
        ...                         num_outputs=2)
        >>> model.multiple
        16
    """
    cls = getattr(smp, SMP_ARCHITECTURES[architecture])
    try:
        net = cls(
            encoder_name=f"tu-{backbone}",
            encoder_weights=None,
            in_channels=in_channels,
            classes=num_outputs,
            **options,
        )
    except (ValueError, TypeError, RuntimeError, KeyError, AssertionError) as err:
        raise ModelConfigError(
            f"cannot build decoder {architecture!r} on backbone {backbone!r} with options "
            f"{options}: {err}; pick a backbone from eoforge.models.list_backbones() or change "
            "the options"
        ) from err
    return StridePadded(net, multiple=int(net.encoder.output_stride))


def _register(name: str, architecture: str, summary: str, **defaults: Any) -> None:
    def build(
        *, task: str, backbone: str, in_channels: int, num_outputs: int, **options: Any
    ) -> nn.Module:
        del task  # segmentation and dense regression share the model; the loss differs
        return build_smp_model(
            architecture,
            backbone=backbone,
            in_channels=in_channels,
            num_outputs=num_outputs,
            **(defaults | options),
        )

    build.__doc__ = summary
    build.__name__ = build.__qualname__ = f"build_{name}"
    register_model(name, tasks=DENSE_TASKS, options=_smp_options(architecture))(build)


_register("unet", "unet", "U-Net decoder (smp Unet) on a timm backbone.")
_register("fpn", "fpn", "Feature Pyramid Network decoder (smp FPN) on a timm backbone.")
_register(
    "deeplabv3plus", "deeplabv3plus", "DeepLabV3+ decoder (smp DeepLabV3Plus) on a timm backbone."
)
_register("upernet", "upernet", "UPerNet decoder (smp UPerNet) on a timm backbone.")
_register(
    "unet_tiny",
    "unet",
    "U-Net with small decoder channels (64, 32, 16, 16, 16), fast enough for CPU training.",
    decoder_channels=UNET_TINY_DECODER_CHANNELS,
)
