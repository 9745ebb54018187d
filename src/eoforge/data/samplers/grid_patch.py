"""``GridPatchSampler``: patches that cover every pixel of a dataset, on a regular grid.

The area tiled is the union of the items' footprints on ``ds.grid``: one set of patch positions for
the whole area (so where the footprints of adjacent tiles touch, no pixel is visited twice for
lack of coordination), and positions whose patch would touch no footprint are skipped.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), res=10)
    >>> ds = SimpleNamespace(grid=grid, bounds=grid.bounds, footprints=[grid.bounds],
    ...                      valid_fraction=lambda query: 1.0)
    >>> sampler = GridPatchSampler(ds, size=4)
    >>> [tuple(round(v) for v in grid.window_of(q).flatten()[:2]) for q in sampler]
    [(0, 0), (4, 0), (6, 0), (0, 4), (4, 4), (6, 4), (0, 6), (4, 6), (6, 6)]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from eoforge.data.samplers.footprint_layout import FootprintLayout
from eoforge.data.samplers.patch_dataset import PatchDataset
from eoforge.data.samplers.pixel_window import PixelWindow
from eoforge.data.samplers.sampler_arguments import patch_shape, stride_shape
from eoforge.errors import QueryOutsideError
from eoforge.geo import GridSpec

__all__ = ["GridPatchSampler", "axis_ownership", "axis_positions"]


def axis_positions(start: int, length: int, size: int, stride: int) -> np.ndarray:
    """Patch starts along one axis: ``start, start+stride, …`` and a last one ending at the edge.

    When ``length < size`` there is one patch, at ``start`` (reaching past the edge).

    Example:
        >>> axis_positions(0, 10, 4, 4).tolist()
        [0, 4, 6]
        >>> axis_positions(5, 3, 4, 2).tolist()
        [5]
    """
    last = start + length - size
    if last <= start:
        return np.array([start], dtype=np.int64)
    positions = np.arange(start, last + 1, stride, dtype=np.int64)
    if positions[-1] != last:
        positions = np.append(positions, last)
    return positions


def axis_ownership(positions: np.ndarray, size: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, stops)`` of the pixels each patch owns along one axis.

    Two neighbouring patches split their overlap in the middle; the first patch owns from its
    start, the last up to ``end``. The owned ranges tile ``[positions[0], end)`` exactly and each
    lies inside its patch.

    Example:
        >>> starts, stops = axis_ownership(axis_positions(0, 10, 4, 4), 4, 10)
        >>> list(zip(starts.tolist(), stops.tolist()))
        [(0, 4), (4, 7), (7, 10)]
    """
    starts = positions.copy()
    starts[1:] = positions[1:] + (positions[:-1] + size - positions[1:]) // 2
    stops = np.append(starts[1:], end)
    return starts, stops


class GridPatchSampler(Sampler[GridSpec]):
    """``size`` patches on a regular grid covering every pixel of the dataset's footprints.

    The area is the pixel window of ``ds.grid`` spanned by the union of the item footprints
    (clipped to ``ds.bounds``). Along each axis patches start at ``0, stride, 2·stride, …`` of the
    area and a last patch is shifted inward so that it ends exactly at the area's edge; an area
    smaller than a patch gets one patch at its origin, reaching past the edge (reads fill nodata).
    Patches whose owned pixels touch no footprint are skipped, so gaps between tiles cost nothing.

    Ownership: overlapping neighbours split their overlap in the middle, so the owned windows
    (:meth:`iter_with_ownership`, :meth:`owned_window`) tile the area with every pixel owned by
    exactly one patch — write each prediction's owned window to avoid counting a pixel twice.
    Queries come in row-major order of their position; the order is fixed (no randomness).

    Args:
        ds: the dataset (see :class:`~eoforge.data.samplers.PatchDataset`).
        size: patch size in pixels, one number or ``(height, width)``.
        stride: step between patches, ``1 ≤ stride ≤ size`` (one number or a pair); ``None``
            means ``size`` (no overlap).

    Raises:
        InvalidGridError: for a size or stride that is not valid.
        NoOverlapError: if no item footprint lies inside ``ds.bounds``.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 10, 6), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds],
        ...                      valid_fraction=lambda q: 1.0)
        >>> sampler = GridPatchSampler(ds, size=4, stride=3)
        >>> len(sampler)
        6
        >>> query, owned = next(sampler.iter_with_ownership())
        >>> owned
        PixelWindow(row_off=0, col_off=0, height=3, width=3)
    """

    def __init__(
        self,
        ds: PatchDataset,
        size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.shape = patch_shape(size)
        self.stride = stride_shape(stride, self.shape)
        self.layout = FootprintLayout(ds)
        self.grid = self.layout.grid
        self.extent = self.layout.extent
        ext = self.extent
        self._rows = axis_positions(ext.row_off, ext.height, self.shape[0], self.stride[0])
        self._cols = axis_positions(ext.col_off, ext.width, self.shape[1], self.stride[1])
        self._row_owned = axis_ownership(self._rows, self.shape[0], ext.row_off + ext.height)
        self._col_owned = axis_ownership(self._cols, self.shape[1], ext.col_off + ext.width)
        self._touched = self._touched_cells()
        self._cells = np.argwhere(self._touched)
        self._row_index = {int(p): i for i, p in enumerate(self._rows)}
        self._col_index = {int(p): j for j, p in enumerate(self._cols)}

    def _touched_cells(self) -> np.ndarray:
        """Boolean (rows, cols) mask of the positions whose owned window meets a footprint."""
        touched = np.zeros((len(self._rows), len(self._cols)), dtype=bool)
        row_starts, row_stops = self._row_owned
        col_starts, col_stops = self._col_owned
        for row0, col0, height, width in self.layout.windows.tolist():
            if height == 0 or width == 0:
                continue
            i0 = np.searchsorted(row_stops, row0, side="right")
            i1 = np.searchsorted(row_starts, row0 + height, side="left")
            j0 = np.searchsorted(col_stops, col0, side="right")
            j1 = np.searchsorted(col_starts, col0 + width, side="left")
            touched[i0:i1, j0:j1] = True
        return touched

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.shape}, stride={self.stride}, "
            f"patches={len(self)}, extent={self.extent})"
        )

    def __len__(self) -> int:
        return len(self._cells)

    @property
    def extent_grid(self) -> GridSpec:
        """The sub-grid of ``ds.grid`` that the patches tile (the area, without any overhang)."""
        ext = self.extent
        return self.grid.subgrid(ext.row_off, ext.col_off, ext.height, ext.width)

    def _query(self, i: int, j: int) -> GridSpec:
        return self.grid.subgrid(int(self._rows[i]), int(self._cols[j]), *self.shape)

    def _owned(self, i: int, j: int) -> PixelWindow:
        row0, row1 = int(self._row_owned[0][i]), int(self._row_owned[1][i])
        col0, col1 = int(self._col_owned[0][j]), int(self._col_owned[1][j])
        return PixelWindow(
            row0 - int(self._rows[i]), col0 - int(self._cols[j]), row1 - row0, col1 - col0
        )

    def __iter__(self) -> Iterator[GridSpec]:
        for i, j in self._cells.tolist():
            yield self._query(i, j)

    def iter_with_ownership(self) -> Iterator[tuple[GridSpec, PixelWindow]]:
        """``(query, owned)`` pairs in iteration order; ``owned`` is in the query's own pixels.

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 6, 6), 1, crs=3857)
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
            >>> [owned.width for _, owned in GridPatchSampler(ds, 4, 2).iter_with_ownership()]
            [3, 3, 3, 3]
        """
        for i, j in self._cells.tolist():
            yield self._query(i, j), self._owned(i, j)

    def owned_window(self, query: GridSpec) -> PixelWindow:
        """The window of ``query``, in its own pixels, that it owns.

        ``query`` must be a patch of this sampler — e.g. the ``grid`` of a sample that came through
        a ``DataLoader``.

        Raises:
            QueryOutsideError: if ``query`` is not one of this sampler's patches.

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 6, 6), 1, crs=3857)
            >>> sampler = GridPatchSampler(SimpleNamespace(grid=g, bounds=g.bounds,
            ...                                            footprints=[g.bounds]), 4, 2)
            >>> sampler.owned_window(g.subgrid(2, 2, 4, 4))
            PixelWindow(row_off=1, col_off=1, height=3, width=3)
        """
        cell: tuple[int, int] | None = None
        if self.grid.is_aligned_with(query) and query.shape == self.shape:
            window = self.grid.window_of(query)
            i = self._row_index.get(round(window.row_off))
            j = self._col_index.get(round(window.col_off))
            if i is not None and j is not None and self._touched[i, j]:
                cell = (i, j)
        if cell is None:
            raise QueryOutsideError(
                f"{query} is not one of the patches of {self!r}; ask owned_window() only for "
                "queries this sampler yielded"
            )
        return self._owned(*cell)
