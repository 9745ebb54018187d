"""``Footprinted``: what a split needs to know about a dataset — grid, bounds, item footprints.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import GridSpec
    >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
    >>> ds: Footprinted = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
    >>> len(ds.footprints)
    1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eoforge.geo import BBox, GridSpec

__all__ = ["Footprinted"]


class Footprinted(Protocol):
    """What a split needs from a dataset: its grid, bounds and item footprints (in ``grid.crs``).

    :class:`~eoforge.data.GeoDataset` and every :class:`~eoforge.data.samplers.PatchDataset` are
    such objects.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
        >>> ds: Footprinted = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
        >>> ds.grid.shape
        (10, 10)
    """

    @property
    def grid(self) -> GridSpec:
        """The dataset's target grid."""
        ...

    @property
    def bounds(self) -> BBox:
        """The dataset's bounds in ``grid.crs``."""
        ...

    @property
    def footprints(self) -> Sequence[BBox]:
        """One box per item, in ``grid.crs``."""
        ...
