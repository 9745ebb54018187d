"""``RegionGridPatchSampler``: regular patch grids over a split view, one region at a time.

:class:`~eoforge.data.samplers.GridPatchSampler` lays one patch grid over the extent of all the
footprints it is given; over a split view that extent spans other splits, so its patches would
straddle them. This sampler runs one ``GridPatchSampler`` per region of the split instead: each
tiles the pieces of its own region, whose extent lies inside that region.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.data.splits import SpatialSplit
    >>> from eoforge.geo import BBox, GridSpec
    >>> g = GridSpec.from_bounds((0, 0, 30, 10), 1, crs=3857)
    >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
    >>> split = SpatialSplit({"a": [BBox(0, 0, 10, 10, 3857), BBox(20, 0, 30, 10, 3857)],
    ...                       "b": [BBox(10, 0, 20, 10, 3857)]})
    >>> sampler = RegionGridPatchSampler(split.subset(ds, "a"), size=5)
    >>> sorted({split.assign(q) for q in sampler}), len(sampler)
    (['a'], 8)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from torch.utils.data import Sampler

from eoforge.data.samplers import GridPatchSampler, PixelWindow
from eoforge.data.samplers.sampler_arguments import patch_shape
from eoforge.data.splits.split_view import SplitView
from eoforge.errors import InvalidGridError, QueryOutsideError
from eoforge.geo import BBox, GridSpec

__all__ = ["RegionGridPatchSampler"]


@dataclass(frozen=True)
class _RegionPieces:
    """The pieces of one region, as the dataset a ``GridPatchSampler`` tiles."""

    grid: GridSpec
    bounds: BBox
    footprints: Sequence[BBox]

    def valid_fraction(self, query: GridSpec, /) -> float:  # pragma: no cover - unused
        return 1.0


class RegionGridPatchSampler(Sampler[GridSpec]):
    """``size`` patches on a regular grid covering each region of a split view, region by region.

    For each region of ``view.split`` (in order) a
    :class:`~eoforge.data.samplers.GridPatchSampler` tiles the view's pieces in that region, with
    the same placement and ownership rules; every patch lies inside its region, so no patch
    reaches another split. A region whose pieces span less than one patch along an axis cannot
    hold a patch without reaching outside: it is skipped and counted in :attr:`skipped`.

    Args:
        view: a :class:`~eoforge.data.splits.SplitView` (``split.subset(ds, name)``).
        size: patch size in pixels, one number or ``(height, width)``.
        stride: step between patches (``1 ≤ stride ≤ size``); ``None`` means ``size``.

    Attributes:
        samplers: the ``(region index, GridPatchSampler)`` pairs, in order.
        skipped: how many regions with pieces were too small for a patch.

    Raises:
        InvalidGridError: for a bad size or stride, or if no region can hold one patch.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.data.splits import SpatialSplit
        >>> from eoforge.geo import BBox, GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 12, 12), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
        >>> split = SpatialSplit({"a": [BBox(0, 0, 6, 12, 3857)], "b": [BBox(6, 0, 12, 12, 3857)]})
        >>> sampler = RegionGridPatchSampler(split.subset(ds, "b"), size=4)
        >>> query, owned = next(sampler.iter_with_ownership())
        >>> g.window_of(query).col_off, owned
        (6.0, PixelWindow(row_off=0, col_off=0, height=4, width=3))
    """

    def __init__(
        self,
        view: SplitView,
        size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.shape = patch_shape(size)
        self.view = view
        self.samplers: list[tuple[int, GridPatchSampler]] = []
        self.skipped = 0
        for region in sorted(set(view.piece_regions)):
            pieces = view.pieces_of_region(region)
            extent = pieces[0]
            for piece in pieces[1:]:
                extent = extent.union(piece)
            xres, yres = view.grid.res
            if (
                round(extent.height / yres) < self.shape[0]
                or round(extent.width / xres) < self.shape[1]
            ):
                self.skipped += 1
                continue
            sub = _RegionPieces(view.grid, view.bounds, pieces)
            self.samplers.append((region, GridPatchSampler(sub, self.shape, stride)))
        if not self.samplers:
            raise InvalidGridError(
                f"no region of split {view.name!r} spans a patch of size={size!r} "
                f"({self.skipped} region(s) too small); use smaller patches or larger regions"
            )

    def __len__(self) -> int:
        return sum(len(sampler) for _, sampler in self.samplers)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(split={self.view.name!r}, size={self.shape}, "
            f"regions={len(self.samplers)}, skipped={self.skipped}, patches={len(self)})"
        )

    def __iter__(self) -> Iterator[GridSpec]:
        for _, sampler in self.samplers:
            yield from sampler

    def iter_with_ownership(self) -> Iterator[tuple[GridSpec, PixelWindow]]:
        """``(query, owned)`` pairs in iteration order, ``owned`` in the query's own pixels.

        Within a region the owned windows tile it, as with ``GridPatchSampler``.

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.data.splits import SpatialSplit
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 8, 8), 1, crs=3857)
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
            >>> view = SpatialSplit({"a": [g.bounds]}).subset(ds, "a")
            >>> pairs = RegionGridPatchSampler(view, 3).iter_with_ownership()
            >>> sum(owned.height * owned.width for _, owned in pairs)
            64
        """
        for _, sampler in self.samplers:
            yield from sampler.iter_with_ownership()

    def owned_window(self, query: GridSpec) -> PixelWindow:
        """The window of ``query`` (one of this sampler's patches), in its own pixels, it owns.

        Raises:
            QueryOutsideError: if ``query`` is not one of this sampler's patches.

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.data.splits import SpatialSplit
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 8, 8), 1, crs=3857)
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
            >>> sampler = RegionGridPatchSampler(SpatialSplit({"a": [g.bounds]}).subset(ds, "a"), 4)
            >>> sampler.owned_window(g.subgrid(4, 4, 4, 4))
            PixelWindow(row_off=0, col_off=0, height=4, width=4)
        """
        for _, sampler in self.samplers:
            try:
                return sampler.owned_window(query)
            except QueryOutsideError:
                continue
        raise QueryOutsideError(
            f"{query} is not one of the patches of {self!r}; ask owned_window() only for queries "
            "this sampler yielded"
        )
