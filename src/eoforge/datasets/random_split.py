"""``stratified_split``: a seeded train/val/test split of samples, the same shares in each class.

For datasets without official splits (a user's folder of images): each class's samples are
shuffled with a generator seeded by ``(seed, class)`` and cut by the shares, with the counts
rounded by largest remainder so that they add up to the class's size. The same seed and the same
files give the same split on every machine, and adding files of one class leaves the split of
the other classes as it was.

Example:
    >>> parts = stratified_split([0, 0, 0, 0, 1, 1, 1, 1], (0.5, 0.25, 0.25), seed=0)
    >>> {name: len(indexes) for name, indexes in parts.items()}
    {'train': 4, 'val': 2, 'test': 2}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from eoforge.data.splits.split_fractions import split_fractions
from eoforge.errors import InvalidGridError

__all__ = ["SPLIT_NAMES", "as_split_fractions", "stratified_split"]

SPLIT_NAMES: tuple[str, str, str] = ("train", "val", "test")
"""The names of the three shares given as a sequence."""


def as_split_fractions(fractions: Sequence[float] | Mapping[str, float]) -> dict[str, float]:
    """``{"train": …, "val": …, "test": …}`` from three shares, or a checked mapping.

    Raises:
        InvalidGridError: the shares are not non-negative numbers summing to 1.

    Example:
        >>> as_split_fractions((0.8, 0.1, 0.1))
        {'train': 0.8, 'val': 0.1, 'test': 0.1}
    """
    if isinstance(fractions, Mapping):
        return split_fractions(fractions, "split_fractions")
    shares = list(fractions) if isinstance(fractions, Sequence) else []
    if len(shares) != 3:
        raise InvalidGridError(
            f"split_fractions={fractions!r} is not valid; give three shares (train, val, test) "
            "summing to 1, e.g. (0.8, 0.1, 0.1), or a mapping {'train': 0.8, 'val': 0.2}"
        )
    return split_fractions(dict(zip(SPLIT_NAMES, shares, strict=True)), "split_fractions")


def _counts(size: int, shares: Sequence[float]) -> list[int]:
    """Counts that sum to ``size``, proportional to ``shares`` (largest remainder)."""
    exact = [size * s for s in shares]
    counts = [math.floor(e) for e in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: size - sum(counts)]:
        counts[i] += 1
    return counts


def stratified_split(
    labels: Sequence[int],
    fractions: Sequence[float] | Mapping[str, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> dict[str, list[int]]:
    """Split sample positions into named parts with the same shares in every class.

    Args:
        labels: the class of each sample (one value for all: an unstratified random split).
        fractions: three shares (train, val, test) or a ``{name: share}`` mapping, summing to 1.
        seed: the seed of the shuffles.

    Returns:
        ``{name: sorted sample positions}``, in the order of ``fractions``.

    Raises:
        InvalidGridError: the shares are not valid.

    Example:
        >>> stratified_split([5, 5, 5, 5], {"a": 0.5, "b": 0.5}, seed=1) == stratified_split(
        ...     [5, 5, 5, 5], {"a": 0.5, "b": 0.5}, seed=1)
        True
    """
    shares = as_split_fractions(fractions)
    names = list(shares)
    parts: dict[str, list[int]] = {name: [] for name in names}
    values = np.asarray(list(labels))
    for class_value in np.unique(values):
        members = np.flatnonzero(values == class_value)
        rng = np.random.default_rng([seed % 2**63, int(class_value) % 2**32])
        order = members[rng.permutation(len(members))]
        start = 0
        for name, count in zip(names, _counts(len(members), list(shares.values())), strict=True):
            parts[name].extend(int(i) for i in order[start : start + count])
            start += count
    return {name: sorted(indexes) for name, indexes in parts.items()}
