"""PixelMLP: a per-pixel model, with no receptive field."""

from __future__ import annotations

import pytest
import torch

from eoforge.errors import ModelConfigError
from eoforge.models import PixelMLP, build_model


def test_each_output_pixel_depends_on_its_own_pixel_only() -> None:
    torch.manual_seed(0)
    model = build_model("segmentation", backbone="pixel_mlp", in_channels=5, num_classes=3)
    x = torch.randn(2, 5, 9, 11)
    changed = x.clone()
    changed[1, :, 4, 7] += 10.0
    with torch.no_grad():
        diff = (model(changed) - model(x)).abs().sum(dim=1)
    assert diff[1, 4, 7] > 0
    diff[1, 4, 7] = 0
    assert torch.count_nonzero(diff) == 0


def test_it_is_the_same_mlp_applied_to_every_pixel_spectrum() -> None:
    torch.manual_seed(0)
    model = PixelMLP(4, 2, hidden_channels=6, num_layers=2)
    convs = [m for m in model.layers if isinstance(m, torch.nn.Conv2d)]
    x = torch.randn(3, 4, 5, 6)
    spectra = x.permute(0, 2, 3, 1).reshape(-1, 4)  # one row per pixel
    h = spectra
    for i, conv in enumerate(convs):  # reference: the layers as matrix products
        h = h @ conv.weight[:, :, 0, 0].T + conv.bias
        if i < len(convs) - 1:
            h = torch.relu(h)
    expected = h.reshape(3, 5, 6, 2).permute(0, 3, 1, 2)
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


def test_zero_hidden_layers_is_linear() -> None:
    model = PixelMLP(3, 1, num_layers=0)
    x, y = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4)
    bias = model(torch.zeros(1, 3, 4, 4))
    with torch.no_grad():
        torch.testing.assert_close(model(x + y) - bias, (model(x) - bias) + (model(y) - bias))


def test_dropout_is_a_layer_and_invalid_settings_are_refused() -> None:
    model = PixelMLP(3, 2, num_layers=1, dropout=0.5)
    assert any(isinstance(m, torch.nn.Dropout) for m in model.layers)
    for bad in ({"hidden_channels": 0}, {"num_layers": -1}, {"dropout": 1.0}):
        with pytest.raises(ModelConfigError, match="pixel_mlp"):
            PixelMLP(3, 2, **bad)  # type: ignore[arg-type]
