"""``ReBENMaps``: reBEN's reference maps as 19-class masks, on the fixture and a real map."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
import rasterio
import torch
from lightning.pytorch import Trainer
from matplotlib.figure import Figure

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import ReBEN, ReBENMaps, get_dataset
from eoforge.datasets.reben_maps import clc_mask
from eoforge.errors import DatasetNotFoundError, RasterReadError
from eoforge.tasks import SegmentationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "reben"
REAL_MAP = "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_26_57"
TILE = "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP"


def _rows(*values: int) -> list[list[int]]:
    """A 12 x 12 mask of ``values`` in equal horizontal bands of rows."""
    per = 12 // len(values)
    return [[values[row // per]] * 12 for row in range(12)]


def test_masks_are_the_maps_codes_as_class_ordinals() -> None:
    train = ReBENMaps(FIXTURE, split="train")
    assert len(train) == 3 and get_dataset("reben_maps") is ReBENMaps
    first, second = train[0], train[1]
    assert first["mask"].dtype == torch.int64 and first["mask"].shape == (12, 12)
    assert first["mask"].tolist() == _rows(2, 4, 8, 10)  # 211, 231, 311, 313
    assert second["mask"].tolist() == _rows(17, 255, 255)  # 512; road 122 and nodata 0 ignored
    assert "label" not in first and first["image"].shape == (12, 12, 12)
    assert ReBENMaps(FIXTURE, split="val")[0]["mask"].tolist() == _rows(18, 14, 18)
    assert ReBENMaps.ignore_index == 255 and ReBENMaps.classes == ReBEN.classes


def test_every_clc_code_maps_as_specified() -> None:
    mapped = {111: 0, 112: 0, 121: 1, 211: 2, 212: 2, 213: 2, 221: 3, 222: 3, 223: 3, 241: 3,
              231: 4, 242: 5, 243: 6, 244: 7, 311: 8, 312: 9, 313: 10, 321: 11, 333: 11,
              322: 12, 323: 12, 324: 13, 331: 14, 411: 15, 412: 15, 421: 16, 422: 16, 511: 17,
              512: 17, 521: 18, 522: 18, 523: 18}  # fmt: skip
    unmapped = [0, 122, 123, 124, 131, 132, 133, 141, 142, 332, 334, 335, 423, 999]
    codes = np.array([list(mapped) + unmapped], dtype="uint16")
    assert clc_mask(codes).tolist() == [list(mapped.values()) + [255] * len(unmapped)]


def test_the_maps_archive_is_required(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        ReBENMaps(tmp_path, modality="s1")
    message = str(info.value)
    assert "Reference_Maps.tar.gzaa" in message and "BigEarthNet-S1.tar.gzab" in message
    assert "BigEarthNet-S2" not in message


def test_plot_shows_the_mask_beside_a_prediction() -> None:
    ds = ReBENMaps(FIXTURE, split="train")
    sample = ds[0]
    figure = ds.plot(sample, prediction=sample["mask"])
    assert isinstance(figure, Figure) and len(figure.axes) >= 3


def _write_band(path: Path, grid_of: Path, factor: int = 1) -> None:
    with rasterio.open(grid_of) as src:
        profile = {"crs": src.crs, "transform": src.transform @ src.transform.scale(factor)}
        size = src.width // factor
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="uint16", nodata=0, **profile) as dst:  # fmt: skip
        dst.write(np.full((1, size, size), 1000, "uint16"))


def test_the_real_reference_map_maps_to_its_four_classes(shared_data: Path, tmp_path: Path) -> None:
    real = shared_data / "rico_hdl_samples" / "BigEarthNet" / "Reference_Maps"
    map_file = real / TILE / REAL_MAP / f"{REAL_MAP}_reference_map.tif"
    (tmp_path / "Reference_Maps").symlink_to(real)
    # the sample has no S2 patch for this map: S2 bands are written on the map's grid
    for band, factor in (("B01", 6), ("B02", 1), ("B05", 2), ("B8A", 2)):
        s2 = tmp_path / "BigEarthNet-S2" / TILE / REAL_MAP / f"{REAL_MAP}_{band}.tif"
        _write_band(s2, map_file, factor)
    (tmp_path / "metadata.csv").write_text(
        "patch_id,labels,split,s1_name\n"
        f"{REAL_MAP},Arable land;Pastures;Broad-leaved forest;Mixed forest,test,"
        "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_61_39\n"
    )
    sample = ReBENMaps(tmp_path, split="test", bands=["B02", "B05"])[0]
    with rasterio.open(map_file) as src:
        codes = src.read(1)
    assert sorted(np.unique(codes).tolist()) == [211, 231, 311, 313]
    mask = sample["mask"].numpy()
    assert mask.shape == (120, 120) and sorted(np.unique(mask).tolist()) == [2, 4, 8, 10]
    counts = {int(k): int(v) for k, v in zip(*np.unique(mask, return_counts=True), strict=True)}
    assert counts == {2: 7075, 4: 1154, 8: 4131, 10: 2040}  # the README's pixel counts
    for code, ordinal in ((211, 2), (231, 4), (311, 8), (313, 10)):
        assert np.array_equal(mask == ordinal, codes == code)
    label = ReBEN(tmp_path, split="test", bands=["B02"])[0]["label"]
    assert label.nonzero().flatten().tolist() == [2, 4, 8, 10]  # the table's labels agree


def test_a_map_of_another_patch_is_refused(shared_data: Path, tmp_path: Path) -> None:
    real = shared_data / "rico_hdl_samples" / "BigEarthNet"
    s2 = "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_75_43"
    (tmp_path / "BigEarthNet-S2").symlink_to(real / "BigEarthNet-S2")
    folder = tmp_path / "Reference_Maps" / TILE / s2
    folder.mkdir(parents=True)
    other = real / "Reference_Maps" / TILE / REAL_MAP / f"{REAL_MAP}_reference_map.tif"
    (folder / f"{s2}_reference_map.tif").symlink_to(other)  # the map of another patch
    (tmp_path / "metadata.csv").write_text(
        f"patch_id,labels,split,s1_name\n{s2},Arable land,train,S1A_IW_GRDH_1SDV_2017_33UUP_1_2\n"
    )
    with pytest.raises(RasterReadError, match="does not cover the patch"):
        ReBENMaps(tmp_path)[0]


def test_one_training_step_on_the_fixture(tmp_path: Path) -> None:
    data = ChipDataModule(ReBENMaps, root=str(FIXTURE), batch_size=2, num_workers=0,
                          stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = SegmentationTask(model="unet", backbone="resnet18")
    trainer = Trainer(
        max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
        accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1 and task.ignore_index == 255
    assert task.hparams.num_classes == 19
