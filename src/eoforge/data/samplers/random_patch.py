"""``RandomPatchSampler``: random patches inside the footprints of a dataset's items.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 1000, 1000, "EPSG:32633"), res=10)
    >>> ds = SimpleNamespace(grid=grid, bounds=grid.bounds, footprints=[grid.bounds],
    ...                      valid_fraction=lambda query: 1.0)
    >>> queries = list(RandomPatchSampler(ds, size=32, length=3, seed=1))
    >>> [q.shape for q in queries]
    [(32, 32), (32, 32), (32, 32)]
    >>> all(grid.is_aligned_with(q) for q in queries)
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from eoforge.data.samplers.seeded_sampler import SeededPatchSampler
from eoforge.errors import QueryOutsideError
from eoforge.geo import GridSpec

__all__ = ["RandomPatchSampler", "no_valid_patch_error"]

_CHUNK = 1024  # candidates drawn per vectorised step; part of the seeded sequence, keep fixed


def no_valid_patch_error(
    tries: int, shape: tuple[int, int], min_valid: float, best: float, where: str = ""
) -> QueryOutsideError:
    """The error raised when ``tries`` candidate patches in a row all had too few valid pixels.

    Args:
        tries: how many candidates in a row were dropped.
        shape: the patch shape.
        min_valid: the threshold they missed.
        best: the highest valid fraction seen among them.
        where: an optional opening, e.g. ``"in every item, "``.

    Example:
        >>> print(no_valid_patch_error(3, (8, 8), 0.9, 0.25))  # doctest: +ELLIPSIS
        3 candidate patches of 8 x 8 pixels in a row had a valid fraction below min_valid=0.9 ...
    """
    example = f" (e.g. min_valid={math.floor(best * 100) / 100})" if best >= 0.01 else ""
    return QueryOutsideError(
        f"{where}{tries} candidate patches of {shape[0]} x {shape[1]} pixels in a row had a valid "
        f"fraction below min_valid={min_valid} (the best had {best:.3f}); lower min_valid"
        f"{example}, or raise max_tries, or check the nodata value and footprints of the files"
    )


class RandomPatchSampler(SeededPatchSampler[GridSpec]):
    """Random ``size`` patches drawn inside the footprints of a dataset's items.

    Each query is drawn in two steps: an item is picked with probability proportional to its
    footprint's area (footprints clipped to ``ds.bounds``, counted in pixels of ``ds.grid``), then a
    uniformly random position aligned with ``ds.grid`` where the patch lies inside that footprint.
    Along an axis where the footprint is smaller than the patch, the patch contains the footprint
    instead (centred on it, shifted to stay inside the box around all footprints).

    Randomness is seeded: the queries come from a NumPy ``Generator`` seeded with
    ``(seed, epoch)``, so the same seed and epoch give the same queries in the same order, on any
    machine and in any process, and iterating twice gives the same sequence. Call
    :meth:`set_epoch` between epochs to draw new patches (reproducibly).

    Args:
        ds: the dataset (see :class:`~eoforge.data.samplers.PatchDataset`).
        size: patch size in pixels, one number or ``(height, width)``.
        length: number of queries per epoch (``len(sampler)``).
        seed: seed of the random sequence (≥ 0).
        min_valid: when > 0, candidates with ``ds.valid_fraction(query) < min_valid`` are dropped
            and the next candidate drawn.
        max_tries: how many candidates in a row may be dropped before giving up.

    Raises:
        InvalidGridError: for a size, length, seed, min_valid or max_tries that is not valid.
        NoOverlapError: if no item footprint lies inside ``ds.bounds``.
        QueryOutsideError: while iterating, if ``max_tries`` candidates in a row fail ``min_valid``.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 100, 100), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds],
        ...                      valid_fraction=lambda q: 1.0)
        >>> sampler = RandomPatchSampler(ds, size=(16, 8), length=5, seed=3)
        >>> len(sampler), list(sampler) == list(sampler)
        (5, True)
        >>> first = list(sampler)
        >>> sampler.set_epoch(1)
        >>> list(sampler) == first
        False
    """

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.shape}, length={self.length}, seed={self.seed}, "
            f"epoch={self.epoch}, min_valid={self.min_valid}, max_tries={self.max_tries}, "
            f"items={len(self.layout)})"
        )

    def _candidates(self, rng: np.random.Generator) -> Iterator[GridSpec]:
        while True:
            items = self.layout.draw_items(rng, _CHUNK)
            rows, cols = self.layout.draw_origins(rng, items, self.shape)
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                yield self.layout.query(row, col, self.shape)

    def __iter__(self) -> Iterator[GridSpec]:
        rng = self.rng()
        candidates = self._candidates(rng)
        for _ in range(self.length):
            if self.min_valid <= 0.0:
                yield next(candidates)
                continue
            best = 0.0
            for _ in range(self.max_tries):
                query = next(candidates)
                fraction = self.ds.valid_fraction(query)
                if fraction >= self.min_valid:
                    break
                best = max(best, fraction)
            else:
                raise no_valid_patch_error(self.max_tries, self.shape, self.min_valid, best)
            yield query
