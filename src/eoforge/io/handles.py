"""Open raster handles, cached per process and per thread, safe across ``fork()``.

Opening a GeoTIFF costs far more than reading a small window of it, so eoforge keeps handles open:
:func:`open_raster` returns a cached ``rasterio`` dataset (least recently used ones are dropped
beyond :data:`MAX_OPEN_HANDLES`).

- **Per thread**: a GDAL dataset must not be read from two threads at once, so each thread gets its
  own handle of a file (key: resolved path + thread id).
- **Per process**: after ``fork()`` (DataLoader workers, multiprocessing) the child drops the
  handles it inherited - their file offsets are shared with the parent and their GDAL decoding
  threads do not exist in the child - and opens its own. A handle from the parent passed to
  :func:`as_dataset` in a child is replaced by a fresh one of the same file.

Handles dropped from the cache are not closed explicitly: one that a caller still holds stays
usable, and is closed when the last reference goes.

Example:
    >>> import tempfile, pathlib, numpy as np
    >>> from affine import Affine
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8",
    ...                    crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 20)) as ds:
    ...     ds.write(np.ones((1, 2, 2), "uint8"))
    >>> open_raster(path) is open_raster(str(path))
    True
    >>> close_all()
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Final, TypeAlias

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.io import DatasetReader

from eoforge.errors import NoFilesError, RasterReadError
from eoforge.io.gdal_env import configure_gdal

__all__ = [
    "MAX_OPEN_HANDLES",
    "RasterLike",
    "as_dataset",
    "close_all",
    "forget_raster",
    "open_raster",
]

MAX_OPEN_HANDLES: Final[int] = 256
"""Most handles kept open per process (all threads together)."""

RasterLike: TypeAlias = str | os.PathLike[str] | DatasetReader
"""A raster given by path or as an open ``rasterio`` dataset."""

_lock = threading.Lock()
_pid = os.getpid()
_handles: OrderedDict[tuple[str, int], DatasetReader] = OrderedDict()
_resolved: dict[str, str] = {}  # absolute path as given -> resolved (symlink-free) key
_inherited: list[DatasetReader] = []  # handles a forked child got from its parent
# every handle eoforge has opened or been given, with the process that opened/first used it
_owner_pid: weakref.WeakKeyDictionary[DatasetReader, int] = weakref.WeakKeyDictionary()


_CONNECTION = re.compile(r"^[A-Za-z][A-Za-z0-9_]+:")  # NETCDF:"f.nc":var, HDF5:..., s3://...


def _is_virtual(path: str) -> bool:
    """True for GDAL paths that are not plain local files (/vsi…, URLs, driver prefixes)."""
    return path.startswith("/vsi") or _CONNECTION.match(path) is not None


def _resolve(path: str) -> str:
    if not os.path.isabs(path) and not _is_virtual(path):
        path = os.path.abspath(os.path.expanduser(path))  # relative to today's working dir
    key = _resolved.get(path)
    if key is None:
        key = path if _is_virtual(path) else str(Path(path).resolve())
        if len(_resolved) > 8 * MAX_OPEN_HANDLES:
            _resolved.clear()
        _resolved[path] = key
    return key


def _open(key: str, shown: str) -> DatasetReader:
    if not _is_virtual(key) and not os.path.isfile(key):
        where = "" if os.path.isabs(shown) else f" (relative to {os.getcwd()})"
        raise NoFilesError(f"raster file '{shown}' does not exist{where}; check the path")
    configure_gdal()
    try:
        ds = rasterio.open(key)
    except (RasterioIOError, OSError) as err:
        raise RasterReadError(
            f"cannot open '{shown}' as a raster ({err}); check that it is a complete, readable "
            "GeoTIFF (or other GDAL format); re-download or re-export it"
        ) from err
    if not isinstance(ds, DatasetReader):  # pragma: no cover - rasterio.open "r" returns a reader
        raise RasterReadError(f"'{shown}' did not open as a readable raster dataset")
    return ds


def _drop_inherited() -> None:
    """In a forked child: set the parent's handles aside, unused and never closed.

    Closing them would run GDAL clean-up (thread pool, block cache locks) whose state the fork
    copied mid-flight; keeping them costs only their file descriptors.
    """
    global _pid, _lock
    _pid = os.getpid()
    _lock = threading.Lock()
    _inherited.extend(_handles.values())
    _handles.clear()


def open_raster(path: str | os.PathLike[str]) -> DatasetReader:
    """Return an open, cached ``rasterio`` dataset for ``path`` (this process and thread).

    Args:
        path: a local file path, or a GDAL virtual path (``/vsicurl/…``, ``s3://…``).

    Returns:
        the dataset; do not close it (use :func:`close_all`), and call :func:`open_raster` again
        rather than keeping it for long.

    Raises:
        NoFilesError: the file does not exist.
        RasterReadError: the file exists but GDAL cannot open it as a raster.

    Example:
        >>> open_raster("no/such/file.tif")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: raster file 'no/such/file.tif' does not exist ...
    """
    shown = os.fspath(path)
    if os.getpid() != _pid:
        _drop_inherited()
    key = (_resolve(shown), threading.get_ident())
    with _lock:
        ds = _handles.get(key)
        if ds is not None and not ds.closed:
            _handles.move_to_end(key)
            return ds
    ds = _open(key[0], shown)
    with _lock:
        _handles[key] = ds
        _owner_pid[ds] = _pid
        while len(_handles) > MAX_OPEN_HANDLES:
            _handles.popitem(last=False)
    return ds


def as_dataset(src: RasterLike) -> DatasetReader:
    """The dataset to read ``src`` from: :func:`open_raster` for a path, ``src`` for a dataset.

    A dataset opened (or used by eoforge) in a parent process is replaced by this process's own
    handle of the same file, so a handle passed to DataLoader workers stays safe to read.

    Example:
        >>> as_dataset("missing.tif")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: raster file 'missing.tif' does not exist ...
    """
    if not isinstance(src, DatasetReader):
        return open_raster(src)
    pid = os.getpid()
    owner = _owner_pid.get(src)
    if owner is None:
        if src.closed:
            raise RasterReadError(f"the dataset '{src.name}' is closed; open it again")
        _owner_pid[src] = pid
    elif owner != pid:
        return open_raster(src.name)
    return src


def forget_raster(path: str | os.PathLike[str]) -> None:
    """Drop the cached handles of one file (all threads), e.g. after it was rewritten.

    Example:
        >>> forget_raster("never/opened.tif")
    """
    key = _resolve(os.fspath(path))
    with _lock:
        for cached in [k for k in _handles if k[0] == key]:
            del _handles[cached]


def close_all() -> None:
    """Drop every cached handle of this process (closing those nobody else holds).

    Example:
        >>> close_all()
    """
    with _lock:
        _handles.clear()
        _resolved.clear()


os.register_at_fork(after_in_child=_drop_inherited)
