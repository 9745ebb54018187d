"""Surface water of the synthetic landscape: a meandering river, tributary streams and lakes.

A river is a centre line that wanders across the scene: along a random direction ``u``, its
lateral offset ``m(u)`` is the sum of a slow valley-scale bend and faster meanders (1-D smooth
noise), and a pixel is water where its distance to the line, ``|v - m(u)| / sqrt(1 + m'(u)²)``, is
less than half the local width. Streams join the main river (they exist only on one side of it).
Lakes are ellipses with a noisy shore line.

Example:
    >>> import numpy as np
    >>> w = water_bodies(np.random.Generator(np.random.PCG64(0)), (128, 128))
    >>> w.water.dtype, bool(w.water.any())
    (dtype('bool'), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eoforge.datasets.synthetic.geometry import (
    area_factor,
    lattice_positions,
    random_direction,
    rotated_coords,
)
from eoforge.datasets.synthetic.noise import smooth_noise, smooth_noise_1d, upsample

__all__ = ["WaterBodies", "water_bodies"]


@dataclass(frozen=True, slots=True)
class WaterBodies:
    """The water of a scene.

    Attributes:
        water: bool ``(H, W)``, True on rivers, streams and lakes.
        river: bool ``(H, W)``, True on rivers and streams only (turbid, flowing water).
        bank_distance: float32 ``(H, W)``, distance in pixels to the nearest river bank (negative
            inside the river).
        valley_distance: float32 ``(H, W)``, distance in pixels to the main river's valley axis
            (its course without the meanders); the DEM carves the valley with it.

    Example:
        >>> w = water_bodies(np.random.Generator(np.random.PCG64(2)), (64, 64))
        >>> bool((w.river <= w.water).all())
        True
    """

    water: np.ndarray
    river: np.ndarray
    bank_distance: np.ndarray
    valley_distance: np.ndarray


_STEP = 4  # lattice spacing (pixels) on which the smooth river profiles are evaluated


def _river(
    rng: np.random.Generator,
    shape: tuple[int, int],
    origin: tuple[float, float],
    direction: tuple[float, float],
    width: float,
    bend: float,
    meander: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance to the bank (px, negative inside), signed side, and distance to the valley axis.

    The signed distance to the centre line and the half width are smooth, so they are computed on
    a lattice every :data:`_STEP` pixels and interpolated; only ``|·|`` is taken per pixel. The
    valley axis is the course without meanders.
    """
    rows, cols = lattice_positions(shape[0], _STEP), lattice_positions(shape[1], _STEP)
    u, v = rotated_coords(rows, cols, origin, direction)
    umin = math.floor(float(u.min())) - 2
    n = math.ceil(float(u.max())) + 3 - umin
    big = 1.0 + 0.15 * min(shape)  # valley-scale bend, in pixels
    course = bend * smooth_noise_1d(rng, n, scale=big)
    offset = course + meander * smooth_noise_1d(rng, n, scale=4.0 * width + 6.0)
    widths = np.maximum(1.2, width * (1.0 + 0.25 * smooth_noise_1d(rng, n, scale=40.0)))
    slope = np.gradient(offset)
    grid = np.arange(umin, umin + n, dtype=np.float64)
    uf = u.ravel().astype(np.float64)
    side = v.ravel() - np.interp(uf, grid, offset)
    side = side / np.sqrt(1.0 + np.interp(uf, grid, slope) ** 2)
    half = 0.5 * np.interp(uf, grid, widths)
    axis = v.ravel() - np.interp(uf, grid, course)

    def to_pixels(values: np.ndarray) -> np.ndarray:
        return upsample(values.reshape(u.shape).astype(np.float32), shape, _STEP, cubic=True)

    side_px = to_pixels(side)
    return np.abs(side_px) - to_pixels(half), side_px, np.abs(to_pixels(axis))


def _lakes(rng: np.random.Generator, shape: tuple[int, int], count: int) -> np.ndarray:
    h, w = shape
    lakes = np.zeros(shape, dtype=bool)
    for _ in range(count):
        a = float(rng.uniform(0.03, 0.08)) * min(shape) + 6.0
        b = a * float(rng.uniform(0.45, 1.0))
        cy, cx = float(rng.uniform(0.1, 0.9)) * h, float(rng.uniform(0.1, 0.9)) * w
        direction = random_direction(rng)
        reach = 1.6 * a
        r0, r1 = max(0, int(cy - reach)), min(h, int(cy + reach) + 1)
        c0, c1 = max(0, int(cx - reach)), min(w, int(cx + reach) + 1)
        if r0 >= r1 or c0 >= c1:
            continue
        u, v = rotated_coords(np.arange(r0, r1), np.arange(c0, c1), (cy, cx), direction)
        box = (r1 - r0, c1 - c0)
        shore = smooth_noise(rng, box, max(3.0, a / 3), step=1) + 0.35 * smooth_noise(
            rng, box, max(1.5, a / 12), step=1
        )
        radius = np.sqrt((u / a) ** 2 + (v / b) ** 2) + 0.25 * shore
        lakes[r0:r1, c0:c1] |= radius < 1.0
    return lakes


def water_bodies(rng: np.random.Generator, shape: tuple[int, int]) -> WaterBodies:
    """Draw the rivers, streams and lakes of a scene.

    Args:
        rng: the random generator (the only source of randomness).
        shape: ``(height, width)`` in pixels.

    Example:
        >>> w = water_bodies(np.random.Generator(np.random.PCG64(1)), (64, 96))
        >>> w.bank_distance.shape
        (64, 96)
    """
    h, w = shape
    size = min(h, w)
    axis = random_direction(rng)
    centre = (
        h / 2 + float(rng.uniform(-0.2, 0.2)) * h * abs(axis[0]),
        w / 2 + float(rng.uniform(-0.2, 0.2)) * w * abs(axis[1]),
    )
    main_width = float(rng.uniform(5.0, 9.0))
    bank, side, valley = _river(
        rng, shape, centre, axis, main_width, bend=0.06 * size, meander=4.0 * main_width
    )
    river = bank < 0
    scale = area_factor(shape)
    n_streams = int(rng.integers(1, 3)) if scale >= 0.1 else 1
    for _ in range(n_streams):
        direction = random_direction(rng)
        origin = (float(rng.uniform(0.15, 0.85)) * h, float(rng.uniform(0.15, 0.85)) * w)
        s_bank, _, _ = _river(
            rng, shape, origin, direction, float(rng.uniform(1.6, 2.6)), 0.04 * size, 4.0
        )
        here = 1.0 if float(side[int(origin[0]), int(origin[1])]) >= 0 else -1.0
        s_bank = np.where(side * np.float32(here) > 0, s_bank, np.float32(np.inf))
        river |= s_bank < 0
        bank = np.minimum(bank, s_bank)
    n_lakes = max(1, round(scale * float(rng.uniform(1.5, 3.5))))
    water = river | _lakes(rng, shape, n_lakes)
    return WaterBodies(water=water, river=river, bank_distance=bank, valley_distance=valley)
