"""Property: on aligned grids, read_window equals rasterio's boundless windowed read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from eoforge.io import raster_info, read_window

H, W = 150, 200


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(7)
    data = rng.integers(0, 50, size=(3, H, W), dtype=np.int16)  # many 0s = nodata pixels
    path = tmp_path_factory.mktemp("prop") / "small.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=W,
        height=H,
        count=3,
        dtype="int16",
        crs="EPSG:3035",
        transform=Affine(20, 0, 4000000, 0, -20, 3000000),
        nodata=0,
        tiled=True,
        blockxsize=64,
        blockysize=64,
        compress="deflate",
    ) as ds:
        ds.write(data)
    return path


windows = st.tuples(
    st.integers(-80, H + 20),  # row offset: may start above or below the file
    st.integers(-80, W + 20),
    st.integers(1, 120),  # height
    st.integers(1, 120),
)
band_lists = st.lists(st.integers(1, 3), min_size=1, max_size=4)


@settings(max_examples=80, deadline=None)
@given(window=windows, bands=band_lists, fill=st.sampled_from([None, -1, 7]))
def test_aligned_equals_boundless_rasterio(
    small_file: Path, window: tuple[int, int, int, int], bands: list[int], fill: int | None
) -> None:
    row, col, h, w = window
    grid = raster_info(small_file).grid.subgrid(row, col, h, w)
    got, valid = read_window(small_file, grid, bands, fill_value=fill, with_mask=True)
    rio_window = Window(col, row, w, h)
    with rasterio.open(small_file) as ds:
        want = ds.read(bands, window=rio_window, boundless=True, fill_value=fill or 0)
        mask = ds.read_masks(bands, window=rio_window, boundless=True) > 0
    assert got.shape == (len(bands), h, w)
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(valid, mask.any(axis=0))
