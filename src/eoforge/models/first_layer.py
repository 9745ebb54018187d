"""Find a model's first layer: the one whose weight depends on the number of input bands.

The first layer is the first convolution (``nn.Conv1d``/``Conv2d``/``Conv3d``) in
``model.named_modules()`` order, which is the order the modules were assigned in ``__init__``.
For every timm and smp network that is the stem convolution (``conv1``, ``conv_stem``,
``stem.0``, ``encoder.model.conv1`` ...), and for a vision transformer the patch-embedding
projection (``patch_embed.proj``); for :class:`~eoforge.models.pixel_mlp.PixelMLP` the first
1x1 convolution.

Example:
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Conv2d(8, 2, 1))
    >>> first_layer_name(model)
    '0'
"""

from __future__ import annotations

from torch import nn
from torch.nn.modules.conv import _ConvNd

from eoforge.errors import ModelConfigError

__all__ = ["first_layer", "first_layer_name"]


def first_layer_name(model: nn.Module) -> str:
    """The qualified name of ``model``'s first convolution (its weight is ``<name>.weight``).

    Args:
        model: Any ``torch.nn.Module``.

    Returns:
        The name, as in ``model.named_modules()``.

    Raises:
        ModelConfigError: The model has no convolution, or its first one is grouped (its weight
            does not hold one filter slice per input band).

    Example:
        >>> from eoforge.models import build_model
        >>> first_layer_name(build_model("segmentation", backbone="resnet18"))
        'net.encoder.model.conv1'
    """
    for name, module in model.named_modules():
        if isinstance(module, _ConvNd):
            if module.groups != 1:
                raise ModelConfigError(
                    f"the first convolution {name!r} of {type(model).__name__} is grouped "
                    f"(groups={module.groups}); its input bands cannot be adapted, build the "
                    "model with the checkpoint's bands"
                )
            return str(name)
    raise ModelConfigError(
        f"{type(model).__name__} has no convolution to adapt to other input bands; build it "
        "with the checkpoint's bands"
    )


def first_layer(model: nn.Module) -> _ConvNd:
    """``model``'s first convolution (see :func:`first_layer_name`).

    Args:
        model: Any ``torch.nn.Module``.

    Returns:
        The convolution module.

    Example:
        >>> from torch import nn
        >>> first_layer(nn.Sequential(nn.Conv2d(13, 4, 1))).in_channels
        13
    """
    module = model.get_submodule(first_layer_name(model))
    assert isinstance(module, _ConvNd)
    return module
