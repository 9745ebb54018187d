"""Settlements: villages and a town of small rectangular buildings along streets, joined by roads.

Each settlement has a centre (preferably near a river, never in the water), a radius, a street
direction and a ragged outline. Inside it, streets form a grid (a town) or a main street with side
streets (a village); the land between streets is cut into plots, and a building — a rectangle of
10-30 m, larger in a town's core — stands on a plot with a probability that falls from the centre
outwards. Plots without a building are gardens, except in a town's core, which is paved.
Country roads join each settlement to its nearest neighbour, and a through road crosses the
scene past the largest settlement.

Example:
    >>> import numpy as np
    >>> no_water = np.zeros((256, 256), dtype=bool)
    >>> far = np.full((256, 256), 100.0, dtype=np.float32)
    >>> s = settlements(np.random.Generator(np.random.PCG64(0)), (256, 256), no_water, far)
    >>> bool(s.built.any()), bool((s.built <= (s.footprint | s.road)).all())
    (True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eoforge.datasets.synthetic.geometry import area_factor, random_direction, rotated_coords
from eoforge.datasets.synthetic.noise import hash_uniform, smooth_noise

__all__ = ["Settlements", "settlements"]


@dataclass(frozen=True, slots=True)
class Settlements:
    """The settlements of a scene.

    Attributes:
        footprint: bool ``(H, W)``, inside a settlement (buildings, streets and gardens).
        built: bool ``(H, W)``, buildings, streets and roads (the built-up class).
        road: bool ``(H, W)``, streets and roads (dark asphalt).
        roof: float32 ``(H, W)``, roof material on buildings (0 = concrete, 1 = red tiles).
        construction: bool ``(H, W)``, construction sites (bare ground inside settlements).
        centres: ``(row, col)`` of each settlement, largest first.

    Example:
        >>> dry = np.zeros((64, 64), dtype=bool)
        >>> s = settlements(np.random.Generator(np.random.PCG64(1)), (64, 64), dry, ~dry * 9.0)
        >>> bool((s.construction & s.built).any())
        False
    """

    footprint: np.ndarray
    built: np.ndarray
    road: np.ndarray
    roof: np.ndarray
    construction: np.ndarray
    centres: tuple[tuple[float, float], ...]


def _place(
    rng: np.random.Generator, radii: list[float], water: np.ndarray, bank: np.ndarray
) -> list[tuple[float, float]]:
    """Centres for settlements of the given radii: dry, apart, and preferably near a river."""
    h, w = water.shape
    centres: list[tuple[float, float]] = []
    for radius in radii:
        margin = min(radius, 0.25 * min(h, w))
        cand = rng.random((64, 2)) * [h - 2 * margin, w - 2 * margin] + margin
        rows, cols = cand[:, 0].astype(np.intp), cand[:, 1].astype(np.intp)
        near = np.minimum(np.maximum(bank[rows, cols], 0.0), 400.0) / 400.0
        score = rng.random(64) - near - 10.0 * water[rows, cols]
        for (oy, ox), r_other in zip(centres, radii, strict=False):
            dist = np.sqrt((cand[:, 0] - oy) ** 2 + (cand[:, 1] - ox) ** 2)
            score = np.where(dist < 1.2 * (radius + r_other), score - 10.0, score)
        best = int(np.argmax(score))
        centres.append((float(cand[best, 0]), float(cand[best, 1])))
    return centres


@dataclass(slots=True)
class _Layers:
    footprint: np.ndarray
    built: np.ndarray
    road: np.ndarray
    roof: np.ndarray
    construction: np.ndarray


def _draw_settlement(
    rng: np.random.Generator,
    layers: _Layers,
    water: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    town: bool,
) -> None:
    """Draw one settlement into ``layers`` (only inside its bounding box)."""
    h, w = water.shape
    cy, cx = centre
    reach = 1.4 * radius
    r0, r1 = max(0, int(cy - reach)), min(h, int(cy + reach) + 2)
    c0, c1 = max(0, int(cx - reach)), min(w, int(cx + reach) + 2)
    box = (slice(r0, r1), slice(c0, c1))
    u, v = rotated_coords(np.arange(r0, r1), np.arange(c0, c1), centre, random_direction(rng))
    ragged = smooth_noise(rng, (r1 - r0, c1 - c0), scale=max(3.0, radius / 4), step=1)
    r = np.sqrt(u * u + v * v) / np.float32(radius)
    inside = (r + np.float32(0.25) * ragged < 1) & ~water[box]

    spacing = rng.uniform(9.0, 15.0, 2).astype(np.float32)
    shift = (rng.random(2) * spacing).astype(np.float32)
    cross = np.mod(u + shift[0], spacing[0]) < 1
    main = np.abs(v) < np.float32(1.0 if town else 0.8)
    if town:
        streets = main | cross | (np.mod(v + shift[1], spacing[1]) < 1)
    else:
        streets = main | (cross & (np.abs(v) < np.float32(0.55 * radius)))

    if town:
        core = r + np.float32(0.3) * smooth_noise(rng, ragged.shape, radius / 6, step=1) < 0.45
    else:
        core = np.zeros_like(inside)
    plot = np.where(core, np.float32(rng.uniform(6.0, 9.0)), np.float32(rng.uniform(3.0, 4.5)))
    pu_f, pv_f = (u + shift[0]) / plot, (v + shift[1]) / plot
    pu, pv = np.floor(pu_f), np.floor(pv_f)
    fu, fv = pu_f - pu, pv_f - pv
    keys = (pu.astype(np.int64), pv.astype(np.int64), core.astype(np.int64))
    salt = int(rng.integers(0, 2**62))
    present, su, sv, au, av, material = (hash_uniform(salt + k, *keys) for k in range(6))
    density = np.where(core, 0.9, 0.9 - 0.4 * r)
    grow = np.where(core, 0.65, 0.45)
    su, sv = grow + 0.3 * su, grow + 0.3 * sv
    au, av = 0.04 + (0.92 - su) * au, 0.04 + (0.92 - sv) * av
    building = (present < density) & (fu >= au) & (fu < au + su) & (fv >= av) & (fv < av + sv)
    tiles = np.where(core, material < 0.25, material < 0.75)
    roof = np.where(tiles, 0.7 + 0.3 * material, 0.3 * material).astype(np.float32)

    streets &= inside
    building &= inside & ~streets
    paved = inside & core & ~streets & ~building  # squares, yards, car parks of the town core
    site = inside & ~core & ~streets & (present > 0.985)
    layers.footprint[box] |= inside
    layers.built[box] |= streets | building | paved
    layers.road[box] |= streets
    layers.roof[box] = np.where(building, roof, layers.roof[box])
    layers.construction[box] |= site


def _draw_road(
    rng: np.random.Generator, road: np.ndarray, a: tuple[float, float], b: tuple[float, float]
) -> None:
    """A country road from ``a`` to ``b`` (row, col): a gently curved line one pixel wide."""
    h, w = road.shape
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if length < 2:
        return
    bow = float(rng.normal(0.0, 0.15)) * length
    mid = (
        (a[0] + b[0]) / 2 + bow * (b[1] - a[1]) / length,
        (a[1] + b[1]) / 2 - bow * (b[0] - a[0]) / length,
    )
    t = np.linspace(0.0, 1.0, int(2 * length) + 2)
    s = 1.0 - t
    rows = s * s * a[0] + 2 * s * t * mid[0] + t * t * b[0]
    cols = s * s * a[1] + 2 * s * t * mid[1] + t * t * b[1]
    ri, ci = np.round(rows).astype(np.intp), np.round(cols).astype(np.intp)
    keep = (ri >= 0) & (ri < h) & (ci >= 0) & (ci < w)
    road[ri[keep], ci[keep]] = True


def _edge_point(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[float, float]:
    h, w = shape
    t = float(rng.random())
    return [(0.0, t * w), (h - 1.0, t * w), (t * h, 0.0), (t * h, w - 1.0)][int(rng.integers(4))]


def settlements(
    rng: np.random.Generator, shape: tuple[int, int], water: np.ndarray, bank: np.ndarray
) -> Settlements:
    """Draw the settlements and roads of a scene.

    Args:
        rng: the random generator.
        shape: ``(height, width)`` in 10 m pixels.
        water: bool water mask (nothing is built on water; roads cross it on bridges).
        bank: distance to the nearest river bank in pixels (settlements prefer river sides).

    Example:
        >>> dry = np.zeros((96, 96), dtype=bool)
        >>> s = settlements(np.random.Generator(np.random.PCG64(5)), (96, 96), dry, ~dry * 50.0)
        >>> len(s.centres) >= 1
        True
    """
    scale = area_factor(shape)
    n_villages = max(1, round(scale * float(rng.uniform(8.0, 14.0))))
    shrink = min(1.0, 2.0 * math.sqrt(scale))  # smaller villages in small scenes
    radii = [6.0 + shrink * float(rng.uniform(16.0, 40.0)) for _ in range(n_villages)]
    has_town = scale >= 0.2
    if has_town:
        radii.insert(0, float(rng.uniform(85.0, 130.0)))
    centres = _place(rng, radii, water, bank)
    layers = _Layers(
        footprint=np.zeros(shape, dtype=bool),
        built=np.zeros(shape, dtype=bool),
        road=np.zeros(shape, dtype=bool),
        roof=np.zeros(shape, dtype=np.float32),
        construction=np.zeros(shape, dtype=bool),
    )
    for k, (centre, radius) in enumerate(zip(centres, radii, strict=True)):
        _draw_settlement(rng, layers, water, centre, radius, town=has_town and k == 0)
    roads = np.zeros(shape, dtype=bool)
    for k in range(1, len(centres)):
        nearest = min(range(k), key=lambda j: math.dist(centres[j], centres[k]))
        _draw_road(rng, roads, centres[k], centres[nearest])
    _draw_road(rng, roads, _edge_point(rng, shape), centres[0])
    _draw_road(rng, roads, centres[0], _edge_point(rng, shape))
    roads &= ~layers.footprint | layers.road  # roads end at the streets of a settlement
    return Settlements(
        footprint=layers.footprint,
        built=layers.built | roads,
        road=layers.road | roads,
        roof=layers.roof,
        construction=layers.construction & ~layers.built,
        centres=tuple(centres),
    )
