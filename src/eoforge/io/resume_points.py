"""Points to resume inflating a DEFLATE block part-way, kept after the block leaves the cache.

A random patch usually starts in the middle of a block, and a DEFLATE stream can only be inflated
from its start: reading rows 300-511 of a 512-row block inflates rows 0-299 for nothing. While a
block is inflated, its inflater's state is saved every :data:`POINT_SPACING` bytes of output (a
copy of the decompressor, ~42 KB: its 32 KiB window and tables) together with the row it stands
at and the bytes of stream it has consumed. When the block is needed again after the block cache
dropped it, inflating resumes at the last saved row above the rows wanted, from a copy of that
state, and the compressed bytes before it are not even read.

The points of recently used blocks are kept in a per-process LRU (:func:`resume_points`) under a
byte budget of half the block cache's (see :func:`eoforge.io.block_cache.cache_budget_bytes`):
with 3 MiB blocks, points every 768 KiB cost ~4 % of what the blocks decode to, so the points of
a collection ~12x the cache's size fit.

Blocks that save points inflate with zlib-ng (the ``zlib-ng`` package: like ``zlib``, its
decompressor can be copied, and it is 1.4-1.6x faster than zlib, though 12-30 % slower than
ISA-L, whose state cannot be copied: per 3 MiB block 8.1 against 7.2 ms on an AMD EPYC, 13.2
against 9.5 ms on an Intel Xeon), else with the standard library's ``zlib``.

Example:
    >>> import zlib
    >>> points = ResumePoints(budget=10**6)
    >>> inflater = INFLATE.decompressobj()
    >>> _ = inflater.decompress(zlib.compress(bytes(1000)), 100)
    >>> points.add("block", ResumePoint(row=10, offset=5, inflater=inflater))
    >>> points.before("block", 12).row, points.before("block", 9) is None
    (10, True)
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, NamedTuple, Protocol

from eoforge.io.per_process import PerProcess

try:  # zlib-ng's inflate: zlib's API, near ISA-L's speed, copyable state
    from zlib_ng import zlib_ng as _inflate_module
except ImportError:  # pragma: no cover - zlib-ng is a dependency; zlib is the fallback
    import zlib as _inflate_module  # type: ignore[no-redef]

__all__ = [
    "INFLATE",
    "POINT_BYTES",
    "POINT_SPACING",
    "Inflater",
    "ResumePoint",
    "ResumePoints",
    "resume_points",
]

INFLATE: Any = _inflate_module
"""The module inflating DEFLATE blocks (``decompressobj()``)."""

POINT_BYTES = 44 * 1024
"""What one saved inflater state holds (measured: 42 KB with zlib-ng)."""

POINT_SPACING = 768 * 1024
"""Bytes of a block's output between two saved points (a 512x512 block of 6 uint16 bands: every
128 rows). Closer points would save more inflating per read but cost more memory per block."""


class Inflater(Protocol):
    """A zlib-style decompressor (``zlib.decompressobj()``)."""

    unconsumed_tail: bytes

    def decompress(self, data: Any, max_length: int = ...) -> bytes:
        """Inflate ``data``, at most ``max_length`` bytes of output (the rest held back)."""

    def copy(self) -> Inflater:
        """An independent copy of the decompressor's state."""


class ResumePoint(NamedTuple):
    """An inflater's state at a row boundary of a block.

    Attributes:
        row: the block row the inflater's next output starts.
        offset: the bytes of the block's compressed stream it has consumed.
        inflater: the saved state; never used itself, only copied.
    """

    row: int
    offset: int
    inflater: Inflater

    def resume(self) -> Inflater:
        """A fresh inflater at this point (the saved state stays as it is)."""
        return self.inflater.copy()


class ResumePoints:
    """A thread-safe LRU of the resume points of blocks, under a byte budget.

    Args:
        budget: bytes the saved states may hold (each counts :data:`POINT_BYTES`).
        spacing: bytes of a block's output between two points (rounded up to whole rows).
    """

    def __init__(self, budget: int, spacing: int = POINT_SPACING) -> None:
        self.budget = budget
        self.spacing = spacing
        self._points: OrderedDict[Hashable, list[ResumePoint]] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        """Bytes the saved states hold now."""
        return self._count * POINT_BYTES

    def before(self, key: Hashable, row: int) -> ResumePoint | None:
        """The saved point of block ``key`` furthest down but not below ``row``, if any."""
        with self._lock:
            points = self._points.get(key)
            if not points:
                return None
            self._points.move_to_end(key)
            index = bisect.bisect_right([p.row for p in points], row)
            return points[index - 1] if index else None

    def has(self, key: Hashable, row: int) -> bool:
        """Whether block ``key`` has a point saved at ``row``."""
        with self._lock:
            return any(p.row == row for p in self._points.get(key, ()))

    def add(self, key: Hashable, point: ResumePoint) -> None:
        """Save ``point`` for block ``key`` (ignored when one is saved at its row already)."""
        if self.budget < POINT_BYTES:
            return
        with self._lock:
            points = self._points.setdefault(key, [])
            self._points.move_to_end(key)
            rows = [p.row for p in points]
            index = bisect.bisect_left(rows, point.row)
            if index < len(points) and rows[index] == point.row:
                return
            points.insert(index, point)
            self._count += 1
            while self.held > self.budget and self._points:
                oldest = next(iter(self._points))
                dropped = self._points[oldest]
                if oldest == key and len(self._points) == 1:
                    dropped.pop(0)  # one block beyond the budget: drop its uppermost points
                    self._count -= 1
                    continue
                del self._points[oldest]
                self._count -= len(dropped)

    def clear(self) -> None:
        """Forget every point."""
        with self._lock:
            self._points.clear()
            self._count = 0


def _make_store() -> ResumePoints:
    from eoforge.io.block_cache import cache_budget_bytes  # block_cache imports this module

    return ResumePoints(cache_budget_bytes() // 2)


_store = PerProcess(_make_store)


def resume_points() -> ResumePoints:
    """This process's resume points (budget: half the block cache's; none yet in a forked child).

    Example:
        >>> resume_points() is resume_points()
        True
    """
    return _store.get()
