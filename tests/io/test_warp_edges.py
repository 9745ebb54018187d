"""GDAL's warp at a file's edge (eoforge.io.warp_edges), piece by piece and against GDAL itself.

The pieces are checked against hand computations; whole reads over file edges are compared
with ``rasterio.warp.reproject`` of the whole file in test_read_window_warp.py, and here for a
patch whose edge pixel GDAL writes only after transforming it again exactly.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from eoforge.geo import GridSpec
from eoforge.io import raster_info, read_window
from eoforge.io.warp_edges import FileEdges
from eoforge.io.warp_plan import plan_warp
from gdal_reference import reproject_whole_file, smooth_imagery

warp_module = importlib.import_module("eoforge.io.warp_window")


def _no_exact(cols: Any, rows: Any) -> Any:
    raise AssertionError("no point should be transformed again")


def test_inside_everywhere_needs_every_kernel_a_pixel_inside() -> None:
    edges = FileEdges(height=10, width=20, exact=_no_exact)
    y = np.full(3, 5.0)
    assert edges.inside_everywhere(np.array([0.5, 10.0, 19.49]), y)
    assert not edges.inside_everywhere(np.array([0.49, 10.0]), y[:2])  # left tap at -1
    assert not edges.inside_everywhere(np.array([10.0, 19.5]), y[:2])  # right tap at 20
    assert not edges.inside_everywhere(np.array([10.0]), np.array([9.6]))


def test_points_written_and_retried_only_within_a_pixel() -> None:
    asked: list[tuple[list[float], list[float]]] = []

    def exact(cols: Any, rows: Any) -> tuple[Any, Any]:
        asked.append((cols.tolist(), rows.tolist()))
        return np.array([0.25] * len(cols)), np.array([3.0] * len(cols))

    edges = FileEdges(height=10, width=20, exact=exact)
    x = np.array([-0.01, -1.5, 0.0, 19.999, 20.0, 5.0])
    y = np.array([3.0, 3.0, 3.0, 3.0, 9.0, 10.2])
    ok = edges.written(x, y, first_row=4, width=3)
    # x -0.01, x 20.0 and y 10.2 fail by less than a pixel: transformed again (into the file)
    assert ok.tolist() == [True, False, True, True, True, True]
    assert asked == [([0.5, 1.5, 2.5], [4.5, 5.5, 5.5])]  # their target (col, row) centres
    assert x[[0, 4, 5]].tolist() == [0.25] * 3 and y[[0, 4, 5]].tolist() == [3.0] * 3
    assert x[1] == -1.5  # not retried, unchanged


def test_points_failing_again_stay_unwritten() -> None:
    edges = FileEdges(height=10, width=20, exact=lambda c, r: (c * 0 - 0.2, r * 0 + 3))
    ok = edges.written(np.array([-0.1]), np.array([3.0]), first_row=0, width=1)
    assert ok.tolist() == [False]


def test_bilinear_over_edge_by_hand() -> None:
    src = np.array([[[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]]])  # 1 band, rows 0-1, cols 0-2
    edges = FileEdges(height=2, width=3, exact=_no_exact)
    x = np.array([0.25, 2.75, 1.5, 1.25])
    y = np.array([1.0, 0.5, 1.75, 1.0])
    index, values = edges.bilinear_over_edge(src, Window(0, 0, 3, 2), x, y, np.ones(4, bool))
    assert index.tolist() == [0, 1, 2]  # the last point's four taps are all inside
    # x 0.25: col -1 (outside, weight 0.25) and 0 (0.75); y 1.0: rows 0 and 1 half each
    # x 2.75: col 2 only (3 is outside), y 0.5: row 0 only (row -1 moved to 0, weight 1)
    # x 1.5, y 1.75: cols 1 (weight 1) and 2 (0); row 1 (weight 0.75), row 2 outside
    assert values[0].tolist() == [(1 + 8) / 2, 4.0, 16.0]


def test_renormalised_only_where_the_weights_fall_short_of_one() -> None:
    """GDAL divides by the weights inside unless they sum to exactly 1 (then it keeps the sum)."""
    src = np.array([[[3.0, 5.0], [7.0, 11.0]]])
    edges = FileEdges(height=2, width=2, exact=_no_exact)
    x, y = np.array([1.9]), np.array([0.6])
    _, values = edges.bilinear_over_edge(src, Window(0, 0, 2, 2), x, y, np.ones(1, bool))
    wx, wy = 1.5 - (1.9 - 1), 1.5 - (0.6 - 0)  # taps (col 1, row 0), (col 1, row 1) inside
    want = (5.0 * (wx * wy) + 11.0 * (wx * (1 - wy))) / (wx * wy + wx * (1 - wy))
    assert values[0, 0] == want


@pytest.fixture(scope="module")
def benchmark_edge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The left edge of a tile of the sampling benchmark (zone 34), cut to 260 columns."""
    path = tmp_path_factory.mktemp("edge") / "west_edge.tif"
    data = smooth_imagery(2, 3000, 260, seed=21).astype(np.uint16)
    transform = Affine(10.0, 0.0, 267700.0, 0.0, -10.0, 5098420.0)
    profile = {"tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    with rasterio.open(
        path, "w", driver="GTiff", width=260, height=3000, count=2, dtype="uint16",
        crs="EPSG:32634", transform=transform, **profile,
    ) as ds:  # fmt: skip
        ds.write(data)
    return path


def test_edge_pixel_gdal_transforms_again(benchmark_edge: Path) -> None:
    """A target pixel whose approximate source column is just left of the file: GDAL retries
    it exactly and writes it, and so does eoforge (found in the benchmark's patches)."""
    grid = GridSpec("EPSG:32633", Affine(10.0, 0, 733590.0, 0, -10.0, 5071790.0), 256, 256)
    plan = plan_warp(raster_info(benchmark_edge).grid, grid, "bilinear")
    assert plan.pixel_map is not None and plan.over_edge  # the own resampler, over the edge
    got, valid = read_window(benchmark_edge, grid, resampling="bilinear", with_mask=True)
    want, written = reproject_whole_file(benchmark_edge, grid, "bilinear")
    np.testing.assert_array_equal(valid, written)
    np.testing.assert_array_equal(got, want)
    pm = plan.pixel_map
    approx_x = pm.col0[:, None] + pm.dcol[:, None] * np.arange(256)
    assert (approx_x[valid] < 0).sum() >= 1  # written although the approximate point is outside
    assert 0.3 < valid.mean() < 1


def test_edge_kernel_skips_gdal(benchmark_edge: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(warp_module, "reproject", lambda *a, **k: calls.append(1))
    grid = GridSpec("EPSG:32633", Affine(10.0, 0, 733590.0, 0, -10.0, 5071790.0), 256, 256)
    read_window(benchmark_edge, grid, resampling="nearest", with_mask=True)
    assert calls == []
