"""A per-pixel multilayer perceptron: 1x1 convolutions only, so no spatial receptive field.

Each output pixel depends on that pixel's bands alone, like a random forest or a logistic
regression on pixel spectra: the baseline of pixel-wise mapping studies (e.g. rice mapping in
Bhutan from Sentinel-2 time series stacked as bands), and the model to use in tests that must
rule out any influence of neighbouring pixels. Registered as the standalone model ``"pixel_mlp"``:
``build_model("segmentation", backbone="pixel_mlp", in_channels=10, num_classes=2)``.

Example:
    >>> import torch
    >>> model = PixelMLP(4, 3, hidden_channels=8, num_layers=1)
    >>> model(torch.zeros(2, 4, 5, 7)).shape
    torch.Size([2, 3, 5, 7])
"""

from __future__ import annotations

import torch
from torch import nn

from eoforge.errors import ModelConfigError
from eoforge.models.registry import DENSE_TASKS, register_model

__all__ = ["PixelMLP", "build_pixel_mlp"]


class PixelMLP(nn.Module):
    """``num_layers`` hidden 1x1 convolutions with ReLU (and dropout), then a 1x1 output layer.

    Args:
        in_channels: Input bands.
        num_outputs: Output channels (classes, or regressed variables).
        hidden_channels: Width of every hidden layer.
        num_layers: Number of hidden layers; 0 makes a per-pixel linear model.
        dropout: Dropout probability after each hidden layer (channel-wise, per pixel).

    Attributes:
        layers: The ``nn.Sequential`` of convolutions and activations.

    Example:
        >>> model = PixelMLP(3, 2, num_layers=0)  # per-pixel logistic regression
        >>> [type(m).__name__ for m in model.layers]
        ['Conv2d']
    """

    def __init__(
        self,
        in_channels: int,
        num_outputs: int,
        *,
        hidden_channels: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if hidden_channels < 1 or num_layers < 0 or not 0.0 <= dropout < 1.0:
            raise ModelConfigError(
                f"pixel_mlp hidden_channels={hidden_channels}, num_layers={num_layers}, "
                f"dropout={dropout} is not valid; pass hidden_channels >= 1, num_layers >= 0 "
                "and 0 <= dropout < 1"
            )
        layers: list[nn.Module] = []
        width = in_channels
        for _ in range(num_layers):
            layers += [nn.Conv2d(width, hidden_channels, kernel_size=1), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden_channels
        layers.append(nn.Conv2d(width, num_outputs, kernel_size=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, in_channels, H, W)`` to ``(B, num_outputs, H, W)`` pixel by pixel."""
        out: torch.Tensor = self.layers(x)
        return out


@register_model("pixel_mlp", tasks=DENSE_TASKS, standalone=True)
def build_pixel_mlp(
    *,
    task: str,
    backbone: str,
    in_channels: int,
    num_outputs: int,
    hidden_channels: int = 64,
    num_layers: int = 2,
    dropout: float = 0.0,
) -> nn.Module:
    """Per-pixel MLP of 1x1 convolutions (no receptive field), for dense tasks.

    Args:
        task: ``"segmentation"`` or ``"dense_regression"`` (the model is the same).
        backbone: Ignored (``"pixel_mlp"``); the model has its own body.
        in_channels: Input bands.
        num_outputs: Output channels.
        hidden_channels: Width of the hidden layers.
        num_layers: Number of hidden layers.
        dropout: Dropout after each hidden layer.

    Returns:
        A :class:`PixelMLP`.

    Example:
        >>> build_pixel_mlp(task="segmentation", backbone="pixel_mlp", in_channels=2,
        ...                 num_outputs=3, num_layers=0)
        PixelMLP(
          (layers): Sequential(
            (0): Conv2d(2, 3, kernel_size=(1, 1), stride=(1, 1))
          )
        )
    """
    del task, backbone
    return PixelMLP(
        in_channels,
        num_outputs,
        hidden_channels=hidden_channels,
        num_layers=num_layers,
        dropout=dropout,
    )
