"""The one place where eoforge tunes GDAL: settings applied once per process, fork-safe.

eoforge never creates a ``rasterio.Env`` per read (entering one costs far more than a cached-block
windowed read). Instead :func:`configure_gdal` puts :data:`GDAL_SETTINGS` into ``os.environ``
once, before the first file is opened; GDAL reads configuration options from the environment when
no ``rasterio.Env``/``CPLSetConfigOption`` value overrides them. Values already in the environment
win, so a user can still override any of them (``GDAL_NUM_THREADS=1 python train.py``), and an
enclosing ``rasterio.Env(...)`` wins over both.

What is tuned, and why:

``GDAL_NUM_THREADS=ALL_CPUS``
    GDAL ≥ 3.6 decodes the several blocks one windowed read touches on several threads. A random
    256x256 patch of a COG with 512x512 blocks touches 1-4 blocks; measured here about 1.3-1.7x
    faster reads on 2 cores when blocks are not cached (1.3x measured for eoforge.io on a busy
    machine, 1.7x in DESIGN.md).
``GDAL_CACHEMAX=256`` (MB)
    The block cache keeps decoded blocks, so neighbouring/overlapping patches do not decode a
    block twice. GDAL's default is 5 % of RAM *per process*; DataLoader workers each have their
    own cache, so a fixed, moderate size keeps ``num_workers x cache`` predictable.
``GDAL_DISABLE_READDIR_ON_OPEN=TRUE``
    Opening a file no longer lists its whole folder (slow for folders with 10⁵ patches, as in
    BigEarthNet). Unlike ``EMPTY_DIR``, GDAL still probes side-car files one by one, so
    ``.aux.xml`` (nodata, scales) and ``.msk`` masks keep working. For remote COGs (/vsicurl/,
    /vsis3/) set ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` in the environment.
``GDAL_HTTP_MERGE_CONSECUTIVE_RANGES=YES``, ``GDAL_HTTP_MULTIPLEX=YES``, ``VSI_CACHE=TRUE``
    Fewer, larger HTTP requests for remote COGs; no effect on local files.
``CHECK_DISK_FREE_SPACE=FALSE``
    Skips a free-space query on every file written.

Fork safety: GDAL's block-decoding thread pool does not survive ``fork()``: its threads exist only
in the parent, and a child that hands it work waits forever (seen with GDAL 3.10, with handles
opened before or after the fork). So in every forked child (e.g. a ``torch`` DataLoader worker)
eoforge sets ``GDAL_NUM_THREADS=1`` - in the environment at fork time, and as a GDAL option at the
child's first open (a ``rasterio.Env`` leaves its options behind in GDAL's configuration, where they
would hide the environment). Workers already read in parallel, one per core. Files opened in the
parent are re-opened in the child: :func:`eoforge.io.open_raster` does that.

Example:
    >>> configure_gdal()
    >>> os.environ["GDAL_DISABLE_READDIR_ON_OPEN"] in {"TRUE", "EMPTY_DIR", "YES", "FALSE", "NO"}
    True
    >>> with gdal_env():
    ...     pass
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import rasterio
from rasterio.env import set_gdal_config

__all__ = ["GDAL_SETTINGS", "configure_gdal", "gdal_env", "gdal_threads", "in_forked_child"]

GDAL_SETTINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "GDAL_NUM_THREADS": "ALL_CPUS",
        "GDAL_CACHEMAX": "256",
        "GDAL_DISABLE_READDIR_ON_OPEN": "TRUE",
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "GDAL_HTTP_MULTIPLEX": "YES",
        "VSI_CACHE": "TRUE",
        "CHECK_DISK_FREE_SPACE": "FALSE",
    }
)
"""The GDAL configuration eoforge applies (see the module docstring for the reasons)."""

_state_lock = threading.Lock()
_configured = False
_forked = False
_fork_pending = False  # a forked child that has not yet reset GDAL's thread count


def configure_gdal() -> None:
    """Apply :data:`GDAL_SETTINGS` to this process once (values already set in the env win).

    Called by :func:`eoforge.io.open_raster` before every open (a no-op after the first call);
    in a forked child, its first call also sets GDAL's ``GDAL_NUM_THREADS`` option to 1, which
    overrides a value a ``rasterio.Env`` may have left in GDAL's configuration.

    Example:
        >>> configure_gdal()
        >>> "GDAL_CACHEMAX" in os.environ
        True
    """
    global _configured, _fork_pending
    if _configured and not _fork_pending:
        return
    with _state_lock:
        if not _configured:
            for key, value in GDAL_SETTINGS.items():
                os.environ.setdefault(key, value)
            _configured = True
        if _fork_pending:
            set_gdal_config("GDAL_NUM_THREADS", "1")
            _fork_pending = False


def gdal_threads() -> str:
    """The thread count for GDAL work started by eoforge (e.g. COG compression) in this process.

    ``GDAL_NUM_THREADS`` as configured: ``"ALL_CPUS"`` by default, ``"1"`` in a forked child
    (whose copy of GDAL's thread pool has no threads).

    Example:
        >>> gdal_threads() in {"1", "ALL_CPUS", os.environ.get("GDAL_NUM_THREADS")}
        True
    """
    configure_gdal()
    return os.environ.get("GDAL_NUM_THREADS", "1")


def in_forked_child() -> bool:
    """True in a process created by ``fork()`` from a process that had imported eoforge.io.

    Example:
        >>> in_forked_child()
        False
    """
    return _forked


def gdal_env(**options: Any) -> rasterio.Env:
    """A ``rasterio.Env`` with :data:`GDAL_SETTINGS` (plus ``options``) for a ``with`` block.

    Reads do not need it (the settings are process-wide once :func:`configure_gdal` ran); use it
    to scope settings around other rasterio code, or to override some of them.
    ``GDAL_CACHEMAX`` is left out unless given: GDAL sizes its block cache once per process, from
    the environment.

    Args:
        options: extra or overriding GDAL configuration options.

    Example:
        >>> with gdal_env(GDAL_HTTP_MAX_RETRY="3") as env:
        ...     env.options["GDAL_HTTP_MAX_RETRY"]
        '3'
    """
    configure_gdal()
    settings: dict[str, Any] = {
        k: os.environ.get(k, v) for k, v in GDAL_SETTINGS.items() if k != "GDAL_CACHEMAX"
    }
    settings.update(options)
    return rasterio.Env(**settings)


def _after_fork_in_child() -> None:
    global _forked, _fork_pending, _state_lock
    _forked = _fork_pending = True
    _state_lock = threading.Lock()  # another thread may have held it at fork time
    os.environ["GDAL_NUM_THREADS"] = "1"


os.register_at_fork(after_in_child=_after_fork_in_child)
