"""The model registry, the backbone list, and the errors for names eoforge does not know."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import timm
import torch
from torch import nn

from eoforge.errors import ModelConfigError, UnknownNameError
from eoforge.models import (
    DEFAULT_MODELS,
    TASKS,
    build_model,
    check_backbone,
    list_backbones,
    list_models,
    model_entry,
    register_model,
)
from eoforge.models import registry as registry_module


@pytest.fixture
def clean_registry() -> Iterator[None]:
    before = dict(registry_module._REGISTRY)
    yield
    registry_module._REGISTRY.clear()
    registry_module._REGISTRY.update(before)


def test_builtin_models_per_task() -> None:
    dense = ["deeplabv3plus", "fpn", "pixel_mlp", "unet", "unet_tiny", "upernet"]
    assert list_models("segmentation") == dense
    assert list_models("dense_regression") == dense
    assert list_models("classification") == list_models("regression") == ["timm_head"]
    assert list_models() == sorted([*dense, "timm_head"])
    for task, name in DEFAULT_MODELS.items():
        assert name in list_models(task)


def test_entry_options_come_from_the_builders() -> None:
    assert model_entry("pixel_mlp").options == ("hidden_channels", "num_layers", "dropout")
    assert model_entry("timm_head").options == ("drop_rate", "global_pool")
    unet = model_entry("unet").options
    assert "decoder_channels" in unet and "encoder_depth" in unet
    assert not {"encoder_name", "encoder_weights", "in_channels", "classes"} & set(unet)
    assert "encoder_output_stride" in model_entry("deeplabv3plus").options
    assert all(model_entry(n).summary for n in list_models())


def test_registering_a_model_makes_it_buildable(clean_registry: None) -> None:
    @register_model("mean_band", tasks=["segmentation"], standalone=True)
    def build_mean_band(
        *, task: str, backbone: str, in_channels: int, num_outputs: int, scale: float = 1.0
    ) -> nn.Module:
        """Mean over bands times a scale."""
        conv = nn.Conv2d(in_channels, num_outputs, 1, bias=False)
        nn.init.constant_(conv.weight, scale / in_channels)
        return conv

    assert "mean_band" in list_models("segmentation")
    assert "mean_band" not in list_models("classification")
    entry = model_entry("mean_band")
    assert entry.options == ("scale",) and entry.summary == "Mean over bands times a scale."
    model = build_model("segmentation", backbone="mean_band", in_channels=4, scale=2.0)
    x = torch.rand(1, 4, 3, 5)
    torch.testing.assert_close(model(x), 2.0 * x.mean(dim=1, keepdim=True))
    with pytest.raises(UnknownNameError, match="did you mean 'scale'"):
        build_model("segmentation", backbone="mean_band", scael=2.0)


def test_registration_errors(clean_registry: None) -> None:
    def builder(*, task: str, backbone: str, in_channels: int, num_outputs: int) -> nn.Module:
        return nn.Identity()

    with pytest.raises(ModelConfigError, match="'unet' is already registered"):
        register_model("unet", tasks=["segmentation"])(builder)
    with pytest.raises(UnknownNameError, match="did you mean 'segmentation'"):
        register_model("mine", tasks=["segmantation"])
    with pytest.raises(ModelConfigError, match="no task"):
        register_model("mine", tasks=[])


def test_unknown_model_and_task_names() -> None:
    with pytest.raises(UnknownNameError) as err:
        model_entry("fnp")
    assert "did you mean 'fpn'" in str(err.value)
    assert all(f"'{name}'" in str(err.value) for name in list_models())
    with pytest.raises(
        UnknownNameError, match=f"Valid tasks: {', '.join(map(repr, sorted(TASKS)))}"
    ):
        list_models("detection")
    with pytest.raises(UnknownNameError) as err:
        model_entry("zzzz")
    assert "did you mean" not in str(err.value)  # no close name, no suggestion


def test_curated_backbones_are_timm_models() -> None:
    backbones = list_backbones()
    assert backbones == sorted(backbones) and "resnet18" in backbones
    assert all(timm.is_model(name) for name in backbones)
    assert check_backbone("resnet18.a1_in1k") == "resnet18.a1_in1k"  # tags are allowed
    assert check_backbone("resnet26") == "resnet26"  # any timm name, curated or not
    with pytest.raises(UnknownNameError) as err:
        check_backbone("efficentnet_b0")
    message = str(err.value)
    assert "did you mean 'efficientnet_b0'" in message and "'convnext_atto'" in message
    # the suggestion comes from all timm names, not only the curated ones
    with pytest.raises(UnknownNameError, match="did you mean 'resnet152d'"):
        check_backbone("resnet152dd")
