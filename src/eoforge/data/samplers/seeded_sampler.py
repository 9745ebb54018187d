"""``SeededPatchSampler``: what the random samplers share — arguments, epochs and their generator.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import GridSpec
    >>> g = GridSpec.from_bounds((0, 0, 100, 100), 1, crs=3857)
    >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
    >>> a, b = SeededPatchSampler(ds, 8, length=3, seed=1), SeededPatchSampler(ds, 8, 3, seed=1)
    >>> len(a), bool(a.rng().integers(99) == b.rng().integers(99))
    (3, True)
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from torch.utils.data import Sampler

from eoforge.data.samplers.footprint_layout import FootprintLayout
from eoforge.data.samplers.patch_dataset import PatchDataset
from eoforge.data.samplers.sampler_arguments import (
    patch_shape,
    positive_int,
    seed_value,
    share_value,
)

__all__ = ["SeededPatchSampler"]

T = TypeVar("T")


class SeededPatchSampler(Sampler[T]):
    """Base of the random patch samplers: validated arguments, ``len``, epochs, a seeded generator.

    Args:
        ds: the dataset (see :class:`~eoforge.data.samplers.PatchDataset`).
        size: patch size in pixels, one number or ``(height, width)``.
        length: number of draws per epoch (``len(sampler)``).
        seed: seed of the random sequence (≥ 0).
        min_valid: minimum ``ds.valid_fraction`` of a patch (0 keeps every patch).
        max_tries: candidates in a row that may be dropped before giving up.
    """

    def __init__(
        self,
        ds: PatchDataset,
        size: int | tuple[int, int],
        length: int,
        *,
        seed: int = 0,
        min_valid: float = 0.0,
        max_tries: int = 100,
    ) -> None:
        super().__init__()
        self.shape = patch_shape(size)
        self.length = positive_int(length, "length")
        self.seed = seed_value(seed)
        self.min_valid = share_value(min_valid, "min_valid")
        self.max_tries = positive_int(max_tries, "max_tries")
        self.epoch = 0
        self.ds = ds
        self.layout = FootprintLayout(ds)

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        """Use the random sequence of ``epoch`` (seeded with ``(seed, epoch)``) from now on."""
        self.epoch = seed_value(epoch)

    def rng(self) -> np.random.Generator:
        """A fresh generator for the current epoch: iterating twice gives the same draws."""
        return np.random.default_rng((self.seed, self.epoch))
