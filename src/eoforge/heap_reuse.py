"""``keep_freed_memory()``: let the C heap reuse freed buffers instead of mapping them anew.

glibc's ``malloc`` hands every allocation above its mmap threshold (at most 32 MiB) to the
kernel as a fresh mapping, and gives freed memory back at once. A CNN's forward pass on CPU
allocates and frees activation buffers of that size many times per batch, so each batch
page-faults hundreds of MiB of new zeroed pages: measured here, about 40 % of a U-Net's CPU
forward time (``benchmarks/predict.py``). Inside ``keep_freed_memory()`` the heap serves every
allocation from memory it already holds and keeps what is freed for the next batch: the same
results, the same peak memory for a steady loop, and no page faults after the first batch.

On leaving, the retained memory is handed back (``malloc_trim``) and glibc is set as its own
dynamic thresholds leave it once a large buffer has been freed (which any PyTorch process soon
does): buffers from 32 MiB up are mapped, smaller ones come from the heap, which is trimmed
beyond 64 MiB free. (glibc's start-up values cannot be set again: any setting turns its dynamic
thresholds off for good, and a fixed 128 KiB threshold would make GDAL's block I/O several
times slower.) Nested uses count; other C libraries (musl, macOS) are left alone (no-op).

Example:
    >>> import numpy as np
    >>> with keep_freed_memory():
    ...     total = sum(float(np.ones(2**22).sum()) for _ in range(3))
    >>> total
    12582912.0
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["keep_freed_memory", "keep_freed_memory_for_good"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4  # mallopt parameters (malloc.h)
_DEFAULT_MMAP_MAX = 65536  # glibc's default
_SETTLED_MMAP_THRESHOLD = 32 * 2**20  # where glibc's dynamic threshold ends (64-bit)
_SETTLED_TRIM_THRESHOLD = 2 * _SETTLED_MMAP_THRESHOLD  # as glibc sets it beside that
_KEEP_TRIM_THRESHOLD = 2**31 - 1

_lock = threading.Lock()
_depth = 0
_for_good = False


def _libc() -> Any:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover - glibc without a loadable libc.so
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def _keep(libc: Any) -> None:
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_TRIM_THRESHOLD)


@contextmanager
def keep_freed_memory() -> Iterator[bool]:
    """Within the block, freed heap memory is kept for reuse (see the module docstring).

    Yields:
        Whether the policy is in effect (False where the C library is not glibc).
    """
    global _depth
    libc = _libc()
    if libc is None:
        yield False
        return
    with _lock:
        if _depth == 0 and not _for_good:
            _keep(libc)
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and not _for_good:
                libc.malloc_trim(0)
                libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
                libc.mallopt(_M_MMAP_THRESHOLD, _SETTLED_MMAP_THRESHOLD)
                libc.mallopt(_M_TRIM_THRESHOLD, _SETTLED_TRIM_THRESHOLD)


def keep_freed_memory_for_good() -> bool:
    """The policy of :func:`keep_freed_memory` for the rest of the process (worker processes).

    Returns:
        Whether it is in effect (False where the C library is not glibc).
    """
    global _for_good
    libc = _libc()
    if libc is None:
        return False
    with _lock:
        _keep(libc)
        _for_good = True
    return True
