"""The land-cover map of a synthetic scene and the per-pixel attributes its spectra are drawn from.

The landscape is assembled in layers, each drawn from its own random stream:

1. water — a meandering river, tributary streams, lakes (:mod:`.water`);
2. terrain — a DEM with valleys along the rivers, and its hillshade (:mod:`.terrain`);
3. zones — farmland in the lowlands, forest on the hills (thresholded smooth noise, cleaned of
   specks), dry sparse patches on high open ground;
4. field parcels on the farmland: sown fields (cropland) and pastures (grassland) (:mod:`.fields`);
5. quarries (bare), some holding a pond; gallery woods along the rivers;
6. settlements with streets and buildings, and country roads between them (:mod:`.settlements`).

Grassland is the matrix everything else is drawn on. Shares are set with quantiles of the random
scores, so they stay close to the targets whatever the seed.

Example:
    >>> import numpy as np
    >>> land = generate_landscape((128, 128), np.random.SeedSequence(0))
    >>> land.labels.dtype, land.labels.shape
    (dtype('uint8'), (128, 128))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eoforge.datasets.synthetic.classes import BARE, BUILT_UP, CROPLAND, GRASSLAND, TREE, WATER
from eoforge.datasets.synthetic.fields import field_parcels
from eoforge.datasets.synthetic.geometry import area_factor, random_direction, rotated_coords
from eoforge.datasets.synthetic.noise import blur3, box_mean, smooth_noise, triangular_noise
from eoforge.datasets.synthetic.settlements import settlements
from eoforge.datasets.synthetic.terrain import elevation, hillshade
from eoforge.datasets.synthetic.water import water_bodies

__all__ = ["Landscape", "generate_landscape"]

FARMLAND_SHARE = 0.55
"""Share of the scene in the farmland zone (fields), before water and settlements."""

# Texture amplitude (relative brightness variation) per class id.
_TEXTURE = np.array([0.03, 0.16, 0.07, 0.03, 0.12, 0.10], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Landscape:
    """A label map and the per-pixel attributes the renderer turns into reflectance.

    Attributes:
        labels: uint8 ``(H, W)`` class ids.
        mix: float32 ``(H, W)``, fraction ``alpha`` of endmember B in the pixel's class spectrum.
        brightness: float32 ``(H, W)``, multiplicative texture (and asphalt darkening).
        grass_mix: float32 ``(H, W)``, weight of a lush-grass spectrum mixed in (grassy field
            margins, grass-like crops, sparse vegetation on bare ground).
        shade: float32 ``(H, W)``, terrain illumination factor (1 on water and flat ground).
        dem: float32 ``(H, W)``, elevation in metres.

    Example:
        >>> land = generate_landscape((48, 48), np.random.SeedSequence(2))
        >>> bool((land.shade[land.labels == 0] == 1).all())  # water is not shaded
        True
    """

    labels: np.ndarray
    mix: np.ndarray
    brightness: np.ndarray
    grass_mix: np.ndarray
    shade: np.ndarray
    dem: np.ndarray


def _top_share(score: np.ndarray, share: float) -> np.float32:
    """Threshold above which about ``share`` of ``score`` lies (quantile of a regular subsample)."""
    sample = score[::4, ::4]
    return np.float32(np.quantile(sample, 1.0 - share))


def _quarries(
    rng: np.random.Generator, shape: tuple[int, int], avoid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quarry pits (rounded rectangles with ragged rims) and the ponds some of them hold."""
    h, w = shape
    pits = np.zeros(shape, dtype=bool)
    ponds = np.zeros(shape, dtype=bool)
    scale = area_factor(shape)
    shrink = min(1.0, 2.0 * math.sqrt(scale))
    for _ in range(max(1, round(scale * float(rng.uniform(3.0, 6.0))))):
        a = 5.0 + shrink * float(rng.uniform(10.0, 40.0))
        b = a * float(rng.uniform(0.4, 1.0))
        for _attempt in range(8):
            cy, cx = float(rng.uniform(0.1, 0.9)) * h, float(rng.uniform(0.1, 0.9)) * w
            if not avoid[int(cy), int(cx)]:
                break
        r0, r1 = max(0, int(cy - 1.3 * a)), min(h, int(cy + 1.3 * a) + 1)
        c0, c1 = max(0, int(cx - 1.3 * a)), min(w, int(cx + 1.3 * a) + 1)
        u, v = rotated_coords(np.arange(r0, r1), np.arange(c0, c1), (cy, cx), random_direction(rng))
        rim = smooth_noise(rng, (r1 - r0, c1 - c0), scale=max(2.0, a / 5), step=1)
        # a superellipse of order 4: between an ellipse and a rectangle
        q = (u / np.float32(a)) ** 2
        p = (v / np.float32(b)) ** 2
        radius = np.sqrt(np.sqrt(q * q + p * p)) + np.float32(0.12) * rim
        pits[r0:r1, c0:c1] |= radius < 1
        if rng.random() < 0.35:
            ponds[r0:r1, c0:c1] |= radius < 0.45
    return pits & ~avoid, ponds & ~avoid


def generate_landscape(shape: tuple[int, int], seed: np.random.SeedSequence) -> Landscape:
    """Generate the land-cover map and rendering attributes of a scene.

    Args:
        shape: ``(height, width)`` in 10 m pixels.
        seed: the seed sequence; it is split into one stream per layer.

    Example:
        >>> land = generate_landscape((96, 64), np.random.SeedSequence(3))
        >>> land.mix.shape, land.mix.dtype
        ((96, 64), dtype('float32'))
    """
    streams = [np.random.Generator(np.random.PCG64(s)) for s in seed.spawn(7)]
    r_water, r_terrain, r_zones, r_fields, r_towns, r_bare, r_texture = streams
    f32 = np.float32

    water = water_bodies(r_water, shape)
    dem = elevation(r_terrain, shape, water.valley_distance)
    lo, hi = np.quantile(dem[::4, ::4], [0.02, 0.98])
    relief = ((dem - f32(lo)) / f32(max(hi - lo, 1e-3))).astype(np.float32)

    farm_score = smooth_noise(r_zones, shape, 220.0) - f32(1.5) * relief
    farm = farm_score > _top_share(farm_score, FARMLAND_SHARE)
    forest_score = (
        smooth_noise(r_zones, shape, 110.0)
        + f32(0.5) * smooth_noise(r_zones, shape, 22.0)
        + f32(0.2) * smooth_noise(r_zones, shape, 5.0, step=2)
        + f32(1.2) * relief
    )
    forest = (forest_score > _top_share(forest_score, 0.45)) & ~farm
    forest |= (forest_score > _top_share(forest_score, 0.06)) & farm  # woodlots
    forest = box_mean(forest, 2) > 0.5  # no single-pixel specks
    open_score = smooth_noise(r_zones, shape, 35.0) + f32(1.5) * relief
    sparse = (open_score > _top_share(open_score, 0.06)) & ~farm & ~forest
    sparse = box_mean(sparse, 1) > 0.5
    gallery = (water.bank_distance < 2.5) & (smooth_noise(r_zones, shape, 30.0) > 0)

    parcels = field_parcels(r_fields, shape)
    towns = settlements(r_towns, shape, water.water, water.bank_distance)
    pits, ponds = _quarries(r_bare, shape, water.water | towns.footprint)

    labels = np.full(shape, GRASSLAND, dtype=np.uint8)
    labels[farm & parcels.is_crop] = CROPLAND
    labels[forest | gallery] = TREE
    labels[sparse | pits] = BARE
    labels[water.water] = WATER
    labels[towns.footprint & ~water.water] = GRASSLAND  # gardens
    labels[towns.built] = BUILT_UP
    labels[towns.construction] = BARE
    labels[ponds] = WATER

    # --- per-pixel attributes of the spectra
    medium = smooth_noise(r_texture, shape, 8.0, step=2)
    broad = smooth_noise(r_texture, shape, 50.0)
    fine = blur3(triangular_noise(r_texture, shape), 0.2)
    mix = np.zeros(shape, dtype=np.float32)
    on = labels == WATER
    mix[on] = (f32(0.3) + f32(0.2) * broad + f32(0.4) * water.river)[on]
    on = labels == TREE
    stands = np.where(broad + f32(0.8) * relief > f32(0.7), f32(0.85), f32(0.2))  # conifer stands
    mix[on] = (stands + f32(0.1) * medium)[on]
    on = labels == GRASSLAND
    natural = f32(0.25) + f32(0.18) * broad + f32(0.08) * medium
    pasture = farm & ~parcels.is_crop
    grass = np.where(pasture, parcels.stage + f32(0.08) * medium, natural)
    mix[on] = np.where(towns.footprint, f32(0.1), grass)[on]
    on = labels == CROPLAND
    mix[on] = (parcels.stage + f32(0.05) * medium)[on]
    on = labels == BUILT_UP
    mix[on] = towns.roof[on]
    on = labels == BARE
    mix[on] = np.where(
        pits, f32(0.15), np.where(towns.construction, f32(0.8), f32(0.75) + f32(0.25) * medium)
    )[on]
    np.clip(mix, 0, 1, out=mix)

    brightness = f32(1) + _TEXTURE[labels] * (f32(0.6) * fine + f32(0.4) * medium)
    brightness[towns.road & (labels == BUILT_UP)] *= f32(0.55)
    crop = labels == CROPLAND
    grass_mix = np.where(crop, np.maximum(parcels.grassy, f32(0.45) * parcels.margin), f32(0))
    sparse_cover = np.clip(f32(0.25) + f32(0.15) * broad + f32(0.15) * medium, f32(0), f32(0.6))
    grass_mix = np.where(sparse & (labels == BARE), sparse_cover, grass_mix)  # sparse vegetation
    shade = hillshade(dem)
    shade[labels == WATER] = 1
    return Landscape(
        labels=labels,
        mix=mix,
        brightness=brightness.astype(np.float32),
        grass_mix=grass_mix.astype(np.float32),
        shade=shade,
        dem=dem.astype(np.float32),
    )
