"""Decoded GeoTIFF blocks, inflated only as far as a read needs, kept in a per-process LRU cache.

A :class:`DecodedBlock` is one block (tile or strip) of a file, decoded row by row on demand: a
window that needs the first 100 rows of a 512-row tile inflates 100 rows, and a later window that
needs more continues the same DEFLATE stream where it stopped. The cache holds recently used blocks
up to a byte budget, so neighbouring and overlapping patches decode each block once.

The budget is GDAL's block cache setting, ``GDAL_CACHEMAX`` (MB, bytes above 100000, or a
percentage of RAM; 256 MB as eoforge configures GDAL), so the memory reads may use is set in one
place. DEFLATE is inflated with ISA-L (the ``isal`` package, about 1.6x faster than zlib here)
when it is installed, else with ``zlib``.

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

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast

import numpy as np

from eoforge.errors import RasterReadError

try:  # ISA-L's inflate; zlib-compatible
    from isal import isal_zlib as _inflate_module
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    import zlib as _inflate_module  # type: ignore[no-redef]

__all__ = ["BlockCache", "DecodedBlock", "block_cache", "cache_budget_bytes"]

Array = np.ndarray[Any, Any]
BlockKey = tuple[Any, ...]

_INFLATER_BYTES = 48 * 1024
"""What a live inflater holds (its 32 KiB window, tables and input buffer), roughly: a partly
inflated block counts it, since with small blocks it can outweigh the pixels."""


class _Inflater(Protocol):
    unconsumed_tail: bytes

    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...


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
        fetch: instead of ``compressed``, a function returning it (``fetch_size`` bytes), called
            on the first :meth:`decode`, in the decoding thread. The block's pixel array is then
            allocated by the thread that makes the block, and only transient buffers by the
            pool threads that decode: with freed memory kept for reuse
            (:mod:`eoforge.heap_reuse`), what a pool thread allocates stays with its own heap
            arena, and cached blocks allocated there made predicting a scene hold ~100 MB more.
        fetch_size: the length of what ``fetch`` returns.
        valid_rows: the rows of the block inside the image (a file's last strip stores only
            those, a tile below the image's last row stores padding): decoding ends there.
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
        fetch: Callable[[], bytes] | None = None,
        fetch_size: int = 0,
        valid_rows: int | None = None,
    ) -> None:
        self.stored = stored
        self.predictor = predictor
        self.name = name
        self.data: Array = np.empty(shape, dtype=stored.newbyteorder("="))
        self.rows = 0
        self._end = shape[0] if valid_rows is None else max(1, min(valid_rows, shape[0]))
        self._lock = threading.Lock()
        self._inflater: _Inflater | None = None
        self._tail = b""
        self._fetch = fetch
        self._fetch_size = fetch_size if fetch is not None else 0
        if compressed is not None or fetch is not None:
            self._inflater = cast(_Inflater, _inflate_module.decompressobj())
            self._tail = compressed or b""
        elif raw is not None:  # the last strip of a file may hold fewer rows
            row_bytes = shape[1] * shape[2] * stored.itemsize
            self._put(raw, min(shape[0], len(raw) // row_bytes))
        else:
            self.data.fill(fill)
            self.rows = shape[0]

    @property
    def nbytes(self) -> int:
        """Memory held: the decoded array, the compressed bytes not yet inflated, the inflater."""
        inflater = _INFLATER_BYTES if self._inflater is not None else 0
        return int(self.data.nbytes) + len(self._tail) + self._fetch_size + inflater

    def decode(self, rows: int) -> int:
        """Make sure the first ``rows`` rows are decoded (inflating only what is missing).

        Rows beyond ``valid_rows`` are not decoded (asking for them decodes up to there).

        Returns:
            The bytes of compressed data this call dropped (inflated, no longer held; for a
            block with ``fetch``, counted from ``fetch_size``).

        Raises:
            RasterReadError: the stream ends early or is not valid DEFLATE data.
        """
        rows = min(rows, self._end)
        if rows <= self.rows:
            return 0
        with self._lock:
            if rows <= self.rows or self._inflater is None:
                return 0
            held = self.nbytes
            if self._fetch is not None:
                self._tail = self._fetch()
                self._fetch, self._fetch_size = None, 0
            row_bytes = self.data.shape[1] * self.data.shape[2] * self.stored.itemsize
            want = (rows - self.rows) * row_bytes
            try:
                chunk = self._inflater.decompress(self._tail, want)
            except Exception as err:  # zlib.error / isal error: a corrupt block
                raise self._corrupt(f"not valid DEFLATE data: {err}") from err
            self._tail = self._inflater.unconsumed_tail
            if len(chunk) < want:
                raise self._corrupt(f"the block holds {len(chunk)} bytes where {want} were due")
            self._put(chunk, rows - self.rows)
            if self.rows >= self._end:
                self._inflater, self._tail = None, b""
            return held - self.nbytes

    def _put(self, buffer: bytes, count: int) -> None:
        """Append ``count`` rows decoded from ``buffer`` (stored type), undoing the predictor."""
        _, cols, samples = self.data.shape
        values = np.frombuffer(buffer, dtype=self.stored, count=count * cols * samples)
        dest = self.data[self.rows : self.rows + count]
        dest[...] = values.reshape(count, cols, samples)
        if self.predictor == 2:  # each sample = its left neighbour + the stored difference
            as_int = dest.view(f"u{self.stored.itemsize}")
            np.cumsum(as_int, axis=1, dtype=as_int.dtype, out=as_int)
        self.rows += count

    def _corrupt(self, why: str) -> RasterReadError:
        return RasterReadError(
            f"cannot decode a block of '{self.name}' ({why}); the file is probably truncated "
            "or corrupt - re-download or re-export it"
        )


def cache_budget_bytes() -> int:
    """The cache's byte budget, from ``GDAL_CACHEMAX`` as GDAL reads it (256 MB when unset).

    Example:
        >>> cache_budget_bytes() > 0
        True
    """
    value = os.environ.get("GDAL_CACHEMAX", "256").strip()
    try:
        if value.endswith("%"):
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            return int(total * float(value[:-1]) / 100)
        number = int(float(value))
    except (ValueError, OSError):
        return 256 * 2**20
    return number * 2**20 if number < 100_000 else number


class BlockCache:
    """A thread-safe LRU of :class:`DecodedBlock` under a byte budget.

    Args:
        budget: bytes the cached blocks may hold (a block larger than that is not kept).

    Example:
        >>> cache = BlockCache(budget=1000)
        >>> make = lambda: DecodedBlock((10, 10, 1), np.dtype("u1"), 1, fill=3)
        >>> cache.get(("a", 0), make) is cache.get(("a", 0), make)
        True
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.whole_blocks = False
        """Inflate a touched block to its end, not only to the last row a read needs.

        For scans that read every row of every block (a whole scene, tile row after tile row):
        the rest of a block is needed by the next row of tiles anyway, and a block inflated to
        its end drops its compressed stream at once, so that the cache holds blocks, not
        streams (an 8192-wide scene: two rows of blocks, ~100 MB, fit in 112 MiB)."""
        self._blocks: OrderedDict[BlockKey, tuple[DecodedBlock, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: BlockKey, make: Callable[[], DecodedBlock]) -> DecodedBlock:
        """The cached block under ``key``, or a new one from ``make()`` (then cached)."""
        with self._lock:
            entry = self._blocks.get(key)
            if entry is not None:
                self._blocks.move_to_end(key)
                return entry[0]
        block = make()
        size = block.nbytes  # what it holds now; release() counts what decoding sheds
        with self._lock:
            entry = self._blocks.get(key)
            if entry is not None:  # another thread made it meanwhile: use one copy
                return entry[0]
            self._blocks[key] = (block, size)
            self._held += size
            self._evict()
        return block

    def release(self, key: BlockKey, block: DecodedBlock, nbytes: int) -> None:
        """Count ``nbytes`` less for ``block`` (what :meth:`DecodedBlock.decode` dropped).

        Without it a block would count its compressed stream after inflating it: with DEFLATE
        data that hardly compresses (noisy imagery), nearly twice what it holds, so that the
        cache held half the blocks its budget allows (and scans decoded blocks twice).

        Example:
            >>> import zlib
            >>> cache = BlockCache(budget=10**6)
            >>> rows = np.zeros((8, 8, 1), "u1")
            >>> block = cache.get("b", lambda: DecodedBlock((8, 8, 1), np.dtype("u1"), 1,
            ...                                                zlib.compress(rows.tobytes())))
            >>> before = cache.held
            >>> cache.release("b", block, block.decode(8))
            >>> before > 64, cache.held   # the stream and the inflater are gone
            (True, 64)
        """
        if nbytes <= 0:
            return
        with self._lock:
            entry = self._blocks.get(key)
            if entry is not None and entry[0] is block:
                self._blocks[key] = (block, entry[1] - nbytes)
                self._held -= nbytes

    @property
    def held(self) -> int:
        """Bytes the cached blocks hold now."""
        return self._held

    def _evict(self) -> None:
        """Drop least recently used blocks while over budget (the newest always stays)."""
        while self._held > self.budget and len(self._blocks) > 1:
            _, (_, size) = self._blocks.popitem(last=False)
            self._held -= size
        if self._held > self.budget:  # a single block beyond the whole budget
            self._blocks.clear()
            self._held = 0

    @contextlib.contextmanager
    def limited(self, budget: int, *, whole_blocks: bool = False) -> Iterator[BlockCache]:
        """Within the block, hold at most ``budget`` bytes (never more than the usual budget).

        For jobs that read each block about once (whole-scene prediction): they need little
        cache, and the memory is better left to the model.

        Args:
            budget: bytes the cache may hold meanwhile.
            whole_blocks: inflate every block a read touches to its end (:attr:`whole_blocks`).

        Example:
            >>> cache = BlockCache(budget=1000)
            >>> with cache.limited(10, whole_blocks=True):
            ...     cache.budget, cache.whole_blocks
            (10, True)
            >>> cache.budget, cache.whole_blocks
            (1000, False)
        """
        before, whole_before = self.budget, self.whole_blocks
        with self._lock:
            self.budget = min(before, budget)
            self.whole_blocks = whole_blocks
            self._evict()
        try:
            yield self
        finally:
            self.budget, self.whole_blocks = before, whole_before

    def clear(self) -> None:
        """Forget every block."""
        with self._lock:
            self._blocks.clear()
            self._held = 0


_cache: BlockCache | None = None
_cache_lock = threading.Lock()


def block_cache() -> BlockCache:
    """This process's block cache (created on first use, with :func:`cache_budget_bytes`).

    Example:
        >>> block_cache() is block_cache()
        True
    """
    global _cache
    if _cache is None:
        with _cache_lock:
            if _cache is None:
                _cache = BlockCache(cache_budget_bytes())
    return _cache


def _forget_after_fork() -> None:
    """A forked child starts with an empty cache (its parent's locks may have been held)."""
    global _cache, _cache_lock
    _cache, _cache_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
