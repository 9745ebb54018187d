"""``BigEarthNet`` (v1.0) on tests/data/bigearthnet and on the real BigEarthNet example patches."""

from __future__ import annotations

import json
import shutil
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
from eoforge.datasets import BigEarthNet, get_dataset
from eoforge.errors import (
    BandNotFoundError,
    DatasetNotFoundError,
    EoforgeError,
    RasterReadError,
    UnknownNameError,
)
from eoforge.geo import GridSpec
from eoforge.tasks import ClassificationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "bigearthnet"
S2 = FIXTURE / "BigEarthNet-v1.0"
S1 = FIXTURE / "BigEarthNet-S1-v1.0"
# the generator's patches (in split order) and their labels' ids, worked out by hand
LABELS_19 = {"train": [[2, 6], [9, 10, 13, 15, 17], []], "val": [[12, 18]], "test": [[3, 4]]}
LABELS_43 = {
    "train": [[11, 20], [23, 24, 28, 34, 39], [3, 5]], "val": [[26, 27, 42]],
    "test": [[14, 16, 17, 18]],
}  # fmt: skip
COARSE = {"B05": 2, "B06": 2, "B07": 2, "B8A": 2, "B11": 2, "B12": 2, "B01": 6, "B09": 6}


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return np.asarray(src.read(1))


def _ones(label: torch.Tensor) -> list[int]:
    return label.nonzero().flatten().tolist()


def test_split_lengths_and_19_class_labels() -> None:
    for split, expected in LABELS_19.items():
        ds = BigEarthNet(FIXTURE, split=split)
        assert len(ds) == len(expected)
        for i, ones in enumerate(expected):
            label = ds[i]["label"]
            assert label.dtype == torch.int64 and label.shape == (19,)
            assert _ones(label) == ones
    assert get_dataset("bigearthnet") is BigEarthNet


def test_43_class_labels_keep_the_original_nomenclature() -> None:
    for split, expected in LABELS_43.items():
        ds = BigEarthNet(FIXTURE, split=split, num_classes=43)
        assert len(ds.classes) == 43 and ds.classes[24] == "Mixed forest"
        assert [_ones(ds[i]["label"]) for i in range(len(ds))] == expected
    assert len(BigEarthNet.classes) == 19  # the class keeps its 19 classes
    with pytest.raises(EoforgeError, match="num_classes=19"):
        BigEarthNet(FIXTURE, num_classes=20)


def test_s2_bands_on_the_10_m_grid_fine_exact_coarse_bilinear() -> None:
    ds = BigEarthNet(FIXTURE, split="train")
    assert ds.bands == ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09",
                        "B11", "B12"]  # fmt: skip
    sample = ds[1]
    patch = sample["id"]
    assert sample["image"].dtype == torch.float32 and sample["image"].shape == (12, 12, 12)
    for channel, band in enumerate(ds.bands):
        pixels = _read(S2 / patch / f"{patch}_{band}.tif")
        got = sample["image"][channel].numpy()
        if band in COARSE:
            reference = upsample_bilinear(pixels, COARSE[band])
            np.testing.assert_allclose(got, reference, rtol=0, atol=0.5 + 1e-6)
        else:
            np.testing.assert_array_equal(got, pixels)
    with rasterio.open(S2 / patch / f"{patch}_B02.tif") as src:
        assert sample["grid"] == GridSpec(src.crs, src.transform, src.width, src.height)


def test_bands_are_selected_by_name_within_the_modality() -> None:
    sample = BigEarthNet(FIXTURE, split="test", bands=["b8a", "B02"])[0]
    patch = sample["id"]
    assert sample["bands"] == ["B8A", "B02"] and sample["image"].shape == (2, 12, 12)
    np.testing.assert_array_equal(
        sample["image"][1].numpy(), _read(S2 / patch / f"{patch}_B02.tif")
    )
    with pytest.raises(BandNotFoundError, match="modality='s2'"):
        BigEarthNet(FIXTURE, bands=["VV"])
    with pytest.raises(UnknownNameError, match="did you mean 's1\\+s2'"):
        BigEarthNet(FIXTURE, modality="s1s2")


def test_sentinel1_is_float32_db_in_vv_vh_order() -> None:
    ds = BigEarthNet(FIXTURE, split="val", modality="s1")
    sample = ds[0]
    s1 = sample["s1_id"]
    assert ds.bands == ["VV", "VH"] and sample["image"].shape == (2, 12, 12)
    vv, vh = _read(S1 / s1 / f"{s1}_VV.tif"), _read(S1 / s1 / f"{s1}_VH.tif")
    np.testing.assert_array_equal(sample["image"][0].numpy(), vv)  # not truncated to integers
    np.testing.assert_array_equal(sample["image"][1].numpy(), vh)
    assert float(sample["image"][0].mean()) > float(sample["image"][1].mean())
    assert _ones(sample["label"]) == [12, 18]  # from the S1 patch's own label file


def test_s1_plus_s2_stacks_s2_then_vv_vh_of_the_paired_patch() -> None:
    ds = BigEarthNet(FIXTURE, split="train", modality="s1+s2")
    assert ds.bands[-2:] == ["VV", "VH"] and len(ds.bands) == 14
    sample = ds[2]
    s1 = sample["s1_id"]
    assert s1.endswith("_12_22") and sample["id"].endswith("_12_22")
    np.testing.assert_array_equal(sample["image"][12].numpy(), _read(S1 / s1 / f"{s1}_VV.tif"))
    np.testing.assert_array_equal(sample["image"][13].numpy(), _read(S1 / s1 / f"{s1}_VH.tif"))
    assert ds.sample_id(2) == sample["id"]


def test_a_wrongly_paired_s1_patch_is_refused(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "ben", ignore=shutil.ignore_patterns("*.py"))
    lines = (FIXTURE / "bigearthnet-train.csv").read_text().splitlines()
    s2_first, s1_first = lines[0].split(",")
    s1_second = lines[1].split(",")[1]  # in another UTM zone
    (tmp_path / "ben" / "bigearthnet-train.csv").write_text(f"{s2_first},{s1_second}\n")
    with pytest.raises(RasterReadError, match="covers"):
        BigEarthNet(tmp_path / "ben", modality="s1+s2")[0]
    assert s1_first != s1_second


def test_plot_returns_a_figure() -> None:
    ds = BigEarthNet(FIXTURE, split="train")
    figure = ds.plot(ds[0], prediction=torch.linspace(0, 1, 19))
    assert isinstance(figure, Figure)
    assert "Arable land" in " ".join(ax.get_title() for ax in figure.axes)


def test_missing_data_names_only_the_modality_archives(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        BigEarthNet(tmp_path, split="val")
    message = str(info.value)
    assert "BigEarthNet-S2-v1.0.tar.gz" in message and "bigearthnet-val.csv" in message
    assert "zenodo.org/records/12687186" in message and "BigEarthNet-S1-v1.0" not in message
    with pytest.raises(DatasetNotFoundError, match=r"missing: BigEarthNet-S1-v1\.0\.tar\.gz,"):
        BigEarthNet(tmp_path, modality="s1")


def _real_root(shared_data: Path, tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A root in the v1 layout over the real example patches, paired as their S1 JSONs say."""
    example = shared_data / "bigearthnet_example"
    (tmp_path / "BigEarthNet-v1.0").mkdir()
    (tmp_path / "BigEarthNet-S1-v1.0").mkdir()
    pairs = []
    for folder in sorted((example / "BigEarthNet-S1-Example").iterdir()):
        meta = json.loads((folder / f"{folder.name}_labels_metadata.json").read_text())
        s2 = meta["corresponding_s2_patch"]
        pairs.append((s2, folder.name))
        (tmp_path / "BigEarthNet-S1-v1.0" / folder.name).symlink_to(folder)
        (tmp_path / "BigEarthNet-v1.0" / s2).symlink_to(example / "BigEarthNet-S2-Example" / s2)
    for split in BigEarthNet.splits:
        (tmp_path / f"bigearthnet-{split}.csv").write_text("".join(f"{a},{b}\n" for a, b in pairs))
    return tmp_path, pairs


# the real patches' labels (their JSON files), mapped to the 19 classes by hand
REAL_LABELS_19 = {
    "S2A_MSIL2A_20170613T101031_87_48": [2, 6],
    "S2A_MSIL2A_20170617T113321_36_85": [2, 4],
    "S2A_MSIL2A_20170617T113321_4_55": [4],
    "S2A_MSIL2A_20171221T112501_56_35": [5, 6, 8, 13],
    "S2B_MSIL2A_20170924T93020_69_24": [9, 10, 13, 15, 17],
    "S2B_MSIL2A_20180204T94161_57_38": [2, 9, 10],
}


def test_real_patches_decode_their_json_labels_and_pair_up(
    shared_data: Path, tmp_path: Path
) -> None:
    root, pairs = _real_root(shared_data, tmp_path)
    assert len(pairs) == 6 and {s2 for s2, _ in pairs} == set(REAL_LABELS_19)
    ds = BigEarthNet(root, split="test", modality="s1+s2")
    for i in range(len(ds)):
        sample = ds[i]
        assert _ones(sample["label"]) == REAL_LABELS_19[sample["id"]]
        assert sample["image"].shape == (14, 120, 120)
        s2, s1 = sample["id"], sample["s1_id"]
        with rasterio.open(root / "BigEarthNet-S1-v1.0" / s1 / f"{s1}_VV.tif") as src:
            s1_grid = GridSpec(src.crs, src.transform, src.width, src.height)
        assert s1_grid == sample["grid"]  # S1 and S2 patches of a pair share one grid
        vv, vh = sample["image"][12], sample["image"][13]
        assert float(vv.max()) < 10 and float(vv.mean()) > float(vh.mean())  # dB, VV above VH
        assert not torch.equal(vv, vv.round())  # float32 kept, not truncated
        b05 = _read(root / "BigEarthNet-v1.0" / s2 / f"{s2}_B05.tif")
        got = sample["image"][ds.bands.index("B05")].numpy()
        np.testing.assert_allclose(got, upsample_bilinear(b05, 2), rtol=0, atol=0.5 + 1e-6)
    wood = BigEarthNet(root, split="val", num_classes=43)
    index = [s2 for s2, _ in pairs].index("S2B_MSIL2A_20170924T93020_69_24")
    assert _ones(wood[index]["label"]) == [23, 24, 28, 34, 39]


@pytest.mark.filterwarnings("ignore:No positive samples found in target")  # 2 validation chips
def test_one_training_step_on_the_fixture(tmp_path: Path) -> None:
    data = ChipDataModule(BigEarthNet, root=str(FIXTURE), batch_size=2, num_workers=0,
                          stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = ClassificationTask(backbone="resnet18", multilabel=True)
    trainer = Trainer(
        max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
        accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1
    assert task.hparams.num_classes == 19 and task.hparams.in_channels == 12
