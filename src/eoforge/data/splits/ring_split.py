"""``ring_split``: the reBEN tile-border split — concentric train / val / test zones per tile.

reBEN (Clasen et al., 2025) splits every Sentinel-2 tile geometrically: the outer ring of the tile
is train (50 % of its area), the next ring in is validation (25 %) and the centre square is test
(25 %). For a tile of side ``s`` the rings are ``a1 = s(2-√2)/4`` and ``a2 = s(√2-1)/4`` wide
(16 080 m and 11 370 m for a 109.8 km tile). Every tile contributes to every split, so the
geographic and seasonal spread is kept, while the splits stay apart. Patches cut beforehand are
assigned by their centroid (:meth:`SpatialSplit.assign`).

Example:
    >>> [round(w) for w in ring_widths(109_800, 109_800)]
    [16080, 11370]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from eoforge.data.splits.footprinted import Footprinted
from eoforge.data.splits.region_boxes import Box, subtract_boxes
from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.data.splits.split_fractions import DEFAULT_RING_FRACTIONS, split_fractions
from eoforge.errors import CRSMismatchError, InvalidGridError
from eoforge.geo import BBox

__all__ = ["ring_insets", "ring_split", "ring_widths"]


def _inset(width: float, height: float, inner: float) -> float:
    """The inward shift ``d`` of all four edges that leaves the share ``inner`` of the area.

    It solves ``(width - 2d)(height - 2d) = inner · width · height`` (the smaller root).
    """
    if inner >= 1.0:
        return 0.0
    if inner <= 0.0:
        return min(width, height) / 2
    total = width + height
    root = math.sqrt((width - height) ** 2 + 4 * width * height * inner)
    return (total - root) / 4


def ring_insets(
    width: float, height: float, fractions: Sequence[float] = (0.5, 0.25, 0.25)
) -> list[float]:
    """How far in from the tile's edge each inner zone starts, for zones of the given shares.

    ``fractions`` are the shares of the tile's area, outermost zone first. The edges of a tile
    are all moved inward by the same distance (as PostGIS ``ST_Buffer(tile, -d)`` does with a
    square), so that the zone inside keeps the share of the zones inward of it; for a square of
    side ``s`` and the reBEN shares these are ``a1 = s(2-√2)/4`` and ``a1 + a2 = s/4``. A
    rectangle gets rings of even width too (the inner zones are then not similar to the tile).

    Example:
        >>> [round(d, 3) for d in ring_insets(4, 4)]
        [0.586, 1.0]
    """
    shares = [float(f) for f in fractions]
    insets = []
    for k in range(1, len(shares)):
        insets.append(_inset(float(width), float(height), math.fsum(shares[k:])))
    return insets


def ring_widths(
    width: float, height: float, fractions: Sequence[float] = (0.5, 0.25, 0.25)
) -> list[float]:
    """The widths of the rings (outermost first) of :func:`ring_insets`; the centre is left out.

    Example:
        >>> s = 109_800
        >>> a1, a2 = ring_widths(s, s)
        >>> math.isclose(a1, s * (2 - math.sqrt(2)) / 4)
        True
        >>> math.isclose(a2, s * (math.sqrt(2) - 1) / 4)
        True
    """
    insets = ring_insets(width, height, fractions)
    return [b - a for a, b in itertools.pairwise([0.0, *insets])]


def _zones(tile: BBox, shares: Sequence[float]) -> list[list[Box]]:
    """Per zone (outer ring first, centre last), its boxes inside ``tile``."""
    insets = [0.0, *ring_insets(tile.width, tile.height, shares)]
    nested = [(tile.minx + d, tile.miny + d, tile.maxx - d, tile.maxy - d) for d in insets]
    zones: list[list[Box]] = []
    for k, outer in enumerate(nested):
        kept = [outer] if outer[0] < outer[2] and outer[1] < outer[3] else []
        inner = [nested[k + 1]] if k + 1 < len(nested) else []
        zones.append(subtract_boxes(kept, inner))
    return zones


def ring_split(
    ds: Footprinted | None = None,
    *,
    tiles: Sequence[BBox] | None = None,
    fractions: Mapping[str, float] | None = None,
) -> SpatialSplit:
    """Concentric zones in every tile: the outer ring, the next ring, …, the centre.

    With the default ``fractions`` this is the reBEN split: per tile, train = the outer ring
    (50 % of the tile's area), val = the middle ring (25 %), test = the centre (25 %). Zones are
    given outermost first; their shares of each tile's area are exact (see :func:`ring_insets`
    for rectangles). Rings are cut into four boxes each (bands above and below spanning the
    width, pieces left and right between them).

    Tiles are the dataset's item footprints (clipped to its bounds), or ``tiles``. Where tiles
    overlap, the area belongs to the first tile listed: later tiles lose the overlap, so splits
    never overlap (the shares hold exactly for tiles that overlap none listed before them). To
    follow reBEN, where a patch belongs to the tile it was cut from, split per tile:
    ``ring_split(tiles=[tile]).assign(patch)``.

    Args:
        ds: the dataset whose footprints are the tiles (``None`` when ``tiles`` is given).
        tiles: the tile boxes, all in one CRS (``ds.grid.crs`` when ``ds`` is given too).
        fractions: ``{split name: share of each tile}``, outermost zone first; shares ≥ 0 summing
            to 1. Default ``{"train": 0.5, "val": 0.25, "test": 0.25}``.

    Raises:
        InvalidGridError: for fractions that are negative or do not sum to 1, or no tile.
        CRSMismatchError: if the tiles are not all in one CRS (or not in ``ds.grid.crs``).

    Example:
        >>> tile = BBox(300_000, 5_000_000, 409_800, 5_109_800, "EPSG:32633")
        >>> split = ring_split(tiles=[tile])
        >>> [round(split.area(name) / tile.area, 9) for name in split.names]
        [0.5, 0.25, 0.25]
        >>> split.assign(BBox(354_300, 5_054_300, 355_500, 5_055_500, "EPSG:32633"))
        'test'
    """
    shares = split_fractions(DEFAULT_RING_FRACTIONS if fractions is None else fractions)
    if tiles is None:
        if ds is None:
            raise InvalidGridError("ring_split needs a dataset or tiles=[BBox, …]; give one")
        boxes = list(ds.footprints)
    else:
        boxes = list(tiles)
    if not boxes:
        raise InvalidGridError("ring_split got no tile; give tiles=[BBox, …] or a dataset")
    for tile in boxes:
        if not isinstance(tile, BBox):
            raise InvalidGridError(f"tile {tile!r} is not a BBox; give tiles as BBox values")
    crs = ds.grid.crs if ds is not None else boxes[0].crs
    for tile in boxes:
        if tile.crs != crs:
            raise CRSMismatchError(
                f"tile {tile} is not in {crs}; give every tile in {crs}, e.g. tile.to_crs({crs!r})"
            )
    regions: dict[str, list[BBox]] = {name: [] for name in shares}
    earlier: list[Box] = []
    for tile in boxes:
        for name, zone in zip(shares, _zones(tile, list(shares.values())), strict=True):
            for box in subtract_boxes(zone, earlier):
                regions[name].append(BBox(*box, crs=crs))
        earlier.append((tile.minx, tile.miny, tile.maxx, tile.maxy))
    widths = ", ".join(
        f"{w:g}" for w in ring_widths(boxes[0].width, boxes[0].height, list(shares.values()))
    )
    return SpatialSplit(
        regions, description=f"ring_split({len(boxes)} tile(s), first ring widths {widths})"
    )
