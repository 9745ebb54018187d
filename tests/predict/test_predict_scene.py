"""predict_scene: tiles + blending equal whole-array inference; nodata; metadata; resume; Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import torch
from affine import Affine
from torch import nn

from eoforge.data import GeoDataset, RasterSource
from eoforge.errors import BandNotFoundError, ConfigError, OutputExistsError
from eoforge.geo import BBox, GridSpec, rio_crs
from eoforge.predict import TileLayout, predict_scene
from eoforge.predict.tile_runner import TileRunner, model_device
from eoforge.tasks import RegressionTask, SegmentationTask, save_task

BANDS = ["B04", "B08", "B11"]
CLASSES = ["water", "trees", "fields"]
INFO = {"bands": BANDS, "classes": CLASSES, "colors": [[0, 0, 255], [0, 128, 0], [255, 255, 0]],
        "mean": [1000.0, 2000.0, 1500.0], "std": [300.0, 600.0, 400.0]}  # fmt: skip


def write_scene(
    path: Path, height: int, width: int, *, seed: int = 0, nodata: float | None = None,
    crs: str = "EPSG:32633", x0: float = 500000, y0: float = 5000000, holes: bool = False,
) -> Path:  # fmt: skip
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    noise = rng.normal(0, 80, (3, height, width))
    layers = [1000 + 500 * np.sin(xx / 17 + b) * np.cos(yy / 13) + noise[b] for b in range(3)]
    data = np.clip(np.stack(layers), 1, None).astype(np.uint16)
    if holes:
        data[:, : height // 3, : width // 2] = 0  # a large area without data
        data[1, -5:, -7:] = 0  # nodata in one band only: the pixel is invalid
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=3, dtype="uint16",
        crs=crs, transform=Affine(10, 0, x0, 0, -10, y0), nodata=nodata, tiled=True,
        blockxsize=64, blockysize=64, compress="deflate",
    ) as ds:  # fmt: skip
        ds.write(data)
        for i, name in enumerate(BANDS, start=1):
            ds.set_band_description(i, name)
    return path


def pixel_task(seed: int = 0) -> SegmentationTask:
    torch.manual_seed(seed)
    return SegmentationTask(backbone="pixel_mlp", data_info=INFO).eval()


class ConvNet(nn.Module):
    """Three 3x3 convolutions: each output pixel sees 3 pixels around it (radius 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 3, 3, padding=1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # type: ignore[no-any-return]


def whole_array(task: Any, path: Path) -> np.ndarray:
    """The reference: the model on the whole scene at once (probabilities)."""
    with rasterio.open(path) as ds:
        x = torch.from_numpy(ds.read().astype(np.float32))[None]
    with torch.inference_mode():
        return torch.softmax(task(x), dim=1)[0].numpy()


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


@pytest.mark.parametrize(
    ("height", "width", "tile", "overlap"),
    [(150, 230, 64, 16), (40, 50, 64, 16), (64, 64, 64, 0), (97, 300, 48, 24)],
)
def test_per_pixel_model_gives_the_whole_array_map(
    tmp_path: Path, height: int, width: int, tile: int, overlap: int
) -> None:
    scene = write_scene(tmp_path / "scene.tif", height, width)
    task = pixel_task()
    expected = whole_array(task, scene)
    probs = predict_scene(task, scene, tmp_path / "p.tif", kind="probabilities", tile_size=tile,
                          overlap=overlap, batch_size=3, progress=False)  # fmt: skip
    np.testing.assert_allclose(read(probs), expected, atol=1e-6)
    classes = predict_scene(task, scene, tmp_path / "c.tif", tile_size=tile, overlap=overlap,
                            progress=False)  # fmt: skip
    np.testing.assert_array_equal(read(classes)[0], expected.argmax(axis=0))


def test_receptive_field_model_has_no_seams(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 200, 260, seed=3)
    task = pixel_task()
    torch.manual_seed(1)
    task.model = ConvNet().eval()  # radius 3 <= margin = overlap // 4 = 4
    expected = whole_array(task, scene)
    out = predict_scene(task, scene, tmp_path / "p.tif", kind="probabilities", tile_size=64,
                        overlap=16, progress=False)  # fmt: skip
    got = read(out)
    inner = (slice(None), slice(3, -3), slice(3, -3))  # away from the scene border
    np.testing.assert_allclose(got[inner], expected[inner], atol=1e-6)
    # without the dropped margin, tile edges show: the margin is what removes the seams
    seams = predict_scene(task, scene, tmp_path / "s.tif", kind="probabilities", tile_size=64,
                          overlap=16, margin=0, progress=False)  # fmt: skip
    assert np.abs(read(seams)[inner] - expected[inner]).max() > 1e-4


def test_weights_make_every_pixel_count_and_drop_interior_edges() -> None:
    layout = TileLayout(height=300, width=200, tile=64, overlap=16)
    total = np.zeros((300, 200))
    for i in range(layout.shape[0]):
        for j in range(layout.shape[1]):
            r, c, h, w = layout.window(i, j)
            weights = layout.weights(i, j)
            total[r : r + h, c : c + w] += weights[: 300 - r, : 200 - c]
            if i > 0:  # an interior top edge: its first `margin` rows count nothing
                assert not weights[: layout.dropped].any()
    assert total.min() > 0.5  # no pixel without weight
    assert (np.diff(layout.rows) <= 64 - 16).all() and layout.rows[-1] + 64 == 300


def test_nodata_stays_nodata_and_empty_tiles_are_skipped(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 192, 256, nodata=0, holes=True)
    task = pixel_task()
    calls: list[int] = []
    model = task.model
    assert model is not None
    task.model = nn.Sequential()  # replaced below by a counting wrapper

    class Counting(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            calls.append(x.shape[0])
            return self.inner(x)  # type: ignore[no-any-return]

    task.model = Counting(model)
    report: dict[str, Any] = {}
    out = predict_scene(task, scene, tmp_path / "c.tif", tile_size=64, overlap=16, progress=False,
                        report=report)  # fmt: skip
    with rasterio.open(scene) as ds:
        valid = ds.dataset_mask() > 0
    classes = read(out)[0]
    assert (classes[~valid] == 255).all() and (classes[valid] < 3).all()
    assert report["skipped"] > 0 and sum(calls) == report["predicted"]
    assert report["predicted"] + report["skipped"] == report["tiles"]


def test_output_is_a_cog_with_the_metadata(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 600, 700)
    out = predict_scene(pixel_task(), scene, tmp_path / "c.tif", tile_size=128, overlap=32,
                        progress=False)  # fmt: skip
    with rasterio.open(scene) as src, rasterio.open(out) as ds:
        assert ds.crs == src.crs and ds.transform == src.transform and ds.shape == src.shape
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255 and ds.overviews(1) == [2]
        assert json.loads(ds.tags()["CLASS_NAMES"]) == {"0": "water", "1": "trees", "2": "fields"}
        assert ds.colormap(1)[1] == (0, 128, 0, 255) and ds.descriptions == ("class",)
    probs = predict_scene(pixel_task(), scene, tmp_path / "p.tif", kind="probabilities",
                          tile_size=128, overlap=32, progress=False)  # fmt: skip
    with rasterio.open(probs) as ds:
        assert ds.count == 3 and ds.dtypes[0] == "float32" and ds.descriptions == tuple(CLASSES)
        np.testing.assert_allclose(ds.read().sum(axis=0), 1.0, atol=1e-5)
    assert not list(tmp_path.glob(".*partial"))  # the job's folder is gone once published


def test_regression_values(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 100, 120)
    torch.manual_seed(0)
    task = RegressionTask(backbone="pixel_mlp", dense=True,
                          data_info={"bands": BANDS, "target_name": "AGB"}).eval()  # fmt: skip
    out = predict_scene(task, scene, tmp_path / "v.tif", tile_size=64, overlap=16, progress=False)
    with rasterio.open(scene) as ds:
        x = torch.from_numpy(ds.read().astype(np.float32))[None]
    with torch.inference_mode():
        expected = task(x)[0].numpy()
    with rasterio.open(out) as ds:
        assert ds.descriptions == ("AGB",) and ds.dtypes[0] == "float32"
        np.testing.assert_allclose(ds.read(), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ConfigError, match="names no classes"):
        predict_scene(task, scene, tmp_path / "x.tif", kind="classes", progress=False)


def test_bad_input_fails_before_any_work(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 64, 64)
    other = SegmentationTask(backbone="pixel_mlp",
                             data_info={**INFO, "bands": ["B02", "B03", "B04"]})  # fmt: skip
    with pytest.raises(BandNotFoundError, match=r"B02.*missing"):
        predict_scene(other, scene, tmp_path / "out.tif", progress=False)
    assert not list(tmp_path.glob("*out*")) and not list(tmp_path.glob(".out*"))  # no work done
    (tmp_path / "exists.tif").write_bytes(b"")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        predict_scene(pixel_task(), scene, tmp_path / "exists.tif", progress=False)
    # unnamed bands can be named for the model
    with rasterio.open(scene, "r+") as ds:
        for i in (1, 2, 3):
            ds.set_band_description(i, "")
    with pytest.raises(BandNotFoundError, match="band_names"):
        predict_scene(pixel_task(), scene, tmp_path / "a.tif", progress=False)
    out = predict_scene(pixel_task(), scene, tmp_path / "a.tif", band_names=BANDS, progress=False)
    assert read(out).shape == (1, 64, 64)


def test_mosaic_of_two_crs_and_bounds(tmp_path: Path) -> None:
    west = write_scene(tmp_path / "west.tif", 128, 128, seed=1)
    grid = GridSpec("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5000000), 128, 128)
    east_box = BBox(501280, 4998720, 502560, 5000000, "EPSG:32633").to_crs("EPSG:32634")
    east = write_scene(tmp_path / "east.tif", 128, 128, seed=2, crs="EPSG:32634",
                       x0=round(east_box.minx), y0=round(east_box.maxy))  # fmt: skip
    task = pixel_task()
    out = predict_scene(task, [west, east], tmp_path / "m.tif", kind="probabilities",
                        crs="EPSG:32633", tile_size=64, overlap=16, progress=False)  # fmt: skip
    from eoforge.data import GeoDataset, RasterSource

    ds = GeoDataset(RasterSource([west, east]), crs="EPSG:32633")
    with rasterio.open(out) as m:
        assert m.crs == rio_crs("EPSG:32633") and m.width > 200
        sample = ds[ds.grid]
        with torch.inference_mode():
            expected = torch.softmax(task(sample["image"][None]), dim=1)[0].numpy()
        valid = sample["valid"].numpy()
        got = m.read()
        assert (np.isnan(got[0]) == ~valid).all()  # both files covered, nodata elsewhere
        r0, c0 = (round(v) for v in ds.grid.rowcol(500000, 5000000))
        west_part = (slice(None), slice(r0, r0 + 128), slice(c0, c0 + 120))  # read as it is
        np.testing.assert_allclose(got[west_part], expected[west_part], atol=1e-6)
        # the reprojected file: the warp's kernel scale is taken per query (tile vs whole grid)
        np.testing.assert_allclose(got[:, valid], expected[:, valid], atol=1e-3)
    part = predict_scene(task, [west, east], tmp_path / "b.tif", crs="EPSG:32633",
                         bounds=grid.subgrid(10, 20, 50, 60).bounds, progress=False)  # fmt: skip
    with rasterio.open(part) as b:
        assert b.shape == (50, 60) and b.transform == grid.subgrid(10, 20, 50, 60).transform


KILL_SCRIPT = """
import sys, time, torch
from eoforge.predict import predict_scene, prediction_job
from eoforge.tasks import load_task
task = load_task(sys.argv[1])
forward = task.model.forward
def slow(x):
    time.sleep(float(sys.argv[4]))
    return forward(x)
task.model.forward = slow
prediction_job.CHECKPOINT_SECONDS = 0.0  # record every row
predict_scene(task, sys.argv[2], sys.argv[3], tile_size=64, overlap=16, batch_size=2,
              resume=True, progress=False)
"""


def test_resume_after_kill_gives_the_identical_file(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 400, 300)
    ckpt = save_task(pixel_task(), tmp_path / "task.ckpt")
    reference = predict_scene(ckpt, scene, tmp_path / "ref.tif", tile_size=64, overlap=16,
                              batch_size=2, progress=False)  # fmt: skip
    out = tmp_path / "map.tif"
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT)
    journal = tmp_path / ".map.tif.partial" / "journal.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(script), str(ckpt), str(scene), str(out), "0.2"],
                            env=env)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:
        if journal.is_file() and json.loads(journal.read_text())["rows_done"] >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and json.loads(journal.read_text())["rows_done"] >= 1
    subprocess.run([sys.executable, str(script), str(ckpt), str(scene), str(out), "0"], env=env,
                   check=True)  # fmt: skip
    assert out.read_bytes() == reference.read_bytes()
    assert not journal.parent.exists()


def test_resume_with_other_settings_is_refused(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene.tif", 64, 64)
    partial = tmp_path / ".map.tif.partial"
    partial.mkdir()
    (partial / "journal.json").write_text(
        json.dumps({"version": 1, "settings": "x", "rows_done": 0})
    )
    with pytest.raises(Exception, match="other settings"):
        predict_scene(pixel_task(), scene, tmp_path / "map.tif", resume=True, progress=False)


def test_dask_cluster_gives_the_same_file(tmp_path: Path, monkeypatch: Any) -> None:
    from eoforge.predict import dask_tiles

    scene = write_scene(tmp_path / "scene.tif", 200, 180, nodata=0, holes=True)
    ckpt = save_task(pixel_task(), tmp_path / "task.ckpt")
    single = predict_scene(ckpt, scene, tmp_path / "one.tif", tile_size=64, overlap=16,
                           progress=False)  # fmt: skip
    folders: list[Path] = []
    create = dask_tiles.TileSlots.create

    def slots_here(**kwargs: Any) -> Any:
        folders.append(tmp_path / "handoff")
        return create(**kwargs, folder=str(folders[-1]))

    monkeypatch.setattr(dask_tiles.TileSlots, "create", slots_here)
    report: dict[str, Any] = {}
    dask = predict_scene(ckpt, scene, tmp_path / "dask.tif", tile_size=64, overlap=16,
                         workers=2, progress=False, report=report)  # fmt: skip
    assert dask.read_bytes() == single.read_bytes()
    assert report["skipped"] > 0
    assert folders and not folders[0].exists()  # results came through the slots, then went


# ---------------------------------------------------------------- TileRunner: in line / ahead
def _run(scene: Path, read_ahead: bool | None) -> tuple[list, TileRunner]:
    ds = GeoDataset(RasterSource(scene))
    grid = ds.grid
    layout = TileLayout(grid.height, grid.width, 64, 16)
    runner = TileRunner(pixel_task(), ds, grid, layout, "classes", [0, 1, 2], 3,
                        read_ahead=read_ahead)  # fmt: skip
    assert next(runner.tiles(2))[:2] == (2, 0)  # rows before ``start`` are not run
    return list(runner.tiles()), runner


@pytest.mark.parametrize("read_ahead", [None, True])
def test_in_line_and_read_ahead_give_the_same_tiles(tmp_path: Path, read_ahead: bool) -> None:
    scene = write_scene(tmp_path / "scene.tif", 300, 230, holes=True, nodata=0)
    in_line, runner = _run(scene, False)
    other, runner_other = _run(scene, read_ahead)
    assert [(i, j) for i, j, _ in in_line] == [(i, j) for i, j, _ in other]
    for (_, _, (v, w)), (_, _, (v2, w2)) in zip(in_line, other, strict=True):
        if v is None:
            assert v2 is None and w2 is None
        else:
            np.testing.assert_array_equal(v, v2)
            np.testing.assert_array_equal(w, w2)
    assert runner.skipped == runner_other.skipped > 0  # the hole: tiles without data skipped
    assert runner.predicted == runner_other.predicted > 0


def test_model_device_of_tasks_and_plain_modules() -> None:
    task = pixel_task()
    assert model_device(task).type == "cpu"
    assert model_device(task.model).type == "cpu"
