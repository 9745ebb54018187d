"""How a GeoTIFF stores its pixels, when eoforge can decode its blocks itself.

GDAL decodes every block a windowed read touches in full. For a DEFLATE-compressed tiled GeoTIFF
eoforge can do better (:mod:`eoforge.io.tiff_blocks`): read a block's compressed bytes straight
from the file and inflate only the rows the window needs. :func:`tiff_layout` says whether a file
qualifies and, if so, how its blocks are laid out; every other file is read by GDAL as before.

A file qualifies when it is a local GeoTIFF (driver ``GTiff``, no ``/vsi`` path) whose bands all
share one whole-byte pixel type (no ``NBITS``, no complex types), compressed with DEFLATE or not
at all, with no predictor or the horizontal one (``PREDICTOR=2``), pixel- or band-interleaved,
in tiles or in strips of at least :data:`MIN_BLOCK_ROWS` rows.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=600, height=300, count=3,
    ...                    dtype="uint16", crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 0),
    ...                    tiled=True, blockxsize=256, blockysize=256, compress="deflate") as ds:
    ...     ds.write(np.ones((3, 300, 600), "uint16"))
    >>> with rasterio.open(path) as ds:
    ...     layout = tiff_layout(ds)
    >>> layout.blocks, layout.block_shape, layout.samples_per_block, layout.compression
    ((2, 3), (256, 256), 3, 'deflate')
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from rasterio.io import DatasetReader

__all__ = ["MIN_BLOCK_ROWS", "TiffLayout", "dataset_layout", "tiff_layout"]

MIN_BLOCK_ROWS: Final[int] = 16
"""Strips shorter than this are left to GDAL (a window would touch too many of them)."""

_COMPRESSIONS: Final[dict[str, str]] = {"DEFLATE": "deflate", "NONE": "none", "": "none"}


@dataclass(eq=False)
class TiffLayout:
    """The block layout of a GeoTIFF that :mod:`eoforge.io.tiff_blocks` decodes itself.

    Attributes:
        path: the file.
        identity: ``(device, inode, size, mtime_ns)`` when the layout was read: decoded blocks are
            cached under it, so a rewritten file never returns stale pixels.
        width: image width in pixels.
        height: image height in pixels.
        count: number of bands.
        dtype: the pixel type as stored (with the file's byte order).
        block_shape: ``(rows, cols)`` of a block (a tile, or a strip of full width).
        planar: True when each band has its own blocks (``INTERLEAVE=BAND``).
        compression: ``"deflate"`` or ``"none"``.
        predictor: 1 (none) or 2 (horizontal differencing).
        sparse_fill: the value of pixels in blocks the file does not store (nodata, else 0).
    """

    path: str
    identity: tuple[int, int, int, int]
    width: int
    height: int
    count: int
    dtype: np.dtype[Any]
    block_shape: tuple[int, int]
    planar: bool
    compression: str
    predictor: int
    sparse_fill: float
    _offsets: np.ndarray[Any, np.dtype[np.int64]] = field(init=False, repr=False)
    _sizes: np.ndarray[Any, np.dtype[np.int64]] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        shape = (self.count if self.planar else 1, *self.blocks)
        self._offsets = np.full(shape, -1, dtype=np.int64)  # -1: not looked up yet
        self._sizes = np.zeros(shape, dtype=np.int64)

    @property
    def blocks(self) -> tuple[int, int]:
        """Number of blocks ``(down, across)``."""
        rows, cols = self.block_shape
        return math.ceil(self.height / rows), math.ceil(self.width / cols)

    @property
    def samples_per_block(self) -> int:
        """Samples per pixel inside one block: 1 when band-interleaved, else the band count."""
        return 1 if self.planar else self.count

    @property
    def row_bytes(self) -> int:
        """Bytes of one decoded block row."""
        return self.block_shape[1] * self.samples_per_block * self.dtype.itemsize

    def block_location(self, ds: DatasetReader, plane: int, row: int, col: int) -> tuple[int, int]:
        """``(offset, size)`` in bytes of block ``(row, col)`` of ``plane`` (0 when not stored).

        ``ds`` is an open handle of the file in the calling thread: GDAL reports each location
        once (``BLOCK_OFFSET_<col>_<row>`` in its ``TIFF`` metadata domain); it is kept here.
        """
        offset = int(self._offsets[plane, row, col])
        if offset >= 0:
            return offset, int(self._sizes[plane, row, col])
        band = plane + 1
        raw_offset = ds.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=band)
        raw_size = ds.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=band)
        offset, size = int(raw_offset or 0), int(raw_size or 0)
        with self._lock:
            self._sizes[plane, row, col] = size
            self._offsets[plane, row, col] = offset
        return offset, size


def _byte_order(path: str) -> str | None:
    """``"<"`` or ``">"`` from the TIFF header; ``None`` when it is not a TIFF."""
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
    except OSError:
        return None
    return {b"II": "<", b"MM": ">"}.get(magic)


def tiff_layout(ds: DatasetReader) -> TiffLayout | None:
    """The block layout of an open GeoTIFF, or ``None`` when GDAL should decode it.

    Args:
        ds: an open ``rasterio`` dataset.

    Example:
        >>> from rasterio.io import MemoryFile
        >>> from affine import Affine
        >>> with MemoryFile() as mem, mem.open(driver="GTiff", width=4, height=4, count=1,
        ...         dtype="uint8", crs="EPSG:32633", transform=Affine(1, 0, 0, 0, -1, 4)) as ds:
        ...     tiff_layout(ds) is None  # an in-memory file: GDAL reads it
        True
    """
    path = str(ds.name)
    if ds.driver != "GTiff" or not ds.count or path.startswith("/vsi") or not os.path.isfile(path):
        return None
    if len(set(ds.dtypes)) != 1 or len(set(ds.block_shapes)) != 1:
        return None
    dtype = np.dtype(ds.dtypes[0])
    if dtype.kind not in "uif" or dtype.itemsize > 8:
        return None
    structure = ds.tags(ns="IMAGE_STRUCTURE")
    compression = _COMPRESSIONS.get(structure.get("COMPRESSION", "").upper())
    predictor = int(structure.get("PREDICTOR", "1"))
    interleave = structure.get("INTERLEAVE", "PIXEL").upper()
    if compression is None or predictor not in (1, 2) or interleave not in ("PIXEL", "BAND"):
        return None
    if ds.count > 1 and interleave == "PIXEL" and structure.get("PHOTOMETRIC") == "YCBCR":
        return None  # pragma: no cover - YCbCr comes with JPEG, excluded above
    if any("NBITS" in ds.tags(b, ns="IMAGE_STRUCTURE") for b in range(1, ds.count + 1)):
        return None
    rows, cols = (int(v) for v in ds.block_shapes[0])
    if rows < MIN_BLOCK_ROWS:
        return None
    order = _byte_order(path)
    if order is None:
        return None
    stat = os.stat(path)
    return TiffLayout(
        path=path,
        identity=(stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns),
        width=int(ds.width),
        height=int(ds.height),
        count=int(ds.count),
        dtype=dtype.newbyteorder(order),
        block_shape=(rows, cols),
        planar=interleave == "BAND" and ds.count > 1,
        compression=compression,
        predictor=predictor,
        sparse_fill=_sparse_fill(ds.nodata, dtype),
    )


def _sparse_fill(nodata: float | None, dtype: np.dtype[Any]) -> float:
    """GDAL's fill of blocks a file does not store: nodata if the type holds it, else 0."""
    if nodata is None:
        return 0.0
    if dtype.kind == "f":
        return float(nodata)
    if math.isnan(nodata) or nodata != int(nodata):
        return 0.0
    limits = np.iinfo(dtype)
    return float(nodata) if limits.min <= nodata <= limits.max else 0.0


_layouts: weakref.WeakKeyDictionary[DatasetReader, TiffLayout | None] = weakref.WeakKeyDictionary()
_layouts_lock = threading.Lock()


def dataset_layout(ds: DatasetReader) -> TiffLayout | None:
    """:func:`tiff_layout` of an open dataset, computed once per handle.

    Example:
        >>> from rasterio.io import MemoryFile
        >>> from affine import Affine
        >>> with MemoryFile() as mem, mem.open(driver="GTiff", width=4, height=4, count=1,
        ...         dtype="uint8", crs="EPSG:32633", transform=Affine(1, 0, 0, 0, -1, 4)) as ds:
        ...     dataset_layout(ds) is None
        True
    """
    try:
        return _layouts[ds]
    except KeyError:
        pass
    layout = tiff_layout(ds)
    with _layouts_lock:
        _layouts[ds] = layout
    return layout
