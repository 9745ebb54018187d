"""``TileSlots``: handing batches of tile results from worker processes to the client in memory.

A batch of predicted tiles is ``(weight × output, weight)`` per tile: 7 MB a 512² tile of six
classes. Sent back over Dask's TCP connection, receiving it cost the client (which also blends
and writes) about 25 ms a tile, on the same cores as the workers; written to a new file per
batch, creating, reading and removing the files still cost it ~2 s of an 8192² scene. Workers of
a local cluster instead write each batch into one of a fixed set of **slots**: files of one
batch each in a folder both sides see (``/dev/shm`` where it has room: memory, not disk), mapped
once by every process and reused in turn. Only the slot's number and the batch's shape travel
through Dask; the client blends straight from the mapped slot, without a copy.

Slot ``k % count`` carries batch ``k`` of a job: the client must be done with a slot's batch
before batch ``k + count`` is submitted (:class:`~eoforge.predict.dask_tiles.DaskTileRunner`
keeps fewer than ``count`` batches in flight).

Example:
    >>> import numpy as np
    >>> slots = TileSlots.create(count=2, batch=2, bands=2, tile=4)
    >>> results = [(np.ones((2, 4, 4), "float32"), np.full((4, 4), 0.5, "float32")), (None, None)]
    >>> handle = slots.save(1, results)
    >>> [None if v is None else (v.shape, float(w[0, 0])) for v, w in slots.load(handle)]
    [((2, 4, 4), 0.5), None]
    >>> slots.remove()
"""

from __future__ import annotations

import contextlib
import mmap
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError

__all__ = ["TileResult", "TileSlots"]

Array = np.ndarray[Any, Any]
TileResult = tuple[Array | None, Array | None]
_SHM = Path("/dev/shm")
_MAPS: dict[str, mmap.mmap] = {}  # per process: slot file -> its mapping (kept while in use)


_PREFIX = "eoforge-tiles-"  # + the client's process id + "-" + a random part


def _shared_folder(needed: int) -> Path:
    """A new private folder: in ``/dev/shm`` when it has 4× ``needed`` free, else temp.

    Folders that jobs killed before their clean-up left there (``kill -9``: memory, on
    ``/dev/shm``, until the machine restarts) are removed first.
    """
    roomy = _SHM.is_dir() and os.access(_SHM, os.W_OK) and shutil.disk_usage(_SHM).free > 4 * needed
    parent = _SHM if roomy else Path(tempfile.gettempdir())
    remove_stale_slot_folders(parent)
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=str(parent)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_slot_folders(parent: Path) -> list[Path]:
    """Remove the slot folders in ``parent`` whose client process has ended; return them."""
    removed = []
    for path in parent.glob(f"{_PREFIX}*-*"):
        pid = path.name[len(_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and path.is_dir() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@dataclass(frozen=True)
class TileSlots:
    """``count`` slot files of ``slot_bytes`` each in ``folder`` (pickled as these three)."""

    folder: str
    count: int
    slot_bytes: int

    @classmethod
    def create(
        cls, *, count: int, batch: int, bands: int, tile: int, folder: str | None = None
    ) -> TileSlots:
        """Slots for batches of up to ``batch`` tiles of ``bands`` outputs, ``tile`` px a side.

        The files are made at full size now (memory, on ``/dev/shm``), so that no process
        grows them later.
        """
        slot_bytes = batch * (bands + 1) * tile * tile * 4
        base = Path(folder) if folder is not None else _shared_folder(count * slot_bytes)
        base.mkdir(parents=True, exist_ok=True)
        for k in range(count):
            with open(base / f"slot-{k}.f32", "wb") as f:
                f.truncate(slot_bytes)
        return cls(str(base), count, slot_bytes)

    def _view(self, slot: int, shape: tuple[int, ...]) -> Array:
        path = os.path.join(self.folder, f"slot-{slot % self.count}.f32")
        mapped = _MAPS.get(path)
        if mapped is None:
            with open(path, "r+b") as f:
                mapped = mmap.mmap(f.fileno(), self.slot_bytes)
            _MAPS[path] = mapped
        n = int(np.prod(shape))
        if n * 4 > self.slot_bytes:
            raise EoforgeError(f"a batch of shape {shape} does not fit a slot of {self.folder}")
        return np.frombuffer(mapped, dtype=np.float32, count=n).reshape(shape)

    def save(self, slot: int, results: list[TileResult]) -> Any:
        """Write a batch's results into ``slot``; return the handle :meth:`load` reads.

        A batch of only skipped tiles writes nothing.
        """
        present = [values is not None for values, _ in results]
        given = [(v, w) for v, w in results if v is not None and w is not None]
        if not given:
            return ("none", len(results))
        bands, height, width = given[0][0].shape
        shape = (len(given), bands + 1, height, width)
        stack = self._view(slot, shape)
        for k, (values, weights) in enumerate(given):
            stack[k, :bands] = values
            stack[k, bands] = weights
        return ("slot", slot, present, shape)

    def load(self, handle: Any) -> list[TileResult]:
        """The results behind ``handle``: views of the slot (valid until it is reused)."""
        if handle[0] == "none":
            return [(None, None)] * int(handle[1])
        _, slot, present, shape = handle
        stack = self._view(slot, tuple(shape))
        out: list[TileResult] = []
        k = 0
        for here in present:
            if here:
                out.append((stack[k, :-1], stack[k, -1]))
                k += 1
            else:
                out.append((None, None))
        return out

    def remove(self) -> None:
        """Unmap the slots in this process and remove their folder."""
        for path in [p for p in _MAPS if os.path.dirname(p) == self.folder]:
            with contextlib.suppress(BufferError):  # a view is alive: the mapping goes with it
                _MAPS.pop(path).close()
        shutil.rmtree(self.folder, ignore_errors=True)
