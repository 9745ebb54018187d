"""The resampled read: the source window covering a target grid, warped onto it as GDAL would.

:func:`warp_window` reads (through a callback) only the file's window that covers the target grid
plus the resampling kernel (:func:`eoforge.io.warp_plan.plan_warp`), and warps it onto the grid.
The result equals ``rasterio.warp.reproject`` of the *whole* file onto the grid with the plan's
kernel scale: reading only a window changes nothing, even for a patch over a file edge.

**Own resampler.** Where the plan allows, the window is resampled in numpy with GDAL's arithmetic
(:mod:`eoforge.io.warp_kernels`); a grid over the file's edges gets GDAL's edge rules
(:mod:`eoforge.io.warp_edges`: which pixels it writes, its renormalised bilinear there). When the
reader returns a :class:`WindowRead` (a read still landing), the kernels start on the upper target
rows while the lower source rows decode. The order of GDAL's sums (its fast kernels' or its
general one's) is followed where it can matter: for values exactly half-way between integers,
which only grids of the file's CRS give. Where GDAL would warp the whole file in chunks, each
chunk is warped on its own, as GDAL does. GDAL itself warps windows with invalid pixels, integer
conversions, warps over 64 MB, and every method but nearest and bilinear (the chunks of those,
when GDAL would make several, told to make no more).

Example:
    >>> from eoforge.geo import BBox
    >>> file_grid = GridSpec.from_bounds(BBox(0, 0, 40, 40, "EPSG:32633"), res=10)
    >>> data = np.arange(16, dtype="uint8").reshape(1, 4, 4)
    >>> def read(window, out):
    ...     out[...] = data[(slice(None), *window.toslices())]
    >>> values, valid = warp_window(read, file_grid, file_grid.with_res(20), 1,
    ...     src_dtype=data.dtype, method="nearest", src_nodata=None, fill=0, work=data.dtype,
    ...     need_valid=True)
    >>> values.tolist()
    [[[5, 7], [13, 15]]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window

from eoforge.geo import GridSpec, rio_crs
from eoforge.io.warp_chunks import Chunk
from eoforge.io.warp_edges import FileEdges
from eoforge.io.warp_kernels import PixelMap, resample_rows
from eoforge.io.warp_plan import RESAMPLING_METHODS, WarpPlan, plan_warp, source_pixels

__all__ = [
    "RESAMPLING_METHODS",
    "PixelMap",
    "WarpPlan",
    "WindowRead",
    "WindowReader",
    "plan_warp",
    "warp_window",
]

_OWN_MAX_BYTES = 32 * 2**20  # GDAL splits warps over 64 MB (its default limit), changing rows
# working types with a fast bilinear kernel of GDAL's, used without nodata: it sums each row's
# taps first, and does not move a tap at -1 to 0 (its general kernel does both the other way)
_FAST_KERNEL_TYPES = ("u1", "u2", "i2", "f4")

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
    **options: str,
) -> tuple[Array, Array]:
    """``rasterio.warp.reproject`` of the window (``src`` has a spare last band): values, valid.

    ``options``: GDAL warp options.

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
        **options,
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
    # GDAL converts to integers its own way, and splits a warp this big
    own = (work == src_dtype or work.kind == "f") and size < _OWN_MAX_BYTES
    # where the file marks no pixel invalid, resampled as the rows land; else once all are in
    valid = None if source.valid_everywhere else source.valid()
    own = own and (valid is None or bool(valid.all()))
    kernel = _Kernel(file_grid, grid, method, src_dtype, work, src_nodata, fill)
    if plan.chunks is not None:  # GDAL would warp the whole file chunk by chunk: so here
        valid = source.valid()
        values = np.full((count, *grid.shape), fill, dtype=work)
        written = np.zeros(grid.shape, dtype=bool)
        for chunk in plan.chunks:
            rows = slice(chunk.row, chunk.row + chunk.height)
            cols = slice(chunk.col, chunk.col + chunk.width)
            pixel_map = kernel.chunk_map(chunk) if own else None
            if pixel_map is not None:
                part = kernel.resample(src[:count], window, pixel_map, chunk, plan.over_edge)
            else:
                sub = grid.subgrid(chunk.row, chunk.col, chunk.height, chunk.width)
                part = _gdal_warp(
                    src, valid, window, file_grid, sub, plan, method, src_nodata, fill, work,
                    True, SRC_FILL_RATIO_HEURISTICS="NO",
                )  # fmt: skip
            values[:, rows, cols], written[rows, cols] = part
        return values, written
    if plan.pixel_map is not None and own:
        whole = Chunk(0, 0, grid.width, grid.height)
        result = kernel.resample(
            src[:count], window, plan.pixel_map, whole, plan.over_edge, source.wait_rows
        )
        source.valid()  # the read's end (and its errors)
        return result
    valid = source.valid()
    return _gdal_warp(
        src, valid, window, file_grid, grid, plan, method, src_nodata, fill, work, need_valid
    )


class _Kernel:
    """The own resampler for one warp: GDAL's kernel variant, and where its chunks' rows map."""

    def __init__(
        self,
        file_grid: GridSpec,
        grid: GridSpec,
        method: str,
        src_dtype: np.dtype[Any],
        work: np.dtype[Any],
        src_nodata: float | None,
        fill: float,
    ) -> None:
        self.file_grid, self.grid, self.method, self.work, self.fill = (
            file_grid, grid, method, work, fill
        )  # fmt: skip
        working = np.promote_types(src_dtype, work)  # GDAL's working type
        self.fast_kernel = src_nodata is None and working.str[1:] in _FAST_KERNEL_TYPES
        # the fast kernel's order of sums matters only for values exactly half-way between
        # integers, which weights across CRSs never give: there the general one's (faster)
        self.rows_first = self.fast_kernel and grid.crs == file_grid.crs

    def _exact(self, chunk: Chunk) -> Callable[[Array, Array], tuple[Array, Array]]:
        """GDAL's exact transform of positions in ``chunk`` (its own columns and rows)."""
        return lambda cols, rows: source_pixels(
            self.file_grid, self.grid, cols + chunk.col, rows + chunk.row
        )

    def chunk_map(self, chunk: Chunk) -> PixelMap | None:
        """GDAL's approximate transformer over the chunk's rows (``None``: not linear enough)."""
        cols, rows = PixelMap.row_points(chunk.width, chunk.height, chunk.col, chunk.row)
        x, y = source_pixels(self.file_grid, self.grid, cols, rows)
        return PixelMap.from_row_points(x, y, chunk.width)

    def resample(
        self,
        src: Array,
        window: Window,
        pixel_map: PixelMap,
        chunk: Chunk,
        over_edge: bool,
        ready: Callable[[int, int], None] | None = None,
    ) -> tuple[Array, Array]:
        """The chunk's values (``fill`` where GDAL writes none) and where GDAL writes."""
        values = np.empty((src.shape[0], chunk.height, chunk.width), dtype=self.work)
        edges = None
        if over_edge:  # the retries of GDAL's exact transform, pixel by pixel
            file_shape = self.file_grid.shape
            edges = FileEdges(*file_shape, self._exact(chunk), move_taps=not self.fast_kernel)
        written = resample_rows(
            src, window, pixel_map, self.method, values, ready, edges, self.rows_first
        )
        if written is None:
            return values, np.ones((chunk.height, chunk.width), dtype=bool)
        values[:, ~written] = self.fill
        return values, written
