"""Decoded GeoTIFF blocks (:class:`~eoforge.io.decoded_block.DecodedBlock`) in a per-process LRU.

A block is decoded row by row on demand, only as far as reads need. The cache holds recently used
blocks up to a byte budget, so neighbouring and overlapping patches decode each block once.

The budget is GDAL's block cache setting, ``GDAL_CACHEMAX`` (MB, bytes above 100000, or a
percentage of RAM; 256 MB as eoforge configures GDAL), so the memory reads may use is set in one
place (and half of it for the points blocks resume inflating at, see
:mod:`eoforge.io.resume_points`).

Example:
    >>> import numpy as np
    >>> cache = BlockCache(budget=10**6)
    >>> block = cache.get(("a.tif", 0, 0, 0), lambda: DecodedBlock((8, 8, 1), np.dtype("u1"), 1))
    >>> cache.held
    64
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from eoforge.io.decoded_block import DecodedBlock
from eoforge.io.per_process import PerProcess

__all__ = ["BlockCache", "DecodedBlock", "block_cache", "cache_budget_bytes"]

BlockKey = tuple[Any, ...]


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
        >>> import numpy as np
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
        """Count ``nbytes`` less for ``block`` (what :meth:`DecodedBlock.decode` freed).

        A negative ``nbytes`` (compressed bytes read again) counts that much more.

        Without it a block would count its compressed stream after inflating it: with DEFLATE
        data that hardly compresses (noisy imagery), nearly twice what it holds, so that the
        cache held half the blocks its budget allows (and scans decoded blocks twice).

        Example:
            >>> import zlib, numpy as np
            >>> cache = BlockCache(budget=10**6)
            >>> rows = np.zeros((8, 8, 1), "u1")
            >>> block = cache.get("b", lambda: DecodedBlock((8, 8, 1), np.dtype("u1"), 1,
            ...                                                zlib.compress(rows.tobytes())))
            >>> before = cache.held
            >>> cache.release("b", block, block.decode(8))
            >>> before > 64, cache.held   # the stream and the inflater are gone
            (True, 64)
        """
        if nbytes == 0:
            return
        with self._lock:
            entry = self._blocks.get(key)
            if entry is not None and entry[0] is block:
                self._blocks[key] = (block, entry[1] - nbytes)
                self._held -= nbytes
                if nbytes < 0:
                    self._evict()

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


_cache = PerProcess(lambda: BlockCache(cache_budget_bytes()))


def block_cache() -> BlockCache:
    """This process's block cache (created on first use, with :func:`cache_budget_bytes`).

    A forked child starts with an empty cache (see :class:`~eoforge.io.per_process.PerProcess`).

    Example:
        >>> block_cache() is block_cache()
        True
    """
    return _cache.get()
