"""Handing a batch's tile results from a worker process to the client through a shared folder.

A batch of predicted tiles is ``(weight × output, weight)`` per tile: 7 MB a 512² tile of six
classes. Sent back over Dask's TCP connection, receiving it cost the client (which also blends
and writes) about 25 ms a tile, on the same cores as the workers. Workers of a local cluster
instead write the batch to one ``.npy`` file in a folder both sides see (``/dev/shm`` where it
has room: memory, not disk) and send its name; the client reads the file and removes it.

Example:
    >>> import tempfile, numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> results = [(np.ones((2, 4, 4), "float32"), np.ones((4, 4), "float32")), (None, None)]
    >>> handle = save_results(folder, "k-0-0", results)
    >>> [None if v is None else v.shape for v, _ in load_results(handle)]
    [(2, 4, 4), None]
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["handoff_folder", "load_results", "save_results"]

Array = np.ndarray[Any, Any]
TileResult = tuple[Array | None, Array | None]
_SHM = Path("/dev/shm")


def handoff_folder(bytes_in_flight: int) -> Path:
    """A new private folder for the hand-off: in ``/dev/shm`` when it has 4× room, else temp."""
    roomy = (
        _SHM.is_dir()
        and os.access(_SHM, os.W_OK)
        and shutil.disk_usage(_SHM).free > 4 * bytes_in_flight
    )
    base = str(_SHM) if roomy else None
    return Path(tempfile.mkdtemp(prefix="eoforge-tiles-", dir=base))


def save_results(folder: str | os.PathLike[str], name: str, results: list[TileResult]) -> Any:
    """Write the tiles' results to one file; return the handle that :func:`load_results` reads.

    A batch of only skipped tiles writes no file.
    """
    present = [values is not None for values, _ in results]
    if not any(present):
        return ("none", len(results))
    given = [(v, w) for v, w in results if v is not None and w is not None]
    bands, height, width = given[0][0].shape
    stack = np.empty((len(given), bands + 1, height, width), dtype=np.float32)
    for k, (values, weights) in enumerate(given):
        stack[k, :bands] = values
        stack[k, bands] = weights
    path = Path(folder) / f"{name}-{uuid.uuid4().hex[:8]}.npy"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        np.save(f, stack, allow_pickle=False)
    os.replace(tmp, path)
    return ("file", str(path), present)


def load_results(handle: Any) -> list[TileResult]:
    """The results behind ``handle`` (the file is removed once read)."""
    if handle[0] == "none":
        return [(None, None)] * int(handle[1])
    _, path, present = handle
    stack = np.load(path, allow_pickle=False)
    os.unlink(path)
    out: list[TileResult] = []
    k = 0
    for here in present:
        if here:
            out.append((stack[k, :-1], stack[k, -1]))
            k += 1
        else:
            out.append((None, None))
    return out
