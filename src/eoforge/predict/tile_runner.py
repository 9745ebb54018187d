"""Running the model over the tiles of one row: read, batch, predict, weight.

:class:`TileRunner` reads the tiles of a row of the :class:`~eoforge.predict.TileLayout` through
the data engine (on an accelerator, read ahead: the next tiles are read while the model works on
the current batch; on the CPU, in line, so that reads never preempt the model's threads), skips
tiles without a single valid pixel (the model never sees them), predicts the others in batches of
up to ``batch_size`` consecutive tiles of a row (:func:`batches`: the same batches whether the
job ran through, resumed or ran on a cluster) and returns, per tile and in order,
``weight × output`` and ``weight`` (the tile's blend window times its valid mask), or ``None``.

Example:
    >>> import torch
    >>> from eoforge.tasks import SegmentationTask
    >>> task = SegmentationTask(backbone="pixel_mlp", data_info={"bands": ["B1"],
    ...                         "classes": ["a", "b"]}).eval()
    >>> predict_batch(task, np.zeros((2, 1, 4, 4), "float32"), "classes").shape
    (2, 2, 4, 4)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from eoforge.errors import QueryOutsideError
from eoforge.geo import GridSpec
from eoforge.predict.tile_layout import TileLayout

__all__ = ["TileResult", "TileRunner", "batches", "model_device", "predict_batch"]

Array = np.ndarray[Any, Any]
TileResult = tuple[Array | None, Array | None]


def batches(tiles: int, batch_size: int) -> list[list[int]]:
    """The batches of a row of ``tiles`` tiles: consecutive runs of ``batch_size`` columns.

    Tiles without data are dropped from their batch, so the batches of a row never depend on
    anything but the layout: a resumed or distributed job predicts exactly the same batches.

    Example:
        >>> batches(5, 2)
        [[0, 1], [2, 3], [4]]
    """
    return [list(range(k, min(k + batch_size, tiles))) for k in range(0, tiles, batch_size)]


def model_device(task: Any) -> torch.device:
    """The device ``task`` runs on (a plain module, as on a Dask worker: its parameters')."""
    device = getattr(task, "device", None)
    if device is None:
        device = next(iter(task.parameters()), torch.empty(0)).device
    return torch.device(device)


def predict_batch(task: Any, images: Array, kind: str) -> Array:
    """The model's per-pixel outputs for ``images`` ``(B, C, H, W)``: probabilities or values.

    ``task`` is an eoforge task or any module mapping raw images to outputs. Runs without
    gradients, on the task's device; returns float32 ``(B, K, H, W)``.
    """
    device = model_device(task)
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
        out = task(x)
        if kind != "values":
            out = torch.softmax(out, dim=1)
        return out.float().cpu().numpy()  # type: ignore[no-any-return]


class TileRunner:
    """Predicts rows of tiles in this process.

    Args:
        task: the trained task (in eval mode).
        dataset: a ``GeoDataset`` answering the tiles' queries.
        grid: the output grid the tiles are cut from.
        layout: the tiles.
        kind: the output kind (``"values"``: raw outputs, else probabilities).
        band_index: positions, in the dataset's bands, of the model's bands (in its order).
        batch_size: tiles per forward pass.
        read_ahead: read the next tiles while the model runs (default: when it runs on an
            accelerator).
    """

    def __init__(
        self,
        task: Any,
        dataset: Any,
        grid: GridSpec,
        layout: TileLayout,
        kind: str,
        band_index: Sequence[int],
        batch_size: int,
        read_ahead: bool | None = None,
    ) -> None:
        self.task = task
        self.read_ahead = read_ahead
        self.dataset = dataset
        self.grid = grid
        self.layout = layout
        self.kind = kind
        self.band_index = list(band_index)
        self.batch_size = batch_size
        self.skipped = 0
        self.predicted = 0

    def query(self, i: int, j: int) -> GridSpec:
        """The grid of tile ``(i, j)``."""
        row, col, h, w = self.layout.window(i, j)
        return self.grid.subgrid(row, col, h, w)

    def _read(self, query: GridSpec) -> tuple[Array, Array] | None:
        try:
            sample = self.dataset._read_sample(query)
        except QueryOutsideError:
            return None
        valid = sample["valid"].numpy()
        if not valid.any():
            return None
        image = sample["image"].numpy()
        if self.band_index != list(range(image.shape[0])):
            image = image[self.band_index]
        return image, valid

    def tiles(self, start: int = 0) -> Iterator[tuple[int, int, TileResult]]:
        """``(i, j, (weight × output, weight))`` for every tile of rows ``>= start``, in order.

        A tile without data gives ``(None, None)``. On an accelerator one read-ahead stream
        runs over all the tiles, across rows; on the CPU each batch's tiles are read just
        before its forward pass. The batches are the :func:`batches` of each row,
        and at most one batch of outputs is held at a time.
        """
        from eoforge.io.read_pool import stream_map

        rows, n = self.layout.shape
        read_ahead = self.read_ahead
        if read_ahead is None:
            read_ahead = model_device(self.task).type != "cpu"
        if read_ahead:  # an accelerator computes while the cores read the next batch
            queries = [self.query(i, j) for i in range(start, rows) for j in range(n)]
            ahead = iter(stream_map(self._read, queries, ahead=self.batch_size))
        for i in range(start, rows):
            for cols in batches(n, self.batch_size):
                if read_ahead:
                    results = self._flush(i, [(j, next(ahead)) for j in cols])
                else:
                    # In line: the model's threads fill the cores, and reads beside them would
                    # only preempt them (each preempted thread stalls its siblings at the next
                    # barrier: measured 3 s slower of 48 s on an 8192² scene). One tile after
                    # the other, each decoding its blocks side by side on the read pool
                    # (neighbouring tiles share blocks: read side by side, they would wait for
                    # each other's decoding).
                    results = self.predict_batch_of_row(i, cols)
                for j, result in zip(cols, results, strict=True):
                    yield i, j, result

    def predict_batch_of_row(self, i: int, cols: Sequence[int]) -> list[TileResult]:
        """The results of tiles ``cols`` of row ``i`` (read here, one after the other)."""
        return self._flush(i, [(j, self._read(self.query(i, j))) for j in cols])

    def _flush(
        self, i: int, pending: list[tuple[int, tuple[Array, Array] | None]]
    ) -> list[TileResult]:
        reads = [(j, r) for j, r in pending if r is not None]
        outputs: dict[int, Array] = {}
        if reads:
            images = np.stack([r[0] for _, r in reads])
            for (j, _), out in zip(reads, predict_batch(self.task, images, self.kind), strict=True):
                outputs[j] = out
            self.predicted += len(reads)
        results: list[TileResult] = []
        for j, read in pending:
            if read is None:
                self.skipped += 1
                results.append((None, None))
                continue
            weights = self.layout.weights(i, j) * read[1]
            values = outputs[j]  # this batch's own array: weighted in place
            values *= weights[None]
            results.append((values, weights))
        return results
