"""``DaskTileRunner``: the tiles of a prediction on a Dask distributed cluster.

Each Dask task predicts one batch of a row of tiles (:func:`~eoforge.predict.tile_runner.batches`):
the worker reads those tiles itself through the data engine (its block cache set as the
client's would be: whole blocks, :data:`~eoforge.predict.predict_scene.READ_CACHE_BYTES`), runs
the model (loaded once per worker process, on one thread, freed memory kept for the next batch)
and returns the weighted outputs (on a local cluster through shared memory slots,
:class:`~eoforge.predict.tile_handoff.TileSlots`); the client blends and writes them in order,
exactly as a single process does, so the map is identical. ``workers=N`` starts a local cluster
of N processes; ``scheduler="tcp://host:8786"`` uses an existing one (its workers must see the
same files at the same paths).

Example:
    >>> DaskTileRunner.__name__
    'DaskTileRunner'
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from eoforge.errors import ConfigError
from eoforge.geo import GridSpec
from eoforge.heap_reuse import keep_freed_memory_for_good
from eoforge.io.block_cache import block_cache
from eoforge.predict.predict_scene import READ_CACHE_BYTES
from eoforge.predict.tile_handoff import TileSlots
from eoforge.predict.tile_layout import TileLayout
from eoforge.predict.tile_runner import TileResult, TileRunner, batches

__all__ = ["DaskTileRunner"]

_RUNNERS: dict[str, TileRunner] = {}  # per worker process: settings key -> runner


def inference_module(task: Any) -> torch.nn.Module:
    """The task's forward pass as a plain module: normalisation, then the model.

    What the workers run: unpickling it needs eoforge's models and transforms, not Lightning
    (importing which would cost each worker seconds before its first tile).
    """
    return torch.nn.Sequential(task.normalize, task.model).cpu().eval()


def _module_bytes(task: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(inference_module(task), buffer)
    return buffer.getvalue()


def _worker_runner(key: str, spec: dict[str, Any]) -> TileRunner:
    runner = _RUNNERS.get(key)
    if runner is None:
        from eoforge.data import GeoDataset, RasterSource

        torch.set_num_threads(1)  # one thread per worker process; processes run side by side
        keep_freed_memory_for_good()  # the worker predicts batch after batch of the same sizes
        module = torch.load(io.BytesIO(spec["module"]), weights_only=False).eval()
        names = spec["band_names"]
        source = (
            RasterSource(spec["inputs"], bands=names) if names else RasterSource(spec["inputs"])
        )
        ds = GeoDataset(source, crs=spec["crs"], res=spec["res"])
        runner = TileRunner(
            module, ds, spec["grid"], spec["layout"], spec["kind"], spec["band_index"],
            spec["batch_size"],
        )  # fmt: skip
        _RUNNERS.clear()
        _RUNNERS[key] = runner
    return runner


def _prepare(key: str, spec: dict[str, Any]) -> None:
    _worker_runner(key, spec)  # a task, so that `spec` comes from the worker's own copy


def _predict(key: str, spec: dict[str, Any], i: int, cols: list[int], slot: int) -> Any:
    runner = _worker_runner(key, spec)
    with block_cache().limited(READ_CACHE_BYTES, whole_blocks=True):  # as in one process
        results = runner.predict_batch_of_row(i, cols)
    slots: TileSlots | None = spec["slots"]
    return results if slots is None else slots.save(slot, results)


def _local_cluster(local_cluster: Any, workers: int) -> Any:
    """A local cluster of ``workers`` one-thread processes, without Dask's malloc trimming.

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in its workers (to hand memory back to
    the system sooner); for a model's forward pass that means every activation buffer is
    mapped and page-faulted anew, about 40 % slower on a CPU. A prediction worker holds one
    batch at a time, so the trimming buys nothing: it is left out. The nanny also writes its
    variables into this process's environment; they are put back as they were.
    """
    import dask

    saved = dict(os.environ)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            return local_cluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40,
            )  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)


class DaskTileRunner:
    """Predicts the tiles of a layout on a Dask cluster (see the module docstring)."""

    def __init__(
        self,
        task: Any,
        inputs: Any,
        grid: GridSpec,
        layout: TileLayout,
        kind: str,
        band_index: Sequence[int],
        batch_size: int,
        *,
        crs: Any = None,
        res: Any = None,
        band_names: Sequence[str] | None = None,
        workers: int | None = None,
        scheduler: str | None = None,
        device: str = "cpu",
    ) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as err:  # pragma: no cover - dask is a dependency
            raise ConfigError("workers=/scheduler= need dask.distributed installed") from err
        if device not in ("cpu", "auto"):
            raise ConfigError("on a Dask cluster each worker runs on its CPU; drop --device")
        self.cluster: Any = None
        if scheduler is not None:
            self.client = Client(scheduler)
        else:
            if not workers or workers < 1:
                raise ConfigError(f"workers={workers!r} is not valid; give 1 or more")
            self.cluster = _local_cluster(LocalCluster, workers)
            self.client = Client(self.cluster)
        self.layout = layout
        self.batch_size = batch_size
        self.ahead = 2 * max(len(self.client.scheduler_info()["workers"]), 1)
        self.slots: TileSlots | None = None
        if self.cluster is not None:  # workers on this machine: results through shared memory
            # ahead + 1 slots: the batch in flight longest never writes into the one being
            # blended (whose last tile the blender still holds when the next batch is sent)
            side = min(layout.tile, max(layout.height, layout.width))
            self.slots = TileSlots.create(
                count=self.ahead + 1, batch=batch_size, bands=int(task.num_classes), tile=side
            )
        spec = {
            "module": _module_bytes(task), "inputs": inputs, "crs": crs, "res": res,
            "band_names": list(band_names) if band_names else None, "grid": grid,
            "layout": layout, "kind": kind, "band_index": list(band_index),
            "batch_size": batch_size, "slots": self.slots,
        }  # fmt: skip
        self.key = f"{id(self)}-{os.getpid()}"
        [self.spec] = self.client.scatter([spec], broadcast=True)
        # every worker imports eoforge, loads the model and opens the inputs now, side by side
        # (the first tasks would otherwise pay for it on one worker after the other)
        addresses = list(self.client.scheduler_info()["workers"])
        self.client.gather([
            self.client.submit(_prepare, self.key, self.spec, workers=[w], pure=False)
            for w in addresses
        ])  # fmt: skip
        self.predicted = 0
        self.skipped = 0

    def tiles(self, start: int = 0) -> Iterator[tuple[int, int, TileResult]]:
        """As :meth:`TileRunner.tiles`, the batches computed on the cluster.

        On a local cluster a tile's arrays are views of a shared slot, reused once the
        following batch has been taken: use (or copy) them before asking for the next batch's.
        """
        rows, n = self.layout.shape
        jobs = [(i, cols) for i in range(start, rows) for cols in batches(n, self.batch_size)]
        queue: deque[tuple[int, list[int], Any]] = deque()
        submitted = 0
        while submitted < len(jobs) or queue:
            while submitted < len(jobs) and len(queue) < self.ahead:
                i, cols = jobs[submitted]
                future = self.client.submit(
                    _predict, self.key, self.spec, i, cols, submitted, pure=False
                )
                queue.append((i, cols, future))
                submitted += 1
            i, cols, future = queue.popleft()
            results = future.result()
            if self.slots is not None:
                results = self.slots.load(results)
            for j, result in zip(cols, results, strict=True):
                if result[0] is None:
                    self.skipped += 1
                else:
                    self.predicted += 1
                yield i, j, result

    def close(self) -> None:
        """Shut the client (and a local cluster) down."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self.slots is not None:
            self.slots.remove()
