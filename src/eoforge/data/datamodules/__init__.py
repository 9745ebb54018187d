"""Lightning data modules: georeferenced rasters with spatial splits, and pre-chipped datasets.

- :class:`GeoDataModule` — image files + labels → spatial train/val/test splits → patch loaders;
- :class:`ChipDataModule` — the base for pre-chipped datasets (one sample per file or record);
- :class:`OwnedPatches` — evaluation patches in which every pixel counts once.

Both describe their data with ``data_info()`` (bands, classes, colours, statistics), which
eoforge's tasks store in their checkpoints.

Example:
    >>> from eoforge.data.datamodules import GeoDataModule
    >>> GeoDataModule.__name__
    'GeoDataModule'
"""

from eoforge.data.datamodules.chip_datamodule import ChipDataModule
from eoforge.data.datamodules.geo_datamodule import GeoDataModule
from eoforge.data.datamodules.owned_patches import OwnedPatches

__all__ = ["ChipDataModule", "GeoDataModule", "OwnedPatches"]
