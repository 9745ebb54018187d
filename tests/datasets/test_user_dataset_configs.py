"""configs/scene_folder.yaml and configs/paired_files.yaml train through ``eoforge fit``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from eoforge.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data"


def _tiny(config: str, tmp_path: Path, root: Path, model: dict[str, Any]) -> Path:
    """The shipped config, on the fixtures, for one short epoch on the CPU."""
    settings = yaml.safe_load((ROOT / "configs" / config).read_text())
    settings["trainer"].update(
        max_epochs=1, accelerator="cpu", default_root_dir=str(tmp_path / "runs"),
        limit_train_batches=2, limit_val_batches=1, enable_progress_bar=False,
        enable_model_summary=False,
    )  # fmt: skip
    settings["model"]["init_args"].update(model)
    data = settings["data"]["init_args"]
    data.update(root=str(root), batch_size=2, num_workers=0, stats=str(tmp_path / "stats.json"))
    data["stats_samples"] = 4
    if "masks" in data["dataset_options"]:
        data["dataset_options"]["masks"] = str(FIXTURES / "paired_files" / "masks" / "*.png")
        data["dataset_options"]["split_fractions"] = [0.5, 0.25, 0.25]  # 6 pairs: 3, 2, 1
    path = tmp_path / config
    path.write_text(yaml.safe_dump(settings))
    return path


@pytest.mark.parametrize(
    ("config", "root", "model"),
    [
        ("scene_folder.yaml", FIXTURES / "scene_folder" / "multispectral", {}),
        (
            "paired_files.yaml",
            FIXTURES / "paired_files" / "images" / "*.tif",
            {"model": None, "backbone": "pixel_mlp"},
        ),
    ],
)
def test_the_user_dataset_configs_fit(
    config: str, root: Path, model: dict[str, Any], tmp_path: Path
) -> None:
    assert main(["fit", "--config", str(_tiny(config, tmp_path, root, model))]) == 0
    assert list((tmp_path / "runs").glob("lightning_logs/version_*/checkpoints/last.ckpt"))
    assert (tmp_path / "stats.json").is_file()
