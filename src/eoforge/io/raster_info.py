"""``RasterInfo``: what a raster file's header says - grid, bands, dtype, nodata, tags.

Reading it costs one header parse per open handle: the result is cached on the handle, so the read
path can ask for it on every call.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=3, height=2, count=2, dtype="uint16",
    ...                    crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 20),
    ...                    nodata=0) as ds:
    ...     ds.write(np.ones((2, 2, 3), "uint16"))
    >>> info = raster_info(path)
    >>> info.grid.shape, info.count, info.dtype, info.nodata
    ((2, 3), 2, 'uint16', 0.0)
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from rasterio.enums import MaskFlags
from rasterio.io import DatasetReader

from eoforge.errors import MissingCRSError
from eoforge.geo import GridSpec
from eoforge.io.handles import RasterLike, as_dataset

__all__ = ["MaskKind", "RasterInfo", "dataset_info", "raster_info"]

MaskKind = Literal["none", "nodata", "mask"]
"""How a file marks invalid pixels: not at all, a nodata value, or a GDAL mask (internal/alpha)."""


@dataclass(frozen=True, slots=True)
class RasterInfo:
    """The header of a raster file (no pixels read).

    Attributes:
        path: the file's name as GDAL knows it.
        grid: its grid (CRS, transform, size).
        count: number of bands.
        dtype: numpy name of the pixel type (``"uint16"``, …).
        nodata: the nodata value of band 1, or ``None``.
        descriptions: band descriptions (names), ``None`` where unset.
        scales: per-band scale factors (physical value = raw x scale + offset).
        offsets: per-band offsets.
        block_shape: ``(rows, cols)`` of band 1's blocks (tiles or strips).
        overviews: overview decimation factors of band 1 (``()`` without overviews).
        mask_kind: ``"nodata"`` (compare with :attr:`nodata`), ``"mask"`` (an internal mask or
            alpha band: GDAL masks are read), or ``"none"`` (every pixel valid).
        tags: dataset-level metadata (e.g. ``TIFFTAG_DATETIME``, ``CLASS_NAMES``), read-only.

    Example:
        >>> from eoforge.geo import BBox
        >>> grid = GridSpec.from_bounds(BBox(0, 0, 20, 20, "EPSG:32633"), res=10)
        >>> info = RasterInfo("x.tif", grid, 1, "uint8", None, (None,), (1.0,), (0.0,), (2, 2))
        >>> info.mask_kind
        'none'
    """

    path: str
    grid: GridSpec
    count: int
    dtype: str
    nodata: float | None
    descriptions: tuple[str | None, ...]
    scales: tuple[float, ...]
    offsets: tuple[float, ...]
    block_shape: tuple[int, int]
    overviews: tuple[int, ...] = ()
    mask_kind: MaskKind = "none"
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[DatasetReader, RasterInfo] = weakref.WeakKeyDictionary()


def _mask_kind(ds: DatasetReader) -> MaskKind:
    flags = [set(f) for f in ds.mask_flag_enums]
    if any(MaskFlags.per_dataset in f or MaskFlags.alpha in f for f in flags):
        return "mask"
    if any(MaskFlags.nodata in f for f in flags):
        return "nodata"
    if all(f == {MaskFlags.all_valid} for f in flags):
        return "none"
    return "mask"  # pragma: no cover - any other GDAL mask: let GDAL compute it


def _read_info(ds: DatasetReader) -> RasterInfo:
    name = str(ds.name)
    if not ds.crs:
        raise MissingCRSError(
            f"'{name}' has no CRS; assign the right one, e.g. "
            f"`rio edit-info --crs EPSG:32633 '{name}'`, or re-export the file with a CRS"
        )
    grid = GridSpec(ds.crs, ds.transform, ds.width, ds.height)
    block = ds.block_shapes[0] if ds.count else (ds.height, ds.width)
    nodata = None if ds.nodata is None else float(ds.nodata)
    return RasterInfo(
        path=name,
        grid=grid,
        count=int(ds.count),
        dtype=str(ds.dtypes[0]) if ds.count else "uint8",
        nodata=nodata,
        descriptions=tuple(ds.descriptions),
        scales=tuple(float(s) for s in ds.scales),
        offsets=tuple(float(o) for o in ds.offsets),
        block_shape=(int(block[0]), int(block[1])),
        overviews=tuple(int(f) for f in ds.overviews(1)) if ds.count else (),
        mask_kind=_mask_kind(ds) if ds.count else "none",
        tags=MappingProxyType(dict(ds.tags())),
    )


def dataset_info(ds: DatasetReader) -> RasterInfo:
    """The :class:`RasterInfo` of an open dataset, computed once per handle.

    Example:
        >>> import numpy as np
        >>> from affine import Affine
        >>> from rasterio.io import MemoryFile
        >>> with MemoryFile() as mem:
        ...     with mem.open(driver="GTiff", width=4, height=2, count=1, dtype="uint8",
        ...                   crs="EPSG:4326", transform=Affine(1, 0, 0, 0, -1, 2)) as ds:
        ...         ds.write(np.zeros((1, 2, 4), "uint8"))
        ...     with mem.open() as ds:
        ...         dataset_info(ds).grid.shape
        (2, 4)
    """
    info = _cache.get(ds)
    if info is None:
        info = _read_info(ds)
        with _lock:
            _cache[ds] = info
    return info


def raster_info(src: RasterLike) -> RasterInfo:
    """Read a raster's header: grid, bands, dtype, nodata, descriptions, scales, tags.

    Args:
        src: a path or an open ``rasterio`` dataset.

    Raises:
        NoFilesError: the file does not exist.
        RasterReadError: it cannot be opened as a raster.
        MissingCRSError: it has no CRS (georeferencing is needed to place it on a grid).

    Example:
        >>> raster_info("no/such.tif")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: raster file 'no/such.tif' does not exist ...
    """
    if not isinstance(src, DatasetReader | os.PathLike | str):
        raise TypeError(f"expected a path or a rasterio dataset, got {type(src).__name__}")
    return dataset_info(as_dataset(src))
