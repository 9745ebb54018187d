"""GDAL's chunks of a warp whose source lies mostly outside the file (eoforge.io.warp_chunks).

The chunks are checked against a hand computation, and against the chunks GDAL itself reports
(``CPL_DEBUG``: each warp kernel run logs its destination window) when it warps a whole file.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from rasterio.warp import Resampling, reproject

from eoforge.geo import GridSpec
from eoforge.io import raster_info, read_window
from eoforge.io.warp_chunks import Chunk, fill_ratio, gdal_chunks
from eoforge.io.warp_plan import plan_warp, source_pixels
from gdal_reference import pixel_size_scale, reproject_whole_file, smooth_imagery


def _shifted(dx: float, dy: float = 0.0):
    return lambda cols, rows: (cols + dx, rows + dy)


def test_fill_ratio_by_hand() -> None:
    # a 300 x 300 grid whose source starts 200 pixels left of a 300 x 300 file
    ratio = fill_ratio(_shifted(-200.0), (300, 300), Chunk(0, 0, 300, 300), radius=1)
    # clipped: columns 0-101 (100 plus the radius), rows 0-300 (clipped at the bottom)
    assert ratio == pytest.approx(101 * 300 / (302 * 302))
    assert fill_ratio(_shifted(-310.0), (300, 300), Chunk(0, 0, 300, 300), radius=1) == 0.0
    assert fill_ratio(_shifted(-300.5), (300, 300), Chunk(0, 0, 300, 300), radius=1) is None


def test_halves_along_the_longer_side_until_filled_or_small() -> None:
    chunks = gdal_chunks(_shifted(-200.0), (300, 300), (300, 300), radius=1)
    assert chunks is not None
    # 0.33 filled: halved along the rows (as wide as high), then each half along the columns;
    # the left quarters lie outside (ratio 0: kept), the right ones two-thirds inside
    assert chunks == [
        Chunk(0, 0, 150, 150), Chunk(150, 0, 150, 150),
        Chunk(0, 150, 150, 150), Chunk(150, 150, 150, 150),
    ]  # fmt: skip
    assert sum(c.width * c.height for c in chunks) == 300 * 300
    assert gdal_chunks(_shifted(-50.0), (300, 300), (300, 300), radius=1) == [Chunk(0, 0, 300, 300)]
    assert gdal_chunks(_shifted(-200.0), (300, 300), (100, 100), radius=1) == [
        Chunk(0, 0, 100, 100)
    ]


def test_too_close_to_call_gives_up() -> None:
    # about half the source inside the file
    assert gdal_chunks(_shifted(-148.0), (300, 300), (300, 300), radius=1) is None


@pytest.fixture(scope="module")
def east(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "east.tif"
    data = smooth_imagery(1, 600, 700).astype(np.uint16)
    with rasterio.open(
        path, "w", driver="GTiff", width=700, height=600, count=1, dtype="uint16",
        crs="EPSG:32634", transform=Affine(10, 0, 270800, 0, -10, 5139260),
    ) as ds:  # fmt: skip
        ds.write(data)
    return path


class _Chunks(logging.Handler):
    """The destination windows of GDAL's warp kernel runs, from its debug messages."""

    pattern = re.compile(r"GDALWarpKernel\(\)::\w+\(\).*Dst=(\d+),(\d+),(\d+)x(\d+)")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.chunks: list[Chunk] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = self.pattern.search(record.getMessage())
        if found:
            col, row, width, height = (int(v) for v in found.groups())
            self.chunks.append(Chunk(col, row, width, height))


def _gdal_reported_chunks(path: Path, grid: GridSpec, method: str) -> list[Chunk]:
    handler = _Chunks()
    logger = logging.getLogger("rasterio._err")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with rasterio.open(path) as ds, rasterio.Env(CPL_DEBUG=True):
            src = ds.read()
            dst = np.zeros((1, *grid.shape), np.uint16)
            reproject(
                src, dst, src_transform=ds.transform, src_crs=ds.crs,
                dst_transform=grid.transform, dst_crs=grid.crs, resampling=Resampling[method],
                **pixel_size_scale(raster_info(path).grid, grid),
            )  # fmt: skip
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return handler.chunks


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_chunks_are_gdal_s(east: Path, method: str) -> None:
    """Patches over each edge and corner, from barely to mostly outside: wherever the estimate
    calls it, the chunks are those GDAL reports for its warp of the whole file."""
    file_grid = raster_info(east).grid
    to_utm33 = pyproj.Transformer.from_crs("EPSG:32634", "EPSG:32633", always_xy=True)
    compared = split = 0
    for top, left, h, w in [
        (-120, 200, 150, 300), (-60, 200, 150, 300), (-200, -200, 256, 256), (-30, -30, 256, 256),
        (500, 600, 256, 256), (450, 100, 256, 200), (100, -180, 300, 200), (100, 640, 200, 256),
    ]:  # fmt: skip
        x, y = to_utm33.transform(*(file_grid.transform @ (left, top)))
        grid = GridSpec("EPSG:32633", Affine(10, 0, round(x, -1), 0, -10, round(y, -1)), w, h)
        radius = 1 if method == "bilinear" else 0
        chunks = gdal_chunks(
            partial(source_pixels, file_grid, grid), file_grid.shape, grid.shape, radius
        )
        if chunks is None:
            continue
        compared += 1
        split += len(chunks) > 1
        reported = _gdal_reported_chunks(east, grid, method)
        # GDAL runs no kernel on a chunk with no source pixel
        assert set(reported) <= set(chunks), (top, left)
        for chunk in set(chunks) - set(reported):
            ratio = fill_ratio(
                partial(source_pixels, file_grid, grid), file_grid.shape, chunk, radius
            )
            assert ratio in (0.0, None), (top, left, chunk)
        plan = plan_warp(file_grid, grid, method)
        assert (plan.chunks is not None) == (len(chunks) > 1)
    assert compared >= 6 and split >= 2


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
@pytest.mark.parametrize("dtype", [None, "float32"])
def test_chunked_read_equals_the_whole_file(east: Path, method: str, dtype) -> None:
    """A patch mostly beyond the file's left edge: GDAL warps the whole file onto it in six
    chunks, each row approximated per chunk; eoforge's read gives the same."""
    file_grid = raster_info(east).grid
    to_utm33 = pyproj.Transformer.from_crs("EPSG:32634", "EPSG:32633", always_xy=True)
    x, y = to_utm33.transform(*(file_grid.transform @ (-180, 100)))
    grid = GridSpec("EPSG:32633", Affine(10, 0, round(x, -1), 0, -10, round(y, -1)), 200, 300)
    plan = plan_warp(file_grid, grid, method)
    assert plan.chunks is not None and len(plan.chunks) > 2
    got, valid = read_window(east, grid, resampling=method, with_mask=True, dtype=dtype)
    want, written = reproject_whole_file(east, grid, method, dtype=dtype)
    np.testing.assert_array_equal(valid, written)
    np.testing.assert_array_equal(got, want)
    assert 0 < valid.mean() < 0.5
