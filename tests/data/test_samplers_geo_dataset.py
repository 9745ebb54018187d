"""The samplers driving a real GeoDataset over tiny generated rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from torch.utils.data import DataLoader

from eoforge.data import GeoDataset, RasterSource, collate
from eoforge.data.samplers import (
    GridPatchSampler,
    PatchDataset,
    RandomBatchPatchSampler,
    RandomPatchSampler,
)
from eoforge.geo import BBox

CRS = "EPSG:32633"
X0, Y0, RES = 600_000.0, 5_100_000.0, 10.0
TILE = (40, 48)  # rows, cols of each tile


def _write(path: Path, data: np.ndarray, col_off: int) -> None:
    transform = Affine(RES, 0, X0 + col_off * RES, 0, -RES, Y0)
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype="uint16", crs=CRS, transform=transform, nodata=0,
    ) as dst:  # fmt: skip
        dst.write(data, 1)


@pytest.fixture(scope="module")
def two_tiles(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeoDataset, np.ndarray]:
    """Two touching tiles side by side; the right third of the east tile is nodata."""
    folder = tmp_path_factory.mktemp("tiles")
    rng = np.random.default_rng(0)
    mosaic = rng.integers(1, 60_000, size=(TILE[0], 2 * TILE[1]), dtype=np.uint16)
    mosaic[:, 2 * TILE[1] - 16 :] = 0
    _write(folder / "west.tif", mosaic[:, : TILE[1]], 0)
    _write(folder / "east.tif", mosaic[:, TILE[1] :], TILE[1])
    ds = GeoDataset(RasterSource(sorted(folder.glob("*.tif"))))
    return ds, mosaic


def _offset(ds: GeoDataset, query: object) -> tuple[int, int]:
    window = ds.grid.window_of(query)  # type: ignore[arg-type]
    return round(window.row_off), round(window.col_off)


def test_geo_dataset_is_a_patch_dataset(two_tiles: tuple[GeoDataset, np.ndarray]) -> None:
    ds, _ = two_tiles
    typed: PatchDataset = ds  # checked by mypy as well
    assert isinstance(typed, PatchDataset)
    assert ds.grid.shape == (TILE[0], 2 * TILE[1])


def test_grid_patches_rebuild_the_mosaic_through_their_owned_windows(
    two_tiles: tuple[GeoDataset, np.ndarray],
) -> None:
    ds, mosaic = two_tiles
    sampler = GridPatchSampler(ds, size=16, stride=12)
    rebuilt = np.zeros(mosaic.shape, dtype=np.float64)
    owned_count = np.zeros(mosaic.shape, dtype=np.int64)
    loader = DataLoader(ds, sampler=sampler, batch_size=4, collate_fn=collate)
    for batch in loader:
        for image, grid in zip(batch["image"], batch["grid"], strict=True):
            own = sampler.owned_window(grid)
            r, c = _offset(ds, grid)
            rows = slice(r + own.row_off, r + own.row_off + own.height)
            cols = slice(c + own.col_off, c + own.col_off + own.width)
            rebuilt[rows, cols] = image[0].numpy()[own.slices]
            owned_count[rows, cols] += 1
    assert (owned_count == 1).all()
    valid = mosaic != 0
    np.testing.assert_array_equal(rebuilt[valid], mosaic[valid])


def test_random_patches_read_from_the_dataset_respect_min_valid(
    two_tiles: tuple[GeoDataset, np.ndarray],
) -> None:
    ds, mosaic = two_tiles
    sampler = RandomPatchSampler(ds, size=16, length=40, seed=2, min_valid=0.9)
    for query in sampler:
        sample = ds[query]
        assert ds.grid.is_aligned_with(query)
        assert tuple(sample["image"].shape) == (1, 16, 16)
        assert float(sample["valid"].float().mean()) >= 0.9
        r, c = _offset(ds, query)
        np.testing.assert_array_equal(sample["image"][0].numpy(), mosaic[r : r + 16, c : c + 16])


def test_random_batches_stay_in_one_file(two_tiles: tuple[GeoDataset, np.ndarray]) -> None:
    ds, _ = two_tiles
    west, east = (
        BBox(X0, Y0 - TILE[0] * RES, X0 + TILE[1] * RES, Y0, CRS),
        BBox(X0 + TILE[1] * RES, Y0 - TILE[0] * RES, X0 + 2 * TILE[1] * RES, Y0, CRS),
    )
    sampler = RandomBatchPatchSampler(ds, size=8, batch_size=6, length=20, seed=1)
    for batch in DataLoader(ds, batch_sampler=sampler, collate_fn=collate):
        assert tuple(batch["image"].shape) == (6, 1, 8, 8)
        boxes = [grid.bounds for grid in batch["grid"]]
        assert all(west.contains(b) for b in boxes) or all(east.contains(b) for b in boxes)
