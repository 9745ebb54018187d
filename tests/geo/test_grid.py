from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from affine import Affine
from hypothesis import given
from hypothesis import strategies as st
from rasterio.transform import rowcol as rio_rowcol
from rasterio.transform import xy as rio_xy
from rasterio.warp import calculate_default_transform
from rasterio.windows import Window
from rasterio.windows import from_bounds as window_from_bounds

from eoforge.errors import CRSMismatchError, InvalidGridError
from eoforge.geo import BBox, GridSpec

res_st = st.sampled_from([0.5, 1.0, 10.0, 20.0, 30.0, 60.0, 0.1])
origin_st = st.integers(-100000, 100000)
size_st = st.integers(1, 2000)


@st.composite
def grids(draw: st.DrawFn) -> GridSpec:
    res = draw(res_st)
    x0 = draw(origin_st) * res
    y0 = draw(origin_st) * res
    return GridSpec("EPSG:32633", Affine(res, 0, x0, 0, -res, y0), draw(size_st), draw(size_st))


def test_from_bounds_hand_computed() -> None:
    g = GridSpec.from_bounds(BBox(100, 200, 125, 230, 32633), res=10)
    assert g.shape == (3, 3)  # 25 m → 3 columns, 30 m → 3 rows
    assert g.transform == Affine(10, 0, 100, 0, -10, 230)
    assert g.res == (10.0, 10.0)


def test_invalid_grids() -> None:
    with pytest.raises(InvalidGridError, match="positive"):
        GridSpec.from_bounds(BBox(0, 0, 10, 10, 32633), res=0)
    with pytest.raises(InvalidGridError, match="positive"):
        GridSpec.from_bounds(BBox(0, 0, 10, 10, 32633), res=-10)
    with pytest.raises(InvalidGridError, match="no area"):
        GridSpec.from_bounds(BBox(0, 0, 0, 10, 32633), res=1)
    with pytest.raises(InvalidGridError, match="positive integers"):
        GridSpec(32633, Affine(1, 0, 0, 0, -1, 0), 0, 10)
    with pytest.raises(InvalidGridError, match="degenerate"):
        GridSpec(32633, Affine(0, 0, 0, 0, 0, 0), 1, 1)
    with pytest.raises(InvalidGridError, match="crs"):
        GridSpec.from_bounds((0, 0, 1, 1), 1)


def test_pixel_world_agrees_with_rasterio() -> None:
    g = GridSpec(32633, Affine(10, 0, 500000, 0, -10, 4000000), 100, 50)
    for row, col in [(0, 0), (3, 7), (49, 99)]:
        x, y = g.xy(row, col)
        ex, ey = rio_xy(g.transform, row, col)
        assert (x, y) == pytest.approx((ex, ey))
        r, c = g.rowcol(x, y)
        assert (math.floor(r), math.floor(c)) == tuple(rio_rowcol(g.transform, x, y))
    xs, ys = g.xy_arrays(np.array([0, 3]), np.array([0, 7]))
    assert xs.tolist() == [g.xy(0, 0)[0], g.xy(3, 7)[0]]
    assert ys.tolist() == [g.xy(0, 0)[1], g.xy(3, 7)[1]]


def test_window_of_agrees_with_rasterio() -> None:
    g = GridSpec(32633, Affine(10, 0, 500000, 0, -10, 4000000), 100, 50)
    sub = GridSpec.from_bounds(BBox(500123, 3999500, 500523, 3999900, 32633), 10)
    w = g.window_of(sub)
    expected = window_from_bounds(*sub.bounds, transform=g.transform)
    assert (w.col_off, w.row_off, w.width, w.height) == pytest.approx(
        (expected.col_off, expected.row_off, expected.width, expected.height)
    )
    assert not g.is_aligned_with(sub)  # 123 m is not a multiple of 10 m
    assert g.is_aligned_with(g.snap(sub.bounds))


def test_mixed_crs_grids() -> None:
    a = GridSpec.from_bounds(BBox(0, 0, 10, 10, 32633), 1)
    b = GridSpec.from_bounds(BBox(0, 0, 10, 10, 32634), 1)
    assert not a.is_aligned_with(b)
    with pytest.raises(CRSMismatchError, match="to_crs"):
        a.window_of(b)


def test_to_crs_matches_gdal() -> None:
    g = GridSpec(32633, Affine(10, 0, 500000, 0, -10, 4000000), 200, 100)
    out = g.to_crs("EPSG:32634")
    t, w, h = calculate_default_transform("EPSG:32633", "EPSG:32634", 200, 100, *g.bounds)
    assert (out.transform, out.width, out.height) == (t, w, h)
    assert g.to_crs("EPSG:32633") is g
    assert g.to_crs("EPSG:32633", res=20).res == (20.0, 20.0)


def test_rotated_grid_bounds_enclose_corners() -> None:
    t = Affine.rotation(30) @ Affine.scale(10, -10)
    g = GridSpec(3857, t, 4, 4)
    assert not g.is_north_up
    b = g.bounds
    for col, row in [(0, 0), (4, 0), (0, 4), (4, 4)]:
        x, y = g.transform @ (col, row)
        assert b.minx - 1e-9 <= x <= b.maxx + 1e-9 and b.miny - 1e-9 <= y <= b.maxy + 1e-9


def test_tiles_cover_grid_once() -> None:
    g = GridSpec(32633, Affine(1, 0, 0, 0, -1, 0), 10, 7)
    seen = np.zeros(g.shape, int)
    for t in g.tiles(4):
        w = g.window_of(t)
        seen[
            int(w.row_off) : int(w.row_off + w.height), int(w.col_off) : int(w.col_off + w.width)
        ] += 1
    assert (seen == 1).all()


@given(grids(), st.integers(-50, 50), st.integers(-50, 50), size_st, size_st)
def test_subgrid_window_round_trip(g: GridSpec, r: int, c: int, h: int, w: int) -> None:
    sub = g.subgrid(r, c, h, w)
    assert g.is_aligned_with(sub) and sub.is_aligned_with(g)
    win = g.window_of(sub)
    assert (win.row_off, win.col_off, win.height, win.width) == pytest.approx((r, c, h, w))
    assert sub.res == pytest.approx(g.res)


@given(grids(), st.floats(0, 1), st.floats(0, 1), st.floats(0.01, 1), st.floats(0.01, 1))
def test_snap_covers_bounds_minimally(
    g: GridSpec, fx: float, fy: float, fw: float, fh: float
) -> None:
    b = g.bounds
    x0 = b.minx + fx * b.width * 0.5
    y0 = b.miny + fy * b.height * 0.5
    box = BBox(x0, y0, x0 + fw * b.width * 0.5, y0 + fh * b.height * 0.5, g.crs)
    snapped = g.snap(box)
    assert g.is_aligned_with(snapped)
    tol = 1e-6 * g.res[0]
    sb = snapped.bounds
    assert sb.minx <= box.minx + tol and sb.maxx >= box.maxx - tol
    assert sb.miny <= box.miny + tol and sb.maxy >= box.maxy - tol
    # minimal: removing a row or column would uncover part of the box (within a pixel)
    assert sb.width < box.width + 2 * g.res[0] + tol
    assert sb.height < box.height + 2 * g.res[1] + tol


@given(grids(), st.integers(0, 1000), st.integers(0, 1000))
def test_pixel_world_round_trip(g: GridSpec, r: int, c: int) -> None:
    x, y = g.xy(r, c)
    rr, cc = g.rowcol(x, y)
    assert (rr, cc) == pytest.approx((r + 0.5, c + 0.5), abs=1e-6)


@given(grids())
def test_bounds_round_trip(g: GridSpec) -> None:
    again = GridSpec.from_bounds(g.bounds, g.res)
    assert again.shape == g.shape
    assert again.is_aligned_with(g)
    assert pickle.loads(pickle.dumps(g)) == g


def test_window_type() -> None:
    g = GridSpec.from_bounds((0, 0, 100, 100), 10, crs=3857)
    assert isinstance(g.window_of(g), Window)
