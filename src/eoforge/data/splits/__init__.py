"""Leakage-free spatial train / val / test splits of a dataset.

- :func:`block_split` — square blocks assigned at random (seeded) to the splits by area, with an
  optional buffer gap between blocks of different splits;
- :func:`ring_split` — the reBEN tile-border split: per tile, outer ring train (50 %), middle ring
  val (25 %), centre test (25 %);
- :class:`SpatialSplit` — the result: per split, its regions as boxes; ``assign`` (centroid
  rule), ``subset`` (a view for the samplers), ``report``, ``to_file``, ``plot``;
- :class:`SplitView` — a dataset whose footprints are cut to one split, for every sampler;
- :class:`RegionGridPatchSampler` — grid patches over a view, region by region.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.data.samplers import RandomPatchSampler
    >>> from eoforge.geo import GridSpec
    >>> g = GridSpec.from_bounds((0, 0, 1280, 1280), 10, crs=32633)
    >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds],
    ...                      valid_fraction=lambda query: 1.0)
    >>> split = block_split(ds, block_pixels=32, buffer=40, seed=0)
    >>> train = split.subset(ds, "train", patch_size=16)
    >>> {split.assign(q) for q in RandomPatchSampler(train, size=16, length=100)}
    {'train'}
"""

from eoforge.data.splits.block_split import block_split
from eoforge.data.splits.footprinted import Footprinted
from eoforge.data.splits.region_grid_patch import RegionGridPatchSampler
from eoforge.data.splits.ring_split import ring_insets, ring_split, ring_widths
from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.data.splits.split_fractions import split_fractions
from eoforge.data.splits.split_view import SplitView

__all__ = [
    "Footprinted",
    "RegionGridPatchSampler",
    "SpatialSplit",
    "SplitView",
    "block_split",
    "ring_insets",
    "ring_split",
    "ring_widths",
    "split_fractions",
]
