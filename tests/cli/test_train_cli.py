"""``eoforge fit|validate|test``: configs in configs/ parse; a tiny fit and test run; bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eoforge.cli.main import main
from eoforge.datasets.synthetic import write_synthetic_scenes

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_shipped_config_is_valid(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(config), "--print_config"])
    assert exit_info.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["class_path"].startswith("eoforge.tasks.")
    assert printed["data"]["class_path"].startswith("eoforge.data.datamodules.")


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    scenes = write_synthetic_scenes(root / "scenes", n_tiles=2, size=128, polygons=False,
                                    progress=False)  # fmt: skip
    config = {
        "seed_everything": 0,
        "trainer": {
            "max_epochs": 1,
            "accelerator": "cpu",
            "default_root_dir": str(root / "runs"),
            "limit_train_batches": 2,
            "enable_progress_bar": False,
        },
        "model": {
            "class_path": "eoforge.tasks.SegmentationTask",
            "init_args": {"backbone": "pixel_mlp", "lr": 0.01},
        },
        "data": {
            "class_path": "eoforge.data.datamodules.GeoDataModule",
            "init_args": {
                "images": [str(scenes.tiles[0].image)],
                "mask": [str(scenes.tiles[0].labels)],
                "test_images": [str(scenes.tiles[1].image)],
                "test_mask": [str(scenes.tiles[1].labels)],
                "patch_size": 32,
                "block_pixels": 32,
                "batch_size": 4,
                "train_patches": 8,
                "stats_patches": 4,
                "num_workers": 0,
            },
        },
    }
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_fit_then_test_from_a_config(tiny_config: Path) -> None:
    assert main(["fit", "--config", str(tiny_config)]) == 0
    runs = tiny_config.parent / "runs"
    (last,) = runs.glob("lightning_logs/version_*/checkpoints/last.ckpt")
    assert main(["test", "--config", str(tiny_config), "--ckpt_path", str(last)]) == 0


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--model.init_args.lossy", "ce"], "lossy"),
        (["--trainer.max_epochs", "many"], "max_epochs"),
        (["--data.init_args.images", "nowhere/*.tif"], "nowhere"),
        (["--model.init_args.loss", "hinge"], "hinge"),
    ],
)
def test_bad_configs_fail_on_one_line(
    tiny_config: Path, extra: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", "--config", str(tiny_config), *extra]) == 1
    err = capsys.readouterr().err  # Lightning's INFO lines may come first
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and expected in last


def test_a_missing_config_file_fails_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "--config", "no/such/config.yaml"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no/such/config.yaml" in err and err.count("\n") == 1


def test_debug_shows_the_traceback(tiny_config: Path) -> None:
    with pytest.raises(Exception, match="hinge"):
        main(["--debug", "fit", "--config", str(tiny_config), "--model.init_args.loss", "hinge"])


def test_fit_a_sparse_regression_from_a_config(tiny_config: Path) -> None:
    """The task of every shipped regression config trains through Lightning's CLI."""
    import numpy as np
    import rasterio

    config = yaml.safe_load(tiny_config.read_text())
    image = config["data"]["init_args"]["images"][0]
    with rasterio.open(image) as ds:
        profile = ds.profile | {"count": 1, "dtype": "float32", "nodata": float("nan")}
    target = np.full((1, profile["height"], profile["width"]), np.nan, dtype="float32")
    target[0, ::9, ::7] = 100.0
    path = tiny_config.parent / "agb.tif"
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(target)
    config["model"] = {
        "class_path": "eoforge.tasks.RegressionTask",
        "init_args": {"backbone": "pixel_mlp", "dense": True, "loss": "huber"},
    }
    data = config["data"]["init_args"]
    data.pop("mask"), data.pop("test_mask"), data.pop("test_images")
    data["target"] = str(path)
    config["trainer"]["default_root_dir"] = str(tiny_config.parent / "runs_regression")
    regression = tiny_config.parent / "regression.yaml"
    regression.write_text(yaml.safe_dump(config))
    assert main(["fit", "--config", str(regression)]) == 0
