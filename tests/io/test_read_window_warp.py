"""The reprojected read path (eoforge.io.warp_window): equal to GDAL reprojecting the whole file.

The reference is ``rasterio.warp.reproject`` of the whole file onto the target grid with GDAL's
``XSCALE``/``YSCALE`` set to the ratio of pixel sizes (computed here independently, with pyproj).
Where eoforge resamples in numpy (nearest, and bilinear at scale >= 0.95, inside the file), the
result must be bit-identical to GDAL's; elsewhere GDAL warps a window, again bit-identical.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.warp import Resampling, reproject

from eoforge.geo import BBox, GridSpec
from eoforge.io import raster_info, read_window
from eoforge.io.warp_plan import plan_warp
from gdal_reference import pixel_size_scale, reproject_whole_file, smooth_imagery

warp_module = importlib.import_module("eoforge.io.warp_window")

EAST = Affine(10, 0, 270800, 0, -10, 5139260)  # EPSG:32634, just east of 18°E at 46°N
METHODS = ["nearest", "bilinear"]


def _write(path: Path, data: np.ndarray, crs: str = "EPSG:32634", **profile: Any) -> Path:
    count, height, width = data.shape
    options = {"tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    options |= {"transform": EAST} | profile
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=count, dtype=data.dtype,
        crs=crs, **options,
    ) as ds:  # fmt: skip
        ds.write(data)
    return path


@pytest.fixture(scope="module")
def east(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6-band uint16 DEFLATE tiles in UTM zone 34, as in the sampling benchmark (smaller)."""
    data = smooth_imagery(6, 600, 700).astype(np.uint16)
    return _write(tmp_path_factory.mktemp("warp") / "east.tif", data)


def _patch(path: Path, row: float, col: float, h: int = 256, w: int = 256) -> GridSpec:
    """A 10 m EPSG:32633 grid whose top-left corner is near file pixel (row, col)."""
    info = raster_info(path)
    x, y = info.grid.transform @ (col, row)
    to_utm33 = pyproj.Transformer.from_crs(info.grid.crs, "EPSG:32633", always_xy=True)
    x, y = (round(v / 10) * 10 for v in to_utm33.transform(x, y))
    return GridSpec("EPSG:32633", Affine(10, 0, x, 0, -10, y), w, h)


INSIDE = [(40, 60), (150, 200), (300, 380), (17, 410)]
EDGES = [(-100, -90), (-30, 200), (200, -45), (420, 500), (380, 200), (150, 520), (-200, -200)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("corner", INSIDE)
def test_inside_patches_resampled_in_numpy_bit_identical(east: Path, method: str, corner) -> None:
    grid = _patch(east, *corner)
    plan = plan_warp(raster_info(east).grid, grid, method)
    assert plan.pixel_map is not None  # the own resampler runs
    assert plan.kernel_scale["XSCALE"] == pytest.approx(1.0, abs=1e-3)
    got, valid = read_window(east, grid, resampling=method, with_mask=True)
    want, written = reproject_whole_file(east, grid, method)
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, want)
    assert valid.all() and written.all()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("corner", EDGES)
def test_patches_over_the_edges_equal_the_whole_file(east: Path, method: str, corner) -> None:
    grid = _patch(east, *corner)
    assert plan_warp(raster_info(east).grid, grid, method).over_edge
    got, valid = read_window(east, grid, resampling=method, fill_value=7, with_mask=True)
    want, written = reproject_whole_file(east, grid, method, fill=7)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(valid, written)
    if corner != (-200, -200):
        assert 0 < valid.mean() < 1


def test_gdal_warps_only_what_it_would_split(east: Path, monkeypatch) -> None:
    """Inside the file and over its edges numpy resamples; GDAL only a patch so far out that
    GDAL would halve it (its source window is less than half inside the file)."""
    calls: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return reproject(*args, **kwargs)

    monkeypatch.setattr(warp_module, "reproject", spy)
    for corner in ((100, 100), (-50, -50), (380, 200)):
        read_window(east, _patch(east, *corner), resampling="bilinear", with_mask=True)
    assert calls == []
    read_window(east, _patch(east, -180, -180), resampling="bilinear", with_mask=True)
    assert calls == [1]


def _splits(path: Path, grid: GridSpec, method: str) -> bool:
    """Whether GDAL's fill-ratio split changes its warp of the whole file onto ``grid``."""
    with rasterio.open(path) as ds:
        src, transform, crs = ds.read(), ds.transform, ds.crs
    scale = pixel_size_scale(raster_info(path).grid, grid)
    outs = []
    for options in ({}, {"SRC_FILL_RATIO_HEURISTICS": "NO"}):
        dst = np.zeros((src.shape[0], *grid.shape), src.dtype)
        reproject(
            src, dst, src_transform=transform, src_crs=crs, dst_transform=grid.transform,
            dst_crs=grid.crs, resampling=Resampling[method], **scale, **options,
        )  # fmt: skip
        outs.append(dst)
    return not np.array_equal(*outs)


@settings(max_examples=30, deadline=None)
@given(
    side=st.sampled_from(["left", "right", "top", "bottom"]),
    inside=st.floats(0.05, 0.95),
    along=st.floats(-0.3, 1.0),
    size=st.sampled_from([(101, 256), (256, 101), (150, 300), (256, 256)]),
    method=st.sampled_from(METHODS),
)
def test_large_patches_over_an_edge_equal_the_whole_file(
    east: Path, side: str, inside: float, along: float, size: tuple[int, int], method: str
) -> None:
    """Patches over 100 pixels wide or high, partly in the file: the result is GDAL's for the
    whole file, also where GDAL warps it in chunks (its source window mostly outside the file).
    Where the fill ratio is too close to call, GDAL warps the window, which it may halve otherwise
    than the whole file: the same pixels, values a few steps apart (docs/data-engine.md)."""
    h, w = size
    height, width = raster_info(east).grid.shape
    row, col = along * (height - h), along * (width - w)
    if side in ("left", "right"):
        col = -w * (1 - inside) if side == "left" else width - w * inside
    else:
        row = -h * (1 - inside) if side == "top" else height - h * inside
    grid = _patch(east, row, col, h, w)
    plan = plan_warp(raster_info(east).grid, grid, method)
    got, valid = read_window(east, grid, resampling=method, fill_value=7, with_mask=True)
    want, written = reproject_whole_file(east, grid, method, fill=7)
    np.testing.assert_array_equal(valid, written)
    if plan.pixel_map is not None or plan.chunks is not None:
        np.testing.assert_array_equal(got, want)
        assert plan.chunks is not None or not (plan.over_edge and _splits(east, grid, method))
    else:  # too close to call
        assert np.abs(got.astype(int) - want).max() <= 50


def test_kernel_scale_is_the_ratio_of_pixel_sizes(east: Path) -> None:
    """Not the bounding box of the rotated patch, which gives 0.93 here (GDAL's slow path)."""
    file_grid = raster_info(east).grid
    grid = _patch(east, 100, 100)
    for method in ("bilinear", "cubic", "average"):
        scale = plan_warp(file_grid, grid, method).kernel_scale
        assert scale == pytest.approx(pixel_size_scale(file_grid, grid), rel=1e-6)
        assert scale["XSCALE"] == pytest.approx(1.0, abs=1e-3)
    t = grid.transform
    coarse = GridSpec("EPSG:32633", Affine(20, 0, t.c, 0, -20, t.f), 50, 50)
    assert plan_warp(file_grid, coarse, "average").kernel_scale["XSCALE"] == pytest.approx(
        0.5, 1e-3
    )
    fine = GridSpec(
        "EPSG:32634", EAST @ Affine.translation(100.25, 50.5) @ Affine.scale(0.5), 64, 64
    )
    assert plan_warp(file_grid, fine, "bilinear").kernel_scale == {"XSCALE": 2.0, "YSCALE": 2.0}


@pytest.mark.parametrize(
    ("src_dtype", "out_dtype"),
    [
        ("uint8", None),
        ("int16", None),
        ("int32", None),
        ("float32", None),
        ("uint16", "float32"),
        ("float64", "float32"),
    ],
)
@pytest.mark.parametrize("method", METHODS)
def test_pixel_types_bit_identical(tmp_path: Path, src_dtype: str, out_dtype, method: str) -> None:
    raw = smooth_imagery(2, 300, 300, seed=3)
    scaled = {"uint8": raw / 25, "int16": (raw - 3000) * 8, "int32": raw * 1000}.get(src_dtype, raw)
    path = _write(tmp_path / "a.tif", scaled.astype(src_dtype))
    grid = _patch(path, 40, 30, 200, 230)
    assert plan_warp(raster_info(path).grid, grid, method).pixel_map is not None
    got = read_window(path, grid, resampling=method, dtype=out_dtype)
    want, _ = reproject_whole_file(path, grid, method, dtype=out_dtype)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if src_dtype == "int16":
        assert (got < 0).any()


def test_float64_output_agrees_to_rounding(tmp_path: Path) -> None:
    """GDAL sums the four weighted pixels in another order: last-bit differences only."""
    path = _write(tmp_path / "a.tif", smooth_imagery(2, 300, 300, seed=4))
    grid = _patch(path, 40, 30, 200, 230)
    got = read_window(path, grid, resampling="bilinear")
    want, _ = reproject_whole_file(path, grid, "bilinear")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_nodata_in_the_window_goes_to_gdal(tmp_path: Path) -> None:
    data = smooth_imagery(3, 400, 400, seed=5).astype(np.uint16)
    data[:, 200:230, 180:260] = 0  # a hole of nodata
    data[1, 100:104, 100:104] = 0  # nodata in one band only
    path = _write(tmp_path / "a.tif", data, nodata=0)
    for corner in ((150, 150), (60, 60), (20, 200)):
        grid = _patch(path, *corner, 150, 150)
        for method in METHODS:
            got, valid = read_window(path, grid, resampling=method, with_mask=True)
            want, written = reproject_whole_file(path, grid, method)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(valid, written)
    hole = read_window(path, _patch(path, 150, 150, 150, 150), with_mask=True)[1]
    assert 0 < hole.mean() < 1


def test_scale_offset_and_internal_mask(tmp_path: Path) -> None:
    data = smooth_imagery(2, 300, 300, seed=6).astype(np.uint16)
    path = _write(tmp_path / "a.tif", data)
    with rasterio.open(path, "r+") as ds:
        ds.scales, ds.offsets = (0.0001, 0.01), (-0.1, 0.0)
    grid = _patch(path, 50, 50, 120, 140)
    got = read_window(path, grid, resampling="bilinear", apply_scale_offset=True)
    want, _ = reproject_whole_file(path, grid, "bilinear", dtype="float32")
    expected = want * np.array([0.0001, 0.01], np.float32)[:, None, None]
    expected += np.array([-0.1, 0.0], np.float32)[:, None, None]
    np.testing.assert_array_equal(got, expected)
    masked = tmp_path / "m.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        _write(masked, data)
        with rasterio.open(masked, "r+") as ds:
            mask = np.full((300, 300), 255, np.uint8)
            mask[:, 150:] = 0
            ds.write_mask(mask)
    left, right = _patch(masked, 50, 10, 100, 100), _patch(masked, 50, 160, 100, 100)
    for grid, inside in ((left, True), (right, False)):
        got, valid = read_window(masked, grid, resampling="bilinear", fill_value=1, with_mask=True)
        assert valid.all() == inside and valid.any() == inside
        if inside:
            np.testing.assert_array_equal(got, reproject_whole_file(path, grid, "bilinear")[0])


def test_grid_spanning_several_numpy_blocks(east: Path) -> None:
    grid = _patch(east, 30, 40, 420, 500)  # more rows than one block of 2**14 pixels
    for method in METHODS:
        assert plan_warp(raster_info(east).grid, grid, method).pixel_map is not None
        np.testing.assert_array_equal(read_window(east, grid, resampling=method),
                                      reproject_whole_file(east, grid, method)[0])  # fmt: skip


def test_same_crs_resampling_in_numpy(tmp_path: Path) -> None:
    """A 20 m band read on a 10 m grid (BigEarthNet-style), and a shifted 5 m grid."""
    data = smooth_imagery(1, 200, 160, seed=7).astype(np.uint16)
    path = _write(tmp_path / "a.tif", data, transform=Affine(20, 0, 300000, 0, -20, 5100000))
    file_grid = raster_info(path).grid
    grids = [
        GridSpec.from_bounds(BBox(300400, 5097000, 302960, 5099560, "EPSG:32634"), 10),
        GridSpec.from_bounds(BBox(300502.5, 5097002.5, 301502.5, 5098002.5, "EPSG:32634"), 5),
    ]
    for grid in grids:
        for method in METHODS:
            assert plan_warp(file_grid, grid, method).pixel_map is not None
            got = read_window(path, grid, resampling=method)
            np.testing.assert_array_equal(got, reproject_whole_file(path, grid, method)[0])


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "int32", "float32", "u16f32"])
@pytest.mark.parametrize("nodata", [None, "set"])
def test_values_half_way_round_as_gdal(tmp_path: Path, dtype: str, nodata) -> None:
    """60 m onto 10 m in one CRS: weights in twelfths put many values exactly half-way between
    integers, where GDAL's order of sums decides the rounding (it differs with pixel type and
    nodata); over the file's edges too. ``u16f32``: uint16 read as float32."""
    rng = np.random.default_rng(11)
    out = "float32" if dtype == "u16f32" else None
    dtype = "uint16" if dtype == "u16f32" else dtype
    data = rng.integers(0, 250, (1, 40, 40)).astype(dtype)
    profile = {"nodata": 255 if dtype == "uint8" else 9999} if nodata else {}
    path = _write(
        tmp_path / "a.tif", data, crs="EPSG:32633",
        transform=Affine(60, 0, 500000, 0, -60, 5000000), **profile,
    )  # fmt: skip
    for grid in (
        GridSpec("EPSG:32633", Affine(10, 0, 500305, 0, -10, 4999695), 200, 200),  # inside
        GridSpec("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5000000), 240, 240),  # the file
    ):
        plan = plan_warp(raster_info(path).grid, grid, "bilinear")
        assert plan.pixel_map is not None
        got = read_window(path, grid, resampling="bilinear", dtype=out)
        np.testing.assert_array_equal(
            got, reproject_whole_file(path, grid, "bilinear", dtype=out)[0]
        )


def test_curved_rows_and_narrow_grids_go_to_gdal(tmp_path: Path) -> None:
    """GDAL refines rows whose middle is off by > 0.125 px, and maps rows of <= 5 pixels exactly."""
    data = smooth_imagery(1, 200, 400, seed=8).astype(np.uint16)
    geographic = Affine(0.05, 0, 0, 0, -0.05, 80)  # 0-20°E, 70-80°N
    path = _write(tmp_path / "a.tif", data, crs="EPSG:4326", transform=geographic)
    box = BBox(8, 74, 9, 75, "EPSG:4326").to_crs("EPSG:3413")  # polar stereographic, 1 km
    corner = Affine(1000, 0, box.minx - 128e3, 0, -1000, box.maxy + 128e3)
    polar = GridSpec("EPSG:3413", corner, 256, 256)
    narrow = GridSpec("EPSG:3413", corner @ Affine.translation(100, 100), 5, 40)
    for grid in (polar, narrow):
        for method in METHODS:
            assert plan_warp(raster_info(path).grid, grid, method).pixel_map is None
            got = read_window(path, grid, resampling=method)
            np.testing.assert_array_equal(got, reproject_whole_file(path, grid, method)[0])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = smooth_imagery(2, 160, 200, seed=9).astype(np.uint16)
    return _write(tmp_path_factory.mktemp("warp_small") / "small.tif", data)


@settings(max_examples=40, deadline=None)
@given(
    row=st.floats(-50, 150),
    col=st.floats(-50, 190),
    h=st.integers(1, 90),
    w=st.integers(1, 90),
    method=st.sampled_from(METHODS),
)
def test_any_patch_equals_the_whole_file(small: Path, row, col, h, w, method) -> None:
    grid = _patch(small, row, col, h, w)
    got, valid = read_window(small, grid, resampling=method, with_mask=True)
    want, written = reproject_whole_file(small, grid, method)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(valid, written)


def test_coarse_geographic_grid_far_beyond_the_file(tmp_path: Path) -> None:
    """A 0.05° grid 25° wide over a UTM file: downsampling, GDAL warps, equal to the whole file."""
    data = smooth_imagery(1, 300, 300, seed=10).astype(np.uint16)
    path = _write(
        tmp_path / "a.tif",
        data,
        crs="EPSG:32633",
        transform=Affine(1000, 0, 400000, 0, -1000, 5200000),
    )
    world = GridSpec("EPSG:4326", Affine(0.05, 0, -180, 0, -0.05, 90), 7200, 3600)
    grid = world.subgrid(700, 3600, 200, 500)  # 0°-25°E, 45°-55°N
    for method in METHODS:
        got, valid = read_window(path, grid, resampling=method, with_mask=True)
        want, written = reproject_whole_file(path, grid, method)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(valid, written)
        assert 0 < valid.mean() < 1
