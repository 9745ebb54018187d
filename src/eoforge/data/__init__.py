"""Indexed raster and vector sources, the query-indexed dataset, samplers and batching.

- :class:`RasterSource` — an indexed collection of raster files (tiles, scenes, band files);
- :class:`VectorSource` — a vector layer rasterised on query grids (labels from polygons);
- :class:`GeoDataset` — image (+ mask / target) sources stacked on one grid, indexed by queries;
- samplers — :class:`RandomPatchSampler`, :class:`GridPatchSampler`,
  :class:`RandomBatchPatchSampler` draw those queries;
- :func:`collate` — the ``DataLoader`` ``collate_fn`` that keeps each sample's grid and bands.

Names are imported on first use, so that indexing files (``RasterSource``) does not load PyTorch:
a process that only builds or reads an index stays small.

Example:
    >>> from eoforge.data import GeoDataset, collate
    >>> callable(collate), GeoDataset.__name__
    (True, 'GeoDataset')
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eoforge.data.band_stats import BandStats as BandStats
    from eoforge.data.batch_collate import collate as collate
    from eoforge.data.chip_store import ChipStore as ChipStore
    from eoforge.data.chip_store import write_chip_store as write_chip_store
    from eoforge.data.dataset_stats import compute_band_stats as compute_band_stats
    from eoforge.data.geo_dataset import GeoDataset as GeoDataset
    from eoforge.data.raster_source import RasterSource as RasterSource
    from eoforge.data.samplers import GridPatchSampler as GridPatchSampler
    from eoforge.data.samplers import RandomBatchPatchSampler as RandomBatchPatchSampler
    from eoforge.data.samplers import RandomPatchSampler as RandomPatchSampler
    from eoforge.data.splits import RegionGridPatchSampler as RegionGridPatchSampler
    from eoforge.data.splits import SpatialSplit as SpatialSplit
    from eoforge.data.splits import SplitView as SplitView
    from eoforge.data.splits import block_split as block_split
    from eoforge.data.splits import ring_split as ring_split
    from eoforge.data.streaming_band_stats import StreamingBandStats as StreamingBandStats
    from eoforge.data.value_histogram import ValueHistogram as ValueHistogram
    from eoforge.data.vector_source import VectorSource as VectorSource

_WHERE = {
    "BandStats": "eoforge.data.band_stats",
    "ChipStore": "eoforge.data.chip_store",
    "GeoDataset": "eoforge.data.geo_dataset",
    "GridPatchSampler": "eoforge.data.samplers",
    "RandomBatchPatchSampler": "eoforge.data.samplers",
    "RandomPatchSampler": "eoforge.data.samplers",
    "RasterSource": "eoforge.data.raster_source",
    "RegionGridPatchSampler": "eoforge.data.splits",
    "SpatialSplit": "eoforge.data.splits",
    "SplitView": "eoforge.data.splits",
    "StreamingBandStats": "eoforge.data.streaming_band_stats",
    "ValueHistogram": "eoforge.data.value_histogram",
    "VectorSource": "eoforge.data.vector_source",
    "block_split": "eoforge.data.splits",
    "collate": "eoforge.data.batch_collate",
    "ring_split": "eoforge.data.splits",
    "write_chip_store": "eoforge.data.chip_store",
    "compute_band_stats": "eoforge.data.dataset_stats",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'eoforge.data' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
