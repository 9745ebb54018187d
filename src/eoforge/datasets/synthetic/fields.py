"""Agricultural field parcels: long strips cut into fields, each with its own crop and stage.

The parcel pattern is built in coordinates rotated to a random cadastral direction and gently
warped by smooth noise (so that field edges curve a little, as they do in real landscapes):
strips of varying width run along ``v``, and each strip is cut along ``u`` into fields of its own
length. Every field draws whether it is sown (cropland) or a pasture (grassland), and its crop
stage — bare tilled soil, half-grown, or full green canopy — so cropland spectra vary from field
to field and some crop fields look like grassland or bare ground.

Example:
    >>> import numpy as np
    >>> f = field_parcels(np.random.Generator(np.random.PCG64(0)), (128, 128))
    >>> f.field_id.shape, bool(f.is_crop.any() and (~f.is_crop).any())
    ((128, 128), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eoforge.datasets.synthetic.geometry import random_direction, rotated_coords
from eoforge.datasets.synthetic.noise import smooth_noise

__all__ = ["FieldParcels", "field_parcels"]

CROP_SHARE = 0.72
"""Share of the parcels that are sown; the others are pastures (grassland)."""


@dataclass(frozen=True, slots=True)
class FieldParcels:
    """The parcel layer of a scene (defined everywhere; the landscape masks it to farmland).

    Attributes:
        field_id: int64 ``(H, W)``, one id per parcel.
        is_crop: bool ``(H, W)``, True on sown parcels, False on pastures.
        stage: float32 ``(H, W)``: on crop parcels the green-canopy fraction (0 = tilled soil,
            1 = full canopy); on pastures the dryness of the grass.
        grassy: float32 ``(H, W)``: on a quarter of the crop parcels (young cereals, fodder grass)
            the weight of a grass spectrum mixed into the crop's, 0.7-0.95; 0 elsewhere.
        margin: bool ``(H, W)``, True on the pixels along a parcel boundary.

    Example:
        >>> f = field_parcels(np.random.Generator(np.random.PCG64(1)), (48, 48))
        >>> bool((f.grassy[~f.is_crop] == 0).all())
        True
    """

    field_id: np.ndarray
    is_crop: np.ndarray
    stage: np.ndarray
    grassy: np.ndarray
    margin: np.ndarray


def _parcel_stages(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per parcel: sown or not, the stage (canopy fraction, or pasture dryness), grassiness."""
    is_crop = rng.random(n) < CROP_SHARE
    pick = rng.random(n)
    canopy = np.where(
        pick < 0.15,
        rng.uniform(0.0, 0.08, n),  # tilled, bare soil
        np.where(pick < 0.5, rng.uniform(0.3, 0.75, n), rng.uniform(0.75, 1.0, n)),
    )
    dryness = rng.uniform(0.0, 0.45, n)
    grassy = np.where(is_crop & (rng.random(n) < 0.25), rng.uniform(0.7, 0.95, n), 0.0)
    stage = np.where(is_crop, canopy, dryness).astype(np.float32)
    return is_crop, stage, grassy.astype(np.float32)


def field_parcels(rng: np.random.Generator, shape: tuple[int, int]) -> FieldParcels:
    """Draw the field parcels of a scene.

    Args:
        rng: the random generator.
        shape: ``(height, width)`` in pixels (10 m): strips are 180-550 m wide, fields 250-850 m
            long.

    Example:
        >>> f = field_parcels(np.random.Generator(np.random.PCG64(2)), (64, 64))
        >>> f.stage.dtype
        dtype('float32')
    """
    h, w = shape
    direction = random_direction(rng)
    u, v = rotated_coords(np.arange(h), np.arange(w), (h / 2, w / 2), direction)
    u += np.float32(6.0) * smooth_noise(rng, shape, 150.0)
    v += np.float32(6.0) * smooth_noise(rng, shape, 150.0)
    reach = 0.5 * math.hypot(h, w) + 40.0  # |u|, |v| stay below this
    n_strips = math.ceil(2 * reach / 18.0) + 1
    edges = np.float32(-reach) + np.cumsum(rng.uniform(18.0, 55.0, n_strips)).astype(np.float32)
    strip = np.searchsorted(edges, v)
    lengths = rng.uniform(25.0, 85.0, n_strips + 1).astype(np.float32)
    phase = (rng.random(n_strips + 1) * lengths).astype(np.float32)
    per_strip = math.ceil(2 * reach / 25.0) + 2
    along = np.floor((u + np.float32(reach) + phase[strip]) / lengths[strip]).astype(np.int64)
    field_id = strip.astype(np.int64) * per_strip + along
    is_crop_table, stage_table, grassy_table = _parcel_stages(rng, (n_strips + 1) * per_strip)
    margin = np.zeros(shape, dtype=bool)
    margin[:, 1:] |= field_id[:, 1:] != field_id[:, :-1]
    margin[1:, :] |= field_id[1:, :] != field_id[:-1, :]
    return FieldParcels(
        field_id=field_id,
        is_crop=is_crop_table[field_id],
        stage=stage_table[field_id],
        grassy=grassy_table[field_id],
        margin=margin,
    )
