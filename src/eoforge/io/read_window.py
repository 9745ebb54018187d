"""``read_window``: the pixels of a raster file on any target ``GridSpec``.

Two paths:

- **Aligned** (same CRS, pixel size and pixel phase - ``file_grid.is_aligned_with(grid)``): one
  windowed ``ds.read`` of the part of ``grid`` inside the file, straight into the right slice of
  the output array. Bit-identical to rasterio's own windowed read; no copy, no resampling.
- **Resampled** (another resolution and/or CRS): :func:`eoforge.io.warp_window.warp_window` reads
  only the source window covering ``grid`` plus the kernel, and warps it onto ``grid`` exactly as
  reprojecting the whole file onto ``grid`` would (partly in numpy, with GDAL's arithmetic).

Pixels of ``grid`` outside the file get ``fill_value`` and are invalid. Validity comes from the
file's nodata value (a cheap comparison), or from GDAL's mask when the file has an internal mask
or alpha band; a pixel is valid when any of the bands read is (as in ``ds.dataset_mask()``), and,
after resampling, where the warp wrote a value (for ``nearest``, where its centre falls on a valid
source pixel; for kernels, where valid source pixels carry weight).

Example:
    >>> import tempfile, pathlib
    >>> from eoforge.geo import BBox
    >>> from eoforge.io.write_raster import write_raster
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 40, 40, "EPSG:32633"), res=10)
    >>> data = np.arange(16, dtype="uint8").reshape(1, 4, 4)
    >>> path = write_raster(pathlib.Path(tempfile.mkdtemp()) / "a.tif", data, grid, nodata=0)
    >>> read_window(path, grid.subgrid(-1, 2, 2, 2)).tolist()
    [[[0, 0], [2, 3]]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import DTypeLike
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.windows import Window

from eoforge.errors import InvalidGridError, RasterReadError
from eoforge.geo import GridSpec
from eoforge.io.handles import RasterLike, as_dataset
from eoforge.io.pixel_values import (
    any_band_valid,
    apply_scale,
    band_indexes,
    band_validity,
    fill_for,
    fits_exactly,
    float_dtype,
    marks_invalid,
)
from eoforge.io.raster_info import RasterInfo, dataset_info
from eoforge.io.tiff_blocks import PendingWindow, start_tiff_window
from eoforge.io.tiff_layout import dataset_layout
from eoforge.io.warp_window import RESAMPLING_METHODS, warp_window

__all__ = ["RESAMPLING_METHODS", "read_window"]

Array = np.ndarray[Any, Any]


def _start_read(
    ds: DatasetReader, indexes: list[int], window: Window, out: Array | None = None
) -> PendingWindow:
    """``ds.read`` of a whole-pixel window inside the file, under way.

    DEFLATE GeoTIFFs: own decoder, rows landing as the pool decodes them; others: GDAL, at once.
    """
    layout = dataset_layout(ds)
    try:
        if layout is not None and (out is None or out.dtype == layout.dtype.newbyteorder("=")):
            return start_tiff_window(ds, layout, indexes, window, out)
        return PendingWindow(ds.read(indexes, window=window, out=out))
    except RasterioError as err:
        raise RasterReadError(
            f"cannot read pixels of '{ds.name}' ({err}); the file is probably truncated or "
            "corrupt - re-download or re-export it"
        ) from err


def _read(ds: DatasetReader, indexes: list[int], window: Window, out: Array | None = None) -> Array:
    """``ds.read`` of a whole-pixel window inside the file (DEFLATE GeoTIFFs: own decoder)."""
    return _start_read(ds, indexes, window, out).result()


def _read_direct(
    ds: DatasetReader,
    info: RasterInfo,
    indexes: list[int],
    shape: tuple[int, int, int],
    origin: tuple[int, int],
    fill: float,
    dt: np.dtype[Any],
    out: Array | None,
    with_mask: bool,
) -> tuple[Array, Array | None]:
    """The hot path: one windowed read straight into (a slice of) the output array."""
    _, h, w = shape
    row0, col0 = origin
    r0, c0 = max(row0, 0), max(col0, 0)
    r1, c1 = min(row0 + h, info.grid.height), min(col0 + w, info.grid.width)
    dest = out if out is not None else np.empty(shape, dtype=dt)
    if r0 >= r1 or c0 >= c1:  # grid entirely outside the file
        dest.fill(fill)
        return dest, (np.zeros((h, w), dtype=bool) if with_mask else None)
    inside = (r0, c0, r1, c1) == (row0, col0, row0 + h, col0 + w)
    rows, cols = slice(r0 - row0, r1 - row0), slice(c0 - col0, c1 - col0)
    if not inside:
        dest.fill(fill)
    target = dest if inside else dest[:, rows, cols]
    window = Window(c0, r0, c1 - c0, r1 - r0)
    _read(ds, indexes, window, out=target)
    if not with_mask:
        return dest, None
    band_valid = band_validity(ds, info, target, indexes, window)
    inner: Array = (
        np.ones(target.shape[1:], bool) if band_valid is None else any_band_valid(band_valid)
    )
    if inside:
        return dest, inner
    valid = np.zeros((h, w), dtype=bool)
    valid[rows, cols] = inner
    return dest, valid


def _read_aligned(
    ds: DatasetReader,
    info: RasterInfo,
    indexes: list[int],
    shape: tuple[int, int, int],
    origin: tuple[int, int],
    fill: float,
    dt: np.dtype[Any],
    scale: bool,
) -> tuple[Array | None, Array, tuple[slice, slice]]:
    """Aligned read of the file's part of the grid: ``(values, valid (H, W), its slices)``."""
    _, h, w = shape
    row0, col0 = origin
    r0, c0 = max(row0, 0), max(col0, 0)
    r1, c1 = min(row0 + h, info.grid.height), min(col0 + w, info.grid.width)
    valid = np.zeros((h, w), dtype=bool)
    if r0 >= r1 or c0 >= c1:
        return None, valid, (slice(0, 0), slice(0, 0))
    window = Window(c0, r0, c1 - c0, r1 - r0)
    raw = _read(ds, indexes, window)
    band_valid = band_validity(ds, info, raw, indexes, window)
    region = (slice(r0 - row0, r1 - row0), slice(c0 - col0, c1 - col0))
    valid[region] = True if band_valid is None else any_band_valid(band_valid)
    if not scale:
        return raw, valid, region
    values = raw.astype(float_dtype(dt))
    apply_scale(values, info, indexes)
    if band_valid is not None:
        values[~band_valid] = fill
    return values, valid, region


class _WarpSource:
    """A window read for :func:`warp_window` (a ``WindowRead``): rows as they land, validity."""

    def __init__(
        self, ds: DatasetReader, info: RasterInfo, indexes: list[int], window: Window, out: Array
    ) -> None:
        self._where = (ds, info, indexes, window)
        self._out = out
        self.valid_everywhere = not marks_invalid(info, out.dtype)
        self._pending = _start_read(ds, indexes, window, out=out)
        self._valid: Array | None = None
        self._ended = False

    def wait_rows(self, first: int, last: int) -> None:
        """Return once rows ``first`` to ``last`` (exclusive) of the window are in."""
        self._pending.wait_rows(first, last)

    def valid(self) -> Array | None:
        """Once every row is in: where any band is valid (``None``: everywhere); computed once."""
        if not self._ended:
            self._pending.result()
            ds, info, indexes, window = self._where
            band_valid = band_validity(ds, info, self._out, indexes, window)
            self._valid = None if band_valid is None else any_band_valid(band_valid)
            self._ended = True
        return self._valid


def _deliver(
    values: Array | None,
    valid: Array,
    region: tuple[slice, slice],
    shape: tuple[int, int, int],
    fill: float,
    dt: np.dtype[Any],
    out: Array | None,
    with_mask: bool,
) -> Array:
    """Put ``values`` (the ``region`` of the grid) into ``out`` or a new array."""
    if out is not None and with_mask:  # mosaicking: valid pixels only
        if values is not None:
            np.copyto(out[(slice(None), *region)], values, casting="unsafe", where=valid[region])
        return out
    whole = values is not None and values.shape == shape
    if whole and out is None and values is not None and values.dtype == dt:
        return values
    dest = out if out is not None else np.empty(shape, dtype=dt)
    if not whole:
        dest.fill(fill)
    if values is not None:
        dest[(slice(None), *region)] = values
    return dest


def _check_out(out: Array, shape: tuple[int, int, int], path: str) -> None:
    if not isinstance(out, np.ndarray) or out.shape != shape:
        got = getattr(out, "shape", type(out).__name__)
        raise InvalidGridError(
            f"out has shape {got} but reading '{path}' on this grid gives {shape} "
            "(bands, rows, cols); pass an array of that shape"
        )


@overload
def read_window(
    src: RasterLike,
    grid: GridSpec,
    bands: Sequence[int] | None = None,
    *,
    resampling: str = "nearest",
    fill_value: float | None = None,
    dtype: DTypeLike | None = None,
    apply_scale_offset: bool = False,
    out: Array | None = None,
    with_mask: Literal[False] = False,
) -> Array: ...


@overload
def read_window(
    src: RasterLike,
    grid: GridSpec,
    bands: Sequence[int] | None = None,
    *,
    resampling: str = "nearest",
    fill_value: float | None = None,
    dtype: DTypeLike | None = None,
    apply_scale_offset: bool = False,
    out: Array | None = None,
    with_mask: Literal[True],
) -> tuple[Array, Array]: ...


@overload
def read_window(
    src: RasterLike,
    grid: GridSpec,
    bands: Sequence[int] | None = None,
    *,
    resampling: str = "nearest",
    fill_value: float | None = None,
    dtype: DTypeLike | None = None,
    apply_scale_offset: bool = False,
    out: Array | None = None,
    with_mask: bool = False,
) -> Array | tuple[Array, Array]: ...


def read_window(
    src: RasterLike,
    grid: GridSpec,
    bands: Sequence[int] | None = None,
    *,
    resampling: str = "nearest",
    fill_value: float | None = None,
    dtype: DTypeLike | None = None,
    apply_scale_offset: bool = False,
    out: Array | None = None,
    with_mask: bool = False,
) -> Array | tuple[Array, Array]:
    """Read the pixels of a raster on ``grid``: ``(C, H, W)``, optionally with a valid mask.

    Args:
        src: a path or an open ``rasterio`` dataset (paths use the handle cache).
        grid: the target grid; any CRS, resolution and position (it may reach past the file).
        bands: 1-based band indexes to read, in output order (default: all).
        resampling: used when ``grid`` is not aligned with the file; one of
            :data:`RESAMPLING_METHODS`.
        fill_value: value of pixels outside the file (default: the file's nodata, else 0; NaN
            with ``apply_scale_offset`` and a float output).
        dtype: output dtype (default: the file's; float32 with ``apply_scale_offset``).
        apply_scale_offset: return ``raw x scale + offset`` per band; nodata pixels become
            ``fill_value``.
        out: write into this ``(C, H, W)`` array instead of a new one (its dtype is the output
            dtype). With ``with_mask``, only valid pixels are written - for mosaicking.
        with_mask: also return the ``(H, W)`` bool mask, True where a valid source pixel landed.

    Returns:
        the array, or ``(array, valid)`` when ``with_mask``.

    Raises:
        NoFilesError: the file does not exist.
        RasterReadError: the file cannot be opened or decoded.
        MissingCRSError: the file has no CRS.
        BandNotFoundError: a band index is not in the file.
        InvalidGridError: ``grid`` is not a GridSpec, or ``out``/``fill_value``/``resampling``
            do not fit.

    Example:
        >>> import tempfile, pathlib
        >>> from eoforge.geo import BBox
        >>> from eoforge.io.write_raster import write_raster
        >>> grid = GridSpec.from_bounds(BBox(0, 0, 40, 20, "EPSG:32633"), res=10)
        >>> data = np.array([[[1, 2, 3, 4], [5, 6, 7, 0]]], dtype="uint8")
        >>> path = write_raster(pathlib.Path(tempfile.mkdtemp()) / "a.tif", data, grid, nodata=0)
        >>> image, valid = read_window(path, grid.subgrid(1, 2, 1, 3), with_mask=True)
        >>> image.tolist(), valid.tolist()
        ([[[7, 0, 0]]], [[True, False, False]])
        >>> read_window(path, grid.with_res(20), resampling="average").tolist()
        [[[4, 5]]]
    """
    if not isinstance(grid, GridSpec):
        raise InvalidGridError(
            f"grid must be a GridSpec, not {type(grid).__name__}; build one with "
            "GridSpec.from_bounds(bbox, res) or file_grid.subgrid(...)"
        )
    ds = as_dataset(src)
    info = dataset_info(ds)
    indexes = band_indexes(bands, info)
    if out is not None:
        _check_out(out, (len(indexes), grid.height, grid.width), info.path)
        dt = out.dtype
        if dtype is not None and np.dtype(dtype) != dt:
            raise InvalidGridError(
                f"dtype={np.dtype(dtype)} but out has dtype {dt}; give one of them, or both equal"
            )
    elif dtype is not None:
        dt = np.dtype(dtype)
    else:
        dt = np.dtype(np.float32) if apply_scale_offset else np.dtype(info.dtype)
    fill = fill_for(fill_value, dt, info, apply_scale_offset)
    method = resampling.name if isinstance(resampling, Resampling) else resampling
    if method not in RESAMPLING_METHODS:
        raise InvalidGridError(
            f"resampling {resampling!r} is not known; use one of {', '.join(RESAMPLING_METHODS)}"
        )
    shape = (len(indexes), grid.height, grid.width)
    valid: Array | None
    if info.grid.is_aligned_with(grid):
        win = info.grid.window_of(grid)
        origin = (round(win.row_off), round(win.col_off))
        # straight into the output, unless values must be checked before they land there
        exact = dt == np.dtype(info.dtype) or np.can_cast(info.dtype, dt, "safe")
        direct = not apply_scale_offset and not (with_mask and (out is not None or not exact))
        if direct:
            array, valid = _read_direct(ds, info, indexes, shape, origin, fill, dt, out, with_mask)
        else:
            values, valid, region = _read_aligned(
                ds, info, indexes, shape, origin, fill, dt, apply_scale_offset
            )
            array = _deliver(values, valid, region, shape, fill, dt, out, with_mask)
    else:  # resampled: the covering source window, warped (NaN where no pixel lands, if scaled)
        nodata = info.nodata if info.mask_kind == "nodata" else None
        if nodata is not None and not fits_exactly(nodata, np.dtype(info.dtype)):
            nodata = None  # no pixel can hold it
        work = float_dtype(dt) if apply_scale_offset else np.dtype("u1" if dt.kind == "b" else dt)
        values, valid = warp_window(
            partial(_WarpSource, ds, info, indexes),
            info.grid,
            grid,
            len(indexes),
            src_dtype=np.dtype(info.dtype),
            method=method,
            src_nodata=nodata,
            fill=math.nan if apply_scale_offset else fill,
            work=work,
            need_valid=with_mask,
        )
        if apply_scale_offset:
            apply_scale(values, info, indexes)
            if not math.isnan(fill):
                values[np.isnan(values)] = fill
        full = (slice(None), slice(None))
        array = _deliver(values, valid, full, shape, fill, dt, out, with_mask)
    if with_mask:
        assert valid is not None
        return array, valid
    return array
