"""Split views and the samplers: no patch of one split ever reaches into another split."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from eoforge.data import GeoDataset, RasterSource, collate
from eoforge.data.samplers import GridPatchSampler, RandomBatchPatchSampler, RandomPatchSampler
from eoforge.data.splits import (
    RegionGridPatchSampler,
    SpatialSplit,
    SplitView,
    block_split,
    ring_split,
)
from eoforge.errors import CRSMismatchError, InvalidGridError, NoOverlapError
from eoforge.geo import BBox, GridSpec

CRS = "EPSG:32633"
X0, Y0, RES = 500_000.0, 4_000_000.0, 10.0
# (row_off, col_off, height, width): two overlapping tiles and a third one below, apart
TILES = {"a": (0, 0, 40, 60), "b": (10, 50, 40, 50), "c": (45, 0, 15, 30)}


def write_tile(path: Path, row_off: int, col_off: int, height: int, width: int) -> None:
    transform = Affine(RES, 0, X0 + col_off * RES, 0, -RES, Y0 - row_off * RES)
    values = np.arange(height * width, dtype="uint16").reshape(1, height, width) + 1
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint16",
        crs=CRS, transform=transform, nodata=0,
    ) as dst:  # fmt: skip
        dst.write(values)


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> GeoDataset:
    folder = tmp_path_factory.mktemp("view_tiles")
    for name, (row, col, height, width) in TILES.items():
        write_tile(folder / f"{name}.tif", row, col, height, width)
    return GeoDataset(RasterSource(sorted(folder.glob("*.tif"))))


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> GeoDataset:
    folder = tmp_path_factory.mktemp("view_one")
    write_tile(folder / "one.tif", 0, 0, 48, 64)
    return GeoDataset(RasterSource(folder / "one.tif"))


def data_area() -> shapely.Geometry:
    return shapely.union_all(
        [
            shapely.box(X0 + c * RES, Y0 - (r + h) * RES, X0 + (c + w) * RES, Y0 - r * RES)
            for r, c, h, w in TILES.values()
        ]
    )


def check_patches(
    split: SpatialSplit, name: str, queries: list[GridSpec], *, in_data: bool = True
) -> None:
    """Every patch lies in split ``name`` (and in the data), and overlaps no other split.

    Grid patches tile the extent of a region's pieces, which may span a gap between tiles:
    they stay inside the split, not always inside the data (``in_data=False``).
    """
    own = shapely.union_all([b.to_polygon() for b in split.regions[name]])
    others = shapely.union_all(
        [b.to_polygon() for n, g in split.regions.items() if n != name for b in g]
    )
    data = data_area()
    patches = np.array([q.bounds.to_polygon() for q in queries])
    tol = 1e-6 * RES * RES
    assert (shapely.area(shapely.intersection(patches, others)) <= tol).all()
    assert (shapely.area(shapely.difference(patches, own)) <= tol).all()
    if in_data:
        assert (shapely.area(shapely.difference(patches, data)) <= tol).all()
    assert set(split.assign_all(queries)) <= {name}


@settings(max_examples=20, deadline=None)
@given(
    block=st.floats(30.0, 250.0),
    seed=st.integers(0, 2**31),
    patch=st.integers(1, 10),
    stride_ratio=st.floats(0.3, 1.0),
    buffer_ratio=st.sampled_from([0.0, 0.0, 0.1, 0.25]),
)
def test_views_and_samplers_never_cross_into_another_split(
    ds: GeoDataset, block: float, seed: int, patch: int, stride_ratio: float, buffer_ratio: float
) -> None:
    try:
        split = block_split(ds, block, buffer=buffer_ratio * block, seed=seed)
    except InvalidGridError:  # too few blocks for three splits, or a buffer ate one
        return
    stride = max(1, round(patch * stride_ratio))
    for name in split.names:
        try:
            view = split.subset(ds, name, patch_size=patch)
        except InvalidGridError:  # every piece of this split is smaller than a patch
            continue
        assert all(min(b.width, b.height) >= patch * RES - 1e-6 for b in view.footprints)
        check_patches(split, name, list(RandomPatchSampler(view, patch, length=60, seed=seed)))
        batches = RandomBatchPatchSampler(view, patch, batch_size=3, length=8, seed=seed)
        check_patches(split, name, [q for batch in batches for q in batch])
        grid = RegionGridPatchSampler(view, patch, stride)
        queries = list(grid)
        assert len(queries) == len(grid) > 0
        check_patches(split, name, queries, in_data=False)


@pytest.mark.parametrize("name", ["train", "val", "test"])
def test_ring_split_views_keep_patches_in_their_ring(ds: GeoDataset, name: str) -> None:
    split = ring_split(ds)
    view = split.subset(ds, name, patch_size=4)
    check_patches(split, name, list(RandomPatchSampler(view, 4, length=200, seed=1)))
    check_patches(split, name, list(RegionGridPatchSampler(view, 4, 3)), in_data=False)


def test_grid_sampler_over_a_view_straddles_so_the_region_sampler_exists(
    single: GeoDataset,
) -> None:
    """GridPatchSampler lays one grid over the view's extent: its patches cross other splits.

    This is the documented reason for RegionGridPatchSampler, which tiles region by region.
    """
    x0, y1 = single.bounds.minx, single.bounds.maxy
    y0 = single.bounds.miny
    split = SpatialSplit(
        {
            "a": [BBox(x0, y0, x0 + 130, y1, CRS), BBox(x0 + 260, y0, x0 + 640, y1, CRS)],
            "b": [BBox(x0 + 130, y0, x0 + 260, y1, CRS)],
        }
    )
    view = split.subset(single, "a", patch_size=8)
    plain = np.array([q.bounds.to_polygon() for q in GridPatchSampler(view, 8)])
    b = split.regions["b"][0].to_polygon()
    assert shapely.area(shapely.intersection(plain, b)).max() >= 8 * RES * RES
    check_patches(split, "a", list(RegionGridPatchSampler(view, 8)), in_data=False)


def test_region_grid_ownership_covers_each_split_once(single: GeoDataset) -> None:
    split = block_split(single, block_pixels=13, buffer=15.0, seed=5)
    owned = np.zeros(single.grid.shape, dtype=np.int64)
    for name in split.names:
        view = split.subset(single, name)
        sampler = RegionGridPatchSampler(view, 5, 3)
        mine = np.zeros(single.grid.shape, dtype=np.int64)
        for query, window in sampler.iter_with_ownership():
            assert sampler.owned_window(query) == window
            place = single.grid.window_of(query)
            r, c = round(place.row_off) + window.row_off, round(place.col_off) + window.col_off
            mine[r : r + window.height, c : c + window.width] += 1
        pieces = np.zeros(single.grid.shape, dtype=np.int64)
        for piece in view.footprints:
            place = single.grid.window_of(single.grid.snap(piece))
            r, c = round(place.row_off), round(place.col_off)
            pieces[r : r + round(place.height), c : c + round(place.width)] += 1
        skipped = sampler.skipped > 0
        assert (mine <= pieces).all() and (mine[pieces == 0] == 0).all()
        assert skipped or (mine == pieces).all()
        owned += mine
    assert owned.max() == 1
    # the gaps between splits are exactly the pixels no split owns
    centres = single.grid.xy_arrays(*np.indices(single.grid.shape))
    in_split = split.assign_points(*centres).reshape(single.grid.shape) >= 0
    assert ((owned == 1) <= in_split).all()


def test_view_reads_like_the_dataset_and_travels_to_workers(ds: GeoDataset) -> None:
    split = block_split(ds, 200.0, seed=2)
    view = split.subset(ds, "train", patch_size=6)
    assert isinstance(view, SplitView)
    assert view.grid == ds.grid and view.bounds == ds.bounds
    assert view.bands == ds.bands and view.crs == ds.crs and view.res == ds.res
    query = next(iter(RandomPatchSampler(view, 6, length=1, seed=0)))
    ours, theirs = view[query], ds[query]
    assert torch.equal(ours["image"], theirs["image"]) and ours["grid"] == theirs["grid"]
    assert view.valid_fraction(query) == ds.valid_fraction(query)
    clone = pickle.loads(pickle.dumps(view))
    assert clone.footprints == view.footprints and clone.grid == view.grid
    loader = DataLoader(
        view, sampler=RandomPatchSampler(view, 6, length=8, seed=3), batch_size=4,
        collate_fn=collate,
    )  # fmt: skip
    batches = list(loader)
    assert [tuple(b["image"].shape) for b in batches] == [(4, 1, 6, 6)] * 2
    assert "SplitView('train'" in repr(view)
    # pieces remember where they come from
    assert len(view.piece_items) == len(view.piece_regions) == len(view.footprints)
    for piece, item, region in zip(view.footprints, view.piece_items, view.piece_regions,
                                   strict=True):  # fmt: skip
        assert ds.footprints[item].contains(piece) and view.regions[region].contains(piece)


def test_pieces_snap_inward_and_small_ones_are_dropped(single: GeoDataset) -> None:
    x0, y0, x1, y1 = single.bounds
    split = SpatialSplit(
        {
            "thin": [BBox(x0 + 3, y0, x0 + 47, y1, CRS)],  # 4.4 px wide: 4 whole pixels
            "rest": [BBox(x0 + 47, y0, x1, y1, CRS)],
        }
    )
    view = split.subset(single, "thin")
    (piece,) = view.footprints
    assert (piece.minx, piece.maxx) == (x0 + 10, x0 + 40)
    assert view.pixel_count == 3 * single.grid.height
    with pytest.raises(InvalidGridError, match="smaller than patch_size=4"):
        split.subset(single, "thin", patch_size=4)
    rest = split.subset(single, "rest", patch_size=(8, 4))
    assert rest.dropped == 0 and rest.patch_size == (8, 4)


def test_bad_views_are_refused(single: GeoDataset) -> None:
    split = block_split(single, 160.0, seed=0)
    with pytest.raises(
        InvalidGridError, match=r"no split named 'tset'.*\['train', 'val', 'test'\]"
    ):
        split.subset(single, "tset")
    elsewhere = SpatialSplit({"a": [BBox(0, 0, 10, 10, CRS)]})
    with pytest.raises(NoOverlapError, match="no whole pixel"):
        elsewhere.subset(single, "a")
    other_crs = SpatialSplit({"a": [BBox(0, 0, 10, 10, 3857)]})
    with pytest.raises(CRSMismatchError, match="EPSG:3857"):
        other_crs.subset(single, "a")
    with pytest.raises(InvalidGridError, match="patch_size"):
        split.subset(single, "train", patch_size=0)
