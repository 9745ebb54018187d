"""So2Sat: HDF5 patches, band selection across Sentinel-1 and -2, versions, per-process handles."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import h5py
import matplotlib
import numpy as np
import pytest
import torch
import yaml
from lightning.pytorch import Trainer

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import So2Sat, get_dataset
from eoforge.datasets.so2sat import S1_BANDS, S2_BANDS
from eoforge.errors import (
    BandNotFoundError,
    DatasetNotFoundError,
    RasterReadError,
    UnknownNameError,
)
from eoforge.tasks import ClassificationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "so2sat"
LABELS = {"train": [0, 4, 16, 9, 10, 13], "val": [1, 2, 3], "test": [5, 6, 7, 8]}


def _s2(n: int, r: int, c: int, b: int) -> float:
    """The fixture's sen2 value (make_data): exact binary fractions."""
    return (b + 1) / 16 + n / 256 + r / 4096 + c / 16384


def _s1(n: int, r: int, c: int, b: int) -> float:
    return -(b + 1) / 2 + n / 32 + r / 1024 - c / 4096


def test_lengths_and_labels_per_split() -> None:
    for split, labels in LABELS.items():
        ds = So2Sat(FIXTURE, split=split)
        assert len(ds) == len(labels)
        assert [int(ds[i]["label"]) for i in range(len(ds))] == labels


def test_sentinel2_by_default_unscaled_and_channels_first() -> None:
    ds = So2Sat(FIXTURE, split="train")
    assert ds.bands == list(S2_BANDS)
    sample = ds[3]
    assert sample["image"].shape == (10, 32, 32) and sample["image"].dtype == torch.float32
    assert sample["label"].dtype == torch.int64 and int(sample["label"]) == 9
    # the value of patch 3, row 7, column 20, band B8A (the 8th of sen2): reflectance as stored
    assert float(sample["image"][7, 7, 20]) == pytest.approx(_s2(3, 7, 20, 7), abs=1e-7)
    assert float(sample["image"][0, 31, 0]) == pytest.approx(_s2(3, 31, 0, 0), abs=1e-7)
    assert sample["id"] == "training_000003" and ds.sample_id(3) == "training_000003"


def test_bands_are_selected_by_name_across_both_sensors_in_the_order_asked() -> None:
    ds = So2Sat(FIXTURE, split="val", modality="s1+s2", bands=["B12", "VV_lee", "b02", "VH_real"])
    assert ds.bands == ["B12", "VV_lee", "B02", "VH_real"]
    image = ds[2]["image"]
    expected = [_s2(2, 5, 9, 9), _s1(2, 5, 9, 5), _s2(2, 5, 9, 0), _s1(2, 5, 9, 0)]
    np.testing.assert_allclose(image[:, 5, 9].numpy(), expected, rtol=1e-6)
    s1 = So2Sat(FIXTURE, split="val", modality="s1")
    assert s1.bands == list(S1_BANDS) and s1[0]["image"].shape == (8, 32, 32)
    both = So2Sat(FIXTURE, split="val", modality="s1+s2")
    assert both.bands == [*S1_BANDS, *S2_BANDS]


def test_bands_outside_the_modality_are_refused() -> None:
    with pytest.raises(BandNotFoundError, match=r"\['VV_lee'\] are not of modality 's2'.*s1\+s2"):
        So2Sat(FIXTURE, bands=["B04", "VV_lee"])
    with pytest.raises(BandNotFoundError, match="'VV'"):
        So2Sat(FIXTURE, modality="s1", bands=["VV"])
    with pytest.raises(UnknownNameError, match="modality 'sar'"):
        So2Sat(FIXTURE, modality="sar")


def test_version_3_files_and_its_missing_validation_split() -> None:
    train = So2Sat(FIXTURE, split="train", version="3_block")
    assert train.path == FIXTURE / "block" / "training.h5" and len(train) == 2
    assert [int(train[i]["label"]) for i in range(2)] == [11, 12]
    assert int(So2Sat(FIXTURE, split="test", version="3_block")[1]["label"]) == 15
    with pytest.raises(UnknownNameError, match="version 3_block has no 'val' split"):
        So2Sat(FIXTURE, split="val", version="3_block")
    with pytest.raises(UnknownNameError, match="no version '4'"):
        So2Sat(FIXTURE, version="4")


def test_missing_files_say_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        So2Sat(tmp_path, split="val")
    message = str(info.value)
    assert "validation.h5" in message and "ftp://m1483140:m1483140@dataserv.ub.tum.de/" in message
    assert "training.h5" not in message  # only the split's file is needed
    with pytest.raises(DatasetNotFoundError, match=r"random/testing\.h5.*m1613658"):
        So2Sat(tmp_path, split="test", version="3_random")


def test_a_file_of_another_layout_is_refused(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "testing.h5", "w") as f:
        f.create_dataset("sen2", data=np.zeros((2, 10, 32, 32)))  # channels first: not So2Sat
        f.create_dataset("sen1", data=np.zeros((2, 32, 32, 8)))
        f.create_dataset("label", data=np.eye(17)[:2])
    with pytest.raises(RasterReadError, match="not a So2Sat LCZ42 file"):
        So2Sat(tmp_path, split="test")


def test_each_process_opens_its_own_handle_and_pickles_carry_none(tmp_path: Path) -> None:
    ds = So2Sat(FIXTURE, split="val")
    first = ds[0]["image"]
    handle = ds._files.get(ds.path)
    assert ds._files.get(ds.path) is handle  # kept open in this process
    copy = pickle.loads(pickle.dumps(ds))  # what a spawned worker receives
    assert copy._files._open == {}
    torch.testing.assert_close(copy[0]["image"], first)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked worker: reads with a handle of its own
        ok = ds._files.get(ds.path) is not handle and torch.equal(ds[0]["image"], first)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"


def test_registered_and_plotted() -> None:
    assert get_dataset("so2sat") is So2Sat
    info = So2Sat.info()
    assert info["num_classes"] == 17 and info["default_bands"] == list(S2_BANDS)
    described = {b["name"]: b["description"] for b in info["bands"]}
    assert described["B11"] == "SWIR 1" and described["VH_lee"] == ""  # not Landsat's B11
    assert [f["md5"] for f in info["files"]] == [
        "702bc6a9368ebff4542d791e53469244", "71cfa6795de3e22207229d06d6f8775d",
        "e81426102b488623a723beab52b31a8a",
    ]  # fmt: skip
    ds = So2Sat(FIXTURE, split="train")
    fig = ds.plot(ds[2], torch.nn.functional.one_hot(torch.tensor(16), 17).float())
    assert fig.axes[0].get_title() == "truth: water | prediction: water"


def test_one_training_step_through_the_chip_data_module(tmp_path: Path) -> None:
    dm = ChipDataModule(So2Sat, root=str(FIXTURE), batch_size=3, num_workers=0, stats_samples=4,
                        bands=["B04", "B03", "B02", "B08"])  # fmt: skip
    task = ClassificationTask(backbone="resnet18", lr=0.01)
    trainer = Trainer(max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=str(tmp_path))  # fmt: skip
    trainer.fit(task, datamodule=dm)
    assert trainer.global_step == 1 and task.hparams.num_classes == 17
    assert task.hparams.in_channels == 4


def test_the_shipped_config_builds_its_data_on_the_fixture(tmp_path: Path) -> None:
    config = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "configs" / "so2sat.yaml").read_text()
    )
    args = config["data"]["init_args"]
    assert args["dataset"] == "eoforge.datasets.So2Sat"
    args.update(root=str(FIXTURE), stats=None, stats_samples=2, num_workers=0)
    dm = ChipDataModule(**args)
    dm.setup("fit")
    assert isinstance(dm.datasets["train"], So2Sat) and len(dm.datasets["val"]) > 0
    assert dm.data_info()["bands"] == args["bands"]
