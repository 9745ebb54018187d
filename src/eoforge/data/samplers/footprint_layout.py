"""``FootprintLayout``: a dataset's item footprints as pixel windows of its grid.

Samplers work in whole pixels of ``ds.grid``: every footprint is snapped once (at construction) to
the smallest aligned window that covers it, so that drawing a query afterwards is integer arithmetic
plus one :meth:`GridSpec.subgrid` — no CRS transform, no search over the footprints.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), res=10)
    >>> ds = SimpleNamespace(grid=grid, bounds=grid.bounds,
    ...                      footprints=[BBox(0, 50, 40, 100, "EPSG:32633")])
    >>> FootprintLayout(ds).windows.tolist()
    [[0, 0, 5, 4]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from eoforge.data.samplers.pixel_window import PixelWindow
from eoforge.errors import NoOverlapError
from eoforge.geo import BBox, GridSpec

__all__ = ["FootprintLayout"]


class _HasFootprints(Protocol):
    @property
    def grid(self) -> GridSpec: ...

    @property
    def bounds(self) -> BBox: ...

    @property
    def footprints(self) -> Sequence[BBox]: ...


def _pixel_window(grid: GridSpec, box: BBox) -> tuple[int, int, int, int]:
    """``(row0, col0, row1, col1)`` of the aligned window covering ``box``, clipped to ``grid``."""
    window = grid.window_of(grid.snap(box))
    row0, col0 = round(window.row_off), round(window.col_off)
    row1, col1 = row0 + round(window.height), col0 + round(window.width)
    return (
        max(row0, 0),
        max(col0, 0),
        min(row1, grid.height),
        min(col1, grid.width),
    )


class FootprintLayout:
    """The footprints of a dataset's items as pixel windows of ``ds.grid``.

    Args:
        ds: any object with ``grid``, ``bounds`` and ``footprints`` (see
            :class:`~eoforge.data.samplers.PatchDataset`).

    Attributes:
        grid: ``ds.grid``.
        windows: ``(n_items, 4)`` int64 array of ``row_off, col_off, height, width`` per item, in
            pixels of ``grid`` (clipped to ``ds.bounds`` and to the grid; zero size when an item
            lies outside them).
        areas: pixel count of each window (int64).
        extent: the window of the union of all item windows.

    Raises:
        NoOverlapError: if no footprint covers any pixel inside ``ds.bounds``.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
        >>> FootprintLayout(ds).extent
        PixelWindow(row_off=0, col_off=0, height=10, width=10)
    """

    def __init__(self, ds: _HasFootprints) -> None:
        self.grid: GridSpec = ds.grid
        bounds = ds.bounds
        if bounds.crs != self.grid.crs:
            bounds = bounds.to_crs(self.grid.crs)
        footprints = list(ds.footprints)
        windows = np.zeros((len(footprints), 4), dtype=np.int64)
        for index, footprint in enumerate(footprints):
            if footprint.crs != bounds.crs:
                footprint = footprint.to_crs(bounds.crs)
            clipped = footprint.intersection(bounds)
            if clipped is None:
                continue
            row0, col0, row1, col1 = _pixel_window(self.grid, clipped)
            if row1 > row0 and col1 > col0:
                windows[index] = (row0, col0, row1 - row0, col1 - col0)
        self.windows = windows
        self.areas = windows[:, 2] * windows[:, 3]
        self._cumulative = np.cumsum(self.areas)
        if len(footprints) == 0 or self._cumulative[-1] == 0:
            raise NoOverlapError(
                f"the dataset has no item footprint inside its bounds {bounds} "
                f"({len(footprints)} footprints given); check that the files were found and that "
                "the image and label sources overlap"
            )
        used = windows[self.areas > 0]
        row0, col0 = int(used[:, 0].min()), int(used[:, 1].min())
        row1 = int((used[:, 0] + used[:, 2]).max())
        col1 = int((used[:, 1] + used[:, 3]).max())
        self.extent = PixelWindow(row0, col0, row1 - row0, col1 - col0)

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def total_area(self) -> int:
        """Pixel count of all item windows together (overlaps counted once per item)."""
        return int(self._cumulative[-1])

    def draw_items(
        self, rng: np.random.Generator, n: int, excluded: np.ndarray | None = None
    ) -> np.ndarray:
        """Draw ``n`` item indexes with probability proportional to their pixel area.

        Args:
            rng: the random generator.
            n: how many items to draw.
            excluded: optional boolean mask of items never to draw (at least one item with an
                area must remain).

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.geo import BBox, GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
            >>> fps = [BBox(0, 0, 1, 1, 3857), BBox(0, 0, 10, 10, 3857)]
            >>> layout = FootprintLayout(SimpleNamespace(grid=g, bounds=g.bounds, footprints=fps))
            >>> items = layout.draw_items(np.random.default_rng(0), 1000)
            >>> bool((items == 1).mean() > 0.95)
            True
        """
        cumulative = self._cumulative
        if excluded is not None and excluded.any():
            cumulative = np.cumsum(np.where(excluded, 0, self.areas))
        ticket = rng.integers(0, int(cumulative[-1]), size=n)
        items: np.ndarray = np.searchsorted(cumulative, ticket, side="right")
        return items

    def draw_origins(
        self, rng: np.random.Generator, items: np.ndarray, shape: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-left ``(rows, cols)`` of one ``shape`` patch per item in ``items``.

        Along each axis where the item window is at least the patch size, the patch lies inside
        the window at a uniformly random position. Where the window is smaller, the patch is
        centred on it and then shifted to stay inside :attr:`extent` when the extent is at least
        the patch size (otherwise it is centred on the extent) — it still contains the window.

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
            >>> items = np.zeros(50, dtype=int)
            >>> rng = np.random.default_rng(0)
            >>> rows, cols = FootprintLayout(ds).draw_origins(rng, items, (4, 4))
            >>> bool(rows.min() >= 0 and rows.max() <= 6)
            True
        """
        win = self.windows[items]
        rows = self._axis_origins(rng, win[:, 0], win[:, 2], shape[0], axis=0)
        cols = self._axis_origins(rng, win[:, 1], win[:, 3], shape[1], axis=1)
        return rows, cols

    def _axis_origins(
        self, rng: np.random.Generator, start: np.ndarray, length: np.ndarray, size: int, axis: int
    ) -> np.ndarray:
        slack = length - size
        offsets = rng.integers(0, np.maximum(slack, 0) + 1)
        inside = start + offsets
        if axis == 0:
            lo, extent = self.extent.row_off, self.extent.height
        else:
            lo, extent = self.extent.col_off, self.extent.width
        if extent >= size:
            centred = np.clip(start + slack // 2, lo, lo + extent - size)
        else:
            centred = np.full_like(start, lo + (extent - size) // 2)
        origins: np.ndarray = np.where(slack >= 0, inside, centred)
        return origins

    def query(self, row: int, col: int, shape: tuple[int, int]) -> GridSpec:
        """The ``shape`` sub-grid of :attr:`grid` whose top-left pixel is ``(row, col)``."""
        return self.grid.subgrid(int(row), int(col), shape[0], shape[1])
