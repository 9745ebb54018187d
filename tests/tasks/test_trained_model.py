"""``load_trained_model``: a checkpoint's normaliser and model, without Lightning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from eoforge.errors import EoforgeError, NoFilesError
from eoforge.tasks import (
    RegressionTask,
    SegmentationTask,
    TrainedModel,
    load_task,
    load_trained_model,
    save_task,
)

INFO: dict[str, Any] = {
    "bands": ["B02", "B03", "B04"],
    "classes": ["water", "trees", "built"],
    "mean": [1000.0, 1200.0, 900.0],
    "std": [300.0, 250.0, 400.0],
}


def _trained(task: Any) -> Any:
    """Weights that differ from a fresh model's, so that loading them is what is tested."""
    torch.manual_seed(3)
    with torch.no_grad():
        for p in task.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return task


@pytest.mark.parametrize(
    "make",
    [
        lambda: SegmentationTask(model="unet_tiny", backbone="resnet18", data_info=INFO),
        lambda: SegmentationTask(backbone="pixel_mlp", data_info=INFO),
        lambda: RegressionTask(dense=True, num_outputs=2, backbone="pixel_mlp", data_info=INFO),
    ],
    ids=["unet_tiny", "pixel_mlp", "dense_regression"],
)
def test_outputs_equal_those_of_the_lightning_task(make: Any, tmp_path: Path) -> None:
    task = _trained(make())
    path = save_task(task, tmp_path / "task.ckpt")
    trained = load_trained_model(path)
    reference = load_task(path)
    assert not trained.training
    assert trained.model_task == reference.model_task
    assert trained.num_classes == int(reference.hp.num_classes)
    assert trained.data_info == reference.data_info
    x = torch.rand(2, 3, 64, 64) * 3000
    with torch.no_grad():
        assert torch.equal(trained(x), reference(x))


def test_an_in_memory_task_shares_its_modules() -> None:
    task = SegmentationTask(backbone="pixel_mlp", data_info=INFO)
    trained = load_trained_model(task)
    assert trained.model is task.model and trained.normalize is task.normalize
    assert load_trained_model(trained) is trained
    assert isinstance(trained, TrainedModel)


def test_checkpoints_without_the_recorded_model_task_still_load(tmp_path: Path) -> None:
    task = _trained(RegressionTask(dense=True, backbone="pixel_mlp", data_info=INFO))
    path = save_task(task, tmp_path / "old.ckpt")
    checkpoint = torch.load(path, weights_only=False)
    assert checkpoint["eoforge"].pop("model_task") == "dense_regression"
    torch.save(checkpoint, path)
    assert load_trained_model(path).model_task == "dense_regression"


def test_bad_inputs_are_explained(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=r"missing\.ckpt"):
        load_trained_model(tmp_path / "missing.ckpt")
    with pytest.raises(EoforgeError, match="got a Linear"):
        load_trained_model(torch.nn.Linear(2, 2))
    path = save_task(SegmentationTask(backbone="pixel_mlp", data_info=INFO), tmp_path / "t.ckpt")
    checkpoint = torch.load(path, weights_only=False)
    checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if "0" not in k}
    torch.save(checkpoint, path)
    with pytest.raises(EoforgeError, match=r"model weights of .*t\.ckpt' do not fit"):
        load_trained_model(path)
    del checkpoint["eoforge"]["model_task"]
    checkpoint["eoforge"]["task"] = "someone.else.FancyTask"
    torch.save(checkpoint, path)
    with pytest.raises(EoforgeError, match="FancyTask"):
        load_trained_model(path)


def test_predicting_imports_neither_lightning_nor_torchmetrics(tmp_path: Path) -> None:
    path = save_task(SegmentationTask(backbone="pixel_mlp", data_info=INFO), tmp_path / "t.ckpt")
    code = (
        "import sys\n"
        "from eoforge.predict import predict_scene\n"
        "from eoforge.tasks import load_trained_model\n"
        f"load_trained_model({str(path)!r})\n"
        "print(sorted(m for m in ('lightning', 'torchmetrics') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
