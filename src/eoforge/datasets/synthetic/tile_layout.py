"""Where the synthetic tiles lie on Earth: a grid of adjacent UTM tiles at the 18°E zone boundary.

The tiles are placed in the lowlands near Nitra (Slovakia), just west of the 18°E meridian that
separates UTM zones 33N (EPSG:32633) and 34N (EPSG:32634): tiles in zone 33 end at the meridian.
With ``two_zones``, half of the tiles are placed east of the meridian in zone 34's own grid, as
neighbouring Sentinel-2 granules of two zones are. Origins are whole multiples of the pixel size.

Example:
    >>> grids = tile_grids(4, (256, 256), 10.0)
    >>> [g.crs for g in grids] == ["EPSG:32633"] * 4
    True
    >>> grids[0].bounds.maxx == grids[1].bounds.minx  # side by side
    True
"""

from __future__ import annotations

import math

from affine import Affine
from rasterio.warp import transform as transform_points

from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec, rio_crs

__all__ = ["BOUNDARY_LONGITUDE", "TOP_LATITUDE", "WEST_CRS", "EAST_CRS", "tile_grids"]

BOUNDARY_LONGITUDE = 18.0
"""The meridian between UTM zones 33 and 34 (degrees east)."""

TOP_LATITUDE = 48.75
"""Latitude of the northern edge of the tile grid (degrees north)."""

WEST_CRS = "EPSG:32633"
EAST_CRS = "EPSG:32634"


def _boundary_at(crs: str, northing: float) -> tuple[float, float]:
    """Easting and northing, in ``crs``, of the 18°E meridian where it crosses ``northing``."""
    lat = TOP_LATITUDE
    x = y = 0.0
    for _ in range(6):  # Newton-like steps along the meridian (1° ≈ 111.2 km)
        xs, ys = transform_points(rio_crs("EPSG:4326"), rio_crs(crs), [BOUNDARY_LONGITUDE], [lat])
        x, y = float(xs[0]), float(ys[0])
        lat += (northing - y) / 111_200.0
    return x, y


def _grid_positions(count: int) -> list[tuple[int, int]]:
    """(row, col) of ``count`` tiles in a near-square grid, row by row."""
    cols = math.ceil(math.sqrt(count))
    return [(i // cols, i % cols) for i in range(count)]


def tile_grids(
    n_tiles: int, shape: tuple[int, int], res: float = 10.0, *, two_zones: bool = False
) -> list[GridSpec]:
    """The grids of ``n_tiles`` adjacent tiles of ``shape`` pixels at ``res`` metres.

    Without ``two_zones`` all tiles are in EPSG:32633, in a near-square grid whose eastern edge is
    at the 18°E meridian. With ``two_zones`` the first ``ceil(n/2)`` tiles are laid out so in
    EPSG:32633, and the others likewise in EPSG:32634 starting at the meridian on its east side;
    the two groups share their top edge.

    Raises:
        EoforgeError: ``n_tiles`` < 1, or < 2 with ``two_zones``.

    Example:
        >>> west, east = tile_grids(2, (128, 128), two_zones=True)
        >>> west.crs, east.crs
        ('EPSG:32633', 'EPSG:32634')
    """
    if (
        isinstance(n_tiles, bool)
        or not isinstance(n_tiles, int)
        or n_tiles < (2 if two_zones else 1)
    ):
        need = "at least 2 tiles with two_zones=True" if two_zones else "a positive number of tiles"
        raise EoforgeError(f"n_tiles={n_tiles!r} is not valid; ask for {need}")
    h, w = shape
    width, height = w * res, h * res
    _, ys = transform_points(
        rio_crs("EPSG:4326"), rio_crs(WEST_CRS), [BOUNDARY_LONGITUDE], [TOP_LATITUDE]
    )
    top = math.floor(float(ys[0]) / res) * res
    n_west = math.ceil(n_tiles / 2) if two_zones else n_tiles
    groups = [(WEST_CRS, n_west)] + ([(EAST_CRS, n_tiles - n_west)] if two_zones else [])
    grids: list[GridSpec] = []
    for crs, count in groups:
        positions = _grid_positions(count)
        cols = max(c for _, c in positions) + 1
        # the meridian runs towards the central meridian going north: its northern end is the
        # binding one for both zones
        edge, _ = _boundary_at(crs, top)
        if crs == WEST_CRS:
            left = math.floor(edge / res) * res - cols * width
        else:
            left = math.ceil(edge / res) * res
        for row, col in positions:
            transform = Affine(res, 0.0, left + col * width, 0.0, -res, top - row * height)
            grids.append(GridSpec(crs, transform, w, h))
    return grids
