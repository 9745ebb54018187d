"""``OwnedPatches``: evaluation patches in which each pixel of the area counts exactly once.

A grid of patches covering an area overlaps where the last patch of a row or column is shifted
inward (see :class:`~eoforge.data.GridPatchSampler`). To score a model on every pixel once, each
patch marks as ``valid`` only the window it *owns*; losses and metrics skip invalid pixels.

Example:
    >>> import torch
    >>> from eoforge.data.samplers import PixelWindow
    >>> class Tiny:
    ...     def __getitem__(self, q):
    ...         return {"image": torch.zeros(1, 4, 4), "valid": torch.ones(4, 4, dtype=torch.bool)}
    >>> patches = OwnedPatches(Tiny(), [("q", PixelWindow(1, 0, 3, 4))])
    >>> patches[0]["valid"].sum().item()
    12
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import Dataset

from eoforge.data.samplers import PixelWindow

__all__ = ["OwnedPatches"]


class OwnedPatches(Dataset[dict[str, Any]]):
    """Patches ``(query, owned window)`` of a dataset, ``valid`` only where the patch owns.

    Args:
        ds: the dataset the queries index (a :class:`~eoforge.data.GeoDataset` or a view).
        patches: ``(query, owned)`` pairs, e.g. ``list(sampler.iter_with_ownership())``.
    """

    def __init__(self, ds: Any, patches: Sequence[tuple[Any, PixelWindow]]) -> None:
        self.ds = ds
        self.patches = list(patches)

    def __len__(self) -> int:
        return len(self.patches)

    def _owned(self, sample: dict[str, Any], owned: PixelWindow) -> dict[str, Any]:
        image = sample["image"]
        keep = torch.zeros(image.shape[-2:], dtype=torch.bool)
        keep[owned.slices] = True
        valid = sample.get("valid")
        return {**sample, "valid": keep if valid is None else valid & keep}

    def __getitem__(self, index: int) -> dict[str, Any]:
        query, owned = self.patches[index]
        return self._owned(self.ds[query], owned)

    def __getitems__(self, indexes: Sequence[int]) -> list[dict[str, Any]]:
        """Read several patches at once (side by side when the dataset can)."""
        pairs = [self.patches[i] for i in indexes]
        read = getattr(self.ds, "__getitems__", None)
        queries = [query for query, _ in pairs]
        samples = read(queries) if callable(read) else [self.ds[q] for q in queries]
        return [self._owned(s, owned) for s, (_, owned) in zip(samples, pairs, strict=True)]
