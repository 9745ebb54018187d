"""OAMTCD: masks rasterized from COCO (categories by name), folds, patches, instances, real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import rasterio
import torch
import yaml
from lightning.pytorch import Trainer

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import OAMTCD, get_dataset
from eoforge.datasets.coco_masks import PixelMask, paste_masks
from eoforge.datasets.raster_chip import open_chip
from eoforge.errors import DatasetNotFoundError, EoforgeError, UnknownNameError
from eoforge.tasks import SegmentationTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "oamtcd"
TREE, CANOPY = 1, 2


def _expected_101() -> np.ndarray:
    """Image 101 of the fixture (see make_data.py), drawn by hand."""
    mask = np.zeros((64, 64), dtype=np.int64)
    mask[5:25, 30:60] = CANOPY  # polygon
    mask[40:60, 0:8] = CANOPY  # uncompressed RLE
    mask[10:20, 10:20] = TREE  # polygon
    mask[15:20, 40:50] = TREE  # compressed RLE, over the canopy
    mask[40:44, 40:44] = TREE  # two polygons of one tree
    mask[50:54, 50:54] = TREE
    return mask


def _expected_102() -> np.ndarray:
    mask = np.zeros((64, 64), dtype=np.int64)
    mask[30:33, 5:9] = TREE  # a local RLE at its bbox
    rows, cols = np.mgrid[0:64, 0:64]
    mask[(rows >= 50) & (cols >= 50) & ((rows - 50) + (cols - 50) <= 7)] = CANOPY  # triangle
    return mask


def test_lengths_per_split_and_fold() -> None:
    assert len(OAMTCD(FIXTURE, split="train")) == 2 and len(OAMTCD(FIXTURE, split="test")) == 1
    assert len(OAMTCD(FIXTURE, split="train", fold=0)) == 1
    val = OAMTCD(FIXTURE, split="val", fold=0)
    assert len(val) == 1 and val.sample_id(0) == "5b3622402b6a08001185f8d8_102"
    assert len(OAMTCD(FIXTURE, split="test", fold=0)) == 1  # the holdout test set
    with pytest.raises(UnknownNameError, match="no official 'val' split; pass fold="):
        OAMTCD(FIXTURE, split="val")


def test_masks_rasterize_polygons_and_both_kinds_of_rle() -> None:
    ds = OAMTCD(FIXTURE, split="train")
    first, second = ds[0], ds[1]
    assert first["mask"].dtype == torch.int64 and first["mask"].shape == (64, 64)
    np.testing.assert_array_equal(first["mask"].numpy(), _expected_101())
    np.testing.assert_array_equal(second["mask"].numpy(), _expected_102())
    assert first["id"] == "5c15321f63d9810007f8b06f_101"


def test_categories_are_matched_by_name_not_id() -> None:
    # test.json codes tree = 0, canopy = 1 (train.json: canopy = 1, tree = 2)
    mask = OAMTCD(FIXTURE, split="test")[0]["mask"].numpy()
    assert (mask[0:16, 0:16] == TREE).all() and (mask[32:64, 32:64] == CANOPY).all()
    assert int((mask == 0).sum()) == 64 * 64 - 256 - 1024


def test_unknown_category_names_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "tcd"
    shutil.copytree(FIXTURE, root)
    coco = json.loads((root / "holdout" / "test.json").read_text())
    coco["categories"][1]["name"] = "shrub"
    (root / "holdout" / "test.json").write_text(json.dumps(coco))
    with pytest.raises(
        EoforgeError, match=r"test\.json has categories .*1: 'shrub'.*'tree' and 'canopy'"
    ):
        OAMTCD(root, split="test")


def test_image_pixels_bands_and_grid() -> None:
    sample = OAMTCD(FIXTURE, split="train", bands=["B", "R"])[0]
    assert sample["image"].shape == (2, 64, 64) and sample["image"].dtype == torch.float32
    assert sample["image"][:, 30, 30].tolist() == [40.0, 200.0]  # bands B, R of the fixture
    grid = sample["grid"]
    assert grid.crs == "EPSG:3395" and grid.res == pytest.approx((0.1, 0.1))
    assert grid.bounds.minx == pytest.approx(1_009_956.8)


def test_binary_masks_are_tree_cover_and_agree_with_the_exported_pngs() -> None:
    binary = OAMTCD(FIXTURE, split="train", binary=True)
    assert binary.classes == ("background", "tree cover") and OAMTCD.classes[2] == "canopy"
    from_png = OAMTCD(FIXTURE, split="train", binary=True, mask_source="png")
    for i, expected in enumerate((_expected_101(), _expected_102())):
        np.testing.assert_array_equal(binary[i]["mask"].numpy(), expected > 0)
        np.testing.assert_array_equal(from_png[i]["mask"].numpy(), expected > 0)
    with pytest.raises(EoforgeError, match="pass binary=True"):
        OAMTCD(FIXTURE, mask_source="png")


def test_patches_cut_tiles_and_their_labels() -> None:
    ds = OAMTCD(FIXTURE, split="train", patch_size=32)
    assert len(ds) == 8 and ds.sample_id(3) == "5c15321f63d9810007f8b06f_101_32_32"
    whole = _expected_101()
    for i, (row, col) in enumerate([(0, 0), (0, 32), (32, 0), (32, 32)]):
        sample = ds[i]
        np.testing.assert_array_equal(sample["mask"].numpy(), whole[row : row + 32, col : col + 32])
        assert sample["grid"].bounds.minx == pytest.approx(1_009_956.8 + col * 0.1)
    assert len(OAMTCD(FIXTURE, split="train", patch_size=48)) == 2  # remainders are left out


def test_instances_keep_each_annotation() -> None:
    sample = OAMTCD(FIXTURE, split="train", instances=True)[0]
    instances = sample["instances"]
    assert instances["labels"].tolist() == [TREE, CANOPY, TREE, CANOPY, TREE]
    assert instances["ids"].tolist() == [1, 2, 3, 4, 5]
    assert instances["boxes"][2].tolist() == [40, 15, 50, 20]  # x0, y0, x1, y1
    masks = [PixelMask(int(b[1]), int(b[0]), m.numpy()) for b, m in
             zip(instances["boxes"], instances["masks"], strict=True)]  # fmt: skip
    full = paste_masks(masks, (64, 64))
    assert full[4].sum() == 32 and full[0][10:20, 10:20].all()
    # the canopy keeps its pixels under the tree drawn over it in the semantic mask
    assert full[1].sum() == 600 and (sample["mask"].numpy()[full[1]] == TREE).sum() == 50
    patch = OAMTCD(FIXTURE, split="train", instances=True, patch_size=32)[
        1
    ]  # rows 0:32, cols 32:64
    assert patch["instances"]["ids"].tolist() == [2, 3]
    assert patch["instances"]["boxes"][0].tolist() == [0, 5, 28, 25]


def test_missing_data_says_how_to_export_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        OAMTCD(tmp_path / "none", split="test")
    message = str(info.value)
    assert "holdout/test.json" in message and "generate_dataset.py" in message
    assert "restor/tcd" in message and "--folds" in message
    with pytest.raises(DatasetNotFoundError, match=r"kfold_3/train\.json"):
        OAMTCD(FIXTURE, split="train", fold=3)
    root = tmp_path / "tcd"
    shutil.copytree(FIXTURE, root)
    (root / "holdout" / "images" / "60a4b0f3c9f00b0007d1a1a2_201.tif").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"1 images of .*60a4b0f3c9f00b0007d1a1a2_201"):
        OAMTCD(root, split="test")


def test_registered_and_plotted() -> None:
    assert get_dataset("oamtcd") is OAMTCD
    ds = OAMTCD(FIXTURE, split="train")
    sample = ds[0]
    fig = ds.plot(sample, sample["mask"])
    assert [ax.get_title() for ax in fig.axes] == ["R, G, B", "mask", "prediction"]


def test_one_training_step_through_the_chip_data_module(tmp_path: Path) -> None:
    dm = ChipDataModule(OAMTCD, root=str(FIXTURE), batch_size=2, num_workers=0, stats_samples=2,
                        dataset_options={"fold": 0, "patch_size": 32})  # fmt: skip
    task = SegmentationTask(model=None, backbone="pixel_mlp", lr=0.01)
    trainer = Trainer(max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      accelerator="cpu", enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=str(tmp_path))  # fmt: skip
    trainer.fit(task, datamodule=dm)
    assert trainer.global_step == 1 and task.hparams.num_classes == 3


# -- real OAM-TCD files ------------------------------------------------------------------------


def _real_root(tmp_path: Path, tile: Path, coco: Path, split: str) -> Path:
    """The exporter's layout around real files (links, nothing copied)."""
    root = tmp_path / "real"
    (root / "holdout" / "images").mkdir(parents=True)
    (root / "holdout" / "images" / tile.name).symlink_to(tile)
    (root / "holdout" / f"{split}.json").symlink_to(coco)
    return root


def test_real_ground_truth_agrees_with_the_real_binary_mask(
    tmp_path: Path, shared_data: Path
) -> None:
    samples = shared_data / "oam_tcd_samples" / "tests"
    tile = samples / "images" / "5b3622402b6a08001185f8d8_10_00004.tif"
    root = _real_root(tmp_path, tile, samples / "test_20221010_single.json", "test")
    sample = OAMTCD(root, split="test")[0]  # Darwin export: tree = 0, canopy = 1, 48 polygons
    with rasterio.open(tile) as ds:
        assert sample["grid"].crs == "EPSG:3395" and sample["grid"].transform == ds.transform
    mask = sample["mask"].numpy()
    assert mask.shape == (2048, 2048) and set(np.unique(mask)) == {0, TREE, CANOPY}
    with open_chip(samples / "masks" / "5b3622402b6a08001185f8d8_10_00004.png") as ds:
        binary = ds.read(1)  # the exporter's binary mask: 0 / 1
    cover = mask > 0
    agreement = float((cover == (binary == 1)).mean())
    iou = float((cover & (binary == 1)).sum() / (cover | (binary == 1)).sum())
    assert agreement > 0.999 and iou > 0.99  # measured: 0.99990 and 0.9977


def test_real_model_output_rle_rasterizes_onto_the_real_tile(
    tmp_path: Path, shared_data: Path
) -> None:
    data = shared_data / "oam_tcd_samples"
    tile = data / "data" / "5c15321f63d9810007f8b06f_10_00000.tif"
    coco = data / "tests" / "unit" / "5c15321f63d9810007f8b06f_10_00000.json"
    root = _real_root(tmp_path, tile, coco, "train")
    sample = OAMTCD(root, split="train", instances=True)[0]  # local RLE; tree = 1, canopy = 0
    instances = sample["instances"]
    labels = instances["labels"]
    assert len(labels) == 387 and int((labels == TREE).sum()) == 317
    assert int((labels == CANOPY).sum()) == 70
    with rasterio.open(tile) as ds:
        assert sample["grid"].transform == ds.transform and sample["image"].shape == (3, 2048, 2048)
    full = np.zeros((2048, 2048), dtype=bool)
    for box, mask in zip(instances["boxes"].int().tolist(), instances["masks"], strict=True):
        x0, y0, x1, y1 = box
        assert 0 <= x0 < x1 <= 2048 and 0 <= y0 < y1 <= 2048 and mask.shape == (y1 - y0, x1 - x0)
        full[y0:y1, x0:x1] |= mask.numpy()
    np.testing.assert_array_equal(sample["mask"].numpy() > 0, full)


def test_the_shipped_config_builds_its_data_on_the_fixture(tmp_path: Path) -> None:
    config = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "configs" / "oamtcd.yaml").read_text()
    )
    args = config["data"]["init_args"]
    assert args["dataset"] == "eoforge.datasets.OAMTCD"
    args["dataset_options"]["patch_size"] = 32  # the fixture's tiles are 64 x 64
    args.update(root=str(FIXTURE), stats=None, stats_samples=2, num_workers=0)
    dm = ChipDataModule(**args)
    dm.setup("fit")
    assert isinstance(dm.datasets["train"], OAMTCD) and len(dm.datasets["val"]) > 0
    assert dm.data_info()["bands"] == args["bands"]
