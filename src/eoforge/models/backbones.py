"""The timm backbones eoforge is tested with, and the check that a backbone name exists.

Any timm model name is accepted (``timm.list_models()`` lists them; a pretrained tag such as
``"resnet18.a1_in1k"`` is allowed and ignored, since eoforge always builds with
``pretrained=False``). :data:`CURATED_BACKBONES` are the ones the test suite builds with every
registered head and decoder, for 1, 4 and 13 input bands: convolutional networks with a
2-4-8-16-32 (ResNet-like) or 4-8-16-32 (ConvNeXt-like) feature pyramid that accept any input size.

Example:
    >>> "resnet18" in list_backbones()
    True
    >>> check_backbone("efficientnet_b0")
    'efficientnet_b0'
"""

from __future__ import annotations

from typing import Final

import timm

from eoforge.models.unknown_name import unknown_name_error

__all__ = ["CURATED_BACKBONES", "check_backbone", "list_backbones"]

CURATED_BACKBONES: Final[tuple[str, ...]] = (
    "convnext_atto",
    "convnext_tiny",
    "efficientnet_b0",
    "efficientnet_b2",
    "mobilenetv3_large_100",
    "mobilenetv3_small_100",
    "regnety_004",
    "resnet10t",
    "resnet18",
    "resnet34",
    "resnet50",
)
"""timm backbones known to work with every registered head and decoder."""


def list_backbones() -> list[str]:
    """The curated timm backbones known to work with every registered model, sorted.

    Returns:
        Names to pass as ``backbone=`` to :func:`~eoforge.models.build_model`.

    Example:
        >>> list_backbones()[:2]
        ['convnext_atto', 'convnext_tiny']
    """
    return sorted(CURATED_BACKBONES)


def check_backbone(name: str) -> str:
    """Return ``name`` if timm knows it as a model, else raise an error with close names.

    Args:
        name: A timm model name, optionally with a pretrained tag (``"resnet18.a1_in1k"``).

    Returns:
        The same name.

    Raises:
        UnknownNameError: timm has no such model; the message suggests the closest timm name and
            lists the curated backbones.

    Example:
        >>> check_backbone("resnet18")
        'resnet18'
    """
    if name in CURATED_BACKBONES or timm.is_model(name):
        return name
    raise unknown_name_error(
        "backbone",
        name,
        CURATED_BACKBONES,
        candidates=timm.list_models(),
        hint="Any name from timm.list_models() also works",
    )
