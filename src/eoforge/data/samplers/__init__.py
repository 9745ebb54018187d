"""Samplers: where to read patches from a dataset, as ``GridSpec`` queries aligned to ``ds.grid``.

- :class:`RandomPatchSampler` — random patches inside item footprints, weighted by area, with an
  optional minimum share of valid pixels;
- :class:`RandomBatchPatchSampler` — the same as batches, each batch from one item (file);
- :class:`GridPatchSampler` — a regular grid covering every pixel, with the window each patch owns.

All are ``torch.utils.data.Sampler`` s; they read no pixels. The random ones are seeded: the same
seed (and epoch, see ``set_epoch``) gives the same queries in the same order, in any process.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 640, 640, "EPSG:32633"), res=10)
    >>> ds = SimpleNamespace(grid=grid, bounds=grid.bounds, footprints=[grid.bounds],
    ...                      valid_fraction=lambda query: 1.0)
    >>> len(GridPatchSampler(ds, size=32)), len(RandomPatchSampler(ds, size=32, length=10))
    (4, 10)
"""

from eoforge.data.samplers.grid_patch import GridPatchSampler
from eoforge.data.samplers.patch_dataset import PatchDataset
from eoforge.data.samplers.pixel_window import PixelWindow
from eoforge.data.samplers.random_batch_patch import RandomBatchPatchSampler
from eoforge.data.samplers.random_patch import RandomPatchSampler

__all__ = [
    "GridPatchSampler",
    "PatchDataset",
    "PixelWindow",
    "RandomBatchPatchSampler",
    "RandomPatchSampler",
]
