"""``split_fractions``: check the named shares of a split (names, non-negative, summing to 1).

Example:
    >>> split_fractions({"train": 0.8, "test": 0.2})
    {'train': 0.8, 'test': 0.2}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from eoforge.errors import InvalidGridError

__all__ = ["DEFAULT_BLOCK_FRACTIONS", "DEFAULT_RING_FRACTIONS", "split_fractions"]

DEFAULT_BLOCK_FRACTIONS: Mapping[str, float] = {"train": 0.7, "val": 0.15, "test": 0.15}
"""The shares :func:`~eoforge.data.splits.block_split` uses by default."""

DEFAULT_RING_FRACTIONS: Mapping[str, float] = {"train": 0.5, "val": 0.25, "test": 0.25}
"""The reBEN shares of :func:`~eoforge.data.splits.ring_split`: outer ring, middle ring, centre."""

_TOLERANCE = 1e-6


def split_fractions(fractions: Mapping[str, Any], name: str = "fractions") -> dict[str, float]:
    """``fractions`` as a ``{split name: share}`` dict, in the order given, once checked.

    Args:
        fractions: a mapping of split names (non-empty strings) to shares of the area, each ≥ 0,
            summing to 1 within 1e-6.
        name: the argument's name, for the error message.

    Raises:
        InvalidGridError: if it is not such a mapping (the message names the value and the fix).

    Example:
        >>> split_fractions({"a": 0.5, "b": 0.5}) == {"a": 0.5, "b": 0.5}
        True
    """
    example = f'e.g. {name}={{"train": 0.7, "val": 0.15, "test": 0.15}}'
    if not isinstance(fractions, Mapping) or not fractions:
        raise InvalidGridError(
            f"{name}={fractions!r} is not valid; give a mapping of split names to shares, {example}"
        )
    checked: dict[str, float] = {}
    for key, value in fractions.items():
        if not isinstance(key, str) or not key:
            raise InvalidGridError(
                f"split name {key!r} in {name}={dict(fractions)!r} is not valid; name each split "
                f"with a non-empty string, {example}"
            )
        try:
            share = float(value)
        except (TypeError, ValueError):
            share = math.nan
        if isinstance(value, bool) or not math.isfinite(share) or share < 0:
            raise InvalidGridError(
                f"the share {value!r} of split {key!r} in {name}={dict(fractions)!r} is not valid; "
                f"give a number between 0 and 1, {example}"
            )
        checked[key] = share
    total = math.fsum(checked.values())
    if abs(total - 1.0) > _TOLERANCE:
        raise InvalidGridError(
            f"the shares in {name}={dict(fractions)!r} sum to {total:.6g}, not 1; rescale them so "
            f"that they add up to 1, {example}"
        )
    return checked
