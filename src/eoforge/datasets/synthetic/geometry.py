"""Small geometric helpers of the synthetic landscape: pixel coordinates and random directions.

Example:
    >>> import numpy as np
    >>> dx, dy = random_direction(np.random.Generator(np.random.PCG64(0)))
    >>> round(dx * dx + dy * dy, 6)
    1.0
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["area_factor", "lattice_positions", "random_direction", "rotated_coords"]

_REFERENCE_PIXELS = 2048 * 2048


def area_factor(shape: tuple[int, int]) -> float:
    """Area of ``shape`` relative to a 2048 x 2048 scene (feature counts scale with it).

    Example:
        >>> area_factor((1024, 1024))
        0.25
    """
    return shape[0] * shape[1] / _REFERENCE_PIXELS


def random_direction(rng: np.random.Generator) -> tuple[float, float]:
    """A uniformly random unit vector ``(dx, dy)`` (normalised Gaussian pair; no trigonometry).

    Example:
        >>> dx, dy = random_direction(np.random.Generator(np.random.PCG64(4)))
        >>> abs(dx) <= 1 and abs(dy) <= 1
        True
    """
    while True:
        x, y = (float(v) for v in rng.standard_normal(2))
        norm = math.sqrt(x * x + y * y)
        if norm > 1e-3:
            return (x / norm, y / norm)


def lattice_positions(n: int, step: int) -> np.ndarray:
    """Pixel positions of the nodes of a lattice covering ``n`` pixels every ``step`` pixels.

    Node ``i`` sits at pixel ``(i - 1)·step``: one node of margin before the first pixel and two
    after the last, as :func:`~eoforge.datasets.synthetic.noise.upsample` expects.

    Example:
        >>> lattice_positions(8, 4).tolist()
        [-4.0, 0.0, 4.0, 8.0, 12.0]
    """
    return (np.arange(-(-n // step) + 3, dtype=np.float32) - 1) * np.float32(step)


def rotated_coords(
    rows: np.ndarray,
    cols: np.ndarray,
    origin: tuple[float, float],
    direction: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates along (``u``) and across (``v``) a direction of the pixels ``rows x cols``.

    ``u`` grows along ``direction = (dx, dy)`` (x = column, y = row) from ``origin = (row, col)``,
    ``v`` along the normal ``(-dy, dx)``. ``rows`` and ``cols`` are 1-D pixel positions; the result
    is float32 ``(len(rows), len(cols))``.

    Example:
        >>> u, v = rotated_coords(np.arange(2), np.arange(3), (0.0, 0.0), (1.0, 0.0))
        >>> u[0].tolist(), v[:, 0].tolist()
        ([0.0, 1.0, 2.0], [0.0, 1.0])
    """
    y = (np.asarray(rows, dtype=np.float32) - np.float32(origin[0]))[:, None]
    x = (np.asarray(cols, dtype=np.float32) - np.float32(origin[1]))[None, :]
    dx, dy = np.float32(direction[0]), np.float32(direction[1])
    return x * dx + y * dy, y * dx - x * dy
