"""``ChipDataModule``: the data module of pre-chipped datasets (EuroSAT, BigEarthNet, …).

A pre-chipped dataset ships its samples already cut (one patch per file or record) with official
splits. Any dataset class whose constructor takes ``(root, split=…, bands=…, **options)`` and whose
items are sample dicts (``image`` (C, H, W) float32, and ``label``/``mask``/``target``) plugs in;
``classes``, ``colors``, ``bands`` and ``ignore_index`` attributes, when it has them, describe
the data to the task. The band statistics are computed on the training split (a seeded sample of
``stats_samples`` chips) or loaded from ``stats``.

Example:
    >>> import torch
    >>> class Chips(torch.utils.data.Dataset):
    ...     classes, bands = ["sea", "land"], ["B04", "B08"]
    ...     def __init__(self, root, split="train", bands=None):
    ...         self.n = {"train": 8, "val": 4, "test": 4}[split]
    ...     def __len__(self):
    ...         return self.n
    ...     def __getitem__(self, i):
    ...         return {"image": torch.full((2, 4, 4), float(i)), "label": torch.tensor(i % 2)}
    >>> dm = ChipDataModule(Chips, root=".", batch_size=4, num_workers=0)
    >>> dm.setup("fit")
    >>> dm.data_info()["classes"], dm.data_info()["mean"]
    (['sea', 'land'], [3.5, 3.5])
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader

from eoforge.data.band_stats import BandStats
from eoforge.data.batch_collate import collate
from eoforge.data.datamodules.worker_priority import worker_init_for
from eoforge.data.dataset_stats import compute_band_stats
from eoforge.errors import EoforgeError

__all__ = ["ChipDataModule", "resolve_dataset_class"]


def resolve_dataset_class(dataset: str | type) -> type:
    """A dataset class from itself or its dotted path (``"eoforge.datasets.EuroSAT"``).

    Example:
        >>> resolve_dataset_class("collections.OrderedDict").__name__
        'OrderedDict'
    """
    if isinstance(dataset, type):
        return dataset
    module_name, _, name = dataset.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name or "eoforge.datasets"), name)
    except (ImportError, AttributeError) as err:
        raise EoforgeError(
            f"dataset {dataset!r} cannot be imported ({err}); give the dotted path of a dataset "
            "class, e.g. 'eoforge.datasets.EuroSAT'"
        ) from err
    if not isinstance(found, type):
        raise EoforgeError(f"dataset {dataset!r} is not a class")
    return found


class ChipDataModule(LightningDataModule):
    """Loaders over the official splits of a pre-chipped dataset.

    Args:
        dataset: the dataset class, or its dotted path.
        root: where the dataset lies.
        bands: the bands to load, by name (default: the dataset's default).
        splits: the dataset's name of each of train / val / test (``None`` to skip one).
        dataset_options: more keyword arguments of the dataset class.
        batch_size: samples per batch.
        num_workers: DataLoader worker processes.
        stats: a JSON file of band statistics: loaded when it exists, else computed on the
            training split and written there.
        stats_samples: training chips the statistics are computed from.
        seed: seed of the statistics sample and of the training order.
    """

    def __init__(
        self,
        dataset: str | type,
        root: str = "data",
        bands: list[str] | None = None,
        splits: dict[str, str | None] | None = None,
        dataset_options: dict[str, Any] | None = None,
        batch_size: int = 32,
        num_workers: int = 2,
        stats: str | None = None,
        stats_samples: int = 1000,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.dataset_class = resolve_dataset_class(dataset)
        self.save_hyperparameters(ignore=["dataset"])
        self.split_names: dict[str, str | None] = {"train": "train", "val": "val", "test": "test"}
        self.split_names.update(splits or {})
        self.datasets: dict[str, Any] = {}
        self.band_stats: BandStats | None = None

    @property
    def hp(self) -> Any:
        """The hyper-parameters, with attribute access."""
        return self.hparams

    def _make(self, split: str) -> Any:
        name = self.split_names.get(split)
        if name is None:
            raise EoforgeError(
                f"this data module has no {split!r} split (splits={self.split_names})"
            )
        options: dict[str, Any] = dict(self.hp.dataset_options or {})
        if self.hp.bands is not None:
            options["bands"] = self.hp.bands
        return self.dataset_class(self.hp.root, split=name, **options)

    def setup(self, stage: str | None = None) -> None:
        """Open the splits and compute (or load) the training statistics."""
        if self.datasets:
            return
        for split in ("train", "val", "test"):
            if self.split_names.get(split) is not None:
                self.datasets[split] = self._make(split)
        self.band_stats = self._stats()

    def _stats(self) -> BandStats:
        hp = self.hp
        if hp.stats is not None and Path(hp.stats).is_file():
            return BandStats.load(hp.stats)
        train = self.datasets["train"]
        rng = np.random.default_rng(hp.seed)
        count = min(len(train), hp.stats_samples)
        indexes = sorted(rng.choice(len(train), size=count, replace=False).tolist())
        stats = compute_band_stats(train, indexes, batch_size=hp.batch_size, progress=True)
        if hp.stats is not None:
            stats.save(hp.stats)
        return stats

    def data_info(self) -> dict[str, Any]:
        """Bands, classes, colours, ignore index and training statistics (a plain dict)."""
        self.setup()
        assert self.band_stats is not None
        train = self.datasets["train"]
        classes = list(getattr(train, "classes", []) or [])
        colors = getattr(train, "colors", None)
        return {
            "bands": list(self.band_stats.bands),
            "classes": classes,
            "colors": [list(c)[:3] for c in colors] if colors and classes else [],
            "ignore_index": getattr(train, "ignore_index", None),
            "mean": [float(v) for v in self.band_stats.mean],
            "std": [float(v) for v in self.band_stats.std],
        }

    def _loader(self, split: str, shuffle: bool) -> DataLoader[Any]:
        self.setup()
        workers = int(self.hp.num_workers)
        generator = None
        if shuffle:
            import torch

            generator = torch.Generator().manual_seed(int(self.hp.seed))
        return DataLoader(
            self.datasets[split],
            batch_size=self.hp.batch_size,
            shuffle=shuffle,
            generator=generator,
            num_workers=workers,
            persistent_workers=workers > 0,
            collate_fn=collate,
            worker_init_fn=worker_init_for(self.trainer),
        )

    def train_dataloader(self) -> DataLoader[Any]:
        """The training split, shuffled (seeded)."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        """The validation split."""
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader[Any]:
        """The test split."""
        return self._loader("test", shuffle=False)
