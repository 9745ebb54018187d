"""``PatchDataset``: what a sampler needs to know about a dataset.

Samplers only plan queries; they never read pixels. Any object with a target grid, bounds, the
footprint of each item and a cheap validity estimate can be sampled —
:class:`eoforge.data.GeoDataset` is one.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), res=10)
    >>> ds = SimpleNamespace(grid=grid, bounds=grid.bounds, footprints=[grid.bounds],
    ...                      valid_fraction=lambda query: 1.0)
    >>> ds.grid.shape
    (10, 10)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from eoforge.geo import BBox, GridSpec

__all__ = ["PatchDataset"]


@runtime_checkable
class PatchDataset(Protocol):
    """The protocol samplers need from a dataset.

    Attributes:
        grid: the target world grid; every query a sampler yields is a sub-grid aligned with it.
        bounds: the area the dataset covers, in ``grid.crs``.
        footprints: one box per item (file or tile), in ``grid.crs``, clipped to ``bounds``; the
            list index identifies the item.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
        >>> isinstance(SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds],
        ...                            valid_fraction=lambda q: 1.0), PatchDataset)
        True
    """

    @property
    def grid(self) -> GridSpec:
        """The target world grid."""
        ...

    @property
    def bounds(self) -> BBox:
        """The dataset's bounds in ``grid.crs``."""
        ...

    @property
    def footprints(self) -> Sequence[BBox]:
        """One footprint per item, in ``grid.crs``, clipped to ``bounds``."""
        ...

    def valid_fraction(self, query: GridSpec, /) -> float:
        """A cheap estimate of the share of valid pixels of ``query`` (0 to 1)."""
        ...
