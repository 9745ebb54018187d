"""LandCoverAI: eoforge's own cut of the orthophotos (GeoTIFF tiles), the official JPEG tiles."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import rasterio
import torch
import yaml
from affine import Affine
from lightning.pytorch import Trainer

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import LandCoverAI, get_dataset
from eoforge.datasets.landcoverai_tiles import TILES_MARKER, cut_landcoverai_tiles, tile_windows
from eoforge.errors import DatasetNotFoundError, UnknownNameError
from eoforge.io import read_class_names
from eoforge.tasks import SegmentationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "landcoverai"
SHEET, SMALL = "M-33-20-D-c-4-2", "N-34-61-B-a-1-1"
SHEET_TRANSFORM = Affine(0.25, 0, 611_000.0, 0, -0.25, 402_000.0)


def _image(sheet: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The fixture's pixels (make_data.image_value), bands R, G, B."""
    shift = {SHEET: 0, SMALL: 80}[sheet]
    return np.stack([(rows // 4 + shift) % 256, (cols // 4 + 2 * shift) % 256,
                     ((rows + cols) // 8 + 100) % 256])  # fmt: skip


def _mask(sheet: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The fixture's classes (make_data.mask_value)."""
    return (rows // 128 + cols // 128 + {SHEET: 0, SMALL: 2}[sheet]) % 5


@pytest.fixture
def extracted(tmp_path: Path) -> Path:
    """A copy of the extracted archive (the dataset writes its tiles into root/output)."""
    root = tmp_path / "landcoverai"
    root.mkdir()
    for name in ("images", "masks", "train.txt", "val.txt", "test.txt"):
        source = FIXTURE / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    return root


def test_the_official_tiling_rule_numbers_every_grid_position() -> None:
    # 1030 x 1100: 3 x 3 positions, only rows 0 and 512, columns 0 and 512 are complete
    assert list(tile_windows(1030, 1100)) == [(0, 0, 0), (1, 0, 512), (3, 512, 0), (4, 512, 512)]
    assert list(tile_windows(511, 4000)) == []
    assert [k for k, _, _ in tile_windows(1024, 1024)] == [0, 1, 2, 3]


def test_splits_are_the_split_files_tiles(extracted: Path) -> None:
    lengths = {
        s: len(LandCoverAI(extracted, split=s, progress=False)) for s in ("train", "val", "test")
    }
    assert lengths == {"train": 3, "val": 1, "test": 1}
    ds = LandCoverAI(extracted, split="train", progress=False)
    assert [ds.sample_id(i) for i in range(3)] == [f"{SHEET}_0", f"{SHEET}_4", f"{SMALL}_0"]


def test_the_cut_writes_lossless_georeferenced_tiles(extracted: Path) -> None:
    LandCoverAI(extracted, split="val", progress=False)
    output = extracted / "output"
    tiles = sorted(p.name for p in output.glob("*.tif"))
    ids = [f"{SHEET}_0", f"{SHEET}_1", f"{SHEET}_3", f"{SHEET}_4", f"{SMALL}_0"]
    assert tiles == sorted(f"{t}{m}.tif" for t in ids for m in ("", "_m"))
    with rasterio.open(output / f"{SHEET}_4.tif") as ds:
        assert ds.crs.to_epsg() == 2180 and (ds.width, ds.height, ds.count) == (512, 512, 3)
        # the tile at row 512, column 512 of the orthophoto
        assert ds.transform == SHEET_TRANSFORM @ Affine.translation(512, 512)
        rows, cols = np.mgrid[512:1024, 512:1024]
        np.testing.assert_array_equal(ds.read(), _image(SHEET, rows, cols))
        assert ds.descriptions == ("R", "G", "B")
    with rasterio.open(output / f"{SHEET}_4_m.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), _mask(SHEET, rows, cols))
        assert ds.colormap(1)[3][:3] == (0, 197, 255)
    assert read_class_names(output / f"{SHEET}_4_m.tif") == dict(enumerate(LandCoverAI.classes))
    assert (output / TILES_MARKER).is_file()


def test_samples_hold_pixels_mask_grid_and_id(extracted: Path) -> None:
    ds = LandCoverAI(extracted, split="train", bands=["B", "R"], progress=False)
    sample = ds[1]  # M-33-20-D-c-4-2_4: rows and columns 512:1024
    assert sample["image"].shape == (2, 512, 512) and sample["image"].dtype == torch.float32
    rows, cols = np.mgrid[512:1024, 512:1024]
    expected = _image(SHEET, rows, cols)
    np.testing.assert_array_equal(sample["image"].numpy(), expected[[2, 0]])
    assert sample["mask"].dtype == torch.int64 and sample["mask"].shape == (512, 512)
    assert sample["mask"][0, 0] == (4 + 4) % 5 and sample["mask"][0, 128] == (4 + 5) % 5
    np.testing.assert_array_equal(sample["mask"].numpy(), _mask(SHEET, rows, cols))
    assert sample["id"] == f"{SHEET}_4" and sample["bands"] == ["B", "R"]
    assert sample["grid"].crs == "EPSG:2180"
    assert sample["grid"].bounds.minx == pytest.approx(611_000 + 512 * 0.25)
    small = ds[2]  # the 50 cm sheet, its only complete tile
    assert small["grid"].res == (0.5, 0.5) and small["mask"][0, 0] == 2


def test_a_second_construction_cuts_nothing_and_a_lost_tile_is_cut_again(extracted: Path) -> None:
    LandCoverAI(extracted, split="test", progress=False)
    assert cut_landcoverai_tiles(extracted, progress=False) == 0  # the marker says: done
    (extracted / "output" / TILES_MARKER).unlink()
    (extracted / "output" / f"{SHEET}_1_m.tif").unlink()
    assert cut_landcoverai_tiles(extracted, progress=False) == 1


def test_a_missing_tile_of_the_split_is_named(extracted: Path) -> None:
    LandCoverAI(extracted, split="val", progress=False)
    (extracted / "output" / f"{SHEET}_1.tif").unlink()
    with pytest.raises(DatasetNotFoundError, match=rf"{SHEET}_1\.tif.*delete .*output"):
        LandCoverAI(extracted, split="val", progress=False)


def test_official_jpeg_tiles_are_read_and_differ_slightly_from_the_lossless_ones(
    extracted: Path,
) -> None:
    official = LandCoverAI(FIXTURE / "official", split="val")
    assert official._mode() == "official"
    sample = official[0]
    assert "grid" not in sample and sample["image"].shape == (3, 512, 512)
    rows, cols = np.mgrid[0:512, 512:1024]  # M-33-20-D-c-4-2_1
    np.testing.assert_array_equal(sample["mask"].numpy(), _mask(SHEET, rows, cols))
    lossless = LandCoverAI(extracted, split="val", progress=False)[0]["image"]
    difference = (sample["image"] - lossless).abs()
    assert 0 < float(difference.mean()) < 3  # JPEG: close, not equal
    with pytest.raises(DatasetNotFoundError, match=r"3 tiles of .*train\.txt.*split\.py"):
        LandCoverAI(FIXTURE / "official", split="train")  # split.py's train tiles are absent


def test_the_archive_put_into_root_is_extracted_and_cut(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with zipfile.ZipFile(root / "landcover.ai.v1.zip", "w") as archive:
        for path in [*FIXTURE.glob("images/*.tif"), *FIXTURE.glob("masks/*.tif"),
                     *FIXTURE.glob("*.txt")]:  # fmt: skip
            archive.write(path, path.relative_to(FIXTURE).as_posix())
    ds = LandCoverAI(root, split="train", progress=False)
    assert len(ds) == 3 and (root / "images" / f"{SHEET}.tif").is_file()
    assert ds[0]["grid"].crs == "EPSG:2180"


def test_missing_data_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        LandCoverAI(tmp_path / "empty")
    message = str(info.value)
    assert "landcover.ai.v1.zip" in message
    assert "https://landcover.ai.linuxpolska.com/download/landcover.ai.v1.zip" in message
    assert "eoforge datasets download landcoverai" in message
    with pytest.raises(UnknownNameError, match=r"tiles='jpeg'.*auto, geotiff, official"):
        LandCoverAI(tmp_path, tiles="jpeg")


def test_registered_with_its_classes_and_colours() -> None:
    assert get_dataset("landcoverai") is LandCoverAI
    info = LandCoverAI.info()
    assert (
        info["num_classes"] == 5 and info["files"][0]["md5"] == "3268c89070e8734b4e91d531c0617e03"
    )
    assert LandCoverAI.colors[2] == (38, 115, 0)


def test_plot_returns_a_figure(extracted: Path) -> None:
    ds = LandCoverAI(extracted, split="val", progress=False)
    sample = ds[0]
    fig = ds.plot(sample, sample["mask"])
    assert [ax.get_title() for ax in fig.axes] == ["R, G, B", "mask", "prediction"]


def test_one_training_step_through_the_chip_data_module(extracted: Path, tmp_path: Path) -> None:
    dm = ChipDataModule(LandCoverAI, root=str(extracted), batch_size=2, num_workers=0,
                        stats_samples=2, dataset_options={"progress": False})  # fmt: skip
    task = SegmentationTask(model=None, backbone="pixel_mlp", lr=0.01)
    trainer = Trainer(max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=str(tmp_path))  # fmt: skip
    trainer.fit(task, datamodule=dm)
    assert trainer.global_step == 1
    assert tuple(task.data_info.classes) == LandCoverAI.classes


def test_the_shipped_config_builds_its_data_on_the_fixture(tmp_path: Path, extracted: Path) -> None:
    config = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "configs" / "landcoverai.yaml").read_text()
    )
    args = config["data"]["init_args"]
    assert args["dataset"] == "eoforge.datasets.LandCoverAI"
    args["dataset_options"]["progress"] = False
    args.update(root=str(extracted), stats=None, stats_samples=2, num_workers=0)
    dm = ChipDataModule(**args)
    dm.setup("fit")
    assert isinstance(dm.datasets["train"], LandCoverAI) and len(dm.datasets["val"]) > 0
    assert dm.data_info()["bands"] == args["bands"]
