"""One GeoTIFF block (tile or strip), decoded row by row as far as reads need.

A :class:`DecodedBlock` inflates its DEFLATE stream only up to the last row a read wants: a
window that needs the first 100 rows of a 512-row tile inflates 100 rows, and a later window that
needs more continues the same stream where it stopped. With :mod:`eoforge.io.resume_points`, a
block made again after the cache dropped it starts at the saved point nearest above the rows
wanted instead of at its first row, and reads only about the compressed bytes those rows need
(from the block's compression ratio, more when that falls short). Such blocks inflate with zlib-ng
(its state can be copied), except from the first row on past points all saved already; blocks
read without points (whole-scene prediction, which reads each block once) with ISA-L, which is
faster.

Threads may decode one block at once: each claims the rows no other is decoding, inflates them
from a saved point or from where an earlier call stopped, and waits for the rest (a thread that
waits holds no claim, so none waits for ever). :meth:`DecodedBlock.split` cuts a read's rows at
the saved points, so that the rows of a patch inside one block inflate on several cores.

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

import itertools
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

try:  # ISA-L's inflate: 12-30 % faster than zlib-ng (by CPU), but its state cannot be copied
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
        fetch: instead of ``compressed``, a function returning ``size`` bytes of the stream
            from a byte offset on (``fetch(start, size)``; never beyond ``fetch_size``), called
            in the decoding thread when decoding needs them: about what the rows wanted need
            (from the block's compression ratio), more when that falls short. The block's pixel
            array is then allocated by the thread that makes the block, and only transient
            buffers by the pool threads that decode: with freed memory kept for reuse
            (:mod:`eoforge.heap_reuse`), what a pool thread allocates stays with its own heap
            arena, and cached blocks allocated there made predicting a scene hold ~100 MB more.
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
        fetch: Callable[[int, int], bytes] | None = None,
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
        self._busy = np.zeros(shape[0], dtype=bool)  # rows a thread is decoding now
        self._end = shape[0] if valid_rows is None else max(1, min(valid_rows, shape[0]))
        self._row_bytes = shape[1] * shape[2] * stored.itemsize
        self._cond = threading.Condition()
        self._compressed = compressed is not None or fetch is not None
        self._whole = memoryview(compressed) if compressed is not None else None
        self._fetch = fetch
        self._size = len(compressed) if compressed is not None else fetch_size
        self._pending = self._size  # compressed bytes the block holds (or will read)
        self._points = points if self._compressed else None
        self._key = key
        spacing = points.spacing if points is not None else 0
        self._spacing = max(1, -(-spacing // self._row_bytes))  # rows between two points
        self._live: _Cursor | None = None  # where the last inflating stopped, to go on from
        if self._compressed and points is None:  # made here, as the pixel array (see fetch)
            self._live = self._new_cursor()
        if compressed is None and fetch is None:
            if raw is not None:  # the last strip of a file may hold fewer rows
                count = min(shape[0], len(raw) // self._row_bytes)
                self._put(raw, 0, count, np.ones(count, dtype=bool))
                self._have[:count] = True
            else:
                self.data.fill(fill)
                self._have[:] = True
        self._counted = self.nbytes  # what the cache was told the block holds

    @property
    def rows(self) -> int:
        """How many of the block's rows are decoded."""
        return int(np.count_nonzero(self._have))

    @property
    def nbytes(self) -> int:
        """Memory held: the decoded array, compressed bytes not yet inflated, the inflater."""
        if not self._compressed or self._have[: self._end].all():
            return int(self.data.nbytes)
        return int(self.data.nbytes) + self._pending + INFLATER_BYTES

    def split(self, first: int, last: int) -> list[tuple[int, int]]:
        """Rows ``first`` to ``last`` as ranges that :meth:`decode` may run on side by side.

        Cut at each saved point with the rows below it still to decode: inflating from there
        does not wait for the rows above.

        Example:
            >>> import zlib
            >>> block = DecodedBlock((4, 3, 1), np.dtype("u1"), 1, zlib.compress(bytes(12)))
            >>> block.split(0, 4)  # no saved points
            [(0, 4)]
        """
        last = min(last, self._end)
        if self._points is None or last - first <= self._spacing:
            return [(first, last)]
        step = self._spacing
        cuts = [
            row
            for row in range((first // step + 1) * step, last, step)
            if not self._have[row] and self._points.has(self._key, row)
        ]
        return list(itertools.pairwise([first, *cuts, last]))

    def decode(self, rows: int, first: int = 0) -> int:
        """Make sure rows ``first`` to ``rows`` (exclusive) are decoded, inflating what is missing.

        Rows beyond ``valid_rows`` are not decoded (asking for them decodes up to there).
        Threads may decode rows of one block at once: each inflates rows no other is decoding
        (from a saved point, or going on where an earlier call stopped), and waits for the rest.

        Returns:
            The bytes the block freed since the last call returned (compressed data inflated
            and dropped; negative when it read compressed bytes again).

        Raises:
            RasterReadError: the stream ends early or is not valid DEFLATE data.
        """
        last = min(rows, self._end)
        first = min(first, last)
        if self._have[first:last].all() or not self._compressed:
            return 0
        while True:
            with self._cond:
                if self._have[first:last].all():
                    freed, self._counted = self._counted - self.nbytes, self.nbytes
                    return freed
                job = self._claim(first, last)
                if job is None:  # the rows missing are being decoded by other threads
                    self._cond.wait()
                    continue
            self._run(*job)

    def _claim(self, first: int, last: int) -> tuple[_Cursor, Array] | None:
        """A cursor, and which rows from its row on no thread is decoding (now marked busy).

        ``None``: wait for other threads (every row missing is busy, or one inflates through
        the rows above the first one free).
        """
        free = ~(self._have[first:last] | self._busy[first:last])
        if not free.any():
            return None
        low = first + int(np.argmax(free))  # the first run of free rows: one stretch at a time
        high = last if free[low - first :].all() else low + int(np.argmin(free[low - first :]))
        point = self._points.before(self._key, low) if self._points is not None else None
        start = point.row if point is not None else 0
        live = self._live
        if live is not None and start <= live.row <= low:
            self._live = None  # this thread's now
            cursor = live
        elif self._busy[start:low].any():  # another thread inflates towards these rows
            return None
        elif point is not None and point.row > 0:
            cursor = _Cursor(point.resume(), point.row, point.offset)
        else:
            cursor = self._new_cursor(high)
        mine = ~(self._have[cursor.row : high] | self._busy[cursor.row : high])
        self._busy[cursor.row : high] |= mine
        return cursor, mine

    def _run(self, cursor: _Cursor, mine: Array) -> None:
        """Inflate the rows ``mine`` marks from the cursor's row on; then hand them over."""
        top = cursor.row
        try:
            self._inflate(cursor, top + len(mine), mine)
        except BaseException:
            with self._cond:
                self._busy[top : top + len(mine)] &= ~mine
                self._cond.notify_all()
            raise
        with self._cond:
            self._have[top : top + len(mine)] |= mine
            self._busy[top : top + len(mine)] &= ~mine
            if self._have[: self._end].all():  # done: drop the stream and the inflater
                self._live, self._whole, self._fetch, self._pending = None, None, None, 0
            elif self._live is None or self._live.row < cursor.row:  # go on from the lowest
                self._live, self._pending = cursor, len(cursor.stream)
            self._cond.notify_all()

    def _new_cursor(self, last: int = 0) -> _Cursor:
        """A cursor at row 0: with ISA-L where inflating to ``last`` passes no point to save."""
        points, step = self._points, self._spacing
        saves = points is not None and not all(
            points.has(self._key, row) for row in range(step, min(last, self._end), step)
        )  # fmt: skip
        inflate = INFLATE if saves else FAST_INFLATE
        return _Cursor(inflate.decompressobj(), 0, 0, self._whole)

    def _inflate(self, cursor: _Cursor, last: int, mine: Array) -> None:
        """Inflate from the cursor's row to ``last``, saving resume points on the way.

        Only the rows ``mine`` marks (from the cursor's row on) are written.
        """
        inflater = cursor.inflater
        top = cursor.row
        # ISA-L's state cannot be copied: a cursor of it (from row 0 past points saved already,
        # or going on from there) saves none
        saves = self._points is not None and hasattr(inflater, "copy")
        fed_in, fed_out = self._size, max(1, self.data.shape[0] * self._row_bytes)
        while cursor.row < last:
            # what the rest of this call is likely to need, with a margin: fetched at once
            ahead = (last - cursor.row) * self._row_bytes * fed_in // fed_out
            ahead += ahead // 4 + 4 * _FEED_MIN
            stop = last
            if self._points is not None:
                stop = min(last, (cursor.row // self._spacing + 1) * self._spacing)
            want = (stop - cursor.row) * self._row_bytes
            parts: list[bytes] = []
            got = 0
            while got < want:
                # about what the rest needs, from the ratio so far: one call, mostly, and what
                # the inflater holds back unconsumed stays small (a saved point keeps it alive)
                feed = self._input(cursor, _FEED_MIN + (want - got) * fed_in // fed_out, ahead)
                try:
                    chunk = inflater.decompress(feed, want - got)
                except Exception as err:  # zlib.error: a corrupt block
                    raise self._corrupt(f"not valid DEFLATE data: {err}") from err
                used = len(feed) - len(inflater.unconsumed_tail)
                if not chunk and not used:
                    raise self._corrupt(f"the block holds fewer than the {want} bytes due")
                cursor.consumed += used
                if got == 0 and used > _FEED_MIN:  # the ratio of this part of the block
                    fed_in, fed_out = used, max(1, len(chunk))
                parts.append(chunk)
                got += len(chunk)
            buffer = parts[0] if len(parts) == 1 else b"".join(parts)
            self._put(buffer, cursor.row, stop - cursor.row, mine[cursor.row - top : stop - top])
            cursor.row = stop
            if saves and stop % self._spacing == 0 and stop < self._end:
                assert self._points is not None
                held_back = len(inflater.unconsumed_tail)
                if held_back <= 8 * _FEED_MIN and not self._points.has(self._key, stop):
                    self._points.add(self._key, ResumePoint(stop, cursor.consumed, inflater.copy()))

    def _input(self, cursor: _Cursor, size: int, ahead: int) -> memoryview:
        """The next ``size`` bytes of stream from the cursor's consumed offset (fewer at its end).

        When fewer are held, ``ahead`` bytes (at least ``size``, at most the rest of the stream)
        are fetched from the consumed offset on.
        """
        start = cursor.consumed - cursor.stream_at
        feed = cursor.stream[start : start + size]
        held_to = cursor.stream_at + len(cursor.stream)
        fetch = self._fetch
        if len(feed) < size and fetch is not None and max(held_to, cursor.consumed) < self._size:
            count = min(max(size, ahead), self._size - cursor.consumed)
            cursor.stream = memoryview(fetch(cursor.consumed, count))
            cursor.stream_at = cursor.consumed
            feed = cursor.stream[:size]
        return feed

    def _put(self, buffer: bytes, row: int, count: int, mine: Array) -> None:
        """Write ``count`` rows from ``row`` on from ``buffer`` (those ``mine`` marks).

        The predictor is undone. The other rows are left as they are: another thread may be
        copying or decoding them, and undoing the predictor in place passes through other values.
        """
        _, cols, samples = self.data.shape
        values = np.frombuffer(buffer, dtype=self.stored, count=count * cols * samples)
        values = values.reshape(count, cols, samples)
        for a, b in [(0, count)] if mine.all() else _runs(mine):
            dest = self.data[row + a : row + b]
            dest[...] = values[a:b]
            if self.predictor == 2:  # each sample = its left neighbour + the stored difference
                as_int = dest.view(f"u{self.stored.itemsize}")
                np.cumsum(as_int, axis=1, dtype=as_int.dtype, out=as_int)

    def _corrupt(self, why: str) -> RasterReadError:
        return RasterReadError(
            f"cannot decode a block of '{self.name}' ({why}); the file is probably truncated "
            "or corrupt - re-download or re-export it"
        )


class _Cursor:
    """An inflater part-way through a block's stream, and the compressed bytes it is fed from.

    Attributes:
        inflater: the decompressor.
        row: the block row its next output starts.
        consumed: the bytes of the stream it has consumed.
        stream: compressed bytes held, ``stream[0]`` at offset ``stream_at`` of the stream.
    """

    __slots__ = ("consumed", "inflater", "row", "stream", "stream_at")

    def __init__(
        self, inflater: Inflater, row: int, consumed: int, whole: memoryview | None = None
    ) -> None:
        self.inflater = inflater
        self.row = row
        self.consumed = consumed
        self.stream = whole if whole is not None else memoryview(b"")
        self.stream_at = 0 if whole is not None else consumed


def _runs(mask: Array) -> list[tuple[int, int]]:
    """The ``(start, stop)`` of each run of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.view(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
