"""The arrays a source gives a sample: its read, or its fill where the query meets a hole in it.

A query inside the dataset's footprint may still miss one source (a gap between a collection's
tiles, a label layer that covers less than the imagery): that source then contributes its fill,
not an error. :func:`read_or_none` reads a source (``None`` at such a hole); :func:`mask_array`
and :func:`target_array` turn a label source's read into the sample's ``mask`` (int64 classes,
the source's nodata where it has none) and ``target`` (float32, NaN where invalid).

Example:
    >>> import tempfile, numpy as np, rasterio
    >>> from affine import Affine
    >>> from eoforge.geo import GridSpec
    >>> path = tempfile.mkdtemp() + "/labels.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1,
    ...                    dtype="uint8", crs="EPSG:32633", nodata=255,
    ...                    transform=Affine(10, 0, 0, 0, -10, 40)) as dst:
    ...     dst.write(np.full((1, 4, 4), 3, "uint8"))
    >>> labels = RasterSource(path, kind="mask")
    >>> grid = GridSpec.from_bounds((0, 0, 40, 40), 10, crs=32633)
    >>> mask_array(labels, grid.subgrid(0, 0, 2, 2), None).tolist()
    [[3, 3], [3, 3]]
    >>> mask_array(labels, grid.subgrid(10, 10, 2, 2), None).tolist()  # a hole: nodata
    [[255, 255], [255, 255]]
"""

from __future__ import annotations

import math

import numpy as np

from eoforge.data.raster_source import RasterSource
from eoforge.data.vector_source import VectorSource
from eoforge.errors import QueryOutsideError
from eoforge.geo import GridSpec, TimeRange

__all__ = ["LabelSource", "mask_array", "read_or_none", "target_array"]

LabelSource = RasterSource | VectorSource


def read_or_none(
    src: LabelSource, grid: GridSpec, time: TimeRange | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``src.read(grid)`` (rasters within ``time``), or ``None`` where the source has a hole."""
    try:
        if isinstance(src, RasterSource):
            return src.read(grid, time=time)
        return src.read(grid)
    except QueryOutsideError:  # this source has a hole here: no data, not an error
        return None


def mask_array(src: LabelSource, grid: GridSpec, time: TimeRange | None) -> np.ndarray:
    """The ``(H, W)`` int64 classes of a mask source on ``grid`` (its nodata, or 0, at a hole)."""
    read = read_or_none(src, grid, time)
    if read is None:
        nodata = src.nodata if isinstance(src, RasterSource) else None
        fill = int(nodata) if nodata is not None and math.isfinite(nodata) else 0
        return np.full(grid.shape, fill, dtype=np.int64)
    classes: np.ndarray = read[0][0].astype(np.int64, copy=False)
    return classes


def target_array(src: LabelSource, grid: GridSpec, time: TimeRange | None) -> np.ndarray:
    """The float32 values of a target source on ``grid``, NaN where invalid or at a hole.

    ``(H, W)`` for a source of one band, else ``(C, H, W)``.
    """
    read = read_or_none(src, grid, time)
    if read is None:
        n = len(src.bands) if isinstance(src, RasterSource) else 1
        shape = grid.shape if n == 1 else (n, *grid.shape)
        return np.full(shape, np.nan, dtype=np.float32)
    array, valid = read
    out = array.astype(np.float32, copy=False)
    out[:, ~valid] = np.nan
    return out[0] if out.shape[0] == 1 else out
