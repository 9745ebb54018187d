"""``PerProcess``: one object per process, made on first use; a forked child makes its own.

The read caches (decoded blocks, resume points) are per process: a DataLoader worker forked
while its parent held one of their locks would otherwise wait for ever, and a parent's cache
copied into every child would count its memory once per worker.

Example:
    >>> counter = PerProcess(lambda: [0])
    >>> counter.get() is counter.get()
    True
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["PerProcess"]

T = TypeVar("T")


class PerProcess(Generic[T]):
    """This process's instance of what ``make()`` makes (thread-safe; reset in a forked child).

    Args:
        make: makes the object, on the first :meth:`get` in each process.
    """

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._value: T | None = None
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget)

    def get(self) -> T:
        """The object (made now if this process has none yet)."""
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._make()
                value = self._value
        return value

    def _forget(self) -> None:
        """In a forked child: no object yet, and a fresh lock (the parent's may have been held)."""
        self._value, self._lock = None, threading.Lock()
