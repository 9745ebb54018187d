"""``RandomBatchPatchSampler``: batches of random patches, each batch from one item.

Reading several patches of one file in a row keeps its handle, header and decoded blocks warm;
pass the sampler as ``DataLoader(ds, batch_sampler=sampler, collate_fn=collate)``.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 1000, 1000, "EPSG:32633"), res=10)
    >>> tiles = [BBox(0, 0, 500, 1000, "EPSG:32633"), BBox(500, 0, 1000, 1000, "EPSG:32633")]
    >>> ds = SimpleNamespace(grid=grid, bounds=grid.bounds, footprints=tiles,
    ...                      valid_fraction=lambda query: 1.0)
    >>> batches = list(RandomBatchPatchSampler(ds, size=16, batch_size=4, length=2))
    >>> [len(batch) for batch in batches]
    [4, 4]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from eoforge.data.samplers.patch_dataset import PatchDataset
from eoforge.data.samplers.random_patch import no_valid_patch_error
from eoforge.data.samplers.sampler_arguments import (
    positive_int,
)
from eoforge.data.samplers.seeded_sampler import SeededPatchSampler
from eoforge.geo import GridSpec

__all__ = ["RandomBatchPatchSampler"]


class RandomBatchPatchSampler(SeededPatchSampler[list[GridSpec]]):
    """Batches of ``batch_size`` random patches; all patches of a batch come from one item.

    For each batch an item is picked with probability proportional to its footprint's area
    (clipped to ``ds.bounds``, in pixels of ``ds.grid``), then ``batch_size`` positions are drawn in
    it exactly as :class:`~eoforge.data.samplers.RandomPatchSampler` does (uniform and aligned
    inside the footprint; containing it when it is smaller than a patch).

    With ``min_valid > 0``, candidates whose ``ds.valid_fraction`` is lower are dropped. An item
    in which ``max_tries`` candidates in a row are dropped is excluded for the rest of the epoch
    and the batch starts again on another item; when every item is excluded, iteration raises.

    Seeding follows :class:`~eoforge.data.samplers.RandomPatchSampler`: a NumPy ``Generator``
    seeded with ``(seed, epoch)``; :meth:`set_epoch` selects the epoch.

    Args:
        ds: the dataset (see :class:`~eoforge.data.samplers.PatchDataset`).
        size: patch size in pixels, one number or ``(height, width)``.
        batch_size: patches per batch.
        length: number of batches per epoch (``len(sampler)``).
        seed: seed of the random sequence (≥ 0).
        min_valid: minimum ``ds.valid_fraction`` of a patch (0 keeps every patch).
        max_tries: candidates in a row that may be dropped in one item before it is excluded.

    Raises:
        InvalidGridError: for a size, batch_size, length, seed, min_valid or max_tries not valid.
        NoOverlapError: if no item footprint lies inside ``ds.bounds``.
        QueryOutsideError: while iterating, if every item has been excluded by ``min_valid``.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import BBox, GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 100, 100), 1, crs=3857)
        >>> fps = [BBox(0, 0, 50, 100, 3857), BBox(50, 0, 100, 100, 3857)]
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=fps,
        ...                      valid_fraction=lambda q: 1.0)
        >>> sampler = RandomBatchPatchSampler(ds, size=10, batch_size=3, length=4, seed=0)
        >>> len(sampler), [len(b) for b in sampler]
        (4, [3, 3, 3, 3])
    """

    def __init__(
        self,
        ds: PatchDataset,
        size: int | tuple[int, int],
        batch_size: int,
        length: int,
        *,
        seed: int = 0,
        min_valid: float = 0.0,
        max_tries: int = 100,
    ) -> None:
        super().__init__(ds, size, length, seed=seed, min_valid=min_valid, max_tries=max_tries)
        self.batch_size = positive_int(batch_size, "batch_size")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.shape}, batch_size={self.batch_size}, "
            f"length={self.length}, seed={self.seed}, epoch={self.epoch}, "
            f"min_valid={self.min_valid}, max_tries={self.max_tries}, items={len(self.layout)})"
        )

    def _batch_in(self, rng: np.random.Generator, item: int) -> list[GridSpec]:
        items = np.full(self.batch_size, item)
        rows, cols = self.layout.draw_origins(rng, items, self.shape)
        return [
            self.layout.query(row, col, self.shape)
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True)
        ]

    def _valid_batch_in(
        self, rng: np.random.Generator, item: int
    ) -> tuple[list[GridSpec] | None, float]:
        """A batch of valid patches in ``item``, or ``None`` (and the best fraction seen)."""
        batch: list[GridSpec] = []
        rejected, best = 0, 0.0
        while True:
            for query in self._batch_in(rng, item):
                fraction = self.ds.valid_fraction(query)
                if fraction >= self.min_valid:
                    batch.append(query)
                    rejected = 0
                    if len(batch) == self.batch_size:
                        return batch, best
                else:
                    rejected += 1
                    best = max(best, fraction)
                    if rejected >= self.max_tries:
                        return None, best

    def __iter__(self) -> Iterator[list[GridSpec]]:
        rng = self.rng()
        if self.min_valid <= 0.0:
            for item in self.layout.draw_items(rng, self.length).tolist():
                yield self._batch_in(rng, item)
            return
        excluded = self.layout.areas == 0
        best = 0.0
        for _ in range(self.length):
            while True:
                if excluded.all():
                    raise no_valid_patch_error(
                        self.max_tries, self.shape, self.min_valid, best, "in every item, "
                    )
                item = int(self.layout.draw_items(rng, 1, excluded)[0])
                batch, item_best = self._valid_batch_in(rng, item)
                best = max(best, item_best)
                if batch is not None:
                    break
                excluded[item] = True
            yield batch
