"""``HDF5Files``: HDF5 files opened read-only on first use, once per process (fork-safe).

A dataset that reads samples out of large HDF5 files must not reopen them for every sample, nor
share an open handle across processes: an ``h5py.File`` opened before ``DataLoader`` workers fork
(say, while band statistics were computed in the main process) is not safe to use in a child.
:class:`HDF5Files` keeps one handle per file and process: after a fork (another process id) it
starts afresh, and a pickled copy (workers started with ``spawn``) holds no handle at all.

Example:
    >>> import tempfile, h5py, numpy as np
    >>> path = tempfile.mkdtemp() + "/a.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("x", data=np.arange(3))
    >>> files = HDF5Files()
    >>> files.get(path)["x"][1], files.get(path) is files.get(path)
    (np.int64(1), True)
    >>> files.close()
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import h5py

from eoforge.errors import RasterReadError

__all__ = ["HDF5Files"]


class HDF5Files:
    """Read-only ``h5py.File`` handles, opened lazily and kept per process."""

    def __init__(self) -> None:
        self._pid: int | None = os.getpid()
        self._open: dict[str, h5py.File] = {}

    def get(self, path: str | Path) -> h5py.File:
        """The open file at ``path`` (opened now if this process has not opened it yet).

        Raises:
            RasterReadError: the file cannot be opened as HDF5.
        """
        if self._pid != os.getpid():  # a forked child: the parent's handles are not ours
            self._open = {}
            self._pid = os.getpid()
        key = str(path)
        handle = self._open.get(key)
        if handle is None:
            try:
                handle = h5py.File(key, "r")
            except OSError as err:
                raise RasterReadError(
                    f"cannot open the HDF5 file {key} ({err}); it may be incomplete: delete it "
                    "and download it again"
                ) from err
            self._open[key] = handle
        return handle

    def close(self) -> None:
        """Close the files this process opened."""
        if self._pid == os.getpid():
            for handle in self._open.values():
                handle.close()
        self._open = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"_pid": None, "_open": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._pid = state["_pid"]
        self._open = {}
