"""``EuroSATRGB`` on tests/data/eurosat_rgb and on real EuroSAT RGB JPEGs."""

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
from eoforge.datasets import EuroSAT, EuroSATRGB, get_dataset
from eoforge.errors import BandNotFoundError, DatasetNotFoundError
from eoforge.tasks import ClassificationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "eurosat_rgb"


def _color(label: int) -> list[int]:
    """The generator's colour of class id ``label``."""
    return [20 * label + 10, 200 - 15 * label, 100]


def test_the_official_splits_give_their_jpegs() -> None:
    sizes = {split: len(EuroSATRGB(FIXTURE, split=split)) for split in EuroSATRGB.splits}
    assert sizes == {"train": 10, "val": 5, "test": 5}
    val = EuroSATRGB(FIXTURE, split="val")
    assert [val.sample_id(i) for i in range(5)] == [
        "AnnualCrop_2", "Forest_2", "Highway_2", "River_2", "SeaLake_2",
    ]  # fmt: skip
    assert [int(val[i]["label"]) for i in range(5)] == [0, 1, 3, 8, 9]
    assert get_dataset("eurosat_rgb") is EuroSATRGB and EuroSATRGB.classes == EuroSAT.classes


def test_pixels_are_red_green_blue_in_that_order() -> None:
    ds = EuroSATRGB(FIXTURE, split="train")
    assert ds.bands == ["R", "G", "B"]
    for i in range(len(ds)):
        sample = ds[i]
        assert sample["image"].dtype == torch.float32 and sample["image"].shape == (3, 16, 16)
        means = sample["image"].mean(dim=(1, 2)).tolist()
        np.testing.assert_allclose(means, _color(int(sample["label"])), atol=3)  # JPEG
        assert "grid" not in sample  # JPEGs carry no georeferencing


def test_bands_are_selected_by_name() -> None:
    sample = EuroSATRGB(FIXTURE, split="test", bands=["b", "R"])[0]  # HerbaceousVegetation
    assert sample["bands"] == ["B", "R"]
    np.testing.assert_allclose(sample["image"].mean(dim=(1, 2)).tolist(), [100, 50], atol=3)
    with pytest.raises(BandNotFoundError, match="'B04'"):
        EuroSATRGB(FIXTURE, bands=["B04"])


def test_plot_returns_a_figure() -> None:
    ds = EuroSATRGB(FIXTURE, split="val")
    figure = ds.plot(ds[3])
    assert isinstance(figure, Figure)
    assert "River" in " ".join(ax.get_title() for ax in figure.axes)


def test_missing_data_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        EuroSATRGB(tmp_path)
    message = str(info.value)
    assert "missing: EuroSAT.zip" in message and "/EuroSAT.zip" in message
    assert "EuroSATallBands" not in message
    assert "eoforge datasets download eurosat_rgb" in message


def test_the_archive_extracts_to_the_2750_folder(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "EuroSAT.zip", "w") as archive:
        for path in sorted((FIXTURE / "2750").rglob("*.jpg")):
            archive.write(path, path.relative_to(FIXTURE).as_posix())
    for split in EuroSATRGB.splits:
        shutil.copy(FIXTURE / f"eurosat-{split}.txt", tmp_path)
    assert len(EuroSATRGB(tmp_path, split="train")) == 10
    assert (tmp_path / "2750" / "Pasture" / "Pasture_1.jpg").is_file()


def test_real_jpegs_are_the_b04_b03_b02_of_the_multispectral_chips(
    shared_data: Path, tmp_path: Path
) -> None:
    real = shared_data / "rico_hdl_samples"
    names = ["AnnualCrop_1", "Pasture_300", "SeaLake_3000"]
    for name in names:
        folder = tmp_path / "2750" / name.rpartition("_")[0]
        folder.mkdir(parents=True)
        (folder / f"{name}.jpg").symlink_to(real / "EuroSAT_RGB" / folder.name / f"{name}.jpg")
    for split in EuroSATRGB.splits:
        (tmp_path / f"eurosat-{split}.txt").write_text("".join(f"{n}.jpg\n" for n in names))
    ds = EuroSATRGB(tmp_path, split="val")
    assert [int(ds[i]["label"]) for i in range(3)] == [0, 5, 9]
    for i, name in enumerate(names[:2]):  # the land chips (calm water is too flat to compare)
        rgb = ds[i]["image"].reshape(3, -1).numpy()
        assert ds[i]["image"].shape == (3, 64, 64)
        tif = real / "EuroSAT_MS" / name.rpartition("_")[0] / f"{name}.tif"
        with rasterio.open(tif) as src:
            ms = src.read([4, 3, 2]).reshape(3, -1).astype("float64")  # B04, B03, B02
        correlation = np.corrcoef(np.vstack([rgb, ms]))[:3, 3:]
        assert correlation.argmax(axis=1).tolist() == [0, 1, 2]
        assert correlation.diagonal().min() > 0.97


def test_one_training_step_on_the_fixture(tmp_path: Path) -> None:
    data = ChipDataModule(EuroSATRGB, root=str(FIXTURE), batch_size=4, num_workers=0,
                          stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = ClassificationTask(backbone="resnet18")
    trainer = Trainer(
        max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
        accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1 and task.hparams.in_channels == 3
