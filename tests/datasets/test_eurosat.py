"""``EuroSAT`` (multispectral) on tests/data/eurosat and on real EuroSAT-MS chips."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import rasterio
import torch
from lightning.pytorch import Trainer
from matplotlib.figure import Figure

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import EuroSAT, get_dataset
from eoforge.errors import BandNotFoundError, DatasetNotFoundError, EoforgeError
from eoforge.geo import GridSpec
from eoforge.tasks import ClassificationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "eurosat"
IMAGES = "ds/images/remote_sensing/otherDatasets/sentinel_2/tif"
# the generator's content: file band k (1-based) of a chip of class c holds 1000 k + c at (0, 0)
TEST_CLASSES = ["HerbaceousVegetation", "Industrial", "Pasture", "PermanentCrop", "Residential"]


def _read(path: str | Path, bands: list[int] | None = None) -> np.ndarray:
    with rasterio.open(path) as src:
        return np.asarray(src.read(bands))


def test_the_official_splits_give_their_chips_and_classes() -> None:
    sizes = {split: len(EuroSAT(FIXTURE, split=split)) for split in EuroSAT.splits}
    assert sizes == {"train": 10, "val": 5, "test": 5}
    test = EuroSAT(FIXTURE, split="test")
    assert [test.classes[int(test[i]["label"])] for i in range(len(test))] == TEST_CLASSES
    assert [int(test[i]["label"]) for i in range(len(test))] == [2, 4, 5, 6, 7]
    ids = {EuroSAT(FIXTURE, split=s).sample_id(i) for s in EuroSAT.splits for i in range(5)}
    assert "Forest_3" not in ids  # on disk, but in no split list


def test_classes_are_the_folders_in_alphabetical_order() -> None:
    folders = sorted(p.name for p in (FIXTURE / IMAGES).iterdir())
    assert list(EuroSAT.classes) == folders == sorted(EuroSAT.classes)
    assert EuroSAT.classes.index("AnnualCrop") == 0 and EuroSAT.classes.index("SeaLake") == 9
    assert get_dataset("eurosat") is EuroSAT


def test_all_13_bands_come_in_file_order_with_b8a_last() -> None:
    ds = EuroSAT(FIXTURE, split="train")
    assert ds.bands[-1] == "B8A" and ds.bands[9] == "B10" and len(ds.bands) == 13
    for i in range(len(ds)):
        sample = ds[i]
        label = int(sample["label"])
        assert sample["image"].dtype == torch.float32 and sample["image"].shape == (13, 16, 16)
        expected = [1000 * k + label for k in range(1, 14)]
        assert sample["image"][:, 0, 0].tolist() == expected
        np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"]))


def test_bands_are_selected_by_name_in_the_order_asked() -> None:
    ds = EuroSAT(FIXTURE, split="val", bands=["B8A", "b04", "B10"])
    sample = ds[1]  # Forest_2, class 1
    assert sample["bands"] == ["B8A", "B04", "B10"]
    assert sample["image"][:, 0, 0].tolist() == [13001.0, 4001.0, 10001.0]
    np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"], [13, 4, 10]))
    with pytest.raises(BandNotFoundError, match="'B8'"):
        EuroSAT(FIXTURE, bands=["B8"])


def test_samples_carry_their_grid_and_name() -> None:
    ds = EuroSAT(FIXTURE, split="train")
    for i in (0, 1):
        sample = ds[i]
        with rasterio.open(sample["path"]) as src:
            assert sample["grid"] == GridSpec(src.crs, src.transform, src.width, src.height)
        assert sample["id"] == ds.sample_id(i) == Path(sample["path"]).stem
    assert {ds[0]["grid"].crs, ds[1]["grid"].crs} == {"EPSG:32632", "EPSG:32635"}
    assert ds[0]["grid"].res[0] != 10.0  # EuroSAT's pixels are about, not exactly, 10 m


def test_plot_returns_a_figure_titled_with_the_class() -> None:
    ds = EuroSAT(FIXTURE, split="test")
    figure = ds.plot(ds[2], prediction=5)
    assert isinstance(figure, Figure)
    assert "Pasture" in " ".join(ax.get_title() for ax in figure.axes)


def test_missing_data_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        EuroSAT(tmp_path / "eurosat")
    message = str(info.value)
    assert "EuroSATallBands.zip" in message and "eurosat-train.txt" in message
    assert "https://hf.co/datasets/torchgeo/eurosat/resolve/" in message
    assert "eoforge datasets download eurosat" in message and str(tmp_path) in message


def test_an_archive_put_into_root_by_hand_is_extracted(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "EuroSATallBands.zip", "w") as archive:
        for path in sorted((FIXTURE / "ds").rglob("*.tif")):
            archive.write(path, path.relative_to(FIXTURE).as_posix())
    for split in EuroSAT.splits:
        shutil.copy(FIXTURE / f"eurosat-{split}.txt", tmp_path)
    ds = EuroSAT(tmp_path, split="val")
    assert len(ds) == 5 and (tmp_path / IMAGES / "Forest" / "Forest_2.tif").is_file()
    assert ds[4]["image"][:, 0, 0].tolist() == [1000.0 * k + 9 for k in range(1, 14)]


def test_a_split_list_with_an_unknown_class_is_an_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "ds", tmp_path / "ds")
    for split in EuroSAT.splits:
        (tmp_path / f"eurosat-{split}.txt").write_text("Forest_1.jpg\nWoodland_4.jpg\n")
    with pytest.raises(EoforgeError, match="'Woodland'"):
        EuroSAT(tmp_path)


def test_real_eurosat_chips_have_b10_tenth_and_b8a_last(shared_data: Path, tmp_path: Path) -> None:
    real = shared_data / "rico_hdl_samples" / "EuroSAT_MS"
    names = ["AnnualCrop_1", "Pasture_300", "SeaLake_3000"]
    for name in names:
        folder = tmp_path / IMAGES / name.rpartition("_")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.tif").symlink_to(real / name.rpartition("_")[0] / f"{name}.tif")
    for split in EuroSAT.splits:
        (tmp_path / f"eurosat-{split}.txt").write_text("".join(f"{n}.jpg\n" for n in names))
    ds = EuroSAT(tmp_path, split="test")
    assert [int(ds[i]["label"]) for i in range(3)] == [0, 5, 9]
    for i in range(3):
        sample = ds[i]
        assert sample["image"].shape == (13, 64, 64) and sample["grid"].crs.startswith("EPSG:326")
        np.testing.assert_array_equal(sample["image"].numpy(), _read(sample["path"]))
        b10 = sample["image"][ds.bands.index("B10")]
        assert float(b10.max()) < 30  # cirrus: near zero everywhere over these scenes
        if sample["id"] != "SeaLake_3000":  # over land, B8A follows B07 (calm water is flat)
            b07, b8a = (sample["image"][ds.bands.index(b)].flatten() for b in ("B07", "B8A"))
            assert np.corrcoef(b07.numpy(), b8a.numpy())[0, 1] > 0.99
    assert ds[0]["grid"].crs == "EPSG:32635"


def test_one_training_step_on_the_fixture(tmp_path: Path) -> None:
    data = ChipDataModule(EuroSAT, root=str(FIXTURE), batch_size=4, num_workers=0,
                          stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = ClassificationTask(backbone="resnet18", lr=0.001)
    trainer = Trainer(
        max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
        accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1
    assert task.hparams.num_classes == 10 and task.hparams.in_channels == 13
