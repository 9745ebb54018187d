"""read_window on real files from ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import Resampling, reproject
from rasterio.windows import Window

from eoforge.geo import GridSpec
from eoforge.io import raster_info, read_window
from gdal_reference import pixel_size_scale

RGB = "rasterio_testdata/RGB.byte.tif"
L7 = "debian_r_rasters/stars/L7_ETMs.tif"
BEN = "bigearthnet_example/BigEarthNet-S2-Example/S2A_MSIL2A_20170613T101031_87_48"


def _reproject_whole(path: Path, grid: GridSpec, method: str) -> np.ndarray:
    """The whole file reprojected onto ``grid``, with the kernel scale of the pixel sizes."""
    with rasterio.open(path) as ds:
        src = ds.read()
        fill = ds.nodata or 0
        dst = np.full((ds.count, grid.height, grid.width), fill, src.dtype)
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
            **pixel_size_scale(raster_info(path).grid, grid),
        )
    return dst


@pytest.mark.parametrize(
    ("row", "col", "h", "w"),
    [(0, 0, 718, 791), (100, 200, 256, 256), (-30, -40, 128, 200), (650, 700, 128, 128)],
)
def test_rgb_byte_aligned_bit_identical(shared_data: Path, row: int, col: int, h: int, w: int):
    path = shared_data / RGB
    grid = raster_info(path).grid.subgrid(row, col, h, w)
    got, valid = read_window(path, grid, with_mask=True)
    with rasterio.open(path) as ds:
        window = Window(col, row, w, h)
        want = ds.read(window=window, boundless=True, fill_value=0)
        want_mask = ds.dataset_mask(window=window, boundless=True) > 0
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(valid, want_mask)
    if row == 0 and col == 0:
        assert 0 < valid.mean() < 1  # the scene's nodata collar is invalid


def test_rgb_byte_reprojected_to_4326(shared_data: Path) -> None:
    path = shared_data / RGB
    grid = raster_info(path).grid.to_crs("EPSG:4326")
    patch = grid.subgrid(200, 250, 256, 256)
    over_edge = grid.subgrid(-50, -60, 200, 200)
    for g in (patch, over_edge):
        got, valid = read_window(path, g, with_mask=True)
        want = _reproject_whole(path, g, "nearest")
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(valid, (want != 0).any(axis=0))
        smooth = read_window(path, g, resampling="bilinear").astype(int)
        diff = np.abs(smooth - _reproject_whole(path, g, "bilinear").astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.05


def test_l7_six_bands_bit_identical(shared_data: Path) -> None:
    path = shared_data / L7
    info = raster_info(path)
    assert info.count == 6
    assert info.grid.crs == "EPSG:31985"
    grid = info.grid.subgrid(50, 60, 200, 250)
    got = read_window(path, grid)
    subset = read_window(path, grid, [6, 1, 3])
    with rasterio.open(path) as ds:
        np.testing.assert_array_equal(got, ds.read(window=Window(60, 50, 250, 200)))
        np.testing.assert_array_equal(subset, ds.read([6, 1, 3], window=Window(60, 50, 250, 200)))
    _, valid = read_window(path, info.grid.subgrid(-10, 0, 20, 20), with_mask=True)
    assert not valid[:10].any() and valid[10:].all()  # no nodata: valid wherever the file is


@pytest.mark.parametrize("band", ["B05", "B01"])  # 20 m and 60 m bands
def test_bigearthnet_coarse_band_on_10m_grid(shared_data: Path, band: str) -> None:
    folder = shared_data / BEN
    name = folder.name
    grid10 = raster_info(folder / f"{name}_B02.tif").grid
    coarse = folder / f"{name}_{band}.tif"
    assert raster_info(coarse).grid.res[0] > 10
    for method in ("nearest", "bilinear"):
        got = read_window(coarse, grid10, resampling=method)
        assert got.shape == (1, 120, 120)
        np.testing.assert_array_equal(got, _reproject_whole(coarse, grid10, method))
    factor = round(raster_info(coarse).grid.res[0] / 10)
    with rasterio.open(coarse) as ds:
        native = ds.read()
    np.testing.assert_array_equal(
        read_window(coarse, grid10), native.repeat(factor, axis=1).repeat(factor, axis=2)
    )
