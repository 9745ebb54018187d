"""``ReBEN`` (BigEarthNet v2.0) on tests/data/reben and on the real reBEN sample patches."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import rasterio
import torch
from bilinear_reference import upsample_bilinear
from lightning.pytorch import Trainer
from matplotlib.figure import Figure

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import ReBEN, get_dataset
from eoforge.datasets.reben_metadata import parse_labels, read_metadata
from eoforge.errors import BandNotFoundError, DatasetNotFoundError, EoforgeError, RasterReadError
from eoforge.geo import GridSpec
from eoforge.tasks import ClassificationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "reben"
# the generator's patches in table order, their split and labels' ids (worked out by hand)
LABELS = {"train": [[2, 4, 8, 10], [17], [9, 13, 15]], "val": [[14, 18]], "test": [[0, 5, 6]]}
COARSE = {"B05": 2, "B06": 2, "B07": 2, "B8A": 2, "B11": 2, "B12": 2, "B01": 6, "B09": 6}
SAMPLES = Path("rico_hdl_samples") / "BigEarthNet"
REAL_S2 = "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_75_43"
REAL_S1 = "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_70_48"


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return np.asarray(src.read(1))


def _s2_file(root: Path, patch: str, band: str) -> Path:
    return root / "BigEarthNet-S2" / "_".join(patch.split("_")[:-2]) / patch / f"{patch}_{band}.tif"


def _s1_file(root: Path, name: str, band: str) -> Path:
    return root / "BigEarthNet-S1" / "_".join(name.split("_")[:-3]) / name / f"{name}_{band}.tif"


def test_splits_come_from_the_table_and_labels_decode() -> None:
    for split, expected in LABELS.items():
        ds = ReBEN(FIXTURE, split=split)
        assert len(ds) == len(expected)
        for i, ones in enumerate(expected):
            label = ds[i]["label"]
            assert label.dtype == torch.int64 and label.shape == (19,)
            assert label.nonzero().flatten().tolist() == ones
    assert ReBEN(FIXTURE, split="val")[0]["id"].endswith("_4_55")  # the table's "validation"
    assert get_dataset("reben") is ReBEN


def test_label_cells_as_lists_joined_text_or_list_literals() -> None:
    rows = read_metadata(FIXTURE)
    assert rows[2].labels == (
        "Coniferous forest",
        "Inland wetlands",
        "Transitional woodland, shrub",
    )
    assert rows[3].labels == ("Marine waters", "Beaches, dunes, sands")
    assert parse_labels(["Arable land", "Pastures"]) == ["Arable land", "Pastures"]
    assert parse_labels("['Arable land', 'Pastures']") == ["Arable land", "Pastures"]


def test_s2_bands_fine_exact_coarse_bilinear_and_grid() -> None:
    ds = ReBEN(FIXTURE, split="train")
    assert len(ds.bands) == 12 and "B10" not in ds.bands
    sample = ds[0]
    assert sample["image"].dtype == torch.float32 and sample["image"].shape == (12, 12, 12)
    for channel, band in enumerate(ds.bands):
        pixels = _read(_s2_file(FIXTURE, sample["id"], band))
        got = sample["image"][channel].numpy()
        if band in COARSE:
            reference = upsample_bilinear(pixels, COARSE[band])
            np.testing.assert_allclose(got, reference, rtol=0, atol=0.5 + 1e-6)
        else:
            np.testing.assert_array_equal(got, pixels)
    with rasterio.open(_s2_file(FIXTURE, sample["id"], "B04")) as src:
        assert sample["grid"] == GridSpec(src.crs, src.transform, src.width, src.height)
    assert ds.sample_id(0) == sample["id"]


def test_modalities_and_band_selection() -> None:
    s1 = ReBEN(FIXTURE, split="test", modality="s1")[0]
    assert s1["bands"] == ["VV", "VH"]
    name = s1["s1_id"]
    np.testing.assert_array_equal(s1["image"][0].numpy(), _read(_s1_file(FIXTURE, name, "VV")))
    np.testing.assert_array_equal(s1["image"][1].numpy(), _read(_s1_file(FIXTURE, name, "VH")))
    both = ReBEN(FIXTURE, split="test", modality="s1+s2", bands=["VH", "B08"])[0]
    assert both["bands"] == ["VH", "B08"]
    np.testing.assert_array_equal(both["image"][0].numpy(), s1["image"][1].numpy())
    with pytest.raises(BandNotFoundError, match="modality='s1'"):
        ReBEN(FIXTURE, modality="s1", bands=["B02"])


def test_plot_returns_a_figure() -> None:
    ds = ReBEN(FIXTURE, split="val")
    figure = ds.plot(ds[0])
    assert isinstance(figure, Figure)
    assert "Marine waters" in " ".join(ax.get_title() for ax in figure.axes)


def test_missing_data_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        ReBEN(tmp_path)
    message = str(info.value)
    assert "BigEarthNet-S2.tar.gzaa" in message and "BigEarthNet-S2.tar.gzab" in message
    assert "metadata.parquet" in message and "BigEarthNet-S1" not in message
    assert "hf.co/datasets/torchgeo/bigearthnet" in message
    assert "eoforge datasets download reben" in message


def test_parts_put_into_root_by_hand_are_joined_and_extracted(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(FIXTURE / "BigEarthNet-S2", arcname="BigEarthNet-S2")
    data = buffer.getvalue()
    (tmp_path / "BigEarthNet-S2.tar.gzaa").write_bytes(data[: len(data) // 2])
    (tmp_path / "BigEarthNet-S2.tar.gzab").write_bytes(data[len(data) // 2 :])
    shutil.copy(FIXTURE / "metadata.csv", tmp_path)  # the CSV export stands for the Parquet table
    ds = ReBEN(tmp_path, split="train")
    assert len(ds) == 3 and ds[0]["image"].shape == (12, 12, 12)
    assert not (tmp_path / "BigEarthNet-S2.tar.gzaa").exists()  # parts removed once joined


def test_the_parquet_table_needs_an_engine_or_a_csv_export(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "BigEarthNet-S2", tmp_path / "BigEarthNet-S2")
    (tmp_path / "metadata.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    with pytest.raises(EoforgeError, match=r"metadata\.parquet"):
        ReBEN(tmp_path)  # no engine here (pyarrow is not installed), or a corrupt file
    shutil.copy(FIXTURE / "metadata.csv", tmp_path)
    assert len(ReBEN(tmp_path, split="test")) == 1  # the CSV export is read instead


def test_a_table_without_its_columns_is_an_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "BigEarthNet-S2", tmp_path / "BigEarthNet-S2")
    (tmp_path / "metadata.csv").write_text("patch_id,labels\nS2_x_1_2,Pastures\n")
    with pytest.raises(EoforgeError, match="no column split, s1_name"):
        ReBEN(tmp_path)


def _real_root(shared_data: Path, tmp_path: Path, s2: str, s1: str) -> Path:
    real = shared_data / SAMPLES
    for tree in ("BigEarthNet-S2", "BigEarthNet-S1"):
        (tmp_path / tree).symlink_to(real / tree)
    (tmp_path / "metadata.csv").write_text(
        f"patch_id,labels,split,country,s1_name\n{s2},Arable land;Mixed forest,train,Austria,{s1}\n"
    )
    return tmp_path


def test_real_patches_load_per_modality(shared_data: Path, tmp_path: Path) -> None:
    root = _real_root(shared_data, tmp_path, REAL_S2, REAL_S1)
    s2 = ReBEN(root)[0]
    assert s2["image"].shape == (12, 120, 120) and s2["grid"].crs == "EPSG:32633"
    assert s2["label"].nonzero().flatten().tolist() == [2, 10]
    for band in ("B02", "B08"):
        expected = _read(_s2_file(root, REAL_S2, band))
        np.testing.assert_array_equal(s2["image"][ReBEN.all_bands.index(band)].numpy(), expected)
    b8a = _read(_s2_file(root, REAL_S2, "B8A"))
    got = s2["image"][ReBEN.all_bands.index("B8A")].numpy()
    np.testing.assert_allclose(got, upsample_bilinear(b8a, 2), rtol=0, atol=0.5 + 1e-6)
    s1 = ReBEN(root, modality="s1")[0]
    np.testing.assert_array_equal(s1["image"][0].numpy(), _read(_s1_file(root, REAL_S1, "VV")))
    np.testing.assert_array_equal(s1["image"][1].numpy(), _read(_s1_file(root, REAL_S1, "VH")))
    assert s1["image"].dtype == torch.float32 and float(s1["image"].max()) < 10  # dB
    # these two sample patches are not a pair (they lie 6 km apart): stacking them is refused
    with pytest.raises(RasterReadError, match="covers"):
        ReBEN(root, modality="s1+s2")[0]


@pytest.mark.filterwarnings("ignore:No positive samples found in target")  # tiny validation set
def test_one_training_step_on_the_fixture(tmp_path: Path) -> None:
    data = ChipDataModule(ReBEN, root=str(FIXTURE), batch_size=2, num_workers=0,
                          dataset_options={"modality": "s1+s2"},
                          stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = ClassificationTask(backbone="resnet18", multilabel=True)
    trainer = Trainer(
        max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
        accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1 and task.hparams.in_channels == 14
