"""Run a dense model on any input size: pad to its stride, predict, crop back.

Encoder-decoder networks halve the resolution several times and add the upsampled maps back onto
the skip connections, so their height and width must be multiples of the encoder's output stride
(32 for a five-stage ResNet). :class:`StridePadded` pads the bottom and right edges of the input
up to the next multiple, replicating the edge pixels (a valid, in-distribution value for every
band; mirroring would fail for pads larger than the input), runs the network, and crops the
output back to the input's height and width. The top-left pixel stays the origin of the stride
lattice, so neighbouring tiles of one scene are aligned the same way.

Example:
    >>> import torch
    >>> from torch import nn
    >>> model = StridePadded(nn.Conv2d(2, 3, 1), multiple=32)
    >>> model(torch.zeros(1, 2, 70, 90)).shape
    torch.Size([1, 3, 70, 90])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from eoforge.errors import ModelConfigError

__all__ = ["StridePadded", "padding_to_multiple"]


def padding_to_multiple(size: int, multiple: int) -> int:
    """How many pixels to add to ``size`` to reach the next multiple of ``multiple``.

    Args:
        size: A height or width.
        multiple: The stride the size must be a multiple of (>= 1).

    Returns:
        The padding, in ``[0, multiple)``.

    Example:
        >>> padding_to_multiple(70, 32), padding_to_multiple(64, 32)
        (26, 0)
    """
    return -size % multiple


class StridePadded(nn.Module):
    """Wraps a dense network so that it accepts any height and width.

    Args:
        net: A network mapping ``(B, C, H, W)`` to ``(B, K, H, W)`` for H, W multiples of
            ``multiple``.
        multiple: The height and width multiple ``net`` needs (its output stride).

    Attributes:
        net: The wrapped network (its state-dict keys start with ``net.``).
        multiple: The height and width multiple ``net`` needs.

    Example:
        >>> import torch
        >>> model = StridePadded(nn.Identity(), multiple=8)
        >>> x = torch.rand(2, 1, 5, 13)
        >>> torch.equal(model(x), x)
        True
    """

    def __init__(self, net: nn.Module, multiple: int) -> None:
        super().__init__()
        if multiple < 1:
            raise ModelConfigError(f"stride multiple={multiple} is not valid; pass an integer >= 1")
        self.net = net
        self.multiple = int(multiple)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict on ``x`` of shape ``(B, C, H, W)``; the output has the same H and W."""
        if x.ndim != 4:
            raise ModelConfigError(
                f"input of shape {tuple(x.shape)} is not a (batch, bands, height, width) "
                "tensor; add the batch dimension with x[None] for a single image"
            )
        height, width = x.shape[-2:]
        pad_h = padding_to_multiple(height, self.multiple)
        pad_w = padding_to_multiple(width, self.multiple)
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        out: torch.Tensor = self.net(x)
        return out[..., :height, :width]

    def extra_repr(self) -> str:
        """The multiple, shown by ``print(model)``."""
        return f"multiple={self.multiple}"
