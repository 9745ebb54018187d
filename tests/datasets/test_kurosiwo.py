"""``KuroSiwo`` on the fixture of tests/data/kurosiwo (see its make_data.py for the content)."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import rasterio
import torch
from lightning.pytorch import Trainer

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import KuroSiwo, get_dataset
from eoforge.datasets import kurosiwo_cells as cells_module
from eoforge.errors import DatasetNotFoundError, EoforgeError, RasterReadError, UnknownNameError
from eoforge.geo import GridSpec
from eoforge.tasks import SegmentationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "kurosiwo"
HAND_CELL = "130/01/e2a028b6e502f3f79648ee94f16ccb55"  # cell_hash(130, "01") of make_data.py
SIZE = 32


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture (the dataset writes its index beside the data)."""
    copy = tmp_path_factory.mktemp("kurosiwo")
    shutil.copytree(FIXTURE / "data", copy / "data")
    return copy


def _layer(root: Path, cell: str, prefix: str) -> np.ndarray:
    (path,) = (root / "data" / cell).glob(f"{prefix}_*.tif")
    with rasterio.open(path) as ds:
        return np.asarray(ds.read(1))


def _hand(ds: KuroSiwo) -> dict:
    return next(ds[i] for i in range(len(ds)) if ds.sample_id(i) == HAND_CELL)


def test_splits_hold_the_events_cells_and_skip_unlabelled_and_incomplete(root: Path) -> None:
    train = KuroSiwo(root, split="train")
    assert len(train) == 2 and train.unlabelled == 1 and train.incomplete == 1
    assert sorted(c.actid for c in train.cells) == [130, 470]
    assert [len(KuroSiwo(root, split=s)) for s in ("val", "test")] == [1, 1]
    assert KuroSiwo(root, split="val").cells[0].actid == 514
    # the cell without SL2 files is usable when no pre2 band is asked for
    two_dates = KuroSiwo(root, split="train", times=("post", "pre1"))
    assert len(two_dates) == 3 and two_dates.incomplete == 0
    assert {c.actid for c in two_dates.cells} == {130, 470, 1111011}


def test_image_holds_the_files_bands_in_the_order_asked(root: Path) -> None:
    ds = KuroSiwo(root, split="train", bands=["VH_pre2", "VV_post", "SLOPE"])
    sample = _hand(ds)
    assert sample["bands"] == ["VH_pre2", "VV_post", "SLOPE"]
    assert sample["image"].dtype == torch.float32 and sample["image"].shape == (3, SIZE, SIZE)
    expected = np.stack([_layer(root, HAND_CELL, p) for p in ("SL2_IVH", "MS1_IVV", "MK0_SLOPE")])
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(sample["image"].numpy()[finite], expected[finite])
    assert sample["id"] == HAND_CELL and (sample["actid"], sample["aoiid"]) == (130, 1)
    assert sample["dates"] == {"post": "2020-01-15", "pre1": "2019-12-28", "pre2": "2019-12-16"}


def test_default_bands_are_the_six_sar_bands_and_times_build_them(root: Path) -> None:
    assert KuroSiwo(root).bands == ["VV_post", "VH_post", "VV_pre1", "VH_pre1", "VV_pre2",
                                    "VH_pre2"]  # fmt: skip
    ds = KuroSiwo(root, times=("pre2",), ancillary=("SLOPE", "DEM"))
    assert ds.bands == ["VV_pre2", "VH_pre2", "SLOPE", "DEM"]
    with pytest.raises(EoforgeError, match="not both"):
        KuroSiwo(root, bands=["VV_post"], times=("post",))
    with pytest.raises(UnknownNameError, match="'pre1'"):
        KuroSiwo(root, times=("pre_1",))


def test_labels_decode_with_invalid_and_unmeasured_pixels_ignored(root: Path) -> None:
    mask = _hand(KuroSiwo(root))["mask"]
    assert mask.dtype == torch.int64 and mask.shape == (SIZE, SIZE)
    # MLU[y, x] = (x // 8) % 3, row 0 = 3 (invalid); MNA = 0 at row 31, columns 0-3
    columns = np.arange(SIZE)
    expected = np.tile((columns // 8) % 3, (SIZE, 1))
    expected[0] = 255
    expected[SIZE - 1, :4] = 255
    np.testing.assert_array_equal(mask.numpy(), expected)
    assert mask[5, 9] == 1 and mask[5, 20] == 2 and mask[5, 30] == 0


def test_nodata_becomes_zero_and_invalid(root: Path) -> None:
    ds = KuroSiwo(root, bands=["VV_post", "VH_pre1", "DEM"])
    sample = _hand(ds)
    image, valid = sample["image"].numpy(), sample["valid"].numpy()
    assert valid.dtype == bool and valid.shape == (SIZE, SIZE)
    # NaN in MS1_IVV at (5, 5), SAR nodata 0.0 in SL1_IVH at (6, 6), DEM nodata tag at (7, 7)
    assert np.isnan(_layer(root, HAND_CELL, "MS1_IVV")[5, 5])
    assert set(zip(*np.nonzero(~valid), strict=True)) == {(5, 5), (6, 6), (7, 7)}
    assert image[0, 5, 5] == 0 and image[1, 6, 6] == 0 and image[2, 7, 7] == 0
    assert np.isfinite(image).all()
    assert image[2, 0, 0] == pytest.approx(10.0)  # the fixture's DEM starts at 10 m


def test_samples_carry_the_cells_grid(root: Path) -> None:
    sample = _hand(KuroSiwo(root))
    (path,) = (root / "data" / HAND_CELL).glob("MS1_IVV_*.tif")
    with rasterio.open(path) as src:
        assert sample["grid"] == GridSpec(src.crs, src.transform, src.width, src.height)
    assert sample["grid"].crs == "EPSG:3857"


def test_a_layer_on_another_grid_is_an_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "data", tmp_path / "data")
    (path,) = (tmp_path / "data" / HAND_CELL).glob("SL1_IVV_*.tif")
    with rasterio.open(path) as src:
        pixels, profile = src.read(), src.profile
    shifted = profile["transform"]
    profile["transform"] = type(shifted)(shifted.a, 0, shifted.c + 10, 0, shifted.e, shifted.f)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(pixels)
    ds = KuroSiwo(tmp_path)
    with pytest.raises(RasterReadError, match="SL1_IVV"):
        _hand(ds)


def test_the_cell_index_is_saved_and_rebuilt_when_cells_come_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURE / "data", tmp_path / "data")
    assert len(KuroSiwo(tmp_path, split="val")) == 1
    assert (tmp_path / ".eoforge-kurosiwo-index.json").is_file()
    scans = []
    original = cells_module._scan
    monkeypatch.setattr(cells_module, "_scan", lambda data: scans.append(data) or original(data))
    assert len(KuroSiwo(tmp_path, split="val")) == 1 and scans == []  # read from the index
    shutil.copytree(tmp_path / "data" / "514" / "01", tmp_path / "data" / "514" / "02")
    assert len(KuroSiwo(tmp_path, split="val")) == 2 and len(scans) == 1


def test_missing_data_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        KuroSiwo(tmp_path / "nothing")
    message = str(info.value)
    assert "00.tar.gz" in message and "10.tar.gz" in message and "dropbox.com" in message
    assert "catalogue.gpkg" not in message  # not needed to train
    assert "eoforge datasets download kurosiwo" in message


def test_registry_info_and_plot(root: Path) -> None:
    assert get_dataset("kurosiwo") is KuroSiwo
    bands = {b["name"]: b for b in KuroSiwo.info()["bands"]}
    assert "post" in bands["VV_post"]["description"] and bands["VH_pre2"]["resolution_m"] == 10
    ds = KuroSiwo(root)
    figure = ds.plot(_hand(ds))
    assert isinstance(figure, matplotlib.figure.Figure)
    assert [ax.get_title() for ax in figure.axes][:2] == ["VV_pre1, VV_post, VV_post", "mask"]


def test_one_training_step_through_the_chip_data_module(root: Path, tmp_path: Path) -> None:
    data = ChipDataModule(KuroSiwo, root=str(root), batch_size=2, num_workers=0,
                          stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = SegmentationTask(backbone="pixel_mlp", loss="ce", lr=0.01)
    trainer = Trainer(max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                      default_root_dir=str(tmp_path))  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1
    assert task.hparams.num_classes == 3 and task.ignore_index == 255
    assert task.hparams.data_info["bands"] == KuroSiwo(root).bands
    assert np.isfinite(trainer.callback_metrics["train/loss"].item())
