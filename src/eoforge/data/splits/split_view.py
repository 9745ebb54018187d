"""``SplitView``: a dataset seen through one split — footprints cut to that split's regions.

Every sampler plans its queries from ``ds.footprints``. A view keeps the dataset's grid, bounds,
reads and validity, but its footprints are the pieces of the dataset's footprints inside the
split's regions, shrunk to whole pixels of the grid, so the random samplers place every patch
inside one piece — inside the split.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.data.splits import SpatialSplit
    >>> from eoforge.geo import BBox, GridSpec
    >>> g = GridSpec.from_bounds((0, 0, 100, 100), 1, crs=3857)
    >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds],
    ...                      valid_fraction=lambda q: 1.0)
    >>> split = SpatialSplit({"train": [BBox(0, 0, 50, 100, 3857)],
    ...                       "test": [BBox(50, 0, 100, 100, 3857)]})
    >>> view = split.subset(ds, "test")
    >>> view.footprints, view.grid == ds.grid
    ([BBox(50.0, 0.0, 100.0, 100.0, crs='EPSG:3857')], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from eoforge.data.samplers.sampler_arguments import patch_shape
from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.errors import CRSMismatchError, InvalidGridError, NoOverlapError
from eoforge.geo import BBox, GridSpec

__all__ = ["SplitView", "inner_pixels"]

_EPS = 1e-6  # pixels: an edge this close to a pixel line lies on it


def _inner_windows(grid: GridSpec, boxes: np.ndarray) -> np.ndarray:
    """``(n, 4)`` int64 ``row0, col0, row1, col1`` of the whole pixels inside each box (clipped)."""
    if not grid.is_north_up:
        raise InvalidGridError(
            f"{grid} is rotated or flipped; a split view needs a north-up grid (give the dataset "
            "a north-up target grid)"
        )
    t = grid.transform
    col0 = np.ceil((boxes[:, 0] - t.c) / t.a - _EPS)
    col1 = np.floor((boxes[:, 2] - t.c) / t.a + _EPS)
    row0 = np.ceil((boxes[:, 3] - t.f) / t.e - _EPS)
    row1 = np.floor((boxes[:, 1] - t.f) / t.e + _EPS)
    windows = np.stack(
        [
            np.clip(row0, 0, grid.height),
            np.clip(col0, 0, grid.width),
            np.clip(row1, 0, grid.height),
            np.clip(col1, 0, grid.width),
        ],
        axis=1,
    ).astype(np.int64)
    return windows.reshape(-1, 4)


def inner_pixels(grid: GridSpec, box: BBox) -> tuple[int, int, int, int] | None:
    """``(row0, col0, row1, col1)`` of the whole pixels of ``grid`` inside ``box`` (clipped to it).

    ``None`` when no whole pixel fits. ``grid`` must be north-up and in ``box``'s CRS; an edge
    within 1e-6 pixel of a pixel line counts as on it.

    Example:
        >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
        >>> inner_pixels(g, BBox(0.5, 0, 4, 9.2, 3857))
        (1, 1, 10, 4)
    """
    row0, col0, row1, col1 = _inner_windows(grid, np.array([tuple(box)]))[0].tolist()
    if row1 <= row0 or col1 <= col0:
        return None
    return (row0, col0, row1, col1)


def _piece_windows(
    grid: GridSpec, bounds: BBox, footprints: Sequence[BBox], regions: Sequence[BBox]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel windows of every non-empty (region x footprint) piece, with item and region indexes.

    Footprints are clipped to ``bounds`` first (as the samplers do). Pieces come region by
    region, and in footprint order within a region.
    """
    boxes = [fp if fp.crs == grid.crs else fp.to_crs(grid.crs) for fp in footprints]
    fps = np.array([tuple(b) for b in boxes], dtype=np.float64).reshape(-1, 4)
    box = bounds if bounds.crs == grid.crs else bounds.to_crs(grid.crs)
    fps[:, :2] = np.maximum(fps[:, :2], (box.minx, box.miny))
    fps[:, 2:] = np.minimum(fps[:, 2:], (box.maxx, box.maxy))
    regs = np.array([tuple(b) for b in regions], dtype=np.float64).reshape(-1, 4)
    cut = np.concatenate(
        [
            np.maximum(regs[:, None, :2], fps[None, :, :2]),
            np.minimum(regs[:, None, 2:], fps[None, :, 2:]),
        ],
        axis=2,
    ).reshape(-1, 4)
    region_index, item_index = np.divmod(np.arange(len(cut)), max(1, len(fps)))
    windows = _inner_windows(grid, cut)
    full = (windows[:, 2] > windows[:, 0]) & (windows[:, 3] > windows[:, 1])
    return windows[full], item_index[full], region_index[full]


class SplitView(Dataset[Any]):
    """A dataset restricted to one split, usable by every sampler as it is.

    ``grid``, ``bounds``, ``ds[query]``, ``valid_fraction`` and every other attribute (``bands``,
    ``crs``, ``plot`` …) are the dataset's; only :attr:`footprints` differ: each footprint of
    ``ds`` cut by each region of the split, shrunk to the whole pixels of ``ds.grid`` it holds,
    and left out when smaller than ``patch_size`` along either axis.

    What the samplers then do:

    - :class:`~eoforge.data.samplers.RandomPatchSampler` and
      :class:`~eoforge.data.samplers.RandomBatchPatchSampler` place each patch inside one piece
      when the piece is at least the patch size — give that ``patch_size`` here and no patch
      reaches outside the split (a piece smaller than a patch would get a patch centred on it).
    - :class:`~eoforge.data.samplers.GridPatchSampler` lays *one* patch grid over the extent of
      all pieces, so its patches straddle from one region into the next, through other splits:
      use :class:`~eoforge.data.splits.RegionGridPatchSampler`, which tiles region by region.

    Args:
        ds: the dataset (``grid``, ``bounds``, ``footprints`` in ``grid.crs``, and what samplers
            and loaders use: ``valid_fraction``, ``__getitem__``).
        split: the spatial split, in ``ds.grid.crs``.
        name: which split.
        patch_size: the patch size the view will be sampled with; pieces smaller than it along
            either axis are left out. ``None``: keep every piece of at least one pixel.

    Attributes:
        ds: the dataset.
        split: the spatial split.
        name: the split's name.
        footprints: the pieces, in ``ds.grid.crs``, on pixel lines of ``ds.grid``.
        piece_items: for each piece, the index of the ``ds`` footprint it comes from.
        piece_regions: for each piece, the index of the region (in ``split.regions[name]``).
        dropped: how many non-empty pieces were left out for being smaller than ``patch_size``.

    Raises:
        InvalidGridError: for an unknown split name or a bad ``patch_size``, or when pieces exist
            but every one is smaller than ``patch_size``.
        NoOverlapError: if the split's regions hold no whole pixel of the footprints.
        CRSMismatchError: if the split is not in ``ds.grid.crs``.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.data.splits import SpatialSplit
        >>> from eoforge.geo import BBox, GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 100, 10), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
        >>> split = SpatialSplit({"a": [BBox(0, 0, 4, 10, 3857), BBox(50, 0, 100, 10, 3857)],
        ...                       "b": [BBox(4, 0, 50, 10, 3857)]})
        >>> view = split.subset(ds, "a", patch_size=8)
        >>> view.footprints, view.dropped
        ([BBox(50.0, 0.0, 100.0, 10.0, crs='EPSG:3857')], 1)
    """

    def __init__(
        self,
        ds: Any,
        split: SpatialSplit,
        name: str,
        *,
        patch_size: int | tuple[int, int] | None = None,
    ) -> None:
        index = split.check_name(name)
        grid: GridSpec = ds.grid
        if split.crs != grid.crs:
            raise CRSMismatchError(
                f"the split is in {split.crs} but the dataset's grid is in {grid.crs}; build the "
                "split from this dataset (block_split(ds, …), ring_split(ds)) or from boxes in "
                f"{grid.crs}"
            )
        shape = (1, 1) if patch_size is None else patch_shape(patch_size, "patch_size")
        self.ds = ds
        self.split = split
        self.name = name
        self.patch_size = None if patch_size is None else shape
        windows, items, regions = _piece_windows(grid, ds.bounds, ds.footprints, split.boxes[index])
        rows = windows[:, 2] - windows[:, 0]
        cols = windows[:, 3] - windows[:, 1]
        keep = (rows >= shape[0]) & (cols >= shape[1])
        dropped = int((~keep).sum())
        pieces = [
            grid.subgrid(row0, col0, row1 - row0, col1 - col0).bounds
            for row0, col0, row1, col1 in windows[keep].tolist()
        ]
        if not pieces and dropped == 0:
            raise NoOverlapError(
                f"split {name!r} holds no whole pixel of the dataset's {len(ds.footprints)} "
                f"footprint(s) (bounds {ds.bounds}); check that the split was made for this "
                "dataset, or choose larger blocks"
            )
        if not pieces:
            raise InvalidGridError(
                f"every one of the {dropped} piece(s) of split {name!r} is smaller than "
                f"patch_size={patch_size!r}; use smaller patches or larger split regions "
                "(block_size=…)"
            )
        self.footprints: list[BBox] = pieces
        self.piece_items: tuple[int, ...] = tuple(items[keep].tolist())
        self.piece_regions: tuple[int, ...] = tuple(regions[keep].tolist())
        self.dropped = dropped

    @property
    def grid(self) -> GridSpec:
        """The dataset's grid."""
        grid: GridSpec = self.ds.grid
        return grid

    @property
    def bounds(self) -> BBox:
        """The dataset's bounds."""
        bounds: BBox = self.ds.bounds
        return bounds

    @property
    def regions(self) -> tuple[BBox, ...]:
        """The split's regions (boxes in the dataset's CRS)."""
        return self.split.boxes[self.split.check_name(self.name)]

    @property
    def pixel_count(self) -> int:
        """Pixels of all pieces together (pieces of overlapping items counted once per item).

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.data.splits import SpatialSplit
            >>> from eoforge.geo import BBox, GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
            >>> SpatialSplit({"a": [BBox(0, 0, 5, 10, 3857)]}).subset(ds, "a").pixel_count
            50
        """
        xres, yres = self.grid.res
        areas = np.array([box.area for box in self.footprints]) / (xres * yres)
        return int(np.rint(areas).sum())

    def __getitem__(self, query: Any) -> Any:
        """``ds[query]``."""
        return self.ds[query]

    def valid_fraction(self, query: Any) -> float:
        """``ds.valid_fraction(query)``."""
        return float(self.ds.valid_fraction(query))

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") or attribute == "ds" or "ds" not in self.__dict__:
            raise AttributeError(attribute)
        return getattr(self.__dict__["ds"], attribute)

    def __repr__(self) -> str:
        return (
            f"SplitView({self.name!r}: {len(self.footprints)} piece(s) in "
            f"{len(self.regions)} region(s), {self.pixel_count} px; of {type(self.ds).__name__})"
        )

    def pieces_of_region(self, region: int) -> Sequence[BBox]:
        """The pieces cut from region number ``region`` of the split.

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.data.splits import SpatialSplit
            >>> from eoforge.geo import BBox, GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
            >>> fps = [BBox(0, 0, 5, 10, 3857), BBox(5, 0, 10, 10, 3857)]
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=fps)
            >>> len(SpatialSplit({"a": [g.bounds]}).subset(ds, "a").pieces_of_region(0))
            2
        """
        return [
            piece
            for piece, owner in zip(self.footprints, self.piece_regions, strict=True)
            if owner == region
        ]
