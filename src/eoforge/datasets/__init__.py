"""Datasets: benchmark datasets of the field, user datasets and synthetic scenes.

- :class:`ChipDataset` — the base of the pre-chipped benchmark datasets (class attributes describe
  the data; two hooks read it), with downloads (:class:`RemoteFile`, :func:`download_url`,
  :func:`extract_archive`) and the registry (:func:`register_dataset`, :func:`list_datasets`,
  :func:`get_dataset`) behind ``eoforge datasets list|info|download``;
- user datasets — :class:`SceneFolderDataset` (one folder of images per class) and
  :class:`PairedFilesDataset` (image files paired with mask files);
- :mod:`eoforge.datasets.synthetic` — deterministic, procedurally generated Sentinel-2-like scenes
  with land-cover labels, for the demo, tests and benchmarks.

Names are imported on first use, so that ``import eoforge.datasets`` stays cheap (no PyTorch).

Example:
    >>> from eoforge.datasets.synthetic import generate_scene
    >>> generate_scene(64, seed=1).labels.shape
    (64, 64)
    >>> from eoforge.datasets import ChipDataset, SceneFolderDataset
    >>> ChipDataset.splits, SceneFolderDataset.task
    (('train', 'val', 'test'), 'classification')
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eoforge.datasets.archives import extract_archive as extract_archive
    from eoforge.datasets.checksums import file_digest as file_digest
    from eoforge.datasets.checksums import verify_checksum as verify_checksum
    from eoforge.datasets.chip_dataset import ChipDataset as ChipDataset
    from eoforge.datasets.chip_plot import plot_chip as plot_chip
    from eoforge.datasets.download import download_url as download_url
    from eoforge.datasets.fetch_files import fetch_files as fetch_files
    from eoforge.datasets.mask_lookup import MaskLookup as MaskLookup
    from eoforge.datasets.paired_files import PairedFilesDataset as PairedFilesDataset
    from eoforge.datasets.raster_chip import read_raster_chip as read_raster_chip
    from eoforge.datasets.registry import get_dataset as get_dataset
    from eoforge.datasets.registry import list_datasets as list_datasets
    from eoforge.datasets.registry import register_dataset as register_dataset
    from eoforge.datasets.remote_file import RemoteFile as RemoteFile
    from eoforge.datasets.scene_folder import SceneFolderDataset as SceneFolderDataset

_WHERE = {
    "AGBD": "eoforge.datasets.agbd",
    "BigEarthNet": "eoforge.datasets.bigearthnet",
    "ChipDataset": "eoforge.datasets.chip_dataset",
    "EuroSAT": "eoforge.datasets.eurosat",
    "EuroSATRGB": "eoforge.datasets.eurosat_rgb",
    "KuroSiwo": "eoforge.datasets.kurosiwo",
    "LandCoverAI": "eoforge.datasets.landcoverai",
    "MaskLookup": "eoforge.datasets.mask_lookup",
    "OAMTCD": "eoforge.datasets.oamtcd",
    "PairedFilesDataset": "eoforge.datasets.paired_files",
    "ReBEN": "eoforge.datasets.reben",
    "ReBENMaps": "eoforge.datasets.reben_maps",
    "RemoteFile": "eoforge.datasets.remote_file",
    "SceneFolderDataset": "eoforge.datasets.scene_folder",
    "So2Sat": "eoforge.datasets.so2sat",
    "download_url": "eoforge.datasets.download",
    "extract_archive": "eoforge.datasets.archives",
    "fetch_files": "eoforge.datasets.fetch_files",
    "file_digest": "eoforge.datasets.checksums",
    "get_dataset": "eoforge.datasets.registry",
    "list_datasets": "eoforge.datasets.registry",
    "plot_chip": "eoforge.datasets.chip_plot",
    "read_raster_chip": "eoforge.datasets.raster_chip",
    "register_dataset": "eoforge.datasets.registry",
    "verify_checksum": "eoforge.datasets.checksums",
}
"""Where each public name lives; a benchmark dataset adds its class here too."""

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'eoforge.datasets' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
