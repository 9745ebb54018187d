"""``read_band_files``: single-band files stacked on the finest grid, against a numpy reference."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from bilinear_reference import upsample_bilinear
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.errors import NotGeoreferencedWarning

from eoforge.datasets.band_files import band_file_grid, read_band_files, same_area
from eoforge.errors import RasterReadError
from eoforge.geo import GridSpec


def _write(path: Path, pixels: np.ndarray, res: float, x: float = 500_000.0) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", width=pixels.shape[-1], height=pixels.shape[-2],
        count=1 if pixels.ndim == 2 else pixels.shape[0], dtype=pixels.dtype,
        crs="EPSG:32633", transform=Affine(res, 0, x, 0, -res, 5_000_000),
    ) as ds:  # fmt: skip
        ds.write(pixels if pixels.ndim == 3 else pixels[None])
    return path


@settings(max_examples=25, deadline=None)
@given(
    factor=st.sampled_from([2, 3, 6]),
    coarse=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from(["uint16", "float32"]),
)
def test_coarse_bands_are_bilinear_upsampled_and_fine_ones_kept(
    factor: int, coarse: int, seed: int, dtype: str
) -> None:
    rng = np.random.default_rng(seed)
    fine = coarse * factor
    low = rng.integers(1, 10_000, size=(coarse, coarse)).astype(dtype)
    high = rng.integers(1, 10_000, size=(fine, fine)).astype(dtype)
    with tempfile.TemporaryDirectory() as folder:
        paths = [_write(Path(folder) / "low.tif", low, 10.0 * factor),
                 _write(Path(folder) / "high.tif", high, 10.0)]  # fmt: skip
        image, grid = read_band_files(paths)
    assert image.dtype == np.float32 and image.shape == (2, fine, fine)
    assert grid.res == (10.0, 10.0) and (grid.height, grid.width) == (fine, fine)
    np.testing.assert_array_equal(image[1], high)  # the finest band: bit-exact
    # GDAL resamples integers in their own type (rounded); floats within float32 arithmetic
    tolerance = 0.5 + 1e-6 if dtype == "uint16" else 1e-2
    np.testing.assert_allclose(image[0], upsample_bilinear(low, factor), rtol=0, atol=tolerance)


def test_the_grid_given_fixes_the_shape(tmp_path: Path) -> None:
    path = _write(tmp_path / "b05.tif", np.full((3, 3), 7, "uint16"), 20.0)
    target = GridSpec.from_bounds(band_file_grid(path).bounds, res=10)
    image, grid = read_band_files([path], target)
    assert image.shape == (1, 6, 6) and grid == target and np.all(image == 7)


def test_a_band_of_another_area_is_refused(tmp_path: Path) -> None:
    here = _write(tmp_path / "a.tif", np.ones((4, 4), "uint16"), 10.0)
    there = _write(tmp_path / "b.tif", np.ones((4, 4), "uint16"), 10.0, x=500_040.0)
    with pytest.raises(RasterReadError, match=r"b\.tif' covers"):
        read_band_files([here, there])
    assert not same_area(band_file_grid(there), band_file_grid(here))


def test_multi_band_and_ungeoreferenced_files_are_refused(tmp_path: Path) -> None:
    two = _write(tmp_path / "two.tif", np.ones((2, 4, 4), "uint16"), 10.0)
    with pytest.raises(RasterReadError, match="2 bands"):
        read_band_files([two])
    plain = tmp_path / "plain.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(plain, "w", driver="GTiff", width=2, height=2, count=1,
                           dtype="uint8") as ds:  # fmt: skip
            ds.write(np.ones((1, 2, 2), "uint8"))
    with pytest.raises(RasterReadError, match="no CRS"):
        read_band_files([plain])
