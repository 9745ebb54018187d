"""Checks of the arguments samplers share (patch size, stride, counts, seed).

Each check returns the normalised value or raises :class:`~eoforge.errors.InvalidGridError` with a
message naming the argument, its value and what to give instead.

Example:
    >>> patch_shape(256)
    (256, 256)
    >>> patch_shape((128, 64))
    (128, 64)
"""

from __future__ import annotations

import operator
from typing import Any

from eoforge.errors import InvalidGridError

__all__ = ["patch_shape", "positive_int", "seed_value", "share_value", "stride_shape"]

PatchSize = int | tuple[int, int]
"""A patch size in pixels: one number (square) or ``(height, width)``."""


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number ≥ 1.

    Example:
        >>> positive_int(3, "length")
        3
    """
    number = _as_int(value)
    if number is None or number < 1:
        raise InvalidGridError(f"{name}={value!r} is not valid; give a whole number ≥ 1")
    return number


def patch_shape(size: Any, name: str = "size") -> tuple[int, int]:
    """``(height, width)`` of a patch given as one number or a pair, both ≥ 1.

    Example:
        >>> patch_shape(32, "size")
        (32, 32)
    """
    pair = (size, size) if _as_int(size) is not None else size
    try:
        height, width = pair
    except (TypeError, ValueError):
        height = width = None
    h, w = _as_int(height), _as_int(width)
    if h is None or w is None or h < 1 or w < 1:
        raise InvalidGridError(
            f"{name}={size!r} is not a valid patch size; give a positive whole number of pixels, "
            f"e.g. {name}=256 or {name}=(256, 128)"
        )
    return (h, w)


def stride_shape(stride: Any, shape: tuple[int, int]) -> tuple[int, int]:
    """``(row_stride, col_stride)``; ``None`` means the patch size (no overlap).

    Raises:
        InvalidGridError: if a stride is < 1 or larger than the patch (that would leave gaps).

    Example:
        >>> stride_shape(None, (64, 32))
        (64, 32)
        >>> stride_shape(16, (64, 32))
        (16, 16)
    """
    if stride is None:
        return shape
    rows, cols = patch_shape(stride, "stride")
    if rows > shape[0] or cols > shape[1]:
        raise InvalidGridError(
            f"stride={stride!r} is larger than the patch size {shape}; patches would leave gaps "
            f"between them — give a stride ≤ the size (stride=None means stride = size)"
        )
    return (rows, cols)


def seed_value(seed: Any) -> int:
    """``seed`` as an ``int`` ≥ 0.

    Example:
        >>> seed_value(7)
        7
    """
    number = _as_int(seed)
    if number is None or number < 0:
        raise InvalidGridError(f"seed={seed!r} is not valid; give a whole number ≥ 0")
    return number


def share_value(value: Any, name: str) -> float:
    """``value`` as a float in ``[0, 1]`` (a share of pixels).

    Example:
        >>> share_value(0.5, "min_valid")
        0.5
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0.0 <= number <= 1.0:
        raise InvalidGridError(
            f"{name}={value!r} is not a share of valid pixels; give a number from 0 to 1 "
            "(0 keeps every patch)"
        )
    return number
