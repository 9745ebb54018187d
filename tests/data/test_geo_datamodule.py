from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import rasterio
import torch

from eoforge.data import GeoDataset, RasterSource
from eoforge.data.band_stats import BandStats
from eoforge.data.datamodules import ChipDataModule, GeoDataModule
from eoforge.datasets.synthetic import write_synthetic_scenes
from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_synthetic_scenes(
        tmp_path_factory.mktemp("dm"), n_tiles=2, size=192, polygons=False, progress=False
    )


def _module(scenes: Any, **options: Any) -> GeoDataModule:
    settings: dict[str, Any] = dict(
        images=[str(scenes.tiles[0].image)],
        mask=[str(scenes.tiles[0].labels)],
        patch_size=32,
        block_pixels=64,
        batch_size=8,
        train_patches=24,
        stats_patches=16,
        num_workers=0,
    )
    settings.update(options)
    return GeoDataModule(**settings)


def test_train_patches_lie_in_the_train_split_and_carry_labels(scenes: Any) -> None:
    dm = _module(scenes)
    dm.setup("fit")
    assert dm.spatial_split is not None
    seen = 0
    for batch in dm.train_dataloader():
        assert batch["image"].shape[1:] == (10, 32, 32) and batch["mask"].dtype == torch.int64
        assert {dm.spatial_split.assign(g) for g in batch["grid"]} == {"train"}
        seen += len(batch["grid"])
    assert seen == 24


@pytest.mark.parametrize("split", ["val", "test"])
def test_evaluation_patches_count_every_pixel_of_their_split_once(scenes: Any, split: str) -> None:
    dm = _module(scenes)
    dm.setup("fit")
    assert dm.spatial_split is not None and dm.dataset is not None
    grid = dm.dataset.grid
    counts = np.zeros(grid.shape, dtype=np.int64)
    loader = dm.val_dataloader() if split == "val" else dm.test_dataloader()
    for batch in loader:
        for query, valid in zip(batch["grid"], batch["valid"], strict=True):
            window = grid.window_of(query)
            r, c = round(window.row_off), round(window.col_off)
            counts[r : r + 32, c : c + 32] += valid.numpy()
    rows, cols = np.nonzero(counts)
    assert counts.max() == 1  # no pixel twice
    # every counted pixel's centre lies in the split, and the split's pixels are all counted
    xs, ys = grid.transform @ (cols + 0.5, rows + 0.5)
    owners = dm.spatial_split.assign_points(np.asarray(xs), np.asarray(ys))
    assert {dm.spatial_split.names[i] for i in set(owners.tolist())} == {split}
    report = dm.spatial_split.report(dm.dataset)
    assert counts.sum() >= 0.9 * report["splits"][split]["pixels"]


def test_data_info_comes_from_the_label_raster_and_the_training_pixels(scenes: Any) -> None:
    dm = _module(scenes)
    info = dm.data_info()
    assert info["bands"] == list(scenes.bands)
    assert info["classes"] == [c.name for c in scenes.classes]
    assert info["colors"] == [list(c.color) for c in scenes.classes]
    assert info["ignore_index"] == 255
    with rasterio.open(scenes.tiles[0].image) as ds:
        pixels = ds.read().reshape(len(scenes.bands), -1).astype(np.float64)
    # statistics of training patches: in the range of the scene's own band means
    scene_means = pixels.mean(axis=1)
    assert np.allclose(info["mean"], scene_means, rtol=0.35)
    assert all(s > 0 for s in info["std"])


def test_statistics_file_is_written_then_reused(scenes: Any, tmp_path: Path) -> None:
    path = tmp_path / "stats.json"
    first = _module(scenes, stats=str(path))
    first.setup()
    assert path.is_file()
    saved = BandStats.load(path)
    second = _module(scenes, stats=str(path), stats_patches=1)  # would differ if recomputed
    second.setup()
    assert second.band_stats == saved == first.band_stats


def test_held_out_scenes_form_the_test_split(scenes: Any) -> None:
    dm = _module(
        scenes,
        test_images=[str(scenes.tiles[1].image)],
        test_mask=[str(scenes.tiles[1].labels)],
    )
    dm.setup()
    assert dm.spatial_split is not None and set(dm.spatial_split.names) == {"train", "val"}
    test_ds = dm.test_dataset
    assert isinstance(test_ds, GeoDataset)
    owned = sum(int(b["valid"].sum()) for b in dm.test_dataloader())
    assert owned == 192 * 192  # the whole held-out tile, each pixel once
    train_box = RasterSource(str(scenes.tiles[0].image)).bounds
    assert not test_ds.bounds.intersects(train_box) or test_ds.bounds != train_box


def test_regression_target_and_ring_split(scenes: Any, tmp_path: Path) -> None:
    grid = GridSpec.from_bounds(RasterSource(str(scenes.tiles[0].image)).bounds, 10)
    values = np.full((1, *grid.shape), np.nan, dtype=np.float32)
    values[0, ::7, ::5] = 42.0  # sparse labels
    target = tmp_path / "agb.tif"
    with rasterio.open(
        target, "w", driver="GTiff", width=grid.width, height=grid.height, count=1,
        dtype="float32", crs=grid.crs, transform=grid.transform, nodata=float("nan"),
    ) as ds:  # fmt: skip
        ds.write(values)
    dm = _module(scenes, mask=None, target=str(target), split="ring", patch_size=16)
    dm.setup()
    batch = next(iter(dm.train_dataloader()))
    labelled = torch.isfinite(batch["target"])
    assert 0 < labelled.float().mean() < 0.1 and bool((batch["target"][labelled] == 42).all())
    assert dm.data_info()["classes"] == []


def test_bad_arguments_are_explained(scenes: Any) -> None:
    with pytest.raises(EoforgeError, match="one of mask=, labels= or target="):
        _module(scenes, labels="x.gpkg")
    with pytest.raises(EoforgeError, match="split="):
        _module(scenes, split="random")  # type: ignore[arg-type]
    dm = _module(scenes, split="none")
    dm.setup()
    with pytest.raises(EoforgeError, match="no 'val' split"):
        dm.val_dataloader()


def test_chip_data_module_over_a_dataset_class() -> None:
    class Chips(torch.utils.data.Dataset[dict[str, Any]]):
        classes: ClassVar[list[str]] = ["sea", "land"]
        colors: ClassVar[list[tuple[int, int, int]]] = [(0, 0, 255), (0, 255, 0)]

        def __init__(self, root: str, split: str = "train", bands: list[str] | None = None):
            self.split, self.n = split, {"train": 10, "val": 4, "test": 6}[split]

        def __len__(self) -> int:
            return self.n

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"image": torch.full((2, 4, 4), float(i)), "label": torch.tensor(i % 2)}

    dm = ChipDataModule(Chips, root=".", batch_size=4, num_workers=0, stats_samples=10)
    info = dm.data_info()
    assert info["classes"] == ["sea", "land"] and info["colors"] == [[0, 0, 255], [0, 255, 0]]
    assert info["mean"] == [4.5, 4.5]  # the ten training chips hold 0 … 9
    assert sum(len(b["image"]) for b in dm.test_dataloader()) == 6
    first = [b["label"].tolist() for b in dm.train_dataloader()]
    assert first == [b["label"].tolist() for b in dm.train_dataloader()] or len(first) == 3
    with pytest.raises(EoforgeError, match="cannot be imported"):
        ChipDataModule("eoforge.datasets.NoSuchDataset")


def test_workers_yield_the_cpu_only_when_training_on_the_cpu(scenes: Any) -> None:
    import os

    from lightning.pytorch import Trainer

    from eoforge.data.datamodules.worker_priority import lower_priority, worker_init_for

    class Niceness(torch.utils.data.Dataset[int]):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int) -> int:
            return os.nice(0)

    assert worker_init_for(Trainer(accelerator="cpu", logger=False)) is lower_priority
    loader = torch.utils.data.DataLoader(
        Niceness(), num_workers=1, worker_init_fn=lower_priority, batch_size=None
    )
    assert [int(n) for n in loader] == [os.nice(0) + 10] * 2
    dm = _module(scenes, num_workers=1)
    dm.trainer = Trainer(accelerator="cpu", logger=False)
    assert dm.train_dataloader().worker_init_fn is lower_priority
