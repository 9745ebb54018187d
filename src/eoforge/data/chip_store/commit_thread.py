"""``CommitThread``: LMDB commits on a thread of their own, so that reading never waits for disk.

A commit ends with an ``fsync`` of everything the transaction wrote — for a batch of a few hundred
chips, tens or hundreds of milliseconds of waiting for the disk. On the caller's thread that wait
would stall reading (in-process) or the draining of the worker processes' queue. Here one thread
runs every write transaction (LMDB wants a write transaction used by the thread that began it),
in submission order; at most one batch waits while another commits, which bounds the memory held.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from eoforge.data.chip_store.environment import open_writer, read_records
    >>> env = open_writer(Path(tempfile.mkdtemp()) / "s", 1 << 20)
    >>> with CommitThread(env) as commits:
    ...     commits.submit([(b"a", b"1")])
    ...     commits.submit([(b"b", b"2")])
    >>> read_records(env, [b"a", b"b"]), commits.committed
    ([b'1', b'2'], 2)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from types import TracebackType

import lmdb

from eoforge.data.chip_store.environment import put_records

__all__ = ["CommitThread"]

Records = Sequence[tuple[bytes, bytes]]


class CommitThread:
    """Commits batches of records in order, one transaction each, on a background thread.

    Use it as a context manager: leaving the block waits for every submitted batch to be
    committed (also after an exception or Ctrl-C, so that the store holds every batch handed
    over) and re-raises an error of the thread.

    Attributes:
        committed: the number of records committed so far.
    """

    def __init__(self, env: lmdb.Environment) -> None:
        self.env = env
        self.committed = 0
        self._queue: queue.Queue[Records | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="chip-store-commits", daemon=True)

    def _run(self) -> None:
        while (records := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain what is left after a failure
            try:
                put_records(self.env, records)
                self.committed += len(records)
            except BaseException as err:  # re-raised on the caller's thread
                self._error = err

    def submit(self, records: Records) -> None:
        """Hand over one batch (blocks while another batch is still waiting)."""
        if self._error is not None:
            raise self._error
        self._queue.put(records)

    def __enter__(self) -> CommitThread:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._error
