"""``collate``: turn a list of samples into one batch (a ``DataLoader`` ``collate_fn``).

Tensors (and numpy arrays) are stacked along a new first axis; every other value — the sample's
``grid`` (a :class:`~eoforge.geo.GridSpec`), its ``bands`` (a list of names), any metadata — is
gathered into a list, one entry per sample, so that georeferencing survives batching.

Example:
    >>> import torch
    >>> samples = [{"image": torch.zeros(3, 4, 4), "bands": ["R", "G", "B"]} for _ in range(2)]
    >>> batch = collate(samples)
    >>> tuple(batch["image"].shape), batch["bands"][1]
    ((2, 3, 4, 4), ['R', 'G', 'B'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate

from eoforge.errors import EoforgeError

__all__ = ["collate"]


def _is_stackable(value: object) -> bool:
    return isinstance(value, torch.Tensor | np.ndarray)


def collate(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stack the samples' tensors into a batch; gather everything else into lists.

    Works as ``DataLoader(..., collate_fn=collate)``: inside a worker process the stacked tensors
    are allocated in shared memory (torch's ``default_collate`` does the stacking), so handing the
    batch to the main process costs no extra copy.

    Args:
        samples: sample dicts with the same keys, e.g. from :class:`~eoforge.data.GeoDataset`.

    Returns:
        A dict with the same keys: ``(B, ...)`` tensors for tensor/array values (``image``,
        ``mask``, ``target``, ``valid``), lists of length ``B`` for the rest (``grid``,
        ``bands``, …).

    Raises:
        EoforgeError: if the batch is empty, the samples' keys differ, or tensors under one key have
            different shapes (give every query the same size, e.g. one sampler ``size``).

    Example:
        >>> import torch
        >>> s = {"mask": torch.ones(2, 2, dtype=torch.int64), "grid": "g"}
        >>> b = collate([s, s, s])
        >>> b["mask"].shape, b["mask"].dtype, b["grid"]
        (torch.Size([3, 2, 2]), torch.int64, ['g', 'g', 'g'])
    """
    if len(samples) == 0:
        raise EoforgeError("cannot collate an empty list of samples; give at least one sample")
    keys = list(samples[0].keys())
    for i, sample in enumerate(samples[1:], start=1):
        if set(sample.keys()) != set(keys):
            raise EoforgeError(
                f"sample {i} has keys {sorted(sample.keys())} but sample 0 has {sorted(keys)}; "
                "every sample of a batch must carry the same keys (same dataset, same transforms)"
            )
    batch: dict[str, Any] = {}
    for key in keys:
        values = [sample[key] for sample in samples]
        if not _is_stackable(values[0]):
            batch[key] = values
            continue
        if not all(_is_stackable(v) for v in values):
            raise EoforgeError(
                f"cannot stack {key!r}: some samples hold a tensor there and others do not; "
                "make the transforms return the same types for every sample"
            )
        shapes = {tuple(v.shape) for v in values}
        if len(shapes) > 1:
            raise EoforgeError(
                f"cannot stack {key!r}: the samples have shapes {sorted(shapes)}; query patches of "
                "one size (e.g. one sampler size), or resize them in transforms"
            )
        batch[key] = default_collate(values)
    return batch
