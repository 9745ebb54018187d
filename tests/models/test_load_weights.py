"""Weights files: round trips in every format, prefix matching, clear errors, band adaptation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from eoforge.errors import CheckpointError, ModelConfigError, NoFilesError
from eoforge.models import (
    adapt_first_layer,
    build_model,
    first_layer,
    load_weights,
    read_state_dict,
)

Saver = Callable[[dict[str, torch.Tensor], Path], Path]


def _safetensors(state: dict[str, torch.Tensor], folder: Path) -> Path:
    save_file({k: v.contiguous() for k, v in state.items()}, folder / "w.safetensors")
    return folder / "w.safetensors"


def _plain_pt(state: dict[str, torch.Tensor], folder: Path) -> Path:
    torch.save(state, folder / "w.pt")
    return folder / "w.pt"


def _model_entry_pth(state: dict[str, torch.Tensor], folder: Path) -> Path:
    torch.save({"model": state, "epoch": 7, "optimizer": {"lr": 0.1}}, folder / "w.pth")
    return folder / "w.pth"


def _lightning_like_ckpt(state: dict[str, torch.Tensor], folder: Path) -> Path:
    content = {
        "epoch": 3,
        "global_step": 120,
        "pytorch-lightning_version": "2.6.0",
        "state_dict": {f"model.{k}": v for k, v in state.items()}
        | {"criterion.pos_weight": torch.ones(3)},
        "hyper_parameters": {"bands": ["B02", "B03", "B04"], "lr": 1e-3},
    }
    torch.save(content, folder / "w.ckpt")
    return folder / "w.ckpt"


def _segmentation(seed: int, **kwargs: object) -> torch.nn.Module:
    torch.manual_seed(seed)
    options: dict[str, object] = {
        "backbone": "resnet10t", "decoder": "unet_tiny", "in_channels": 3, "num_classes": 2,
    }  # fmt: skip
    return build_model("segmentation", **(options | kwargs)).eval()  # type: ignore[arg-type]


@pytest.mark.parametrize("save", [_safetensors, _plain_pt, _model_entry_pth, _lightning_like_ckpt])
def test_round_trip_restores_identical_outputs(save: Saver, tmp_path: Path) -> None:
    trained, fresh = _segmentation(0), _segmentation(1)
    x = torch.randn(1, 3, 30, 36)
    with torch.no_grad():
        expected = trained(x)
        assert not torch.allclose(fresh(x), expected)
        path = save(trained.state_dict(), tmp_path)
        report = load_weights(fresh, path)
        assert torch.equal(fresh(x), expected)
    assert report.ok and report.adapted is None
    assert set(report.loaded) == set(trained.state_dict())
    if path.suffix == ".ckpt":
        assert report.stripped_prefix == "model." and report.foreign == ("criterion.pos_weight",)
    # the same through build_model(weights=)
    with torch.no_grad():
        assert torch.equal(_segmentation(2, weights=path)(x), expected)


def test_real_lightning_checkpoint(tmp_path: Path) -> None:
    import lightning as L  # noqa: N812

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.save_hyperparameters({"bands": ["B04", "B08"]})
            self.model = build_model("segmentation", backbone="pixel_mlp", in_channels=2)
            self.loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))

        def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
            out: torch.Tensor = self.loss(self.model(batch[0]), batch[1])
            return out

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.TensorDataset(torch.randn(4, 2, 8, 8), torch.rand(4, 1, 8, 8))
    module = Module()
    trainer = L.Trainer(
        max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu", default_root_dir=tmp_path,
    )  # fmt: skip
    trainer.fit(module, torch.utils.data.DataLoader(data, batch_size=2))
    trainer.save_checkpoint(tmp_path / "last.ckpt")
    model = build_model("segmentation", backbone="pixel_mlp", in_channels=2)
    report = load_weights(model, tmp_path / "last.ckpt")
    assert report.ok and report.stripped_prefix == "model."
    assert "loss.pos_weight" in report.foreign
    x = torch.randn(1, 2, 5, 5)
    with torch.no_grad():
        assert torch.equal(model(x), module.model(x))


def test_bare_smp_state_dict_gets_the_wrapper_prefix(tmp_path: Path) -> None:
    trained, fresh = _segmentation(0), _segmentation(1)
    path = _plain_pt(trained.net.state_dict(), tmp_path)  # keys without "net."
    report = load_weights(fresh, path)
    assert report.added_prefix == "net." and report.ok
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(fresh(x), trained(x))


def test_mismatched_checkpoint_gives_a_clear_error(tmp_path: Path) -> None:
    path = _lightning_like_ckpt(_segmentation(0, num_classes=5).state_dict(), tmp_path)
    model = _segmentation(1, num_classes=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as err:
        load_weights(model, path)
    message = str(err.value)
    assert "w.ckpt" in message and "'model.'" in message
    assert "segmentation_head.0.weight': file [5, 16, 3, 3] vs model [2, 16, 3, 3]" in message
    assert "num_classes" in message and "strict=False" in message
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # untouched


def test_other_architecture_lists_missing_and_unexpected_keys(tmp_path: Path) -> None:
    path = _safetensors(_segmentation(0, decoder="fpn").state_dict(), tmp_path)
    with pytest.raises(CheckpointError) as err:
        load_weights(_segmentation(1, decoder="unet"), path)
    message = str(err.value)
    assert "model tensors missing from the file (e.g. 'net.decoder.blocks" in message
    assert "file tensors not in the model (e.g. 'net.decoder." in message
    unet = _segmentation(1, decoder="unet").state_dict()
    missing = next(k for k in unet if k.startswith("net.decoder.blocks"))
    assert f"'{missing}' {list(unet[missing].shape)}" in message  # names come with shapes


def test_non_strict_loads_what_matches(tmp_path: Path) -> None:
    source = _segmentation(0, num_classes=5)
    path = _plain_pt(source.state_dict(), tmp_path)
    model = _segmentation(1, num_classes=2)
    head_before = model.net.segmentation_head[0].weight.detach().clone()
    report = load_weights(model, path, strict=False)
    assert not report.ok
    assert {k for k, _, _ in report.mismatched} == {
        "net.segmentation_head.0.weight",
        "net.segmentation_head.0.bias",
    }
    assert torch.equal(model.net.segmentation_head[0].weight, head_before)
    assert torch.equal(first_layer(model).weight, first_layer(source).weight)


def test_first_layer_is_adapted_by_band_name(tmp_path: Path) -> None:
    torch.manual_seed(0)
    rgb = build_model("segmentation", backbone="pixel_mlp", in_channels=3, num_classes=2)
    path = _safetensors(rgb.state_dict(), tmp_path)
    model = build_model("segmentation", backbone="pixel_mlp", in_channels=4, num_classes=2)
    report = load_weights(
        model, path, in_band_names=["B08", "B04", "B03", "B02"],
        checkpoint_band_names=["B02", "B03", "B04"],
    )  # fmt: skip
    assert report.ok and report.adapted == "layers.0.weight"
    expected = adapt_first_layer(
        rgb.layers[0].weight, 4, old_bands=["B02", "B03", "B04"],
        new_bands=["B08", "B04", "B03", "B02"],
    )  # fmt: skip
    assert torch.equal(model.layers[0].weight, expected)
    assert torch.equal(model.layers[2].weight, rgb.layers[2].weight)
    # the same band lists in another order only permute the filters
    load_weights(model, path, in_band_names=["B04", "B03", "B02", "B11"],
                 checkpoint_band_names=["B02", "B03", "B04"])  # fmt: skip
    torch.testing.assert_close(model.layers[0].weight[:, 0], rgb.layers[0].weight[:, 2] * 0.75)


@pytest.mark.parametrize("decoder", ["unet_tiny", "timm_head"])
def test_adapting_by_count_preserves_constant_input_response(decoder: str, tmp_path: Path) -> None:
    task = "classification" if decoder == "timm_head" else "segmentation"
    torch.manual_seed(0)
    rgb = build_model(task, decoder=decoder, in_channels=3, num_classes=2).eval()
    path = _plain_pt(rgb.state_dict(), tmp_path)
    model = build_model(task, decoder=decoder, in_channels=13, num_classes=2).eval()
    report = load_weights(model, path)
    assert report.ok and report.adapted is not None
    with torch.no_grad():
        for value in (-1.0, 0.5, 2.0):
            expected = rgb(torch.full((1, 3, 32, 32), value))
            torch.testing.assert_close(
                model(torch.full((1, 13, 32, 32), value)), expected, rtol=1e-4, atol=1e-5
            )
            # a non-constant input sees the difference
        assert not torch.allclose(
            model(torch.randn(1, 13, 32, 32)), rgb(torch.randn(1, 3, 32, 32)), atol=1e-3
        )


def test_band_names_that_do_not_fit(tmp_path: Path) -> None:
    path = _plain_pt(build_model("segmentation", backbone="pixel_mlp").state_dict(), tmp_path)
    model = build_model("segmentation", backbone="pixel_mlp", in_channels=2)
    with pytest.raises(ModelConfigError, match="both"):
        load_weights(model, path, in_band_names=["R", "G"])
    with pytest.raises(ModelConfigError, match="in_band_names has 3 names"):
        load_weights(model, path, in_band_names=["R", "G", "B"], checkpoint_band_names=["R"] * 3)
    with pytest.raises(CheckpointError, match=r"checkpoint_band_names has 2 names.*3 bands"):
        load_weights(model, path, in_band_names=["R", "G"], checkpoint_band_names=["R", "G"])


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=r"nowhere.pt"):
        load_weights(build_model("classification"), tmp_path / "nowhere.pt")
    (tmp_path / "w.h5").write_bytes(b"x")
    with pytest.raises(CheckpointError, match=r"w.h5.*'.h5'.*\.safetensors"):
        read_state_dict(tmp_path / "w.h5")
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(CheckpointError, match=r"broken.safetensors"):
        read_state_dict(tmp_path / "broken.safetensors")
    (tmp_path / "broken.pt").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match=r"broken.pt"):
        read_state_dict(tmp_path / "broken.pt")
    torch.save({"epoch": 1, "note": "hi"}, tmp_path / "empty.pt")
    with pytest.raises(CheckpointError, match=r"empty.pt holds no state dict.*'epoch'"):
        read_state_dict(tmp_path / "empty.pt")
    torch.save([torch.ones(1)], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="holds a list"):
        read_state_dict(tmp_path / "list.pt")


class _Custom:
    """A class torch.load(weights_only=True) refuses to unpickle."""


def test_pickled_objects_are_not_unpickled(tmp_path: Path) -> None:
    torch.save({"state_dict": {"w": torch.ones(1)}, "extra": _Custom()}, tmp_path / "obj.ckpt")
    with pytest.raises(CheckpointError, match=r"obj.ckpt holds Python objects.*state_dict\(\)"):
        read_state_dict(tmp_path / "obj.ckpt")
