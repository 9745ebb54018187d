"""read_window: aligned reads against rasterio's own windowed reads; fill, masks, dtypes, out."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from eoforge.errors import BandNotFoundError, InvalidGridError
from eoforge.geo import GridSpec
from eoforge.io import open_raster, raster_info, read_window

MakeRaster = Callable[..., Path]


def _rio_read(path: Path, window: Window, fill: float, bands: list[int] | None = None):
    with rasterio.open(path) as ds:
        return ds.read(bands, window=window, boundless=True, fill_value=fill)


def test_aligned_inside_equals_rasterio(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(300, 400, 256, 256)
    got = read_window(cog6, grid)
    with rasterio.open(cog6) as ds:
        want = ds.read(window=Window(400, 300, 256, 256))
    assert got.dtype == np.uint16
    assert got.shape == (6, 256, 256)
    np.testing.assert_array_equal(got, want)


def test_aligned_band_subset_in_requested_order(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(10, 20, 64, 32)
    got = read_window(cog6, grid, [5, 2])
    with rasterio.open(cog6) as ds:
        want = ds.read([5, 2], window=Window(20, 10, 32, 64))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("row", "col"), [(-30, -40), (1000, 1200), (-5, 1250), (1090, -3), (-100, 500)]
)
def test_aligned_over_edge_filled_with_nodata(cog6: Path, row: int, col: int) -> None:
    grid = raster_info(cog6).grid.subgrid(row, col, 128, 128)
    got, valid = read_window(cog6, grid, with_mask=True)
    want = _rio_read(cog6, Window(col, row, 128, 128), fill=0)
    np.testing.assert_array_equal(got, want)
    with rasterio.open(cog6) as ds:
        want_mask = ds.dataset_mask(window=Window(col, row, 128, 128), boundless=True) > 0
    np.testing.assert_array_equal(valid, want_mask)


def test_grid_entirely_outside_gives_fill_and_invalid(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(5000, 5000, 16, 16)
    got, valid = read_window(cog6, grid, fill_value=7, with_mask=True)
    assert (got == 7).all()
    assert not valid.any()


def test_fill_value_only_outside_nodata_stays_nodata(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(-10, -10, 60, 90)
    got = read_window(cog6, grid, fill_value=9)
    assert (got[:, :10, :] == 9).all()
    assert (got[:, :, :10] == 9).all()
    assert (got[:, 10:50, 10:80] == 0).all()  # the file's own nodata block


def test_mask_any_band_valid_like_dataset_mask(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(490, 590, 40, 80)
    got, valid = read_window(cog6, grid, with_mask=True)
    assert (got[2, 10:30, 10:60] == 0).all()
    assert valid.all()  # only band 3 is nodata there: the pixel is still valid
    _, valid3 = read_window(cog6, grid, [3], with_mask=True)
    assert not valid3[10:30, 10:60].any()
    assert valid3.sum() == 40 * 80 - 20 * 50


def test_no_nodata_file_is_all_valid_inside(make_raster: MakeRaster) -> None:
    data = np.zeros((1, 20, 20), np.uint8)
    path = make_raster(data)
    grid = raster_info(path).grid.subgrid(-5, 0, 10, 10)
    got, valid = read_window(path, grid, with_mask=True)
    assert not valid[:5].any()
    assert valid[5:].all()
    assert (got == 0).all()


def test_nan_nodata(make_raster: MakeRaster) -> None:
    data = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    data[0, 1, 1] = np.nan
    path = make_raster(data, nodata=math.nan)
    grid = raster_info(path).grid.subgrid(0, 0, 4, 5)
    got, valid = read_window(path, grid, with_mask=True)
    assert np.isnan(got[0, 1, 1])
    assert np.isnan(got[0, :, 4]).all()
    assert valid.sum() == 15


def test_internal_mask_is_used(make_raster: MakeRaster, tmp_path: Path) -> None:
    data = np.full((2, 8, 8), 5, np.uint8)
    path = make_raster(data, name="masked.tif")
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "r+") as ds:
        mask = np.full((8, 8), 255, np.uint8)
        mask[:, :3] = 0
        ds.write_mask(mask)
    assert raster_info(path).mask_kind == "mask"
    _, valid = read_window(path, raster_info(path).grid, with_mask=True)
    assert not valid[:, :3].any()
    assert valid[:, 3:].all()


def test_dtype_conversion(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(-2, 0, 8, 8)
    got, valid = read_window(cog6, grid, dtype="float32", fill_value=-1, with_mask=True)
    want = _rio_read(cog6, Window(0, -2, 8, 8), fill=0).astype(np.float32)
    want[:, :2] = -1
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert not valid[:2].any()


def test_out_written_in_place(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(100, 100, 32, 32)
    out = np.zeros((6, 32, 32), np.uint16)
    got = read_window(cog6, grid, out=out)
    assert got is out
    np.testing.assert_array_equal(out, _rio_read(cog6, Window(100, 100, 32, 32), fill=0))


def test_out_with_mask_writes_only_valid_pixels(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(-8, -8, 64, 96)
    out = np.full((6, 64, 96), 1234, np.uint16)
    got, valid = read_window(cog6, grid, out=out, with_mask=True)
    assert got is out
    assert (out[:, ~valid] == 1234).all()
    want = _rio_read(cog6, Window(-8, -8, 96, 64), fill=0)
    np.testing.assert_array_equal(out[:, valid], want[:, valid])


def test_out_shape_mismatch(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    with pytest.raises(InvalidGridError, match="out has shape"):
        read_window(cog6, grid, out=np.zeros((6, 8, 9), np.uint16))


def test_accepts_open_dataset(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    with rasterio.open(cog6) as ds:
        np.testing.assert_array_equal(read_window(ds, grid), read_window(cog6, grid))
    assert read_window(open_raster(cog6), grid).shape == (6, 8, 8)


def test_band_out_of_range_names_the_bands(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    with pytest.raises(BandNotFoundError, match=r"bands 1\.\.6") as err:
        read_window(cog6, grid, [7])
    assert "cog6.tif" in str(err.value)
    with pytest.raises(BandNotFoundError):
        read_window(cog6, grid, [0])


def test_invalid_grid(cog6: Path) -> None:
    with pytest.raises(InvalidGridError, match="GridSpec"):
        read_window(cog6, (0, 0, 10, 10))  # type: ignore[arg-type]
    with pytest.raises(InvalidGridError):
        GridSpec("EPSG:32633", Affine(10, 0, 0, 0, -10, 0), 0, 5)


def test_unknown_resampling(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    with pytest.raises(InvalidGridError, match="bilinear"):
        read_window(cog6, grid, resampling="bilinearr")


def test_fill_that_does_not_fit_dtype(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(-1, 0, 8, 8)
    with pytest.raises(InvalidGridError, match="does not fit"):
        read_window(cog6, grid, fill_value=-1)
    with pytest.raises(InvalidGridError, match="does not fit"):
        read_window(cog6, grid, fill_value=math.nan)


def test_dtype_and_out_must_agree(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    out = np.zeros((6, 8, 8), np.float32)
    assert read_window(cog6, grid, dtype="float32", out=out) is out
    with pytest.raises(InvalidGridError, match="dtype"):
        read_window(cog6, grid, dtype="uint16", out=out)


def test_resampling_is_checked_even_when_aligned(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    with pytest.raises(InvalidGridError, match="nearest"):
        read_window(cog6, grid, resampling="gauss")


def test_rasterio_resampling_enum_accepted(cog6: Path) -> None:
    from rasterio.enums import Resampling

    grid = raster_info(cog6).grid.subgrid(0, 0, 8, 8)
    np.testing.assert_array_equal(
        read_window(cog6, grid, resampling=Resampling.bilinear),  # type: ignore[arg-type]
        read_window(cog6, grid),
    )
