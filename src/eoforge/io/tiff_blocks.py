"""Windowed reads of DEFLATE GeoTIFFs that decode only the rows of each block a window needs.

GDAL inflates every block a window touches in full. A random 256x256 patch of a COG with
512x512 blocks starts, on average, in the middle of a block: rows below the window's last row are
inflated for nothing. :func:`read_tiff_window` reads each touched block's compressed bytes straight
from the file (``os.pread``, no file position shared between threads or processes), inflates the
block up to the window's last row (a later read continues the stream; once the cache has dropped
the block, a read starts at the saved point nearest above its rows, see
:mod:`eoforge.io.decoded_block`), undoes the predictor and copies the window's part into the
output. Blocks are decoded on the read pool (:mod:`eoforge.io.read_pool`; inflation runs
without the GIL), sized like GDAL's ``GDAL_NUM_THREADS``: all cores in a main process, one
thread in a forked DataLoader worker; a block's rows are cut at its saved points, so that a
window inside one block inflates on several cores too.

The result is bit-identical to ``ds.read(indexes, window=window)``; files this path does not
handle (see :func:`eoforge.io.tiff_layout.tiff_layout`) are read by GDAL.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> from rasterio.windows import Window
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> pixels = np.arange(2 * 300 * 400, dtype="uint16").reshape(2, 300, 400)
    >>> with rasterio.open(path, "w", driver="GTiff", width=400, height=300, count=2,
    ...                    dtype="uint16", crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 0),
    ...                    tiled=True, blockxsize=128, blockysize=128, compress="deflate") as ds:
    ...     ds.write(pixels)
    >>> with rasterio.open(path) as ds:
    ...     window = Window(100, 50, 200, 120)
    ...     got = read_tiff_window(ds, tiff_layout(ds), [2, 1], window)
    ...     bool((got == ds.read([2, 1], window=window)).all())
    True
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import numpy as np
from rasterio.io import DatasetReader
from rasterio.windows import Window

from eoforge.errors import RasterReadError
from eoforge.io.block_cache import BlockKey, DecodedBlock, block_cache
from eoforge.io.read_pool import StartedCalls
from eoforge.io.resume_points import resume_points
from eoforge.io.tiff_layout import TiffLayout, tiff_layout

__all__ = ["PendingWindow", "read_tiff_window", "start_tiff_window", "tiff_layout"]

Array = np.ndarray[Any, Any]
# (plane, block row, block col, first row, last row + 1, first col, last col + 1) in the block
_Piece = tuple[int, int, int, int, int, int, int]

_fds: dict[tuple[int, int, int, int], int] = {}
_fds_lock = threading.Lock()


def _descriptor(layout: TiffLayout) -> int:
    """An open file descriptor of the file, one per file version and process (``pread`` only)."""
    fd = _fds.get(layout.identity)
    if fd is None:
        with _fds_lock:
            fd = _fds.get(layout.identity)
            if fd is None:
                try:
                    fd = os.open(layout.path, os.O_RDONLY)
                except OSError as err:
                    raise RasterReadError(f"cannot open '{layout.path}' ({err})") from err
                if len(_fds) >= 512:
                    for old in _fds.values():
                        os.close(old)
                    _fds.clear()
                _fds[layout.identity] = fd
    return fd


def _read_bytes(layout: TiffLayout, offset: int, size: int) -> bytes:
    """``size`` bytes of the file from ``offset`` on."""
    try:
        data = os.pread(_descriptor(layout), size, offset)
    except OSError as err:
        raise RasterReadError(f"cannot read '{layout.path}' ({err})") from err
    if len(data) < size:
        raise RasterReadError(
            f"'{layout.path}' ends before its block at byte {offset}; the file is truncated - "
            "re-download or re-export it"
        )
    return data


def _load(
    layout: TiffLayout, location: tuple[int, int], valid_rows: int, key: BlockKey, resume: bool
) -> DecodedBlock:
    """A block, its compressed bytes read when decoding needs them (in the decoding thread).

    With ``resume``, inflating saves and uses resume points (:mod:`eoforge.io.resume_points`).
    """
    offset, size = location
    shape = (layout.block_shape[0], layout.block_shape[1], layout.samples_per_block)
    if offset == 0 or size == 0:  # a sparse block: GDAL's fill
        return DecodedBlock(shape, layout.dtype, 1, fill=layout.sparse_fill)
    if layout.compression == "none":
        raw = _read_bytes(layout, offset, size)
        return DecodedBlock(shape, layout.dtype, layout.predictor, raw=raw, name=layout.path)
    return DecodedBlock(
        shape, layout.dtype, layout.predictor, name=layout.path,
        fetch=lambda start, count: _read_bytes(layout, offset + start, count), fetch_size=size,
        valid_rows=valid_rows, points=resume_points() if resume else None, key=key,
    )  # fmt: skip


def _pieces(layout: TiffLayout, planes: list[int], window: Window) -> list[_Piece]:
    rows, cols = layout.block_shape
    r0, c0 = int(window.row_off), int(window.col_off)
    r1, c1 = r0 + int(window.height), c0 + int(window.width)
    pieces = []
    for plane in planes:
        for brow in range(r0 // rows, (r1 - 1) // rows + 1):
            top = brow * rows
            for bcol in range(c0 // cols, (c1 - 1) // cols + 1):
                left = bcol * cols
                pieces.append(
                    (
                        plane,
                        brow,
                        bcol,
                        max(r0 - top, 0),
                        min(r1 - top, rows),
                        max(c0 - left, 0),
                        min(c1 - left, cols),
                    )
                )
    return pieces


class PendingWindow:
    """A windowed read under way: its rows land in :attr:`out` as the pool decodes them.

    Attributes:
        out: the ``(bands, height, width)`` output array.

    Example:
        >>> done = PendingWindow(np.zeros((1, 2, 2)))  # a read that has ended
        >>> done.wait_rows(0, 2); done.result().shape
        (1, 2, 2)
    """

    def __init__(
        self,
        out: Array,
        calls: StartedCalls[None] | None = None,
        spans: list[tuple[int, int]] | None = None,
    ) -> None:
        self.out = out
        self._calls = calls
        self._spans = spans or []  # the rows of ``out`` each call writes

    def wait_rows(self, first: int, last: int) -> None:
        """Return once rows ``first`` to ``last`` (exclusive) of :attr:`out` hold their pixels."""
        if self._calls is not None:
            touching = [k for k, (a, b) in enumerate(self._spans) if a < last and first < b]
            self._calls.wait(touching)

    def result(self) -> Array:
        """:attr:`out`, once every pixel is in (raises the read's error, if any)."""
        if self._calls is not None:
            self._calls.results()
        return self.out


def read_tiff_window(
    ds: DatasetReader,
    layout: TiffLayout | None,
    indexes: list[int],
    window: Window,
    out: Array | None = None,
) -> Array:
    """Read bands ``indexes`` (1-based) of ``window`` (inside the file) as ``ds.read`` would.

    Args:
        ds: an open handle of the file (block locations are looked up through it).
        layout: ``tiff_layout(ds)``; ``None`` reads with GDAL.
        indexes: the bands, 1-based, in output order.
        window: whole-pixel window inside the file.
        out: optional ``(len(indexes), height, width)`` array of the file's pixel type.

    Returns:
        ``out`` (or a new array) holding the pixels.

    Raises:
        RasterReadError: a block cannot be read or decoded (truncated or corrupt file).
    """
    return start_tiff_window(ds, layout, indexes, window, out).result()


def start_tiff_window(
    ds: DatasetReader,
    layout: TiffLayout | None,
    indexes: list[int],
    window: Window,
    out: Array | None = None,
) -> PendingWindow:
    """:func:`read_tiff_window`, returning as soon as its blocks are decoding on the pool.

    The window's rows are decoded from the top down (each block's rows cut at its saved points
    are queued by their first row), so a caller that needs the upper rows first (resampling)
    can start on them while the lower ones inflate: :meth:`PendingWindow.wait_rows`.

    Example:
        >>> import tempfile, pathlib, rasterio
        >>> from affine import Affine
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
        >>> pixels = np.arange(300 * 400, dtype="uint16").reshape(1, 300, 400)
        >>> with rasterio.open(path, "w", driver="GTiff", width=400, height=300, count=1,
        ...         dtype="uint16", transform=Affine(10, 0, 0, 0, -10, 0), tiled=True,
        ...         blockxsize=128, blockysize=128, compress="deflate") as ds:
        ...     ds.write(pixels)
        >>> with rasterio.open(path) as ds:
        ...     pending = start_tiff_window(ds, tiff_layout(ds), [1], Window(0, 0, 400, 300))
        ...     pending.wait_rows(0, 10)  # the first ten rows are in; others may not be yet
        ...     bool((pending.out[:, :10] == pixels[:, :10]).all())
        True
    """
    if layout is None:
        return PendingWindow(ds.read(indexes, window=window, out=out))
    height, width = int(window.height), int(window.width)
    native = layout.dtype.newbyteorder("=")
    if out is None:
        out = np.empty((len(indexes), height, width), dtype=native)
    zero_based = [i - 1 for i in indexes]
    planes = sorted(set(zero_based)) if layout.planar else [0]
    pieces = _pieces(layout, planes, window)
    locations = [layout.block_location(ds, p[0], p[1], p[2]) for p in pieces]
    r0, c0 = int(window.row_off), int(window.col_off)
    rows, cols = layout.block_shape
    if layout.planar:
        targets = {plane: [k for k, b in enumerate(zero_based) if b == plane] for plane in planes}
    bands: slice | list[int] = zero_based
    if zero_based == list(range(zero_based[0], zero_based[-1] + 1)):
        bands = slice(zero_based[0], zero_based[-1] + 1)
    cache = block_cache()
    keys = [(layout.identity, p[0], p[1], p[2]) for p in pieces]
    blocks = [  # made in this thread, decoded on the pool (see DecodedBlock's fetch)
        cache.get(
            key,
            functools.partial(
                _load, layout, loc, layout.height - key[2] * rows, key, not cache.whole_blocks
            ),
        )
        for key, loc in zip(keys, locations, strict=True)
    ]

    # the rows of each block, cut where inflating may start at a saved point: decoded side by
    # side (a patch inside one block keeps both cores busy), each stretch copied into ``out`` by
    # the thread that decoded it
    jobs, spans = [], []
    for i, piece in enumerate(pieces):
        first, last = (0, rows) if cache.whole_blocks else (piece[3], piece[4])
        origin = piece[1] * rows - r0  # the block's first row, in ``out``
        for a, b in blocks[i].split(first, last):
            jobs.append((i, a, b))
            spans.append((origin + max(a, piece[3]), origin + min(b, piece[4])))
    order = sorted(range(len(jobs)), key=lambda k: (spans[k][0], k))  # the top rows first
    jobs, spans = [jobs[k] for k in order], [spans[k] for k in order]

    def decode(job: tuple[int, int, int]) -> None:
        i, first, last = job
        cache.release(keys[i], blocks[i], blocks[i].decode(last, first))
        plane, brow, bcol, pr0, pr1, pc0, pc1 = pieces[i]
        top, bottom = max(first, pr0), min(last, pr1)  # the piece's rows of this stretch
        if top >= bottom:
            return
        part = blocks[i].data[top:bottom, pc0:pc1]
        orow, ocol = brow * rows + top - r0, bcol * cols + pc0 - c0
        dest = out[:, orow : orow + bottom - top, ocol : ocol + pc1 - pc0]
        if layout.planar:
            for k in targets[plane]:
                dest[k] = part[:, :, 0]
        else:
            dest[...] = np.moveaxis(part[:, :, bands], 2, 0)

    return PendingWindow(out, StartedCalls(decode, jobs), spans)
