from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

from eoforge.cli.main import main
from eoforge.geo import BBox, GridSpec
from eoforge.io import write_raster
from eoforge.tasks import SegmentationTask, save_task


@pytest.fixture
def checkpoint_and_scene(tmp_path: Path) -> tuple[Path, Path]:
    torch.manual_seed(0)
    task = SegmentationTask(backbone="pixel_mlp", data_info={"bands": ["B04", "B08"],
                            "classes": ["water", "land"]})  # fmt: skip
    ckpt = save_task(task, tmp_path / "task.ckpt")
    grid = GridSpec.from_bounds(BBox(0, 0, 900, 700, "EPSG:32633"), res=10)
    pixels = np.random.default_rng(0).random((2, 70, 90)).astype("float32")
    scene = write_raster(tmp_path / "scene.tif", pixels, grid, band_names=["B04", "B08"])
    return ckpt, scene


def test_predict_writes_a_map_and_refuses_to_overwrite(
    tmp_path: Path, checkpoint_and_scene: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt, scene = checkpoint_and_scene
    out = tmp_path / "map.tif"
    args = ["predict", str(ckpt), str(scene), "-o", str(out), "--tile-size", "32", "--overlap", "8"]
    assert main(args) == 0
    with rasterio.open(out) as ds:
        assert ds.shape == (70, 90) and ds.dtypes[0] == "uint8"
    assert "wrote" in capsys.readouterr().err
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--overwrite" in err and err.count("\n") == 1
    assert main([*args, "--overwrite", "--kind", "probabilities"]) == 0
    with rasterio.open(out) as ds:
        assert ds.count == 2 and ds.descriptions == ("water", "land")


def test_predict_explains_missing_bands(
    tmp_path: Path, checkpoint_and_scene: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt, scene = checkpoint_and_scene
    out = tmp_path / "map.tif"
    assert main(["predict", str(ckpt), str(scene), "-o", str(out), "--bands", "B02", "B03"]) == 1
    err = capsys.readouterr().err
    assert "B04" in err and "missing" in err and err.count("\n") == 1 and not out.exists()
