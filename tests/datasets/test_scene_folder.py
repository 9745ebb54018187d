"""``SceneFolderDataset`` on tests/data/scene_folder and on real UC Merced and EuroSAT images."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.errors import NotGeoreferencedWarning

from eoforge.data import collate
from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import SceneFolderDataset
from eoforge.errors import (
    BandNotFoundError,
    DatasetNotFoundError,
    EoforgeError,
    NoFilesError,
    RasterReadError,
    UnknownNameError,
)
from eoforge.geo import GridSpec

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "scene_folder"
RGB = FIXTURES / "rgb"
MULTISPECTRAL = FIXTURES / "multispectral"


def _read(path: str | Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as ds:
            return np.asarray(ds.read())


def test_classes_are_sorted_folder_names_and_labels_follow_them() -> None:
    ds = SceneFolderDataset(RGB)
    assert ds.classes == sorted(p.name for p in RGB.iterdir() if p.is_dir())
    assert ds.classes == ["forest", "river", "urban"]
    assert len(ds) == 15 and ds.class_counts() == {"forest": 5, "river": 5, "urban": 5}
    for i in range(len(ds)):
        sample = ds[i]
        assert ds.classes[int(sample["label"])] == Path(sample["path"]).parent.name
        assert sample["label"].dtype == torch.int64


def test_png_jpeg_and_tiff_pixels_are_read_as_they_are() -> None:
    ds = SceneFolderDataset(RGB)
    suffixes = set()
    for i in range(len(ds)):
        sample = ds[i]
        suffixes.add(Path(sample["path"]).suffix)
        assert sample["image"].dtype == torch.float32
        np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"]))
        assert "grid" not in sample  # none of these files is georeferenced
    assert suffixes == {".png", ".jpg", ".tif"}


def test_three_band_8_bit_images_are_rgb_and_bands_select_by_name() -> None:
    assert SceneFolderDataset(RGB).bands == ["R", "G", "B"]
    ds = SceneFolderDataset(RGB, bands=["B", "R"])
    sample = ds[0]
    assert sample["bands"] == ["B", "R"]
    np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"])[[2, 0]])
    with pytest.raises(BandNotFoundError, match="'NIR'"):
        SceneFolderDataset(RGB, bands=["NIR"])


def test_band_descriptions_name_the_bands_and_grids_are_kept() -> None:
    ds = SceneFolderDataset(MULTISPECTRAL, split="train", bands=["B08", "B02"])
    assert ds.all_bands == ["B02", "B03", "B04", "B08"]
    sample = ds[0]
    np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"])[[3, 0]])
    with rasterio.open(sample["path"]) as src:
        assert sample["grid"] == GridSpec(src.crs, src.transform, src.width, src.height)


def test_unnamed_bands_are_numbered(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp_path / "a" / "x.tif", "w", driver="GTiff", width=4, height=4,
                           count=2, dtype="float32") as dst:  # fmt: skip
            dst.write(np.ones((2, 4, 4), "float32"))
    assert SceneFolderDataset(tmp_path).bands == ["B1", "B2"]


def test_split_folders_are_used_when_present() -> None:
    sizes = {}
    for split in ("train", "val", "test"):
        ds = SceneFolderDataset(MULTISPECTRAL, split=split)
        assert all(f"/{split}/" in p.as_posix() for p in ds.files)
        assert ds.classes == ["crops", "water"]
        sizes[split] = len(ds)
    assert sizes == {"train": 6, "val": 2, "test": 2}
    assert len(SceneFolderDataset(MULTISPECTRAL)) == 10  # split=None: every image


def test_the_random_split_is_stratified_disjoint_and_seeded() -> None:
    fractions = (0.6, 0.2, 0.2)
    splits = {s: SceneFolderDataset(RGB, split=s, split_fractions=fractions) for s in
              ("train", "val", "test")}  # fmt: skip
    files = {s: set(ds.files) for s, ds in splits.items()}
    assert files["train"] | files["val"] | files["test"] == set(SceneFolderDataset(RGB).files)
    assert not files["train"] & files["val"] and not files["val"] & files["test"]
    for split, per_class in (("train", 3), ("val", 1), ("test", 1)):  # 5 images per class
        assert set(splits[split].class_counts().values()) == {per_class}
    again = SceneFolderDataset(RGB, split="val", split_fractions=fractions)
    assert again.files == splits["val"].files
    others = [SceneFolderDataset(RGB, split="val", split_fractions=fractions, seed=s).files
              for s in range(1, 5)]  # fmt: skip
    assert any(o != splits["val"].files for o in others)


def test_mixed_sizes_load_but_do_not_batch() -> None:
    ds = SceneFolderDataset(RGB)
    shapes = {tuple(ds[i]["image"].shape) for i in range(len(ds))}
    assert shapes == {(3, 16, 16), (3, 16, 24)}
    wide = next(i for i in range(len(ds)) if ds[i]["image"].shape[-1] == 24)
    with pytest.raises(EoforgeError, match="resize them in transforms"):
        collate([ds[0], ds[wide]])


def test_bad_folders_and_splits_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="not a folder"):
        SceneFolderDataset(tmp_path / "nowhere")
    with pytest.raises(NoFilesError, match="no class folder"):
        SceneFolderDataset(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(NoFilesError, match="extensions="):
        SceneFolderDataset(tmp_path)
    with pytest.raises(UnknownNameError, match="did you mean 'train'"):
        SceneFolderDataset(RGB, split="training")


def test_files_with_other_bands_are_named(tmp_path: Path) -> None:
    shutil.copytree(MULTISPECTRAL / "train", tmp_path / "scenes")
    shutil.copy(RGB / "forest" / "forest_2.tif", tmp_path / "scenes" / "water" / "zz.tif")
    ds = SceneFolderDataset(tmp_path / "scenes")
    with pytest.raises(RasterReadError, match=r"zz\.tif' has 3 bands where .* have 4"):
        ds[len(ds) - 1]


def test_one_batch_through_the_chip_data_module() -> None:
    dm = ChipDataModule(SceneFolderDataset, root=str(MULTISPECTRAL), bands=["B04", "B08"],
                        batch_size=4, num_workers=0)  # fmt: skip
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 2, 16, 16) and batch["label"].dtype == torch.int64
    info = dm.data_info()
    assert info["classes"] == ["crops", "water"] and info["bands"] == ["B04", "B08"]
    train = SceneFolderDataset(MULTISPECTRAL, split="train", bands=["B04", "B08"])
    pixels = torch.stack([train[i]["image"] for i in range(len(train))])
    np.testing.assert_allclose(info["mean"], pixels.mean(dim=(0, 2, 3)).numpy(), rtol=1e-5)


def test_real_uc_merced_images(shared_data: Path) -> None:
    root = shared_data / "rico_hdl_samples" / "UCMerced_LandUse" / "Images"
    ds = SceneFolderDataset(root)
    assert ds.classes == ["airplane", "forest"] and len(ds) == 4 and ds.bands == ["R", "G", "B"]
    sample = ds[0]
    assert sample["image"].shape == (3, 256, 256) and Path(sample["path"]).parent.name == "airplane"
    np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"]))
    assert ds.plot(sample).axes[0].get_title() == "airplane"


def test_real_eurosat_rgb_jpegs(shared_data: Path) -> None:
    ds = SceneFolderDataset(shared_data / "rico_hdl_samples" / "EuroSAT_RGB", bands=["G"])
    assert ds.classes == ["AnnualCrop", "Pasture", "SeaLake"] and len(ds) == 3
    for i in range(3):
        sample = ds[i]
        assert ds.classes[int(sample["label"])] == Path(sample["path"]).parent.name
        np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"])[[1]])
        assert sample["image"].shape == (1, 64, 64)
