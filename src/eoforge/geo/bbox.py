"""``BBox``: axis-aligned bounds in a named CRS, with pure functions around them.

Example:
    >>> a = BBox(0, 0, 10, 10, "EPSG:32633")
    >>> b = BBox(5, 5, 20, 20, "EPSG:32633")
    >>> a.intersection(b)
    BBox(5.0, 5.0, 10.0, 10.0, crs='EPSG:32633')
    >>> a.union(b).area
    400.0
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rasterio.warp import transform_bounds

from eoforge.errors import CRSMismatchError, InvalidGridError
from eoforge.geo.crs import CRSLike, crs_key, rio_crs

__all__ = ["BBox"]


@dataclass(frozen=True, slots=True, init=False)
class BBox:
    """Bounds ``(minx, miny, maxx, maxy)`` in a CRS. Immutable; every operation returns a new box.

    Operations on two boxes require the same CRS and raise :class:`~eoforge.errors.CRSMismatchError`
    otherwise: reproject one of them explicitly with :meth:`to_crs` (eoforge never reprojects
    silently).

    Args:
        minx: western edge.
        miny: southern edge.
        maxx: eastern edge.
        maxy: northern edge.
        crs: the CRS of the coordinates (anything :func:`~eoforge.geo.crs_key` accepts).

    Example:
        >>> BBox(0, 0, 2, 1, 4326).area
        2.0
    """

    minx: float
    miny: float
    maxx: float
    maxy: float
    crs: str

    def __init__(self, minx: float, miny: float, maxx: float, maxy: float, crs: CRSLike) -> None:
        values = (float(minx), float(miny), float(maxx), float(maxy))
        if not all(math.isfinite(v) for v in values):
            raise InvalidGridError(f"bounds {values} are not finite; give real coordinates")
        if values[0] > values[2] or values[1] > values[3]:
            raise InvalidGridError(
                f"bounds {values} have min > max; order them as (minx, miny, maxx, maxy)"
            )
        object.__setattr__(self, "minx", values[0])
        object.__setattr__(self, "miny", values[1])
        object.__setattr__(self, "maxx", values[2])
        object.__setattr__(self, "maxy", values[3])
        object.__setattr__(self, "crs", crs_key(crs))

    def __repr__(self) -> str:
        return f"BBox({self.minx!r}, {self.miny!r}, {self.maxx!r}, {self.maxy!r}, crs={self.crs!r})"

    def __iter__(self) -> Iterator[float]:
        yield from (self.minx, self.miny, self.maxx, self.maxy)

    @property
    def width(self) -> float:
        """Extent along x."""
        return self.maxx - self.minx

    @property
    def height(self) -> float:
        """Extent along y."""
        return self.maxy - self.miny

    @property
    def area(self) -> float:
        """Width times height, in squared CRS units."""
        return self.width * self.height

    @property
    def is_empty(self) -> bool:
        """True when the box has no area."""
        return self.width <= 0 or self.height <= 0

    @property
    def center(self) -> tuple[float, float]:
        """The centre point ``(x, y)``."""
        return ((self.minx + self.maxx) / 2, (self.miny + self.maxy) / 2)

    def _check_crs(self, other: BBox, op: str) -> None:
        if other.crs != self.crs:
            raise CRSMismatchError(
                f"cannot {op} a box in {self.crs} with one in {other.crs}; "
                f"reproject one first, e.g. other.to_crs({self.crs!r})"
            )

    def to_crs(self, crs: CRSLike, densify_pts: int = 21) -> BBox:
        """Return the smallest box in ``crs`` that contains this box (edges densified).

        Example:
            >>> b = BBox(500000, 0, 600000, 100000, "EPSG:32633").to_crs(4326)
            >>> round(b.minx, 3)
            15.0
        """
        key = crs_key(crs)
        if key == self.crs:
            return self
        minx, miny, maxx, maxy = transform_bounds(
            rio_crs(self.crs), rio_crs(key), *self, densify_pts=densify_pts
        )
        return BBox(minx, miny, maxx, maxy, key)

    def intersects(self, other: BBox) -> bool:
        """True when the two boxes share an area (touching edges do not count)."""
        self._check_crs(other, "intersect")
        return (
            self.minx < other.maxx
            and other.minx < self.maxx
            and self.miny < other.maxy
            and other.miny < self.maxy
        )

    def intersection(self, other: BBox) -> BBox | None:
        """The shared box, or ``None`` when the boxes share no area."""
        if not self.intersects(other):
            return None
        return BBox(
            max(self.minx, other.minx),
            max(self.miny, other.miny),
            min(self.maxx, other.maxx),
            min(self.maxy, other.maxy),
            self.crs,
        )

    def union(self, other: BBox) -> BBox:
        """The smallest box containing both."""
        self._check_crs(other, "unite")
        return BBox(
            min(self.minx, other.minx),
            min(self.miny, other.miny),
            max(self.maxx, other.maxx),
            max(self.maxy, other.maxy),
            self.crs,
        )

    def contains(self, other: BBox) -> bool:
        """True when ``other`` lies inside this box (edges included)."""
        self._check_crs(other, "compare")
        return (
            self.minx <= other.minx
            and self.miny <= other.miny
            and self.maxx >= other.maxx
            and self.maxy >= other.maxy
        )

    def buffer(self, distance: float) -> BBox:
        """Grow (or, with a negative distance, shrink) every edge by ``distance`` CRS units.

        Shrinking never inverts the box: it collapses to its centre line instead.
        """
        cx, cy = self.center
        minx, maxx = self.minx - distance, self.maxx + distance
        miny, maxy = self.miny - distance, self.maxy + distance
        if minx > maxx:
            minx = maxx = cx
        if miny > maxy:
            miny = maxy = cy
        return BBox(minx, miny, maxx, maxy, self.crs)

    def to_polygon(self) -> Any:
        """The box as a ``shapely`` polygon."""
        from shapely.geometry import box

        return box(self.minx, self.miny, self.maxx, self.maxy)
