"""configs/eurosat.yaml, bigearthnet.yaml, reben.yaml, reben_maps.yaml: their data module and task,
built as the config says, train one step on the dataset's fixture."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightning.pytorch import Trainer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data"


def _build(section: dict[str, Any], **changes: Any) -> Any:
    module, _, name = section["class_path"].rpartition(".")
    return getattr(importlib.import_module(module), name)(**{**section["init_args"], **changes})


@pytest.mark.filterwarnings("ignore:No positive samples found in target")  # tiny fixtures
@pytest.mark.parametrize(
    ("config", "fixture"),
    [("eurosat", "eurosat"), ("bigearthnet", "bigearthnet"), ("reben", "reben"),
     ("reben_maps", "reben")],
)  # fmt: skip
def test_the_benchmark_config_trains_on_its_fixture(
    config: str, fixture: str, tmp_path: Path
) -> None:
    settings = yaml.safe_load((ROOT / "configs" / f"{config}.yaml").read_text())
    data_args = settings["data"]["init_args"]
    assert data_args["root"] == f"data/{fixture}"  # the documented place of the data
    options = {**data_args["dataset_options"], "download": False}
    data = _build(settings["data"], root=str(FIXTURES / fixture), batch_size=2, num_workers=0,
                  stats=str(tmp_path / "stats.json"), dataset_options=options)  # fmt: skip
    task = _build(settings["model"])
    trainer = Trainer(
        max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
        accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1
    assert task.hparams.num_classes == len(data.datasets["train"].classes)
