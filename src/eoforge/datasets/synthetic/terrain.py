"""Terrain of the synthetic landscape: a smooth DEM with river valleys, and its hillshade.

The hillshade multiplies the reflectance of every land pixel, as terrain illumination does in real
Sentinel-2 scenes (slopes facing the sun are brighter, the others darker).

Example:
    >>> import numpy as np
    >>> rng = np.random.Generator(np.random.PCG64(0))
    >>> dem = elevation(rng, (64, 64), np.full((64, 64), 50.0, dtype=np.float32))
    >>> shade = hillshade(dem)
    >>> shade.dtype, bool(0.3 <= shade.min() and shade.max() <= 1.6)
    (dtype('float32'), True)
"""

from __future__ import annotations

import numpy as np

from eoforge.datasets.synthetic.noise import smooth_noise

__all__ = ["SUN", "elevation", "hillshade"]

SUN = (0.3237, -0.6943, 0.6428)
"""Unit vector to the sun (east, north, up): azimuth 155°, elevation 40° — a mid-latitude
Sentinel-2 morning overpass (cos/sin written out so that no maths library is involved)."""


def elevation(
    rng: np.random.Generator, shape: tuple[int, int], valley_distance: np.ndarray
) -> np.ndarray:
    """A DEM in metres (float32): rolling hills at several scales, valleys along the rivers.

    Args:
        rng: the random generator.
        shape: ``(height, width)``.
        valley_distance: distance to the main valley's axis in pixels (carves the valley).

    Example:
        >>> rng = np.random.Generator(np.random.PCG64(1))
        >>> elevation(rng, (32, 48), np.zeros((32, 48), np.float32)).shape
        (32, 48)
    """
    f32 = np.float32

    def field(scale: float) -> np.ndarray:
        return smooth_noise(rng, shape, scale, cubic=True)

    base = field(350.0)
    # ruggedness grows with height: flat lowlands, steep wooded hills
    rugged = np.clip(f32(0.5) + f32(0.6) * base + f32(0.4) * field(250.0), f32(0), f32(1.5))
    hills = f32(80.0) * base + rugged * (f32(110.0) * field(45.0) + f32(20.0) * field(10.0))
    d = valley_distance / np.float32(150.0)
    valley = np.float32(60.0) / (np.float32(1.0) + d * d)  # rational profile, no exp()
    return np.float32(250.0) + hills - valley


def hillshade(
    dem: np.ndarray, res: float = 10.0, sun: tuple[float, float, float] = SUN
) -> np.ndarray:
    """Relative illumination of each pixel: cosine of the incidence angle over that of flat ground.

    1 on flat ground, above 1 on slopes facing the sun, below on slopes turned away; clipped to
    ``[0.3, 1.6]``.

    Args:
        dem: elevation in metres ``(H, W)``.
        res: pixel size in metres.
        sun: unit vector towards the sun (east, north, up).

    Example:
        >>> ramp = np.tile(np.arange(8, dtype=np.float32) * 2, (4, 1))  # rises to the east
        >>> bool(hillshade(ramp)[2, 4] < 1.0)  # faces west, away from the south-eastern sun
        True
    """
    z = np.asarray(dem, dtype=np.float32)
    dz_drow, dz_dcol = np.gradient(z)
    gx = dz_dcol / np.float32(res)  # towards east
    gy = -dz_drow / np.float32(res)  # towards north (rows run south)
    sx, sy, sz = (np.float32(c) for c in sun)
    cos_i = (sz - gx * sx - gy * sy) / np.sqrt(np.float32(1) + gx * gx + gy * gy)
    shade: np.ndarray = np.clip(cos_i / sz, np.float32(0.3), np.float32(1.6)).astype(np.float32)
    return shade
