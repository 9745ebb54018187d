"""One GeoTIFF block (tile or strip), decoded row by row as far as reads need.

A :class:`DecodedBlock` inflates its DEFLATE stream only up to the last row a read wants: a
window that needs the first 100 rows of a 512-row tile inflates 100 rows, and a later window that
needs more continues the same stream where it stopped. With :mod:`eoforge.io.resume_points`, a
block made again after the cache dropped it starts at the saved point nearest above the rows
wanted instead of at its first row, and reads only the compressed bytes from there on. Such
blocks inflate with zlib-ng (its state can be copied); blocks read without points (whole-scene
prediction, which reads each block once) with ISA-L, which is faster.

Example:
    >>> import zlib, numpy as np
    >>> rows = np.arange(4 * 3, dtype="<u2").reshape(4, 3, 1)
    >>> block = DecodedBlock((4, 3, 1), np.dtype("<u2"), 1, zlib.compress(rows.tobytes()))
    >>> _ = block.decode(2)   # the first two rows only
    >>> block.rows, block.data[:2, :, 0].tolist()
    (2, [[0, 1, 2], [3, 4, 5]])
    >>> _ = block.decode(4); block.rows
    4
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from eoforge.errors import RasterReadError
from eoforge.io.resume_points import (
    INFLATE,
    Inflater,
    ResumePoint,
    ResumePoints,
)

try:  # ISA-L's inflate: ~12 % faster than zlib-ng here, but its state cannot be copied
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency
    _isal_zlib = None  # type: ignore[assignment]

FAST_INFLATE: Any = _isal_zlib or INFLATE
"""What inflates blocks that save no resume points (whole-scene reads: each block once)."""

__all__ = ["DecodedBlock"]


Array = np.ndarray[Any, Any]

INFLATER_BYTES = 48 * 1024
"""What a live inflater holds (its 32 KiB window, tables and input buffer), roughly: a partly
inflated block counts it, since with small blocks it can outweigh the pixels."""


_FEED_MIN = 8192
"""The smallest slice of compressed bytes fed to the inflater at a time."""


class DecodedBlock:
    """One block, decoded to native pixel values as far as reads have needed.

    Args:
        shape: ``(rows, cols, samples)`` of the block.
        stored: the pixel type as stored in the file (its byte order included).
        predictor: 1 (none) or 2 (horizontal differencing, undone row by row).
        compressed: the block's DEFLATE stream; ``None`` for an uncompressed block (then
            ``raw`` gives its bytes) or a block the file does not store (then ``fill``).
        raw: the uncompressed bytes of the block (for uncompressed files).
        fill: the value of every pixel of a block the file does not store.
        name: the file, for error messages.
        fetch: instead of ``compressed``, a function returning the stream from a byte offset
            on (``fetch(0)``: all of it, ``fetch_size`` bytes), called when decoding needs it,
            in the decoding thread. The block's pixel array is then allocated by the thread
            that makes the block, and only transient buffers by the pool threads that decode:
            with freed memory kept for reuse (:mod:`eoforge.heap_reuse`), what a pool thread
            allocates stays with its own heap arena, and cached blocks allocated there made
            predicting a scene hold ~100 MB more.
        fetch_size: the length of the whole stream ``fetch`` returns.
        valid_rows: the rows of the block inside the image (a file's last strip stores only
            those, a tile below the image's last row stores padding): decoding ends there.
        points: where resume points of this block are saved and found (with ``key``).
        key: the block's key in ``points``.
    """

    def __init__(
        self,
        shape: tuple[int, int, int],
        stored: np.dtype[Any],
        predictor: int,
        compressed: bytes | None = None,
        *,
        raw: bytes | None = None,
        fill: float = 0.0,
        name: str = "",
        fetch: Callable[[int], bytes] | None = None,
        fetch_size: int = 0,
        valid_rows: int | None = None,
        points: ResumePoints | None = None,
        key: Hashable = None,
    ) -> None:
        self.stored = stored
        self.predictor = predictor
        self.name = name
        self.data: Array = np.empty(shape, dtype=stored.newbyteorder("="))
        self._have = np.zeros(shape[0], dtype=bool)
        self._end = shape[0] if valid_rows is None else max(1, min(valid_rows, shape[0]))
        self._row_bytes = shape[1] * shape[2] * stored.itemsize
        self._lock = threading.Lock()
        self._compressed = compressed is not None or fetch is not None
        self._inflater: Inflater | None = None
        self._live = 0  # the row the live inflater's next output starts
        self._stream = memoryview(compressed or b"")
        self._stream_at = 0  # the offset of _stream[0] in the block's stream
        self._consumed = 0  # the stream bytes the live inflater has consumed
        self._fetch = fetch
        self._size = len(compressed) if compressed is not None else fetch_size
        self._points = points if self._compressed else None
        self._key = key
        spacing = points.spacing if points is not None else 0
        self._spacing = max(1, -(-spacing // self._row_bytes))  # rows between two points
        if self._compressed and points is None:  # made here, as the pixel array (see fetch)
            self._inflater = FAST_INFLATE.decompressobj()
        if compressed is None and fetch is None:
            if raw is not None:  # the last strip of a file may hold fewer rows
                self._put(raw, 0, min(shape[0], len(raw) // self._row_bytes))
            else:
                self.data.fill(fill)
                self._have[:] = True

    @property
    def rows(self) -> int:
        """How many of the block's rows are decoded."""
        return int(np.count_nonzero(self._have))

    @property
    def nbytes(self) -> int:
        """Memory held: the decoded array, compressed bytes not yet inflated, the inflater."""
        if not self._compressed or self._have[: self._end].all():
            return int(self.data.nbytes)
        pending = self._size if self._fetch is not None and not self._stream else len(self._stream)
        return int(self.data.nbytes) + pending + INFLATER_BYTES

    def decode(self, rows: int, first: int = 0) -> int:
        """Make sure rows ``first`` to ``rows`` (exclusive) are decoded, inflating what is missing.

        Rows beyond ``valid_rows`` are not decoded (asking for them decodes up to there).

        Returns:
            The bytes this call freed (compressed data inflated and dropped; negative when it
            had to read compressed bytes again).

        Raises:
            RasterReadError: the stream ends early or is not valid DEFLATE data.
        """
        last = min(rows, self._end)
        first = min(first, last)
        if self._have[first:last].all():
            return 0
        with self._lock:
            missing = np.flatnonzero(~self._have[first:last])
            if not missing.size or not self._compressed:
                return 0
            held = self.nbytes
            self._start_before(first + int(missing[0]))
            self._inflate_to(first + int(missing[-1]) + 1)
            if self._have[: self._end].all():  # done: drop the stream and the inflater
                self._inflater, self._stream, self._fetch = None, memoryview(b""), None
            return held - self.nbytes

    def _start_before(self, row: int) -> None:
        """Set the live inflater at ``row`` or above it: as it is, at a saved point, or at row 0."""
        point = self._points.before(self._key, row) if self._points is not None else None
        live = self._inflater is not None and self._live <= row
        if not live or (point is not None and point.row > self._live):
            if point is not None and point.row > 0:
                self._inflater, self._live, self._consumed = point.resume(), point.row, point.offset
            else:
                inflate = INFLATE if self._points is not None else FAST_INFLATE
                self._inflater, self._live, self._consumed = inflate.decompressobj(), 0, 0
        if self._fetch is not None and (not self._stream or self._consumed < self._stream_at):
            # the stream from here on (read again when dropped, or read from later on)
            self._stream, self._stream_at = memoryview(self._fetch(self._consumed)), self._consumed

    def _inflate_to(self, last: int) -> None:
        """Inflate from the live row to ``last``, saving resume points on the way."""
        inflater = self._inflater
        assert inflater is not None
        fed_in, fed_out = self._size, max(1, self.data.shape[0] * self._row_bytes)
        while self._live < last:
            stop = last
            if self._points is not None:
                stop = min(last, (self._live // self._spacing + 1) * self._spacing)
            want = (stop - self._live) * self._row_bytes
            parts: list[bytes] = []
            got = 0
            while got < want:
                # about what the rest needs, from the ratio so far: one call, mostly, and what
                # the inflater holds back unconsumed stays small (a saved point keeps it alive)
                start = self._consumed - self._stream_at
                feed = self._stream[start : start + _FEED_MIN + (want - got) * fed_in // fed_out]
                try:
                    chunk = inflater.decompress(feed, want - got)
                except Exception as err:  # zlib.error: a corrupt block
                    raise self._corrupt(f"not valid DEFLATE data: {err}") from err
                used = len(feed) - len(inflater.unconsumed_tail)
                if not chunk and not used:
                    raise self._corrupt(f"the block holds fewer than the {want} bytes due")
                self._consumed += used
                if got == 0 and used > _FEED_MIN:  # the ratio of this part of the block
                    fed_in, fed_out = used, max(1, len(chunk))
                parts.append(chunk)
                got += len(chunk)
            self._put(
                parts[0] if len(parts) == 1 else b"".join(parts), self._live, stop - self._live
            )
            self._live = stop
            if self._points is not None and stop % self._spacing == 0 and stop < self._end:
                held_back = len(inflater.unconsumed_tail)
                if held_back <= 8 * _FEED_MIN and not self._points.has(self._key, stop):
                    self._points.add(self._key, ResumePoint(stop, self._consumed, inflater.copy()))

    def _put(self, buffer: bytes, row: int, count: int) -> None:
        """Write ``count`` rows from ``row`` on, decoded from ``buffer``, undoing the predictor."""
        _, cols, samples = self.data.shape
        values = np.frombuffer(buffer, dtype=self.stored, count=count * cols * samples)
        dest = self.data[row : row + count]
        dest[...] = values.reshape(count, cols, samples)
        if self.predictor == 2:  # each sample = its left neighbour + the stored difference
            as_int = dest.view(f"u{self.stored.itemsize}")
            np.cumsum(as_int, axis=1, dtype=as_int.dtype, out=as_int)
        self._have[row : row + count] = True

    def _corrupt(self, why: str) -> RasterReadError:
        return RasterReadError(
            f"cannot decode a block of '{self.name}' ({why}); the file is probably truncated "
            "or corrupt - re-download or re-export it"
        )
