"""build_model: every registered model x every task it supports, any band count, odd sizes."""

from __future__ import annotations

import pytest
import torch

from eoforge.errors import ModelConfigError, UnknownNameError
from eoforge.models import (
    CURATED_BACKBONES,
    DENSE_TASKS,
    IMAGE_TASKS,
    StridePadded,
    build_model,
    first_layer,
    list_models,
    model_entry,
)

MODEL_TASKS = [(name, task) for name in list_models() for task in sorted(model_entry(name).tasks)]
FAST_BACKBONES = ["resnet18", "efficientnet_b0", "mobilenetv3_small_100", "convnext_atto"]


def _build(name: str, task: str, **kwargs: object) -> torch.nn.Module:
    if model_entry(name).standalone:
        return build_model(task, backbone=name, **kwargs)  # type: ignore[arg-type]
    return build_model(task, decoder=name, **kwargs)  # type: ignore[arg-type]


def test_every_task_has_a_model() -> None:
    assert {task for _, task in MODEL_TASKS} == IMAGE_TASKS | DENSE_TASKS


@pytest.mark.parametrize("in_channels", [1, 4, 13])
@pytest.mark.parametrize(("name", "task"), MODEL_TASKS)
def test_output_shape_on_odd_sizes(name: str, task: str, in_channels: int) -> None:
    torch.manual_seed(0)
    model = _build(name, task, in_channels=in_channels, num_classes=3).eval()
    assert first_layer(model).in_channels == in_channels
    x = torch.randn(2, in_channels, 70, 90)
    with torch.no_grad():
        out = model(x)
        other = model(x.flip(-1))
    expected = (2, 3) if task in IMAGE_TASKS else (2, 3, 70, 90)
    assert out.shape == expected
    assert torch.isfinite(out).all()
    assert not torch.allclose(out, other)  # the output depends on the input


@pytest.mark.parametrize("name", [n for n in list_models("segmentation") if n != "pixel_mlp"])
def test_dense_models_are_padded_to_their_stride(name: str) -> None:
    model = build_model("segmentation", decoder=name, in_channels=2).eval()
    assert isinstance(model, StridePadded)
    multiple = model.multiple
    if model.net.requires_divisible_input_shape:  # smp's U-Net resizes its skips itself
        with pytest.raises(RuntimeError, match="divisible"):  # the bare smp network refuses
            model.net(torch.zeros(1, 2, multiple + 1, multiple))
    x = torch.randn(1, 2, 2 * multiple, multiple)
    with torch.no_grad():  # no padding on multiples: the wrapper is transparent
        assert torch.equal(model(x), model.net(x))


@pytest.mark.parametrize("backbone", FAST_BACKBONES)
@pytest.mark.parametrize("task", ["classification", "segmentation"])
def test_fast_curated_backbones(backbone: str, task: str) -> None:
    model = build_model(task, backbone=backbone, in_channels=5, num_classes=4).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 5, 33, 47))
    assert out.shape == ((1, 4) if task == "classification" else (1, 4, 33, 47))


@pytest.mark.slow
@pytest.mark.parametrize("backbone", CURATED_BACKBONES)
@pytest.mark.parametrize(
    ("name", "task"),  # regression and dense regression build the same models
    [(n, t) for n, t in MODEL_TASKS if n != "pixel_mlp" and "regression" not in t],
)
def test_every_curated_backbone_with_every_model(backbone: str, name: str, task: str) -> None:
    model = build_model(task, backbone=backbone, decoder=name, in_channels=13, num_classes=2)
    with torch.no_grad():
        out = model.eval()(torch.randn(1, 13, 45, 61))
    assert out.shape == ((1, 2) if task in IMAGE_TASKS else (1, 2, 45, 61))


def test_regression_outputs_num_classes_values() -> None:
    model = build_model("regression", backbone="resnet18", in_channels=2, num_classes=7).eval()
    with torch.no_grad():
        assert model(torch.randn(3, 2, 32, 32)).shape == (3, 7)


def test_options_reach_the_model() -> None:
    mlp = build_model("segmentation", backbone="pixel_mlp", hidden_channels=5, num_layers=3)
    convs = [m for m in mlp.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [5, 5, 5, 1]
    unet = build_model("segmentation", decoder="unet", decoder_channels=(8, 8, 8, 8, 8))
    tiny = build_model("segmentation", decoder="unet_tiny")
    sizes = [sum(p.numel() for p in m.net.decoder.parameters()) for m in (unet, tiny)]
    assert sizes[0] < sizes[1]
    deeplab = build_model("segmentation", decoder="deeplabv3plus", encoder_output_stride=8)
    assert isinstance(deeplab, StridePadded) and deeplab.multiple == 8


def test_unet_tiny_is_smaller_than_unet() -> None:
    def count(model: torch.nn.Module) -> int:
        return sum(p.numel() for p in model.parameters())

    unet = build_model("segmentation", decoder="unet", in_channels=10)
    tiny = build_model("segmentation", decoder="unet_tiny", in_channels=10)
    assert count(tiny.net.decoder) * 4 < count(unet.net.decoder)


def test_unknown_option_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(UnknownNameError) as err:
        build_model("segmentation", backbone="pixel_mlp", hiden_channels=3)
    message = str(err.value)
    assert "'hiden_channels'" in message and "did you mean 'hidden_channels'" in message
    assert "'num_layers'" in message and "pixel_mlp" in message
    with pytest.raises(UnknownNameError, match="'encoder_name'"):
        build_model("segmentation", decoder="unet", encoder_name="tu-resnet34")
    with pytest.raises(UnknownNameError, match="drop_rate"):
        build_model("classification", dropout=0.1)


def test_unknown_names() -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean 'segmentation'.*'regression'"):
        build_model("segmentaton")
    with pytest.raises(UnknownNameError, match=r"did you mean 'unet'.*'upernet'") as err:
        build_model("segmentation", decoder="unte")
    assert "'timm_head'" not in str(err.value)  # only the decoders of the task are listed
    with pytest.raises(UnknownNameError, match=r"did you mean 'resnet18'.*timm.list_models"):
        build_model("classification", backbone="resnt18")


def test_combinations_that_cannot_be_built() -> None:
    with pytest.raises(ModelConfigError, match=r"'unet' does not support task 'classification'"):
        build_model("classification", decoder="unet")
    with pytest.raises(ModelConfigError, match=r"timm_head"):
        build_model("segmentation", decoder="timm_head")
    with pytest.raises(ModelConfigError, match=r"standalone.*drop decoder='fpn'"):
        build_model("segmentation", backbone="pixel_mlp", decoder="fpn")
    with pytest.raises(ModelConfigError, match=r"backbone='pixel_mlp'"):
        build_model("segmentation", decoder="pixel_mlp")
    with pytest.raises(ModelConfigError, match=r"pixel_mlp.*segmentation"):
        build_model("classification", backbone="pixel_mlp")
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ModelConfigError, match="in_channels"):
            build_model("segmentation", backbone="pixel_mlp", in_channels=bad)  # type: ignore[arg-type]
    with pytest.raises(ModelConfigError, match="num_classes=0"):
        build_model("classification", num_classes=0)


def test_a_backbone_smp_cannot_use_gives_a_clear_error() -> None:
    # a plain ViT has no feature pyramid for a U-Net
    with pytest.raises(ModelConfigError, match=r"'vit_tiny_patch16_224'.*list_backbones"):
        build_model("segmentation", backbone="vit_tiny_patch16_224", decoder="unet")


def test_bad_input_rank_is_explained() -> None:
    model = build_model("segmentation", decoder="fpn", in_channels=3)
    with pytest.raises(ModelConfigError, match=r"x\[None\]"):
        model(torch.zeros(3, 64, 64))
