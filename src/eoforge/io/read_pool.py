"""The per-process thread pool that reads run on: blocks of one read, or several reads at once.

Inflating DEFLATE, resampling in numpy and GDAL's own reads all run without the GIL, so threads
use every core. One pool serves two levels:

- the blocks of one windowed read are decoded in parallel (:mod:`eoforge.io.tiff_blocks`);
- whole reads run in parallel (``GeoDataset.__getitems__``: the patches of a batch); inside
  them, each read decodes its blocks on its own thread, so no pool thread waits for another.

The pool has as many threads as ``GDAL_NUM_THREADS`` allows (see
:func:`eoforge.io.gdal_env.gdal_threads`: all cores in a main process, one in a forked DataLoader
worker, where workers already run in parallel); with one thread, work runs on the calling thread.
A forked child makes its own pool.

Example:
    >>> parallel_map(lambda x: x * x, [1, 2, 3])
    [1, 4, 9]
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from eoforge.io.gdal_env import gdal_threads

__all__ = ["StartedCalls", "parallel_map", "pool_threads", "stream_map"]

T = TypeVar("T")
R = TypeVar("R")

_pool: ThreadPoolExecutor | None = None
_pool_pid = -1
_pool_lock = threading.Lock()
_local = threading.local()
_CPUS = os.cpu_count() or 1  # asked once: reads ask for the pool's size every time


def pool_threads() -> int:
    """Threads reads may use in this process (``GDAL_NUM_THREADS``; ``ALL_CPUS``: every core).

    Example:
        >>> pool_threads() >= 1
        True
    """
    value = gdal_threads().strip().upper()
    if value == "ALL_CPUS":
        return _CPUS
    try:
        return max(int(value), 1)
    except ValueError:
        return 1


def _mark_pool_thread() -> None:
    _local.in_pool = True


def _executor() -> ThreadPoolExecutor | None:
    """The pool, or ``None`` when work should run on the calling thread."""
    global _pool, _pool_pid
    if getattr(_local, "in_pool", False):
        return None  # already on a pool thread: never wait for a sibling
    threads = pool_threads()
    if threads < 2:
        return None
    pid = os.getpid()
    if _pool is None or _pool_pid != pid:
        with _pool_lock:
            if _pool is None or _pool_pid != pid:  # a forked child makes its own
                _pool = ThreadPoolExecutor(
                    threads, thread_name_prefix="eoforge-read", initializer=_mark_pool_thread
                )
                _pool_pid = pid
    return _pool


class StartedCalls(Generic[R]):
    """``fn(item)`` for each item, started on the pool: wait for some of them, or for all.

    With one item, or no pool (one thread, or called from a pool thread), every call runs at
    once on the calling thread, and an error is raised then. Otherwise waiting raises the first
    error among the calls waited for, and the calls not yet started are then dropped.

    Example:
        >>> calls = StartedCalls(lambda x: x * x, [1, 2, 3])
        >>> calls.wait([2])  # only the third call
        >>> calls.results()
        [1, 4, 9]
    """

    def __init__(self, fn: Callable[[T], R], items: Sequence[T]) -> None:
        pool = _executor() if len(items) > 1 else None
        self._done: list[R] | None = None
        self._futures: list[Future[R]] = []
        if pool is None:
            self._done = [fn(item) for item in items]
        else:
            self._futures = [pool.submit(fn, item) for item in items]

    def wait(self, indices: Iterable[int]) -> None:
        """Return once the calls of these items (their positions) have ended."""
        if self._done is None:
            self._collect(self._futures[k] for k in indices)

    def results(self) -> list[R]:
        """Every call's result, in the order of the items (waits for all)."""
        if self._done is None:
            self._done = self._collect(self._futures)
        return self._done

    def _collect(self, futures: Iterable[Future[R]]) -> list[R]:
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in self._futures:
                future.cancel()  # after an error: drop what has not started
            raise


def parallel_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(item) for item in items]``, on the pool when there is more than one item.

    Results come in the order of ``items``; the first error is raised. Called from a pool
    thread, it runs on that thread (nested reads never wait for a sibling thread).

    Example:
        >>> parallel_map(len, ["ab", "c"])
        [2, 1]
    """
    return StartedCalls(fn, items).results()


def stream_map(fn: Callable[[T], R], items: Iterable[T], ahead: int | None = None) -> Iterator[R]:
    """``fn(item)`` for each item, in order, with up to ``ahead`` calls running in advance.

    Reads of the next items proceed on the pool while the caller works on the current result
    (read-ahead). ``ahead`` defaults to twice the pool's threads; with one thread, each item is
    read when it is asked for. Leaving the loop early cancels what has not started.

    Example:
        >>> list(stream_map(lambda x: x + 1, range(5)))
        [1, 2, 3, 4, 5]
    """
    pool = _executor()
    if pool is None:
        yield from (fn(item) for item in items)
        return
    depth = max(ahead if ahead is not None else 2 * pool_threads(), 1)
    queue: deque[Future[R]] = deque()
    source = iter(items)
    try:
        for item in source:
            queue.append(pool.submit(fn, item))
            if len(queue) > depth:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()
    finally:
        for future in queue:
            future.cancel()
