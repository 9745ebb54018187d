"""read_window off the file's grid: same CRS at other resolutions, other CRSs, scale/offset.

The reference is rasterio.warp.reproject of the *whole* file onto the same target grid.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.warp import Resampling, reproject

from eoforge.geo import BBox, GridSpec
from eoforge.io import raster_info, read_window

ORIGIN = (500000.0, 5000000.0)


def _smooth(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    bands, h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    layers = [
        1000 + 500 * np.sin(xx / 17.0 + k) + 300 * np.cos(yy / 23.0) + rng.normal(0, 20, (h, w))
        for k in range(bands)
    ]
    return np.stack(layers).astype(np.uint16)


@pytest.fixture(scope="module")
def utm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = _smooth((3, 300, 400))
    data[:, 100:130, 200:260] = 0  # a nodata hole
    path = tmp_path_factory.mktemp("resampled") / "utm.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=400,
        height=300,
        count=3,
        dtype="uint16",
        crs="EPSG:32633",
        transform=Affine(10, 0, *ORIGIN[:1], 0, -10, ORIGIN[1]),
        nodata=0,
        tiled=True,
        blockxsize=128,
        blockysize=128,
    ) as ds:
        ds.write(data)
    return path


def _reference(path: Path, grid: GridSpec, method: str, fill: float = 0, dtype=None):
    with rasterio.open(path) as ds:
        src = ds.read()
        dst = np.full((ds.count, grid.height, grid.width), fill, dtype or src.dtype)
        reproject(
            src,
            dst,
            src_transform=ds.transform,
            src_crs=ds.crs,
            src_nodata=ds.nodata,
            dst_transform=grid.transform,
            dst_crs=grid.crs,
            dst_nodata=fill,
            resampling=Resampling[method],
        )
    return dst


def _grids(path: Path) -> dict[str, GridSpec]:
    file_grid = raster_info(path).grid
    geographic = file_grid.to_crs("EPSG:4326")
    return {
        "4326": geographic.subgrid(20, 30, 150, 200),
        "4326 over top-left edge": geographic.subgrid(-20, -30, 150, 200),
        "4326 over bottom-right edge": geographic.subgrid(250, 380, 150, 200),
        "4326 finer": GridSpec.from_bounds(
            geographic.subgrid(50, 50, 60, 60).bounds, res=tuple(r / 2 for r in geographic.res)
        ),
        "3857": file_grid.to_crs("EPSG:3857").subgrid(10, 10, 200, 200),
        "20 m": GridSpec.from_bounds(BBox(500105, 4997005, 503005, 4999805, "EPSG:32633"), 20),
        "60 m": GridSpec.from_bounds(file_grid.bounds, res=60),
        "5 m shifted": GridSpec.from_bounds(
            BBox(500502.5, 4997002.5, 502002.5, 4998502.5, "EPSG:32633"), res=5
        ),
    }


GRID_NAMES = [
    "4326",
    "4326 over top-left edge",
    "4326 over bottom-right edge",
    "4326 finer",
    "3857",
    "20 m",
    "60 m",
    "5 m shifted",
]


@pytest.mark.parametrize("name", GRID_NAMES)
def test_nearest_equals_reprojecting_the_whole_file(utm_file: Path, name: str) -> None:
    grid = _grids(utm_file)[name]
    got = read_window(utm_file, grid)
    np.testing.assert_array_equal(got, _reference(utm_file, grid, "nearest"))


@pytest.mark.parametrize("method", ["bilinear", "cubic", "average", "lanczos"])
@pytest.mark.parametrize("name", GRID_NAMES)
def test_kernels_match_reprojecting_the_whole_file(utm_file: Path, name: str, method: str) -> None:
    grid = _grids(utm_file)[name]
    got = read_window(utm_file, grid, resampling=method).astype(int)
    want = _reference(utm_file, grid, method).astype(int)
    # GDAL's kernel depends on its estimate of the scale; at most 1 DN apart, rarely
    assert np.abs(got - want).max() <= 1
    assert (got != want).mean() < 0.1


def test_pixel_values_do_not_depend_on_patch_position(utm_file: Path) -> None:
    """A pixel read in a patch hanging over the file edge is the same pixel of a bigger read.

    (Up to rounding: GDAL's kernel scale is given per read from the patch's footprint; left to
    GDAL it would be estimated from the clipped source window, up to 10 DN off here.)
    """
    geographic = raster_info(utm_file).grid.to_crs("EPSG:4326")
    big = read_window(utm_file, geographic.subgrid(-40, -40, 200, 250), resampling="bilinear")
    small = read_window(utm_file, geographic.subgrid(-40, -40, 60, 70), resampling="bilinear")
    diff = np.abs(small.astype(int) - big[:, :60, :70].astype(int))
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.05


def test_upsampling_20m_band_onto_10m_grid_nearest_repeats_pixels(make_raster) -> None:
    """A BigEarthNet-style 20 m band read on the 10 m grid: each pixel becomes 2x2."""
    data = np.arange(1, 1 + 3 * 4, dtype=np.uint16).reshape(1, 3, 4)
    path = make_raster(data, transform=Affine(20, 0, 500000, 0, -20, 4000000))
    grid10 = GridSpec("EPSG:32633", Affine(10, 0, 500000, 0, -10, 4000000), 8, 6)
    got = read_window(path, grid10)
    np.testing.assert_array_equal(got, data.repeat(2, axis=1).repeat(2, axis=2))
    # 60 m onto 10 m: 6x6 blocks
    path60 = make_raster(data, transform=Affine(60, 0, 500000, 0, -60, 4000000))
    grid = GridSpec("EPSG:32633", Affine(10, 0, 500000, 0, -10, 4000000), 24, 18)
    np.testing.assert_array_equal(
        read_window(path60, grid), data.repeat(6, axis=1).repeat(6, axis=2)
    )


def test_downsampling_average_by_hand(make_raster) -> None:
    data = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    path = make_raster(data)
    grid20 = GridSpec("EPSG:32633", Affine(20, 0, 500000, 0, -20, 4000000), 2, 2)
    got = read_window(path, grid20, resampling="average")
    want = data.reshape(1, 2, 2, 2, 2).mean(axis=(2, 4))
    np.testing.assert_allclose(got, want)


def test_bilinear_upsampling_by_hand(make_raster) -> None:
    """A linear ramp stays a linear ramp under bilinear interpolation (away from the edges)."""
    ramp = np.tile(np.arange(0, 80, 10, dtype=np.float32), (8, 1))[None]
    path = make_raster(ramp)
    grid5 = GridSpec("EPSG:32633", Affine(5, 0, 500000, 0, -5, 4000000), 16, 16)
    got = read_window(path, grid5, resampling="bilinear")
    # target pixel centre x = 2.5 + 5 j metres = (0.25 + 0.5 j) source pixels; value 10*(x - 0.5)
    cols = np.arange(16)
    want = 10 * (0.25 + 0.5 * cols - 0.5)
    np.testing.assert_allclose(got[0, 4, 2:14], want[2:14], atol=1e-4)


def test_valid_mask_after_reprojection(utm_file: Path) -> None:
    grid = _grids(utm_file)["4326 over top-left edge"]
    got, valid = read_window(utm_file, grid, with_mask=True)
    want = _reference(utm_file, grid, "nearest")
    # nearest: valid exactly where a non-nodata source pixel landed
    np.testing.assert_array_equal(valid, (want != 0).any(axis=0))
    assert not valid.all() and valid.any()
    np.testing.assert_array_equal(got, want)


def test_reprojection_fill_value(utm_file: Path) -> None:
    grid = _grids(utm_file)["4326 over top-left edge"]
    got, valid = read_window(utm_file, grid, fill_value=7, with_mask=True)
    assert (got[:, ~valid] == 7).all()


def test_reprojection_into_out_only_valid(utm_file: Path) -> None:
    grid = _grids(utm_file)["4326 over top-left edge"]
    out = np.full((3, grid.height, grid.width), 5, np.uint16)
    _, valid = read_window(utm_file, grid, out=out, with_mask=True)
    want = _reference(utm_file, grid, "nearest")
    assert (out[:, ~valid] == 5).all()
    np.testing.assert_array_equal(out[:, valid], want[:, valid])


def test_grid_far_away_gives_fill(utm_file: Path) -> None:
    grid = GridSpec.from_bounds(BBox(10, 10, 11, 11, "EPSG:4326"), res=0.01)
    got, valid = read_window(utm_file, grid, with_mask=True)
    assert (got == 0).all()
    assert not valid.any()


def test_float_dtype_keeps_fractions(utm_file: Path) -> None:
    grid = _grids(utm_file)["4326"]
    got = read_window(utm_file, grid, resampling="bilinear", dtype="float32")
    assert got.dtype == np.float32
    assert (got != np.round(got)).any()
    want = _reference(utm_file, grid, "bilinear").astype(np.float32)
    np.testing.assert_allclose(got, want, atol=1.0)


@pytest.fixture
def scaled_file(make_raster) -> Path:
    data = np.array([[[0, 100, 200], [300, 400, 0]], [[10, 20, 30], [40, 0, 60]]], np.uint16)
    path = make_raster(data, nodata=0)
    with rasterio.open(path, "r+") as ds:
        ds.scales = (0.5, 0.001)
        ds.offsets = (-1.0, 0.0)
    return path


def test_scale_offset_aligned(scaled_file: Path) -> None:
    info = raster_info(scaled_file)
    assert info.scales == (0.5, 0.001)
    grid = info.grid.subgrid(0, 0, 2, 4)  # one column outside
    got, valid = read_window(scaled_file, grid, apply_scale_offset=True, with_mask=True)
    assert got.dtype == np.float32
    nan = math.nan
    want = np.array(
        [[[nan, 49.0, 99.0, nan], [149.0, 199.0, nan, nan]],
         [[0.01, 0.02, 0.03, nan], [0.04, nan, 0.06, nan]]],
        np.float32,
    )  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_array_equal(valid, [[True, True, True, False], [True, True, True, False]])


def test_scale_offset_explicit_fill_and_resampled(scaled_file: Path) -> None:
    info = raster_info(scaled_file)
    got = read_window(scaled_file, info.grid, [1], apply_scale_offset=True, fill_value=-9)
    np.testing.assert_allclose(got[0], [[-9, 49, 99], [149, 199, -9]])
    finer = GridSpec("EPSG:32633", Affine(5, 0, 500000, 0, -5, 4000000), 6, 4)
    up = read_window(scaled_file, finer, [1], apply_scale_offset=True)
    assert np.isnan(up[0, :2, :2]).all()
    np.testing.assert_allclose(up[0, :2, 2:4], 49.0)
    np.testing.assert_allclose(up[0, 2:, 2:4], 199.0)


def test_bilinear_valid_is_where_gdal_wrote(utm_file: Path) -> None:
    grid = _grids(utm_file)["4326 over top-left edge"]
    got, valid = read_window(utm_file, grid, resampling="bilinear", fill_value=9, with_mask=True)
    assert (got[:, ~valid] == 9).all()
    nearest_valid = read_window(utm_file, grid, with_mask=True)[1]
    # GDAL writes a kernel's value where the pixel centre's source pixel is valid (as nearest)
    np.testing.assert_array_equal(valid, nearest_valid)
    assert (got[:, valid] != 9).any(axis=0).all()


def test_internal_mask_survives_reprojection(make_raster) -> None:
    data = np.full((2, 60, 80), 50, np.uint8)
    path = make_raster(data)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "r+") as ds:
        mask = np.full((60, 80), 255, np.uint8)
        mask[:, :40] = 0
        ds.write_mask(mask)
    grid = raster_info(path).grid.to_crs("EPSG:4326")
    got, valid = read_window(path, grid, fill_value=1, with_mask=True)
    assert 0.3 < valid.mean() < 0.7
    assert (got[:, valid] == 50).all()
    assert (got[:, ~valid] == 1).all()
