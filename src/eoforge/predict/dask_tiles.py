"""``DaskTileRunner``: the tiles of a prediction on a Dask distributed cluster.

Each Dask task predicts one batch of a row of tiles (:func:`~eoforge.predict.tile_runner.batches`):
the worker reads those tiles itself through the data engine, runs the model (loaded once per
worker process, on one thread) and returns the weighted outputs; the client blends and writes
them in order, exactly as a single process does, so the map is identical. ``workers=N`` starts a
local cluster of N processes; ``scheduler="tcp://host:8786"`` uses an existing one (its workers
must see the same files at the same paths).

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
from eoforge.predict.tile_layout import TileLayout
from eoforge.predict.tile_runner import TileResult, TileRunner, batches

__all__ = ["DaskTileRunner"]

_RUNNERS: dict[str, TileRunner] = {}  # per worker process: settings key -> runner


def _model_bytes(model: Any) -> tuple[str, bytes | str]:
    if isinstance(model, str | os.PathLike):
        return "path", os.fspath(model)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    return "pickle", buffer.getvalue()


def _worker_runner(key: str, spec: dict[str, Any]) -> TileRunner:
    runner = _RUNNERS.get(key)
    if runner is None:
        from eoforge.data import GeoDataset, RasterSource
        from eoforge.tasks import load_task

        torch.set_num_threads(1)  # one thread per worker process; processes run side by side
        how, model = spec["model"]
        if how == "path":
            task = load_task(model)
        else:
            task = torch.load(io.BytesIO(model), weights_only=False)
        task.eval()
        names = spec["band_names"]
        source = (
            RasterSource(spec["inputs"], bands=names) if names else RasterSource(spec["inputs"])
        )
        ds = GeoDataset(source, crs=spec["crs"], res=spec["res"])
        runner = TileRunner(
            task, ds, spec["grid"], spec["layout"], spec["kind"], spec["band_index"],
            spec["batch_size"],
        )  # fmt: skip
        _RUNNERS.clear()
        _RUNNERS[key] = runner
    return runner


def _predict(key: str, spec: dict[str, Any], i: int, cols: list[int]) -> list[TileResult]:
    return _worker_runner(key, spec).predict_batch_of_row(i, cols)


class DaskTileRunner:
    """Predicts the tiles of a layout on a Dask cluster (see the module docstring)."""

    def __init__(
        self,
        model: Any,
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
            self.cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40,
            )  # fmt: skip
            self.client = Client(self.cluster)
        self.layout = layout
        self.batch_size = batch_size
        self.ahead = 2 * max(len(self.client.scheduler_info()["workers"]), 1)
        spec = {
            "model": _model_bytes(model), "inputs": inputs, "crs": crs, "res": res,
            "band_names": list(band_names) if band_names else None, "grid": grid,
            "layout": layout, "kind": kind, "band_index": list(band_index),
            "batch_size": batch_size,
        }  # fmt: skip
        self.key = f"{id(self)}-{os.getpid()}"
        [self.spec] = self.client.scatter([spec], broadcast=True)
        self.predicted = 0
        self.skipped = 0

    def tiles(self, start: int = 0) -> Iterator[tuple[int, int, TileResult]]:
        """As :meth:`TileRunner.tiles`, the batches computed on the cluster."""
        rows, n = self.layout.shape
        jobs = [(i, cols) for i in range(start, rows) for cols in batches(n, self.batch_size)]
        queue: deque[tuple[int, list[int], Any]] = deque()
        submitted = 0
        while submitted < len(jobs) or queue:
            while submitted < len(jobs) and len(queue) < self.ahead:
                i, cols = jobs[submitted]
                future = self.client.submit(_predict, self.key, self.spec, i, cols, pure=False)
                queue.append((i, cols, future))
                submitted += 1
            i, cols, future = queue.popleft()
            for j, result in zip(cols, future.result(), strict=True):
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
