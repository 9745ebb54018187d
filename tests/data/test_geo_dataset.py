from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import torch
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.warp import Resampling, calculate_default_transform, reproject
from rasterio.windows import Window
from torch.utils.data import DataLoader

from eoforge.data import GeoDataset, RandomPatchSampler, RasterSource, VectorSource, collate
from eoforge.data.raster_item import BandRef, RasterItem
from eoforge.data.target_grid import phase_grid
from eoforge.errors import (
    CRSMismatchError,
    EoforgeError,
    NoOverlapError,
    QueryOutsideError,
)
from eoforge.geo import BBox, GridSpec

UTM = "EPSG:32633"
X0, Y0 = 500_000.0, 4_000_000.0


def write_cog(
    path: Path,
    array: np.ndarray,
    transform: Affine,
    crs: str = UTM,
    *,
    nodata: float | None = None,
    names: list[str] | None = None,
) -> Path:
    """A tiled, compressed GeoTIFF with internal overviews (the layout of a COG)."""
    count, height, width = array.shape
    profile = {
        "driver": "COG",
        "width": width,
        "height": height,
        "count": count,
        "dtype": array.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "blocksize": 32,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array)
        for i, name in enumerate(names or [], start=1):
            dst.set_band_description(i, name)
    return path


def noise(shape: tuple[int, ...], seed: int, low: int = 1, high: int = 10_000) -> np.ndarray:
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.uint16)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("geo_dataset")
    out: dict[str, Path] = {}
    # 6-band 10 m scene, 96x96 px, origin offset by 3 m from the 10 m lattice (pixel phase)
    ten = Affine(10, 0, X0 + 3, 0, -10, Y0)
    out["s2_10m"] = write_cog(
        root / "s2_10m.tif",
        noise((6, 96, 96), 1),
        ten,
        names=["B02", "B03", "B04", "B08", "B05", "B06"],
    )
    # the same area at 20 m, two bands, with a nodata hole in its top-left 8x8 pixels
    swir = noise((2, 48, 48), 2)
    swir[:, :8, :8] = 0
    out["s2_20m"] = write_cog(
        root / "s2_20m.tif",
        swir,
        Affine(20, 0, X0 + 3, 0, -20, Y0),
        nodata=0,
        names=["B11", "B12"],
    )
    # a neighbour tile to the east, written in Web Mercator (another CRS)
    east = BBox(X0 + 3 + 960, Y0 - 960, X0 + 3 + 1920, Y0, UTM).to_crs("EPSG:3857")
    transform, width, height = calculate_default_transform(
        UTM, "EPSG:3857", 96, 96, X0 + 3 + 960, Y0 - 960, X0 + 3 + 1920, Y0
    )
    assert east.minx <= transform.c
    out["east_3857"] = write_cog(
        root / "east_3857.tif",
        noise((6, height, width), 3),
        transform,
        "EPSG:3857",
        nodata=0,
        names=["B02", "B03", "B04", "B08", "B05", "B06"],
    )
    # a one-band layer in two tiles with a gap between them (columns 32..64 of the scene)
    for name, col in (("dem_left", 0), ("dem_right", 64)):
        dem = np.full((1, 96, 32), 100 + col, dtype=np.float32)
        out[name] = write_cog(
            root / f"{name}.tif", dem, ten @ Affine.translation(col, 0), names=["DEM"]
        )
    # far away, no overlap with the rest
    out["far"] = write_cog(
        root / "far.tif", noise((1, 16, 16), 4), Affine(10, 0, X0 + 1e6, 0, -10, Y0)
    )
    # a class map over the scene (1 band, 10 m, aligned)
    classes = np.random.default_rng(5).integers(0, 4, size=(1, 96, 96)).astype(np.uint8)
    out["classes"] = write_cog(root / "classes.tif", classes, ten)
    # a class map with an ignore value (255) covering the left half only
    out["classes_left"] = write_cog(root / "classes_left.tif", classes[:, :, :48], ten, nodata=255)
    # a float regression target over the left half only, nodata -1
    height_m = np.random.default_rng(6).random((1, 96, 48)).astype(np.float32) * 30
    height_m[0, :4, :4] = -1
    out["height"] = write_cog(root / "height.tif", height_m, ten, nodata=-1)
    # polygons: one rectangle covering known pixel centres of the 10 m grid
    rect = shapely.box(X0 + 3 + 20, Y0 - 70, X0 + 3 + 50, Y0 - 30)  # cols 2..4, rows 3..6
    path = root / "fields.gpkg"
    gpd.GeoDataFrame({"cls": [7]}, geometry=[rect], crs=UTM).to_file(path)
    out["fields"] = path
    return out


def origin_of(ds: GeoDataset) -> tuple[int, int]:
    """The dataset-grid pixel at the top-left corner of the test scenes."""
    row, col = ds.grid.rowcol(X0 + 3, Y0)
    assert row == round(row) and col == round(col)
    return round(row), round(col)


def windowed(path: Path, window: Window, dtype: str = "float32") -> np.ndarray:
    with rasterio.open(path) as src:
        array: np.ndarray = src.read(window=window).astype(dtype)
    return array


# ---------------------------------------------------------------------------- the target grid
def test_grid_takes_crs_res_and_pixel_phase_from_the_image(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    assert ds.crs == UTM and ds.res == (10.0, 10.0)
    with rasterio.open(files["s2_10m"]) as src:
        native = GridSpec(UTM, src.transform, src.width, src.height)
    assert ds.grid.is_aligned_with(native)
    assert ds.grid.bounds.contains(ds.bounds)
    assert ds.bounds == native.bounds
    assert ds.footprints == [native.bounds]
    assert ds.bands == ["B02", "B03", "B04", "B08", "B05", "B06"]


def test_explicit_res_and_finest_res_of_stacked_sources(files: dict[str, Path]) -> None:
    coarse = RasterSource(files["s2_20m"])
    assert GeoDataset(coarse).res == (20.0, 20.0)
    both = GeoDataset([coarse, RasterSource(files["s2_10m"])])
    assert both.res == (10.0, 10.0)
    assert GeoDataset(coarse, res=5).res == (5.0, 5.0)


@settings(max_examples=60, deadline=None)
@given(
    x0=st.floats(-1e6, 1e6, allow_nan=False),
    y0=st.floats(-1e6, 1e7, allow_nan=False),
    res=st.sampled_from([0.5, 1.0, 10.0, 30.0, 300.0379266750948]),
    fractions=st.tuples(*[st.floats(0, 1) for _ in range(4)]),
)
def test_phase_grid_is_aligned_with_the_native_grid_and_covers_the_bounds(
    x0: float, y0: float, res: float, fractions: tuple[float, float, float, float]
) -> None:
    native = GridSpec(UTM, Affine(res, 0, x0, 0, -res, y0), 200, 150)
    item = RasterItem("a", native.bounds, UTM, ("B1",), (BandRef("a.tif", 1, native, "uint8"),))
    b = native.bounds
    fx0, fx1 = sorted(fractions[:2])
    fy0, fy1 = sorted(fractions[2:])
    fx1, fy1 = max(fx1, fx0 + 0.01), max(fy1, fy0 + 0.01)
    bounds = BBox(
        b.minx + fx0 * b.width,
        b.miny + fy0 * b.height,
        b.minx + fx1 * b.width,
        b.miny + fy1 * b.height,
        UTM,
    )
    grid = phase_grid([RasterSource.from_items([item])], UTM, (res, res), bounds)
    assert grid.is_aligned_with(native)
    assert grid.bounds.buffer(1e-6 * res).contains(bounds)
    assert grid.width <= math.ceil(bounds.width / res) + 1
    assert grid.height <= math.ceil(bounds.height / res) + 1


# ---------------------------------------------------------------------------- reads
def test_aligned_query_equals_rasterio_windowed_read(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    r0, c0 = origin_of(ds)
    query = ds.grid.subgrid(r0 + 10, c0 + 20, 32, 40)
    sample = ds[query]
    expected = windowed(files["s2_10m"], Window(20, 10, 40, 32))
    assert sample["image"].dtype == torch.float32 and sample["image"].shape == (6, 32, 40)
    np.testing.assert_array_equal(sample["image"].numpy(), expected)
    assert sample["valid"].dtype == torch.bool and bool(sample["valid"].all())
    assert sample["grid"] == query
    assert sample["bands"] == ds.bands
    assert set(sample) == {"image", "valid", "grid", "bands"}


def test_query_reaching_past_the_file_is_invalid_there(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    query = ds.grid.subgrid(ds.grid.height - 8, 0, 16, 16)  # half below the scene
    sample = ds[query]
    assert sample["valid"][:8].all() and not sample["valid"][8:].any()
    expected = windowed(files["s2_10m"], Window(0, 88, 16, 8))
    np.testing.assert_array_equal(sample["image"][:, :8].numpy(), expected)


def test_bbox_query_is_snapped_to_the_grid(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    sample = ds[BBox(X0 + 3 + 101, Y0 - 159, X0 + 3 + 139, Y0 - 121, UTM)]
    assert sample["grid"].bounds == BBox(X0 + 3 + 100, Y0 - 160, X0 + 3 + 140, Y0 - 120, UTM)
    expected = windowed(files["s2_10m"], Window(10, 12, 4, 4))
    np.testing.assert_array_equal(sample["image"].numpy(), expected)


def test_query_in_another_crs_equals_rasterio_reproject(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"], resampling="nearest"))
    inner = BBox(X0 + 300, Y0 - 700, X0 + 700, Y0 - 300, UTM).to_crs("EPSG:3857")
    query = GridSpec.from_bounds(inner, 12.0)
    sample = ds[query]
    with rasterio.open(files["s2_10m"]) as src:
        reference = np.zeros((6, *query.shape), dtype=np.uint16)
        reproject(
            src.read(),
            reference,
            src_transform=src.transform,
            src_crs=src.crs,
            dst_transform=query.transform,
            dst_crs="EPSG:3857",
            resampling=Resampling.nearest,
        )
    np.testing.assert_array_equal(sample["image"].numpy(), reference.astype(np.float32))
    assert sample["grid"].crs == "EPSG:3857" and bool(sample["valid"].all())


def test_stacks_sources_of_different_bands_and_resolutions(files: dict[str, Path]) -> None:
    ds = GeoDataset(
        [RasterSource(files["s2_10m"]), RasterSource(files["s2_20m"], resampling="nearest")]
    )
    assert ds.bands == ["B02", "B03", "B04", "B08", "B05", "B06", "B11", "B12"]
    query = ds.grid.subgrid(0, 0, 32, 32)
    sample = ds[query]
    assert sample["image"].shape == (8, 32, 32)
    np.testing.assert_array_equal(
        sample["image"][:6].numpy(), windowed(files["s2_10m"], Window(0, 0, 32, 32))
    )
    coarse = windowed(files["s2_20m"], Window(0, 0, 16, 16))
    upsampled = coarse.repeat(2, axis=1).repeat(2, axis=2)  # nearest, exact 2x
    np.testing.assert_array_equal(sample["image"][6:, 16:, 16:].numpy(), upsampled[:, 16:, 16:])
    # valid is the AND of both sources: the 20 m file's 8x8 hole is 16x16 at 10 m
    expected_valid = np.ones((32, 32), dtype=bool)
    expected_valid[:16, :16] = False
    np.testing.assert_array_equal(sample["valid"].numpy(), expected_valid)


def test_a_stacked_source_with_a_hole_makes_those_pixels_invalid(files: dict[str, Path]) -> None:
    dem = RasterSource([files["dem_left"], files["dem_right"]])
    ds = GeoDataset([RasterSource(files["s2_10m"]), dem])
    r0, c0 = origin_of(ds)
    in_gap = ds[ds.grid.subgrid(r0, c0 + 40, 8, 16)]  # no DEM tile touches it
    assert not in_gap["valid"].any()
    assert bool((in_gap["image"][6] == 0).all())
    np.testing.assert_array_equal(
        in_gap["image"][:6].numpy(), windowed(files["s2_10m"], Window(40, 0, 16, 8))
    )
    across = ds[ds.grid.subgrid(r0, c0 + 24, 8, 16)]  # 8 columns on the left tile, 8 in the gap
    assert bool(across["valid"][:, :8].all()) and not across["valid"][:, 8:].any()
    assert bool((across["image"][6, :, :8] == 100).all())


# ---------------------------------------------------------------------------- labels
def test_mask_from_a_polygon_layer_matches_a_hand_computed_array(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))
    sample = ds[ds.grid.subgrid(*origin_of(ds), 10, 10)]
    expected = np.zeros((10, 10), dtype=np.int64)
    expected[3:7, 2:5] = 7  # the rectangle covers the centres of rows 3..6, cols 2..4
    assert sample["mask"].dtype == torch.int64
    np.testing.assert_array_equal(sample["mask"].numpy(), expected)


def test_mask_from_a_class_raster(files: dict[str, Path]) -> None:
    mask = RasterSource(files["classes"], kind="mask")
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=mask)
    sample = ds[ds.grid.subgrid(5, 6, 16, 16)]
    expected = windowed(files["classes"], Window(6, 5, 16, 16), "int64")[0]
    assert sample["mask"].dtype == torch.int64 and sample["mask"].shape == (16, 16)
    np.testing.assert_array_equal(sample["mask"].numpy(), expected)


def test_mask_outside_its_raster_holds_its_nodata_value(files: dict[str, Path]) -> None:
    mask = RasterSource(files["classes_left"], kind="mask")
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=mask)
    assert ds.bounds.width == pytest.approx(480)  # clipped to the mask's half
    r0, c0 = origin_of(ds)
    sample = ds[ds.grid.subgrid(r0, c0 + 40, 8, 16)]  # 8 columns in, 8 beyond the mask
    expected = windowed(files["classes"], Window(40, 0, 8, 8), "int64")[0]
    np.testing.assert_array_equal(sample["mask"][:, :8].numpy(), expected)
    assert bool((sample["mask"][:, 8:] == 255).all())
    assert bool(sample["valid"].all())  # the image has data there


def test_regression_target_is_float32_with_nan_where_it_has_no_data(
    files: dict[str, Path],
) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), target=RasterSource(files["height"]))
    sample = ds[ds.grid.subgrid(0, 0, 8, 8)]
    target = sample["target"]
    assert target.dtype == torch.float32 and target.shape == (8, 8)
    expected = windowed(files["height"], Window(0, 0, 8, 8))[0]
    expected[:4, :4] = np.nan
    np.testing.assert_array_equal(target.numpy(), expected)


def test_transforms_are_applied_to_the_sample(files: dict[str, Path]) -> None:
    def double(sample: dict[str, Any]) -> dict[str, Any]:
        return {**sample, "image": sample["image"] * 2}

    ds = GeoDataset(RasterSource(files["s2_10m"]), transforms=double)
    plain = GeoDataset(RasterSource(files["s2_10m"]))
    query = ds.grid.subgrid(0, 0, 4, 4)
    assert torch.equal(ds[query]["image"], plain[query]["image"] * 2)


def test_getitems_reads_a_batch_side_by_side_and_equals_single_reads(
    files: dict[str, Path],
) -> None:
    calls: list[tuple[int, int]] = []

    def record(sample: dict[str, Any]) -> dict[str, Any]:  # runs on the calling thread, in order
        calls.append((sample["grid"].transform.c, sample["grid"].transform.f))
        return {**sample, "image": sample["image"] + len(calls)}

    stacked = [RasterSource(files["s2_10m"]), RasterSource(files["s2_20m"])]
    plain = GeoDataset(stacked, mask=VectorSource(files["fields"], "cls"))
    ds = GeoDataset(stacked, mask=VectorSource(files["fields"], "cls"), transforms=record)
    queries = queries_of(ds)
    batch = ds.__getitems__(queries)
    assert calls == [(q.transform.c, q.transform.f) for q in queries]
    for i, (query, sample) in enumerate(zip(queries, batch, strict=True)):
        single = plain[query]
        assert torch.equal(sample["image"], single["image"] + i + 1)
        assert torch.equal(sample["mask"], single["mask"]) and sample["grid"] == query
    with pytest.raises(QueryOutsideError):
        plain.__getitems__([queries[0], plain.grid.subgrid(1000, 1000, 8, 8)])


def test_stream_yields_the_samples_of_the_queries_in_order(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))
    queries = queries_of(ds) * 3
    streamed = list(ds.stream(iter(queries), ahead=4))
    assert [s["grid"] for s in streamed] == queries
    for query, sample in zip(queries, streamed, strict=True):
        assert torch.equal(sample["image"], ds[query]["image"])
        assert torch.equal(sample["mask"], ds[query]["mask"])


# ---------------------------------------------------------------------------- several CRSs
def test_two_crs_mosaic_needs_a_target_crs(files: dict[str, Path]) -> None:
    paths = [files["s2_10m"], files["east_3857"]]
    with pytest.raises(CRSMismatchError, match=r"EPSG:32633.*EPSG:3857|EPSG:3857.*EPSG:32633"):
        GeoDataset(RasterSource(paths))
    with pytest.raises(CRSMismatchError, match="crs="):
        GeoDataset(RasterSource(files["s2_10m"]) | RasterSource(files["east_3857"]))


@pytest.mark.parametrize("union", [False, True])
def test_two_crs_mosaic_with_a_target_crs(files: dict[str, Path], union: bool) -> None:
    west, east = files["s2_10m"], files["east_3857"]
    source = (
        RasterSource(west, resampling="nearest") | RasterSource(east, resampling="nearest")
        if union
        else RasterSource([west, east], resampling="nearest")
    )
    ds = GeoDataset(source, crs=UTM)
    assert ds.crs == UTM and ds.res == (10.0, 10.0)
    assert len(ds.footprints) == 2
    r0, c0 = origin_of(ds)  # where the west file starts in the dataset grid
    # inside the UTM file: the plain windowed read
    west_sample = ds[ds.grid.subgrid(r0 + 8, c0 + 8, 16, 16)]
    np.testing.assert_array_equal(
        west_sample["image"].numpy(), windowed(west, Window(8, 8, 16, 16))
    )
    # inside the Web Mercator file: reprojected onto the UTM query grid
    query = ds.grid.subgrid(r0 + 40, c0 + 96 + 40, 16, 16)
    east_sample = ds[query]
    with rasterio.open(east) as src:
        reference = np.zeros((6, 16, 16), dtype=np.uint16)
        reproject(
            src.read(),
            reference,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=0,
            dst_transform=query.transform,
            dst_crs=UTM,
            dst_nodata=0,
            resampling=Resampling.nearest,
        )
    assert (reference > 0).all()
    np.testing.assert_array_equal(east_sample["image"].numpy(), reference.astype(np.float32))
    # across the seam: both halves filled
    seam = ds[ds.grid.subgrid(r0 + 40, c0 + 96 - 8, 16, 16)]
    assert bool(seam["valid"].all())


# ---------------------------------------------------------------------------- errors
def test_sources_that_do_not_overlap_raise_no_overlap(files: dict[str, Path]) -> None:
    with pytest.raises(NoOverlapError, match=r"s2_10m.*far|far.*s2_10m"):
        GeoDataset([RasterSource(files["s2_10m"]), RasterSource(files["far"], bands=["X"])])


def test_query_outside_every_footprint(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    far = ds.grid.subgrid(1000, 1000, 8, 8)
    with pytest.raises(QueryOutsideError) as info:
        ds[far]
    assert str(far.bounds) in str(info.value) and str(ds.bounds) in str(info.value)
    assert ds.valid_fraction(far) == 0.0


def test_bad_queries_and_bad_stacks(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    with pytest.raises(EoforgeError, match="sampler"):
        ds[0]  # type: ignore[index]
    with pytest.raises(EoforgeError, match="B02"):
        GeoDataset([RasterSource(files["s2_10m"]), RasterSource(files["s2_10m"])])
    with pytest.raises(EoforgeError, match="RasterSource"):
        GeoDataset(VectorSource(files["fields"]))  # type: ignore[arg-type]
    with pytest.raises(EoforgeError, match="one band"):
        GeoDataset(RasterSource(files["s2_10m"]), mask=RasterSource(files["s2_20m"], kind="mask"))


def test_valid_fraction_of_a_fully_valid_query(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    assert ds.valid_fraction(ds.grid.subgrid(0, 0, 32, 32)) == pytest.approx(1.0)


# ---------------------------------------------------------------------------- workers
def queries_of(ds: GeoDataset) -> list[GridSpec]:
    return [ds.grid.subgrid(r, c, 16, 16) for r in (0, 30, 60) for c in (0, 50)]


def batches(ds: GeoDataset, workers: int, context: str | None = None) -> list[dict[str, Any]]:
    loader = DataLoader(
        ds,
        batch_size=2,
        sampler=queries_of(ds),
        collate_fn=collate,
        num_workers=workers,
        multiprocessing_context=context if workers else None,
    )
    return list(loader)


def assert_same_batches(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert len(a) == len(b) == 3
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key in ("image", "mask", "valid"):
            assert torch.equal(x[key], y[key])
        assert x["grid"] == y["grid"] and x["bands"] == y["bands"]


def test_dataloader_workers_give_the_same_batches(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))
    single = batches(ds, 0)
    assert single[0]["image"].shape == (2, 6, 16, 16) and single[0]["mask"].shape == (2, 16, 16)
    assert_same_batches(single, batches(ds, 2, "fork"))


@pytest.mark.slow
def test_dataloader_spawn_workers_give_the_same_batches(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))
    assert_same_batches(batches(ds, 0), batches(ds, 2, "spawn"))


def test_random_patch_sampler_end_to_end(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))

    def run() -> list[dict[str, Any]]:
        sampler = RandomPatchSampler(ds, size=24, length=6, seed=3)
        return list(DataLoader(ds, batch_size=3, sampler=sampler, collate_fn=collate))

    first, again = run(), run()
    assert len(first) == 2 and first[0]["image"].shape == (3, 6, 24, 24)
    for a, b in zip(first, again, strict=True):
        assert a["grid"] == b["grid"] and torch.equal(a["image"], b["image"])
    for grid in first[0]["grid"]:
        assert grid.is_aligned_with(ds.grid) and ds.bounds.contains(grid.bounds)


def test_pickle_round_trip(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))
    query = ds.grid.subgrid(0, 0, 12, 12)
    before = ds[query]
    clone = pickle.loads(pickle.dumps(ds))
    after = clone[query]
    assert clone.grid == ds.grid and clone.footprints == ds.footprints
    for key in ("image", "mask", "valid"):
        assert torch.equal(before[key], after[key])


# ---------------------------------------------------------------------------- presentation
def test_repr_and_plot(files: dict[str, Path]) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]), mask=VectorSource(files["fields"], "cls"))
    text = repr(ds)
    assert "6 bands" in text and UTM in text and "mask: VectorSource" in text
    fig = ds.plot(ds[ds.grid.subgrid(0, 0, 16, 16)])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["B04, B03, B02", "mask"]


def test_plot_without_matplotlib_says_how_to_install_it(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = GeoDataset(RasterSource(files["s2_10m"]))
    sample = ds[ds.grid.subgrid(0, 0, 4, 4)]
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    with pytest.raises(EoforgeError, match="pip install matplotlib"):
        ds.plot(sample)


# ---------------------------------------------------------------------------- real files
def test_real_landsat_rgb_nodata_border_is_invalid(shared_data: Path) -> None:
    path = shared_data / "rasterio_testdata" / "RGB.byte.tif"
    ds = GeoDataset(RasterSource(path))
    assert ds.crs == "EPSG:32618" and len(ds.bands) == 3
    query = ds.grid.subgrid(0, 200, 128, 128)  # along the top edge: black border and data
    sample = ds[query]
    raw = windowed(path, Window(200, 0, 128, 128))
    np.testing.assert_array_equal(sample["image"].numpy(), raw)
    valid = sample["valid"].numpy()
    all_zero, none_zero = (raw == 0).all(axis=0), (raw != 0).all(axis=0)
    assert all_zero.any() and none_zero.any()
    assert not valid[all_zero].any() and valid[none_zero].all()


def test_real_landsat7_six_bands(shared_data: Path) -> None:
    path = shared_data / "debian_r_rasters" / "stars" / "L7_ETMs.tif"
    ds = GeoDataset(RasterSource(path))
    assert ds.crs == "EPSG:31985" and len(ds.bands) == 6
    sample = ds[ds.grid.subgrid(100, 50, 64, 64)]
    np.testing.assert_array_equal(sample["image"].numpy(), windowed(path, Window(50, 100, 64, 64)))
    assert bool(sample["valid"].all())


def test_time_selects_the_scene_of_that_date(tmp_path: Path) -> None:
    from eoforge.geo import TimeRange

    transform = Affine(10, 0, X0, 0, -10, Y0)
    early, late = noise((2, 16, 16), 1), noise((2, 16, 16), 2)
    write_cog(tmp_path / "s2_20200105.tif", early, transform)
    write_cog(tmp_path / "s2_20200710.tif", late, transform)
    src = RasterSource(tmp_path / "*.tif", date_pattern=r"_(?P<date>\d{8})\.tif$")
    summer = GeoDataset(src, time=TimeRange("2020-06-01", "2020-08-31"))
    winter = GeoDataset(src, time=TimeRange("2020-01-01", "2020-01-31"))
    np.testing.assert_array_equal(summer[summer.grid]["image"].numpy(), late)
    np.testing.assert_array_equal(winter[winter.grid]["image"].numpy(), early)
    assert len(GeoDataset(src).footprints) == 2 and len(summer.footprints) == 1
    with pytest.raises(NoOverlapError, match="time="):
        GeoDataset(src, time=TimeRange("2021-01-01", "2021-12-31"))
