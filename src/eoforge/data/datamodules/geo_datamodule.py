"""``GeoDataModule``: rasters (+ labels) → leakage-free spatial splits → patch loaders.

From globs of image files and a label layer, it builds a :class:`~eoforge.data.GeoDataset`,
splits its area into train / val / test regions (:func:`~eoforge.data.splits.block_split` or the
reBEN :func:`~eoforge.data.splits.ring_split`), or holds whole scenes out for testing
(``test_images``), and serves:

- **train**: random patches inside the train regions (a new seeded draw every epoch);
- **val / test**: regular patch grids over their regions, each pixel counted exactly once (pixels
  a neighbouring patch owns are marked invalid: see :class:`OwnedPatches`).

It also describes its data to the task (:meth:`data_info`): band names, class names and colours
(from the label raster's tags, or given), the ignore index (the labels' nodata value) and the
per-band mean and standard deviation of the **training** pixels (computed once, or loaded from
``stats``), which the task keeps in its checkpoint.

Example:
    >>> import tempfile
    >>> from eoforge.datasets.synthetic import write_synthetic_scenes
    >>> scenes = write_synthetic_scenes(tempfile.mkdtemp(), n_tiles=1, size=256, progress=False)
    >>> dm = GeoDataModule(images=str(scenes.images[0]), mask=str(scenes.labels[0]),
    ...                    patch_size=64, block_pixels=64, train_patches=32, num_workers=0,
    ...                    stats_patches=8)
    >>> dm.setup("fit")
    >>> batch = next(iter(dm.train_dataloader()))
    >>> tuple(batch["image"].shape), dm.data_info()["classes"][0]
    ((16, 10, 64, 64), 'water')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader

from eoforge.data.band_stats import BandStats
from eoforge.data.batch_collate import collate
from eoforge.data.datamodules.label_classes import label_classes
from eoforge.data.datamodules.owned_patches import OwnedPatches
from eoforge.data.datamodules.worker_priority import worker_init_for
from eoforge.data.dataset_stats import compute_band_stats
from eoforge.data.geo_dataset import GeoDataset
from eoforge.data.raster_source import RasterSource
from eoforge.data.samplers import GridPatchSampler, RandomPatchSampler
from eoforge.data.splits import RegionGridPatchSampler, SpatialSplit, block_split, ring_split
from eoforge.data.vector_source import VectorSource
from eoforge.errors import EoforgeError

__all__ = ["GeoDataModule"]

SplitMethod = Literal["block", "ring", "none"]


class GeoDataModule(LightningDataModule):
    """Patches of georeferenced rasters for training, validation and testing.

    Args:
        images: image files: a glob, folder or list (bands stacked in file order).
        mask: a class raster (glob or file) for segmentation.
        labels: a vector file (GeoPackage, GeoJSON, Shapefile) rasterised as the mask instead.
        attribute: the column of ``labels`` holding class ids.
        target: a raster of values for (dense) regression; NaN/nodata where unlabelled.
        bands: the image bands to use, by name (default: all).
        crs: the working CRS (needed when the files span several).
        res: the working pixel size (default: the finest of the images).
        test_images: scenes held out for testing (then the split makes only train and val).
        test_mask: the class raster of ``test_images`` (default: ``mask``, if it covers them).
        split: ``"block"`` (random square blocks), ``"ring"`` (reBEN rings per tile) or
            ``"none"`` (everything is training data; no validation).
        block_size: block side in CRS units (``split="block"``; default: 4 patches).
        block_pixels: block side in pixels, instead of ``block_size``.
        fractions: area fraction of each split (default 0.7/0.15/0.15, or 0.8/0.2 with
            ``test_images``).
        buffer: gap (CRS units) kept between blocks of different splits.
        patch_size: patch side in pixels.
        batch_size: patches per batch.
        train_patches: random training patches per epoch.
        min_valid: least fraction of valid pixels of a training patch.
        num_workers: DataLoader worker processes.
        stats: a JSON file of band statistics: loaded when it exists, else computed on the
            training regions and written there (``None``: computed, not saved).
        stats_patches: random training patches the statistics are computed from.
        classes: class names (default: from the mask raster's tags).
        colors: an RGB colour per class (default: the mask raster's colour table).
        ignore_index: label value of unlabelled pixels (default: the mask's nodata value).
        seed: seed of the split and of the patch draws.
    """

    def __init__(
        self,
        images: str | list[str],
        mask: str | list[str] | None = None,
        labels: str | None = None,
        attribute: str = "class_id",
        target: str | list[str] | None = None,
        bands: list[str] | None = None,
        crs: str | None = None,
        res: float | None = None,
        test_images: str | list[str] | None = None,
        test_mask: str | list[str] | None = None,
        split: SplitMethod = "block",
        block_size: float | None = None,
        block_pixels: int | None = None,
        fractions: dict[str, float] | None = None,
        buffer: float = 0.0,
        patch_size: int = 256,
        batch_size: int = 16,
        train_patches: int = 1024,
        min_valid: float = 0.5,
        num_workers: int = 2,
        stats: str | None = None,
        stats_patches: int = 256,
        classes: list[str] | None = None,
        colors: list[list[int]] | None = None,
        ignore_index: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if sum(x is not None for x in (mask, labels, target)) > 1:
            raise EoforgeError("give one of mask=, labels= or target=, not several")
        if split not in ("block", "ring", "none"):
            raise EoforgeError(f"split={split!r} is not known; use 'block', 'ring' or 'none'")
        self.save_hyperparameters()
        self.dataset: GeoDataset | None = None
        self.test_dataset: GeoDataset | None = None
        self.spatial_split: SpatialSplit | None = None
        self.band_stats: BandStats | None = None
        self._views: dict[str, Any] = {}

    @property
    def hp(self) -> Any:
        """The hyper-parameters, with attribute access."""
        return self.hparams

    # ------------------------------------------------------------------ building
    def _labels(self, mask: str | list[str] | None) -> dict[str, Any]:
        hp = self.hp
        if mask is not None:
            return {"mask": RasterSource(mask, kind="mask")}
        if hp.labels is not None:
            return {"mask": VectorSource(hp.labels, attribute=hp.attribute)}
        if hp.target is not None:
            return {"target": RasterSource(hp.target, resampling="nearest")}  # labels: no blending
        return {}

    def _dataset(self, images: str | list[str], mask: str | list[str] | None) -> GeoDataset:
        hp = self.hp
        image = RasterSource(images, bands=hp.bands)
        return GeoDataset(image, crs=hp.crs, res=hp.res, **self._labels(mask))

    def _make_split(self, ds: GeoDataset) -> SpatialSplit:
        hp = self.hp
        fractions = hp.fractions or (
            {"train": 0.8, "val": 0.2}
            if hp.test_images is not None
            else {"train": 0.7, "val": 0.15, "test": 0.15}
        )
        if hp.split == "ring":
            return ring_split(ds, fractions=hp.fractions)
        pixels = hp.block_pixels
        if hp.block_size is None and pixels is None:
            pixels = 4 * hp.patch_size
        return block_split(
            ds,
            hp.block_size,
            block_pixels=pixels,
            fractions=fractions,
            buffer=hp.buffer,
            seed=hp.seed,
        )

    def setup(self, stage: str | None = None) -> None:
        """Index the files, split the area, and compute (or load) the band statistics."""
        if self.dataset is not None:
            return
        hp = self.hp
        self.dataset = self._dataset(hp.images, hp.mask)
        if hp.test_images is not None:
            test_mask = hp.test_mask if hp.test_mask is not None else hp.mask
            self.test_dataset = self._dataset(hp.test_images, test_mask)
        if hp.split == "none":
            self._views = {"train": self.dataset}
        else:
            self.spatial_split = self._make_split(self.dataset)
            names = self.spatial_split.names
            self._views = {
                name: self.spatial_split.subset(self.dataset, name, patch_size=hp.patch_size)
                for name in names
            }
        if self.test_dataset is not None:
            self._views["test"] = self.test_dataset
        self.band_stats = self._stats()

    def _stats(self) -> BandStats:
        hp = self.hp
        if hp.stats is not None and Path(hp.stats).is_file():
            stats = BandStats.load(hp.stats)
            assert self.dataset is not None
            return stats.select(self.dataset.bands)
        sampler = RandomPatchSampler(
            self._views["train"], hp.patch_size, length=hp.stats_patches, seed=hp.seed + 1,
            min_valid=hp.min_valid,
        )  # fmt: skip
        stats = compute_band_stats(
            self._views["train"], sampler, num_workers=0, batch_size=hp.batch_size
        )
        if hp.stats is not None:
            stats.save(hp.stats)
        return stats

    # ------------------------------------------------------------------ what the task needs
    def data_info(self) -> dict[str, Any]:
        """Bands, classes, colours, ignore index and training statistics (a plain dict)."""
        if self.dataset is None:
            self.setup("fit")
        assert self.dataset is not None and self.band_stats is not None
        hp = self.hp
        classes, colors = hp.classes, hp.colors
        mask = self.dataset.mask
        if classes is None and isinstance(mask, RasterSource):
            found = label_classes(mask.items[0].paths[0])
            if found is not None:
                classes, found_colors = found
                colors = colors or [list(c) for c in found_colors]
        ignore = hp.ignore_index
        if ignore is None and isinstance(mask, RasterSource) and mask.nodata is not None:
            ignore = int(mask.nodata)
        return {
            "bands": list(self.dataset.bands),
            "classes": list(classes or []),
            "colors": [list(c) for c in colors] if colors and classes else [],
            "ignore_index": ignore,
            "mean": [float(v) for v in self.band_stats.mean],
            "std": [float(v) for v in self.band_stats.std],
        }

    # ------------------------------------------------------------------ loaders
    def _loader(self, dataset: Any, **kwargs: Any) -> DataLoader[Any]:
        workers = int(self.hp.num_workers)
        return DataLoader(
            dataset,
            batch_size=self.hp.batch_size,
            num_workers=workers,
            collate_fn=collate,
            persistent_workers=workers > 0,
            worker_init_fn=worker_init_for(self.trainer),
            **kwargs,
        )

    def _view(self, name: str) -> Any:
        if self.dataset is None:
            self.setup()
        view = self._views.get(name)
        if view is None:
            raise EoforgeError(
                f"there is no {name!r} split here (split={self.hp.split!r}, "
                f"test_images={self.hp.test_images!r}); use split='block' or give "
                "test_images"
            )
        return view

    def train_dataloader(self) -> DataLoader[Any]:
        """Random patches of the train regions, a new seeded draw each epoch."""
        hp = self.hp
        sampler = RandomPatchSampler(
            self._view("train"), hp.patch_size, length=hp.train_patches, seed=hp.seed,
            min_valid=hp.min_valid,
        )  # fmt: skip
        return self._loader(self._view("train"), sampler=sampler)

    def eval_patches(self, name: str) -> OwnedPatches:
        """The patches of split ``name`` that cover its area, each pixel owned by one patch."""
        view = self._view(name)
        size = self.hp.patch_size
        if isinstance(view, GeoDataset):  # held-out scenes, or everything with split="none"
            pairs = list(GridPatchSampler(view, size).iter_with_ownership())
        else:
            pairs = list(RegionGridPatchSampler(view, size).iter_with_ownership())
        return OwnedPatches(view, pairs)

    def val_dataloader(self) -> DataLoader[Any]:
        """Grid patches over the validation regions."""
        return self._loader(self.eval_patches("val"))

    def test_dataloader(self) -> DataLoader[Any]:
        """Grid patches over the test regions (or the held-out scenes)."""
        return self._loader(self.eval_patches("test"))
