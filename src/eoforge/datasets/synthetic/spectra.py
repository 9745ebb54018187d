"""Rendering: from a landscape to Sentinel-2-like surface reflectance, stored as uint16 x 10 000.

Per band, each pixel's reflectance is built the way a sensor would see it:

1. the class spectrum, a mixture ``(1 - alpha)·A + alpha·B`` of the class's two endmembers;
2. a lush-grass spectrum mixed in where the landscape says so (field margins, grass-like crops,
   sparse vegetation); texture and terrain illumination (hillshade) multiplied in;
3. the sensor's point-spread function (a light 3-tap blur) on 10 m bands, and 20 m / 60 m bands
   averaged over 2 x 2 / 6 x 6 pixel blocks, so they carry only their native detail;
4. sensor noise (an offset part and a part proportional to the signal);
5. scaling by 10 000 and rounding to uint16, as in Sentinel-2 L2A products, kept ≥ 1 so that 0
   stays free for nodata.

Example:
    >>> import numpy as np
    >>> from eoforge.datasets.synthetic.landscape import generate_landscape
    >>> land = generate_landscape((64, 64), np.random.SeedSequence(0))
    >>> img = render(land, ("B04", "B08"), np.random.SeedSequence(0))
    >>> img.shape, img.dtype, bool(img.min() >= 1)
    ((2, 64, 64), dtype('uint16'), True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from eoforge.datasets.synthetic.classes import GRASSLAND
from eoforge.datasets.synthetic.landscape import Landscape
from eoforge.datasets.synthetic.noise import blur3, triangular_noise
from eoforge.datasets.synthetic.signatures import NATIVE_RESOLUTION, check_bands, endmembers

__all__ = ["REFLECTANCE_SCALE", "block_mean", "render"]

REFLECTANCE_SCALE = 10_000
"""Stored value = reflectance x this (Sentinel-2 L2A convention, no offset)."""

_NOISE_FLOOR = 0.0015  # reflectance
_NOISE_GAIN = 0.008  # share of the signal
_PSF_SIDE = 0.15  # 3-tap point-spread function weight of each neighbour


def block_mean(band: np.ndarray, k: int) -> np.ndarray:
    """Average over ``k x k`` blocks, broadcast back to every pixel of the block (float32).

    Blocks start at the top-left corner; the last row/column of blocks may be partial (edge
    pixels are repeated to fill them before averaging).

    Example:
        >>> block_mean(np.arange(4, dtype=np.float32).reshape(1, 4), 2)
        array([[0.5, 0.5, 2.5, 2.5]], dtype=float32)
    """
    if k <= 1:
        return band
    h, w = band.shape
    hp, wp = -(-h // k) * k, -(-w // k) * k
    padded = np.pad(band, ((0, hp - h), (0, wp - w)), mode="edge")
    blocks = padded.reshape(hp // k, k, wp // k, k).mean(axis=(1, 3), dtype=np.float32)
    return np.repeat(np.repeat(blocks, k, axis=0), k, axis=1)[:h, :w]


def _band_stream(seed: np.random.SeedSequence, name: str) -> np.random.Generator:
    """The sensor-noise stream of one band: keyed by the band's name, not its position."""
    key = int.from_bytes(name.encode("ascii"), "big")
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))
    return np.random.Generator(np.random.PCG64(child))


def render(land: Landscape, bands: Sequence[str], seed: np.random.SeedSequence) -> np.ndarray:
    """Render ``land`` into a uint16 ``(len(bands), H, W)`` reflectance image (x 10 000).

    Args:
        land: the landscape (labels and per-pixel attributes).
        bands: Sentinel-2 band names, in the order of the output.
        seed: seed of the sensor noise; each band draws from its own stream keyed by its name, so
            a band's values do not depend on which other bands are rendered.

    Example:
        >>> from eoforge.datasets.synthetic.landscape import generate_landscape
        >>> land = generate_landscape((32, 32), np.random.SeedSequence(1))
        >>> two = render(land, ["B02", "B08"], np.random.SeedSequence(5))
        >>> one = render(land, ["B08"], np.random.SeedSequence(5))
        >>> bool((two[1] == one[0]).all())
        True
    """
    names = check_bands(bands)
    table_a, table_b = endmembers(names)
    labels = land.labels
    factor = land.brightness * land.shade
    grassy = np.flatnonzero(land.grass_mix > 0)
    grass_weight = land.grass_mix.ravel()[grassy]
    out = np.empty((len(names), *labels.shape), dtype=np.uint16)
    for i, name in enumerate(names):
        a = np.take(table_a[:, i], labels)
        b = np.take(table_b[:, i], labels)
        signal = a + (b - a) * land.mix
        flat = signal.ravel()
        flat[grassy] += (table_a[GRASSLAND, i] - flat[grassy]) * grass_weight
        signal *= factor
        k = NATIVE_RESOLUTION[name] // 10
        signal = blur3(signal, _PSF_SIDE) if k == 1 else block_mean(signal, k)
        noise = triangular_noise(_band_stream(seed, name), labels.shape)
        signal += (np.float32(_NOISE_FLOOR) + np.float32(_NOISE_GAIN) * signal) * noise
        signal = np.rint(signal * np.float32(REFLECTANCE_SCALE))
        out[i] = np.clip(signal, 1, 65535)
    return out
