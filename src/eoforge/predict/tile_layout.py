"""``TileLayout``: the tiles a scene is predicted in, and how much each tile's output counts.

Tiles of ``tile × tile`` pixels cover the output grid with at least ``overlap`` pixels shared
between neighbours. Along each axis the tile starts are spread evenly from the first pixel to the
last tile that ends exactly at the edge, so no tile reaches past the scene (the last tiles shift
inward) and every overlap is between ``overlap`` and ``overlap`` plus a few pixels; a scene
smaller than a tile gets one tile, read past its edge with nodata and cropped.

**Weights.** Near a tile's edge a model sees padding instead of the neighbouring pixels, so its
outputs there are the least trustworthy. Each tile's output is weighted by a window that is
0 within ``margin`` pixels of every *interior* edge (an edge shared with a neighbour; scene
edges are not tapered), rises as a half cosine over the next ``overlap - 2 · margin`` pixels and
is 1 beyond: overlapping outputs blend smoothly, with no visible seam. Because two neighbours'
distances to their shared edges add up to the overlap, a pixel always has a tile whose weight
there is 1 or two tiles in the ramp. A model whose receptive field reaches at most ``margin``
pixels from its output pixel therefore gives exactly the map of running it on the whole scene
at once (away from the scene border); the default ``margin`` is ``overlap // 4``.

Example:
    >>> layout = TileLayout(height=1000, width=600, tile=256, overlap=32)
    >>> layout.rows.tolist(), layout.cols.tolist()
    ([0, 186, 372, 558, 744], [0, 172, 344])
    >>> w = layout.weights(0, 0)
    >>> float(w[0, 0]), float(w[100, 100]), float(w[255, 255])  # corner, inside, shared edge
    (1.0, 1.0, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eoforge.errors import InvalidGridError

__all__ = ["TileLayout", "axis_starts", "edge_ramp"]

Array = np.ndarray[Any, Any]


def axis_starts(length: int, tile: int, overlap: int) -> Array:
    """Tile starts along one axis: evenly spread, the last tile ending at ``length``.

    Example:
        >>> axis_starts(1000, 256, 32).tolist()
        [0, 186, 372, 558, 744]
        >>> axis_starts(100, 256, 32).tolist()  # smaller than a tile: one tile
        [0]
    """
    if length <= tile:
        return np.zeros(1, dtype=np.int64)
    stride = tile - overlap
    count = math.ceil((length - tile) / stride) + 1
    return np.round(np.linspace(0, length - tile, count)).astype(np.int64)


def edge_ramp(tile: int, margin: int, ramp: int, before: bool, after: bool) -> Array:
    """1-D weights of a tile: 0 within ``margin`` of a tapered edge, a half-cosine ramp, then 1.

    ``before``/``after`` say whether the first/last edge is tapered (shared with a neighbour).

    Example:
        >>> edge_ramp(8, 1, 2, True, False).round(2).tolist()
        [0.0, 0.15, 0.85, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    distance = np.arange(tile, dtype=np.float64) + 0.5  # pixel centres from the first edge
    weights = np.ones(tile, dtype=np.float64)
    for tapered, d in ((before, distance), (after, tile - distance)):
        if tapered:
            t = np.clip((d - margin) / max(ramp, 1), 0.0, 1.0)
            weights *= np.where(d < margin, 0.0, 0.5 - 0.5 * np.cos(np.pi * t))
    return weights


@dataclass(frozen=True)
class TileLayout:
    """Tiles over a ``height × width`` output grid.

    Args:
        height: output rows.
        width: output columns.
        tile: tile side in pixels.
        overlap: least overlap between neighbouring tiles.
        margin: pixels at a tile's interior edges whose output is dropped (``None``:
            ``overlap // 4``).

    Raises:
        InvalidGridError: ``tile``/``overlap``/``margin`` out of range.
    """

    height: int
    width: int
    tile: int
    overlap: int
    margin: int | None = None
    rows: Array = field(init=False, repr=False)
    cols: Array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.tile < 16:
            raise InvalidGridError(f"tile size {self.tile} is too small; use 16 pixels or more")
        if not 0 <= self.overlap < self.tile // 2 + 1:
            raise InvalidGridError(
                f"overlap {self.overlap} is not valid for tiles of {self.tile}; use 0 <= overlap "
                f"<= tile / 2 (e.g. {self.tile // 8})"
            )
        if self.margin is not None and not 0 <= self.margin <= self.overlap // 2:
            raise InvalidGridError(
                f"margin {self.margin} is not valid for overlap {self.overlap}; use 0 <= margin "
                "<= overlap / 2"
            )
        object.__setattr__(self, "rows", axis_starts(self.height, self.tile, self.overlap))
        object.__setattr__(self, "cols", axis_starts(self.width, self.tile, self.overlap))

    @property
    def dropped(self) -> int:
        """The margin in effect."""
        return self.overlap // 4 if self.margin is None else self.margin

    @property
    def shape(self) -> tuple[int, int]:
        """Number of tiles ``(down, across)``."""
        return len(self.rows), len(self.cols)

    def __len__(self) -> int:
        return len(self.rows) * len(self.cols)

    def window(self, i: int, j: int) -> tuple[int, int, int, int]:
        """``(row, col, height, width)`` of tile ``(i, j)`` in output pixels (may pass the edge)."""
        return int(self.rows[i]), int(self.cols[j]), self.tile, self.tile

    def _axis(self, index: int, count: int) -> Array:
        margin = self.dropped
        ramp = max(self.overlap - 2 * margin, 1)
        return edge_ramp(self.tile, margin, ramp, index > 0, index < count - 1)

    def weights(self, i: int, j: int) -> Array:
        """The ``(tile, tile)`` float32 weight window of tile ``(i, j)`` (read-only: shared).

        There are at most nine distinct windows (inner, edge and corner tiles); each is made
        once per layout.
        """
        key = (i > 0, i < len(self.rows) - 1, j > 0, j < len(self.cols) - 1)
        cache: dict[tuple[bool, ...], Array] = self.__dict__.setdefault("_windows", {})
        window = cache.get(key)
        if window is None:
            w = np.outer(self._axis(i, len(self.rows)), self._axis(j, len(self.cols)))
            window = w.astype(np.float32)
            window.flags.writeable = False
            cache[key] = window
        return window

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_windows", None)  # made again where needed
        return state

    def final_rows(self, i: int) -> int:
        """The end of the output rows that no tile after row ``i`` of tiles touches."""
        if i + 1 >= len(self.rows):
            return self.height
        return min(int(self.rows[i + 1]), self.height)
