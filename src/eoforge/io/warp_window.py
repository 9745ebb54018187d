"""The resampled read: the source window covering a target grid, warped onto it as GDAL would.

:func:`warp_window` reads (through a callback) only the file's window that covers the target grid
plus the resampling kernel, and warps it onto the grid. The result equals
``rasterio.warp.reproject`` of the *whole* file onto the grid with the same kernel scale: reading
only a window changes nothing, even for a patch over a file edge.

**Kernel scale.** GDAL widens its kernels when downsampling, by ``XSCALE``/``YSCALE`` (target
pixels per source pixel). Left to itself it estimates them as target size / source window size,
which changes where a window is cut at a file edge and undershoots for a grid rotated against the
file's (0.93 between 10 m UTM grids of neighbouring zones, which sends bilinear down GDAL's
general-kernel path: 2.5x slower, and smoother). Here the scale is the ratio of pixel sizes at the
grid's centre, from the local Jacobian of the pixel mapping: 1.0 there.

**Own resampler.** ``nearest``, and ``bilinear`` at scales ≥ 0.95 (GDAL's 2x2 formula), are
resampled in numpy with GDAL's arithmetic (:mod:`eoforge.io.warp_kernels`): its approximate
transformer maps each target row linearly between the exact transforms of the row's first and last
pixel centres (:class:`PixelMap`), and its kernel formulas and rounding follow. When the reader
returns a :class:`WindowRead` (a read still landing), the kernels start on the upper target rows
while the lower source rows decode. This path runs only where it matches GDAL: the row
approximation well within GDAL's 0.125 px threshold, every kernel inside the file, no invalid pixel
in the window, no integer conversion, a warp GDAL would not split; otherwise GDAL warps the window.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from affine import Affine
from rasterio._err import CPLE_BaseError
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.warp import reproject, transform
from rasterio.windows import Window

from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec, rio_crs
from eoforge.io.warp_kernels import PixelMap, resample_rows

__all__ = [
    "RESAMPLING_METHODS",
    "PixelMap",
    "WarpPlan",
    "WindowRead",
    "WindowReader",
    "plan_warp",
    "warp_window",
]

# kernel radius, in source pixels at equal resolution, of each resampling method GDAL warps with
_KERNEL_RADIUS: dict[str, int] = {"nearest": 0, "bilinear": 1, "cubic": 2, "cubic_spline": 2}
_KERNEL_RADIUS |= {"lanczos": 3} | dict.fromkeys(
    ("average", "mode", "max", "min", "med", "q1", "q3", "sum", "rms"), 1
)
RESAMPLING_METHODS: tuple[str, ...] = tuple(_KERNEL_RADIUS)
"""Resampling names :func:`eoforge.io.read_window` accepts (rasterio's ``Resampling`` members)."""

# GDAL's approximate transformer refines a row whose middle pixel is off by more than 0.125 source
# pixels; the own resampler wants half that, in case a GDAL version also checks other points
_OWN_MAX_ERROR = 0.125 / 2
_FOUR_SAMPLE_SCALE = 0.95  # GDAL's 2x2 bilinear formula applies at kernel scales >= this
_OWN_MAX_BYTES = 32 * 2**20  # GDAL splits warps over 64 MB (its default limit), changing rows
_GDAL_ERRORS = (EoforgeError, RasterioError, CPLE_BaseError, ValueError)  # unmappable points

Array = np.ndarray[Any, Any]


class WindowRead(Protocol):
    """A read of the file's window under way (what a :data:`WindowReader` may return).

    Attributes:
        valid_everywhere: known before any pixel lands: the file marks no pixel invalid.
    """

    valid_everywhere: bool

    def wait_rows(self, first: int, last: int) -> None:
        """Return once rows ``first`` to ``last`` (exclusive) of the window are in."""

    def valid(self) -> Array | None:
        """Once every row is in: the ``(h, w)`` valid mask, or ``None`` (every pixel valid).

        Computed once: later calls return the same.
        """


WindowReader = Callable[[Window, Array], "WindowRead | Array | None"]
"""Reads the file's bands in a window into a ``(bands, h, w)`` array. Returns the ``(h, w)`` valid
mask (a pixel is valid where any band is) or ``None`` (every pixel valid) once it is done, or a
:class:`WindowRead` while the rows are still landing."""


class _DoneRead:
    """A read that has ended, as a :class:`WindowRead`."""

    def __init__(self, valid: Array | None) -> None:
        self._valid = valid
        self.valid_everywhere = valid is None

    def wait_rows(self, first: int, last: int) -> None:
        pass

    def valid(self) -> Array | None:
        return self._valid


@dataclass(frozen=True)
class WarpPlan:
    """How a file is warped onto a grid.

    Attributes:
        window: the file's window to read (inside the file); ``None`` when the grid misses it.
        kernel_scale: GDAL's ``XSCALE``/``YSCALE`` warp options (empty: GDAL estimates them).
        pixel_map: set when the own resampler may run (``None``: GDAL warps).

    Example:
        >>> WarpPlan(None, {}).window is None
        True
    """

    window: Window | None
    kernel_scale: dict[str, float]
    pixel_map: PixelMap | None = None


def _source_pixels(
    file_grid: GridSpec, grid: GridSpec, cols: Array, rows: Array
) -> tuple[Array, Array]:
    """File pixel coordinates of pixel positions of ``grid``, computed as GDAL's warper does."""
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
    if width <= 5:  # GDAL transforms rows this short pixel by pixel
        return None
    mid = (width - 1) // 2
    centre_cols, centre_rows = _centre(grid)
    cols = np.concatenate([np.tile([0.5, mid + 0.5, width - 0.5], height), centre_cols])
    rows = np.concatenate([np.repeat(np.arange(height) + 0.5, 3), centre_rows])
    px, py = _source_pixels(file_grid, grid, cols, rows)
    scale = _jacobian_scale(px[-3:], py[-3:])
    if not scale or (method == "bilinear" and min(scale.values()) < _FOUR_SAMPLE_SCALE):
        return None
    ends_x, ends_y = px[:-3].reshape(height, 3), py[:-3].reshape(height, 3)  # first, middle, last
    dcol = (ends_x[:, 2] - ends_x[:, 0]) / (width - 1)
    drow = (ends_y[:, 2] - ends_y[:, 0]) / (width - 1)
    error = np.abs(ends_x[:, 0] + dcol * mid - ends_x[:, 1])
    error += np.abs(ends_y[:, 0] + drow * mid - ends_y[:, 1])
    if not (error <= _OWN_MAX_ERROR).all():
        return None
    # bilinear reads pixels floor(x - 0.5) and the next, nearest floor(x); one more for rounding
    shift, last = (0.5, 3) if method == "bilinear" else (0.0, 2)
    c0, c1 = math.floor(ends_x[:, ::2].min() - shift) - 1, math.floor(ends_x[:, ::2].max() - shift)
    r0, r1 = math.floor(ends_y[:, ::2].min() - shift) - 1, math.floor(ends_y[:, ::2].max() - shift)
    c1, r1 = c1 + last, r1 + last
    inside = c0 >= 0 and r0 >= 0 and c1 <= file_grid.width and r1 <= file_grid.height
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, file_grid.width), min(r1, file_grid.height)
    if c0 >= c1 or r0 >= r1:  # every kernel outside the file: GDAL writes nothing
        return WarpPlan(None, scale)
    pixel_map = PixelMap(ends_x[:, 0].copy(), dcol, ends_y[:, 0].copy(), drow) if inside else None
    return WarpPlan(Window(c0, r0, c1 - c0, r1 - r0), scale, pixel_map)


def _covering_plan(file_grid: GridSpec, grid: GridSpec, method: str) -> WarpPlan:
    """The window covering ``grid``'s bounds plus any method's kernel (GDAL warps it)."""
    box = grid.bounds if grid.crs == file_grid.crs else grid.bounds.to_crs(file_grid.crs)
    try:
        scale = _jacobian_scale(*_source_pixels(file_grid, grid, *_centre(grid)))
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


def _gdal_warp(
    src: Array,
    valid: Array | None,
    window: Window,
    file_grid: GridSpec,
    grid: GridSpec,
    plan: WarpPlan,
    method: str,
    src_nodata: float | None,
    fill: float,
    work: np.dtype[Any],
    need_valid: bool,
) -> tuple[Array, Array]:
    """``rasterio.warp.reproject`` of the window (``src`` has a spare last band): values, valid.

    For the valid mask, the spare band rides along in the same warp: a marker where the source is
    valid, nodata (or 0) where not; GDAL writes the marker exactly where it writes data.
    """
    count = src.shape[0] - 1
    mask_invalid = valid is not None and src_nodata is None  # pixels GDAL cannot see as invalid
    bands = count + 1 if need_valid or mask_invalid else count
    out = np.empty((bands, *grid.shape), dtype=work)
    marker = next(v for v in (1.0, 2.0, 3.0) if v != src_nodata and not abs(v - fill) < 1)
    if bands > count:
        off = 0 if src_nodata is None else src_nodata
        src[count] = marker if valid is None else np.where(valid, marker, off)
    reproject(
        src[:bands],
        out,
        src_transform=file_grid.transform @ Affine.translation(window.col_off, window.row_off),
        src_crs=rio_crs(file_grid.crs),
        src_nodata=src_nodata,
        dst_transform=grid.transform,
        dst_crs=rio_crs(grid.crs),
        dst_nodata=fill,
        resampling=Resampling[method],
        **plan.kernel_scale,
    )
    if bands == count:
        return out, np.zeros(grid.shape, dtype=bool)
    warped_valid: Array = np.abs(out[count] - marker) < 0.5
    if mask_invalid:
        out[:count, ~warped_valid] = fill
    return out[:count], warped_valid


def warp_window(
    read: WindowReader,
    file_grid: GridSpec,
    grid: GridSpec,
    count: int,
    *,
    src_dtype: np.dtype[Any],
    method: str,
    src_nodata: float | None,
    fill: float,
    work: np.dtype[Any],
    need_valid: bool,
) -> tuple[Array, Array]:
    """Read the window of a file covering ``grid`` and warp its bands onto ``grid``.

    Args:
        read: reads ``count`` bands of the file in a window (see :data:`WindowReader`).
        file_grid: the file's grid.
        grid: the target grid.
        count: number of bands read.
        src_dtype: the file's pixel type.
        method: one of :data:`RESAMPLING_METHODS`.
        src_nodata: the value GDAL skips as nodata (``None``: pixels ``read`` marks invalid are
            masked after the warp instead).
        fill: value of target pixels that get no valid source pixel.
        work: dtype of the warped values (the file's, or a float type).
        need_valid: compute the valid mask (else it may be all False).

    Returns:
        ``(values (count, H, W) of dtype work, valid (H, W))``.

    Example:
        >>> from eoforge.geo import BBox
        >>> file_grid = GridSpec.from_bounds(BBox(0, 0, 40, 40, "EPSG:32633"), res=10)
        >>> data = np.arange(16, dtype="uint8").reshape(1, 4, 4)
        >>> def read(window, out):
        ...     out[...] = data[(slice(None), *window.toslices())]
        >>> values, valid = warp_window(read, file_grid, file_grid.with_res(20), 1,
        ...     src_dtype=data.dtype, method="nearest", src_nodata=None, fill=0, work=data.dtype,
        ...     need_valid=True)
        >>> values.tolist(), bool(valid.all())
        ([[[5, 7], [13, 15]]], True)
    """
    plan = plan_warp(file_grid, grid, method)
    if plan.window is None:
        return np.full((count, *grid.shape), fill, dtype=work), np.zeros(grid.shape, bool)
    window = plan.window
    src = np.empty((count + 1, window.height, window.width), dtype=src_dtype)  # + a spare band
    got = read(window, src[:count])
    source = _DoneRead(got) if got is None or isinstance(got, np.ndarray) else got
    size = src.nbytes + (count + 1) * grid.height * grid.width * work.itemsize
    pixel_map = plan.pixel_map
    if (work != src_dtype and work.kind != "f") or size >= _OWN_MAX_BYTES:
        pixel_map = None  # GDAL converts to integers its own way, or splits a warp this big
    # where the file marks no pixel invalid, resampled as the rows land; else once all are in
    valid = None if source.valid_everywhere else source.valid()
    if pixel_map is not None and (valid is None or bool(valid.all())):
        values = np.empty((count, *grid.shape), dtype=work)
        resample_rows(src[:count], window, pixel_map, method, values, source.wait_rows)
        source.valid()  # the read's end (and its errors)
        return values, np.ones(grid.shape, dtype=bool)
    valid = source.valid()
    return _gdal_warp(
        src, valid, window, file_grid, grid, plan, method, src_nodata, fill, work, need_valid
    )
