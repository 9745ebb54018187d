"""Which window of a file to read to warp it onto a grid, and whether eoforge's numpy kernels may.

:func:`plan_warp` finds the file's window that covers a target grid plus the resampling kernel,
the kernel scale GDAL is to use, and, where eoforge's own resampler (:mod:`eoforge.io.warp_kernels`)
gives GDAL's result, the :class:`PixelMap` it needs. :mod:`eoforge.io.warp_window` carries the
plan out.

**Kernel scale.** GDAL widens its kernels when downsampling, by ``XSCALE``/``YSCALE`` (target
pixels per source pixel). Left to itself it estimates them as target size / source window size,
which changes where a window is cut at a file edge and undershoots for a grid rotated against the
file's (0.93 between 10 m UTM grids of neighbouring zones, which sends bilinear down GDAL's
general-kernel path: 2.5x slower, and smoother). Here the scale is the ratio of pixel sizes at the
grid's centre, from the local Jacobian of the pixel mapping: 1.0 there.

**Own resampler.** ``nearest``, and ``bilinear`` at scales ≥ 0.95 (GDAL's 2x2 formula), where
GDAL's approximate transformer maps each target row linearly between the exact transforms of the
row's first and last pixel centres (the error well within its 0.125 px threshold). Where GDAL
would warp the whole file in chunks (its source window mostly outside the file), the plan holds
those chunks (:mod:`eoforge.io.warp_chunks`), warped one by one as GDAL does.

Example:
    >>> from eoforge.geo import BBox
    >>> file_grid = GridSpec.from_bounds(BBox(270000, 5100000, 310960, 5140960, "EPSG:32634"), 10)
    >>> patch = GridSpec.from_bounds(BBox(740000, 5110000, 742560, 5112560, "EPSG:32633"), 10)
    >>> plan = plan_warp(file_grid, patch, "bilinear")  # a 10 m grid in the next UTM zone
    >>> round(plan.kernel_scale["XSCALE"], 3), plan.pixel_map is not None
    (1.0, True)
    >>> plan.window  # the 256 x 256 patch, turned by 4.3 degrees, plus the 2x2 kernel
    Window(col_off=625, row_off=2901, width=277, height=277)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from rasterio._err import CPLE_BaseError
from rasterio.errors import RasterioError
from rasterio.warp import transform
from rasterio.windows import Window

from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec, rio_crs
from eoforge.io.warp_chunks import Chunk, gdal_chunks
from eoforge.io.warp_kernels import PixelMap

__all__ = ["RESAMPLING_METHODS", "WarpPlan", "plan_warp", "source_pixels"]

# kernel radius, in source pixels at equal resolution, of each resampling method GDAL warps with
_KERNEL_RADIUS: dict[str, int] = {"nearest": 0, "bilinear": 1, "cubic": 2, "cubic_spline": 2}
_KERNEL_RADIUS |= {"lanczos": 3} | dict.fromkeys(
    ("average", "mode", "max", "min", "med", "q1", "q3", "sum", "rms"), 1
)
RESAMPLING_METHODS: tuple[str, ...] = tuple(_KERNEL_RADIUS)
"""Resampling names :func:`eoforge.io.read_window` accepts (rasterio's ``Resampling`` members)."""

_FOUR_SAMPLE_SCALE = 0.95  # GDAL's 2x2 bilinear formula applies at kernel scales >= this
_GDAL_ERRORS = (EoforgeError, RasterioError, CPLE_BaseError, ValueError)  # unmappable points

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class WarpPlan:
    """How a file is warped onto a grid.

    Attributes:
        window: the file's window to read (inside the file); ``None`` when the grid misses it.
        kernel_scale: GDAL's ``XSCALE``/``YSCALE`` warp options (empty: GDAL estimates them).
        pixel_map: set when the own resampler may run (``None``: GDAL warps).
        over_edge: some target pixels' kernels reach beyond the file (or all of them miss it).
        chunks: where GDAL warps the whole file in several chunks
            (:func:`eoforge.io.warp_chunks.gdal_chunks`), those; ``None``: in one (or not known,
            when ``pixel_map`` is ``None`` too).

    Example:
        >>> WarpPlan(None, {}).window is None
        True
    """

    window: Window | None
    kernel_scale: dict[str, float]
    pixel_map: PixelMap | None = None
    over_edge: bool = False
    chunks: tuple[Chunk, ...] | None = None


def source_pixels(
    file_grid: GridSpec, grid: GridSpec, cols: Array, rows: Array
) -> tuple[Array, Array]:
    """File pixel coordinates of pixel positions of ``grid``, computed as GDAL's warper does.

    GDAL's exact transformer: ``grid``'s geotransform, the CRS transformation, and the inverse
    of the file's geotransform (as ``GDALInvGeoTransform`` computes it).

    Args:
        file_grid: the file's grid.
        grid: the target grid.
        cols: positions along the target's columns (``0.5``: the first pixel's centre).
        rows: positions along its rows.

    Returns:
        ``(x, y)``: file columns and rows (``(0, 0)``: the file's top-left corner).

    Raises:
        ValueError: some position has no image in the file's CRS.

    Example:
        >>> from eoforge.geo import BBox
        >>> file_grid = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), res=10)
        >>> coarse = file_grid.with_res(20)
        >>> x, y = source_pixels(file_grid, coarse, np.array([0.5]), np.array([1.5]))
        >>> float(x[0]), float(y[0])
        (1.0, 3.0)
    """
    t, f = grid.transform, file_grid.transform
    xs, ys = t.c + cols * t.a + rows * t.b, t.f + cols * t.d + rows * t.e
    if grid.crs != file_grid.crs:
        tx, ty = transform(rio_crs(grid.crs), rio_crs(file_grid.crs), xs.ravel(), ys.ravel())
        xs, ys = np.asarray(tx).reshape(xs.shape), np.asarray(ty).reshape(ys.shape)
    if f.b == 0 and f.d == 0:  # GDALInvGeoTransform's special case for north-up grids
        px, py = -f.c / f.a + xs * (1.0 / f.a), -f.f / f.e + ys * (1.0 / f.e)
    else:
        inv = ~f
        px, py = inv.c + xs * inv.a + ys * inv.b, inv.f + xs * inv.d + ys * inv.e
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise ValueError("grid not representable in the file's CRS")
    return px, py


def _centre(grid: GridSpec) -> tuple[Array, Array]:
    """The grid's centre and the points one pixel right of and below it (pixel coordinates)."""
    return grid.width / 2 + np.array([0.0, 1.0, 0.0]), grid.height / 2 + np.array([0.0, 0.0, 1.0])


def _jacobian_scale(px: Array, py: Array) -> dict[str, float]:
    """``XSCALE``/``YSCALE``: target pixels per source pixel along each target axis.

    From the file pixel coordinates of :func:`_centre`'s points: 1 between grids of equal pixel
    size, however rotated.
    """
    step_x = math.hypot(px[1] - px[0], py[1] - py[0])
    step_y = math.hypot(px[2] - px[0], py[2] - py[0])
    if not (step_x > 0 and step_y > 0):
        return {}
    return {"XSCALE": 1.0 / step_x, "YSCALE": 1.0 / step_y}


def _tight_plan(file_grid: GridSpec, grid: GridSpec, method: str) -> WarpPlan | None:
    """The window of the target pixels' 2x2 kernels (and a pixel more), and their :class:`PixelMap`.

    ``None`` (use :func:`_covering_plan`) where GDAL refines its rows, or bilinear downsamples.
    """
    height, width = grid.shape
    cols, rows = PixelMap.row_points(width, height)
    centre_cols, centre_rows = _centre(grid)
    px, py = source_pixels(
        file_grid, grid, np.concatenate([cols, centre_cols]), np.concatenate([rows, centre_rows])
    )
    scale = _jacobian_scale(px[-3:], py[-3:])
    if not scale or (method == "bilinear" and min(scale.values()) < _FOUR_SAMPLE_SCALE):
        return None
    pixel_map = PixelMap.from_row_points(px[:-3], py[:-3], width)
    if pixel_map is None:
        return None
    ends_x, ends_y = px[:-3].reshape(height, 3)[:, ::2], py[:-3].reshape(height, 3)[:, ::2]
    # bilinear reads pixels floor(x - 0.5) and the next, nearest floor(x); one more for rounding
    shift, last = (0.5, 3) if method == "bilinear" else (0.0, 2)
    c0, c1 = math.floor(ends_x.min() - shift) - 1, math.floor(ends_x.max() - shift) + last
    r0, r1 = math.floor(ends_y.min() - shift) - 1, math.floor(ends_y.max() - shift) + last
    inside = c0 >= 0 and r0 >= 0 and c1 <= file_grid.width and r1 <= file_grid.height
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, file_grid.width), min(r1, file_grid.height)
    if c0 >= c1 or r0 >= r1:  # every kernel outside the file: GDAL writes nothing
        return WarpPlan(None, scale, over_edge=True)
    window = Window(c0, r0, c1 - c0, r1 - r0)
    if inside:
        return WarpPlan(window, scale, pixel_map)
    chunks = gdal_chunks(
        partial(source_pixels, file_grid, grid), file_grid.shape, grid.shape,
        _KERNEL_RADIUS[method],
    )  # fmt: skip
    if chunks is None:  # too close to call: GDAL warps the window
        return WarpPlan(window, scale, over_edge=True)
    if len(chunks) > 1:
        return WarpPlan(window, scale, over_edge=True, chunks=tuple(chunks))
    return WarpPlan(window, scale, pixel_map, over_edge=True)


def _covering_plan(file_grid: GridSpec, grid: GridSpec, method: str) -> WarpPlan:
    """The window covering ``grid``'s bounds plus any method's kernel (GDAL warps it)."""
    box = grid.bounds if grid.crs == file_grid.crs else grid.bounds.to_crs(file_grid.crs)
    try:
        scale = _jacobian_scale(*source_pixels(file_grid, grid, *_centre(grid)))
    except _GDAL_ERRORS:  # the centre has no image in the file's CRS: GDAL estimates
        scale = {}
    inv = ~file_grid.transform
    corners = [inv @ (x, y) for x in (box.minx, box.maxx) for y in (box.miny, box.maxy)]
    cols, rows = [c for c, _ in corners], [r for _, r in corners]
    cmin, cmax, rmin, rmax = min(cols), max(cols), min(rows), max(rows)
    span_x, span_y = max(cmax - cmin, 1e-9), max(rmax - rmin, 1e-9)
    radius = _KERNEL_RADIUS[method]
    stretch_x = max(1.0, span_x / grid.width, 1.0 / scale.get("XSCALE", 1.0))
    stretch_y = max(1.0, span_y / grid.height, 1.0 / scale.get("YSCALE", 1.0))
    margin_x, margin_y = math.ceil(radius * stretch_x) + 1, math.ceil(radius * stretch_y) + 1
    c0 = max(math.floor(cmin) - margin_x, 0)
    r0 = max(math.floor(rmin) - margin_y, 0)
    c1 = min(math.ceil(cmax) + margin_x, file_grid.width)
    r1 = min(math.ceil(rmax) + margin_y, file_grid.height)
    if c0 >= c1 or r0 >= r1:
        return WarpPlan(None, scale)
    return WarpPlan(Window(c0, r0, c1 - c0, r1 - r0), scale)


def plan_warp(file_grid: GridSpec, grid: GridSpec, method: str) -> WarpPlan:
    """Which window of a file to read to warp it onto ``grid`` with ``method``, and how.

    Args:
        file_grid: the file's grid.
        grid: the target grid (any CRS, resolution, position).
        method: one of :data:`RESAMPLING_METHODS`.

    Returns:
        the plan; its window is the whole file when ``grid`` has no image in the file's CRS.

    Example:
        >>> from eoforge.geo import BBox
        >>> file_grid = GridSpec.from_bounds(BBox(0, 0, 1000, 1000, "EPSG:32633"), res=10)
        >>> plan = plan_warp(file_grid, file_grid.with_res(20), "average")
        >>> plan.window, plan.kernel_scale
        (Window(col_off=0, row_off=0, width=100, height=100), {'XSCALE': 0.5, 'YSCALE': 0.5})
    """
    if method in ("nearest", "bilinear"):
        try:
            plan = _tight_plan(file_grid, grid, method)
        except _GDAL_ERRORS:  # some rows have no image in the file's CRS
            plan = None
        if plan is not None:
            return plan
    try:
        return _covering_plan(file_grid, grid, method)
    except _GDAL_ERRORS:  # the grid has no image in the file's CRS
        return WarpPlan(Window(0, 0, file_grid.width, file_grid.height), {})
