"""``RandomFlipRotate``: the eight flips and quarter turns of a batch, image and labels alike.

Earth-observation patches have no up or down: a patch flipped or turned by 90° is as plausible as
the original, so these eight symmetries (the dihedral group of the square) are the standard
augmentation. Applied to a batch on the model's device, each sample gets its own random symmetry;
every dense key of the batch (``image``, ``mask``, ``target``, ``valid``) is moved identically.
The randomness comes from torch's generator (``torch.manual_seed`` / Lightning's
``seed_everything`` make it reproducible) or from a ``generator`` given.

Example:
    >>> import torch
    >>> batch = {"image": torch.arange(8.0).reshape(2, 1, 2, 2),
    ...          "mask": torch.arange(8).reshape(2, 2, 2)}
    >>> out = RandomFlipRotate(generator=torch.Generator().manual_seed(0))(batch)
    >>> bool((out["image"][:, 0] == out["mask"]).all())  # image and mask moved together
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

__all__ = ["DENSE_KEYS", "RandomFlipRotate", "flip_rotate"]

DENSE_KEYS = ("image", "mask", "target", "valid")
"""Batch keys whose last two axes are the patch's rows and columns."""


def flip_rotate(x: Tensor, code: int) -> Tensor:
    """Symmetry ``code`` (0-7) of the last two axes: ``code % 4`` quarter turns, then a flip if > 3.

    Example:
        >>> flip_rotate(torch.tensor([[1, 2], [3, 4]]), 1).tolist()  # a quarter turn
        [[2, 4], [1, 3]]
    """
    out = torch.rot90(x, code % 4, dims=(-2, -1))
    return torch.flip(out, dims=(-1,)) if code >= 4 else out


class RandomFlipRotate:
    """Apply a random one of the eight square symmetries to each sample of a batch.

    Args:
        rotate: include the quarter turns (needs square patches); with ``False`` only the
            horizontal and vertical flips.
        generator: the random generator (default: torch's global one).
    """

    def __init__(self, rotate: bool = True, generator: torch.Generator | None = None) -> None:
        self.rotate = rotate
        self.generator = generator

    def _codes(self, n: int) -> list[int]:
        if self.rotate:
            return torch.randint(0, 8, (n,), generator=self.generator).tolist()
        flips = torch.randint(0, 4, (n,), generator=self.generator).tolist()
        return [(0, 4, 6, 2)[f] for f in flips]  # none, left-right, up-down, both (= half turn)

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        """A new batch dict with the dense keys transformed (other keys unchanged)."""
        keys = [k for k in DENSE_KEYS if isinstance(batch.get(k), Tensor)]
        out = dict(batch)
        if not keys:
            return out
        n = batch[keys[0]].shape[0]
        square = all(batch[k].shape[-1] == batch[k].shape[-2] for k in keys)
        codes = (
            self._codes(n)
            if (square or not self.rotate)
            else RandomFlipRotate(rotate=False, generator=self.generator)._codes(n)
        )
        for key in keys:
            value = batch[key]
            out[key] = torch.stack([flip_rotate(value[i], c) for i, c in enumerate(codes)])
        return out
