"""``FootprintIndex``: which items overlap a box (and a time), in a deterministic order.

Footprints are boxes in one CRS (the index CRS of a source). Small collections are tested with one
vectorised comparison; larger ones first narrow the candidates with a ``shapely`` STRtree (built
lazily, dropped when pickled). Hits come back sorted by item position, so that mosaics are
reproducible. Touching edges do not count as overlap.

Example:
    >>> from eoforge.geo import BBox
    >>> boxes = [BBox(0, 0, 10, 10, "EPSG:32633"), BBox(10, 0, 20, 10, "EPSG:32633")]
    >>> index = FootprintIndex(boxes, "EPSG:32633")
    >>> index.hits(BBox(5, 5, 15, 6, "EPSG:32633")), index.hits(BBox(0, 0, 10, 10, "EPSG:32633"))
    ([0, 1], [0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from eoforge.geo import BBox, GridSpec, TimeRange

__all__ = ["FootprintIndex"]

_TREE_MIN_ITEMS = 64  # below this, one vectorised box test beats an STRtree query


class FootprintIndex:
    """Footprint boxes with a spatial index, answering "which items overlap this box".

    Args:
        footprints: one box per item, all in ``crs``.
        crs: the CRS of the boxes; queries in other CRSs are reprojected to it.
        times: one time per item (``None``: matches every time), for time filters.

    Example:
        >>> from eoforge.geo import BBox
        >>> index = FootprintIndex([BBox(0, 0, 10, 10, 32633)], "EPSG:32633", [None])
        >>> index.bounds
        BBox(0.0, 0.0, 10.0, 10.0, crs='EPSG:32633')
    """

    def __init__(
        self,
        footprints: Sequence[BBox],
        crs: str,
        times: Sequence[TimeRange | None] | None = None,
    ) -> None:
        self.crs = crs
        self.boxes = np.array([tuple(b) for b in footprints], dtype=np.float64).reshape(-1, 4)
        self.times = list(times) if times is not None else [None] * len(self.boxes)
        self._tree: Any = None

    def __len__(self) -> int:
        return len(self.boxes)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_tree": None}  # rebuilt lazily where unpickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def bounds(self) -> BBox:
        """The box around every footprint."""
        b = self.boxes
        return BBox(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max(), self.crs)

    def hits(self, bbox: BBox, time: TimeRange | None = None) -> list[int]:
        """Positions of the footprints overlapping ``bbox`` (any CRS), sorted.

        Args:
            bbox: the query box; reprojected to the index CRS when needed.
            time: keep only items whose time intersects it (items without a time always match).

        Example:
            >>> from eoforge.geo import BBox
            >>> index = FootprintIndex([BBox(0, 0, 10, 10, 32633)], "EPSG:32633",
            ...                        [TimeRange("2020-05-01")])
            >>> index.hits(BBox(1, 1, 2, 2, 32633), TimeRange("2021-01-01"))
            []
        """
        box = bbox if bbox.crs == self.crs else bbox.to_crs(self.crs)
        return self._hits(box.minx, box.miny, box.maxx, box.maxy, time)

    def grid_hits(self, grid: GridSpec, time: TimeRange | None = None) -> list[int]:
        """:meth:`hits` for the bounds of a query grid (no box is built in the index CRS).

        Example:
            >>> from eoforge.geo import BBox
            >>> index = FootprintIndex([BBox(0, 0, 10, 10, 32633)], "EPSG:32633")
            >>> index.grid_hits(GridSpec.from_bounds(BBox(5, 5, 15, 15, 32633), 1))
            [0]
        """
        t = grid.transform
        if grid.crs == self.crs and t.b == 0 and t.d == 0 and t.a > 0 and t.e < 0:
            return self._hits(t.c, t.f + t.e * grid.height, t.c + t.a * grid.width, t.f, time)
        return self.hits(grid.bounds, time)

    def _hits(
        self, minx: float, miny: float, maxx: float, maxy: float, time: TimeRange | None
    ) -> list[int]:
        b = self.boxes
        candidates = None
        if len(b) > _TREE_MIN_ITEMS:  # narrow with the tree, then test exactly
            if self._tree is None:
                self._tree = shapely.STRtree(shapely.box(*b.T))
            candidates = np.sort(self._tree.query(shapely.box(minx, miny, maxx, maxy)))
            b = b[candidates]
        found = np.flatnonzero(
            (b[:, 0] < maxx) & (minx < b[:, 2]) & (b[:, 1] < maxy) & (miny < b[:, 3])
        )
        hits: list[int] = (found if candidates is None else candidates[found]).tolist()
        if time is not None:
            times = self.times
            hits = [i for i in hits if (t := times[i]) is None or t.intersects(time)]
        return hits
