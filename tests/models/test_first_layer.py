"""first_layer_name: the layer whose weight has one slice per input band."""

from __future__ import annotations

import pytest
from torch import nn

from eoforge.errors import ModelConfigError
from eoforge.models import build_model, first_layer, first_layer_name


@pytest.mark.parametrize(
    ("task", "backbone", "decoder", "expected"),
    [
        ("classification", "resnet18", None, "conv1"),
        ("classification", "efficientnet_b0", None, "conv_stem"),
        ("classification", "convnext_atto", None, "stem.0"),
        ("segmentation", "resnet18", "fpn", "net.encoder.model.conv1"),
        ("segmentation", "mobilenetv3_small_100", "unet", "net.encoder.model.conv_stem"),
        ("segmentation", "pixel_mlp", None, "layers.0"),
    ],
)
def test_first_layer_of_built_models(
    task: str, backbone: str, decoder: str | None, expected: str
) -> None:
    model = build_model(task, backbone=backbone, decoder=decoder, in_channels=7)
    assert first_layer_name(model) == expected
    assert first_layer(model).in_channels == 7


def test_vit_patch_embedding() -> None:
    import timm

    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, in_chans=6, img_size=32)
    assert first_layer_name(vit) == "patch_embed.proj"


def test_models_without_an_adaptable_first_layer() -> None:
    with pytest.raises(ModelConfigError, match="no convolution"):
        first_layer_name(nn.Sequential(nn.Linear(3, 2)))
    with pytest.raises(ModelConfigError, match="grouped"):
        first_layer_name(nn.Sequential(nn.Conv2d(4, 4, 3, groups=4)))
