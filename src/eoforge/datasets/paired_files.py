"""``PairedFilesDataset``: segmentation chips from image files paired with mask files.

Images and masks are each a glob pattern, a folder, a list of files, or one CSV table with the
columns ``image,mask`` (and optionally ``split``). Globs and lists are paired in sorted order of
their names, and each pair must share its name up to a suffix such as ``_mask``
(:func:`~eoforge.datasets.file_pairs.pair_files`); a CSV table pairs row by row.

Masks hold class ids directly, or are mapped to class ids: RGB colour masks with
``colors={(r, g, b): id}`` (or a list of colours, position = id), coded single-band masks with
``ids={value: id}``; any colour or value not in the table becomes ``ignore_index``. ``split``
selects the CSV's ``split`` column when it has one, else a seeded random split by
``split_fractions`` — so the dataset trains through
:class:`~eoforge.data.datamodules.ChipDataModule` as ``PairedFilesDataset(images, split=…)``.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> def png(path, pixels):
    ...     with rasterio.open(path, "w", driver="PNG", width=2, height=2, count=len(pixels),
    ...                        dtype="uint8") as ds:
    ...         ds.write(np.asarray(pixels, "uint8"))
    >>> png(tmp / "a.png", np.zeros((3, 2, 2)))
    >>> png(tmp / "a_mask.png", [[[0, 255], [0, 9]], [[0, 0], [0, 9]], [[0, 0], [0, 9]]])
    >>> ds = PairedFilesDataset([tmp / "a.png"], [tmp / "a_mask.png"],
    ...                         colors={(0, 0, 0): 0, (255, 0, 0): 1}, classes=["bg", "roof"])
    >>> ds[0]["mask"].tolist()  # the unknown colour (9, 9, 9) is ignore_index
    [[0, 1], [0, 255]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from eoforge.datasets.chip_checks import check_bands, check_split
from eoforge.datasets.chip_dataset import Sample, Transforms
from eoforge.datasets.chip_plot import plot_chip
from eoforge.datasets.file_pairs import PathsLike, pair_files, read_file_table, resolve_files
from eoforge.datasets.mask_lookup import MaskLookup
from eoforge.datasets.random_split import SPLIT_NAMES, stratified_split
from eoforge.datasets.raster_chip import chip_band_names, read_raster_chip
from eoforge.datasets.scene_folder import rgb_bands_of
from eoforge.errors import EoforgeError

__all__ = ["PairedFilesDataset"]


def _is_table(value: PathsLike | None) -> bool:
    return isinstance(value, str | Path) and str(value).lower().endswith(".csv")


class PairedFilesDataset(Dataset[Sample]):
    """Image files paired with mask files: samples ``image``, ``mask``, ``bands``, ``path``.

    Args:
        images: the images: a glob, a folder, a list of files, or a CSV table (``image,mask``
            columns, optionally ``split``; then ``masks`` is ``None``).
        masks: the masks, in the same forms (not with a CSV table that has a ``mask`` column).
        split: ``None`` for every pair, or ``"train"``, ``"val"``, ``"test"`` (the table's
            ``split`` column when it has one, else a seeded random split).
        split_fractions: train, val, test shares of the random split.
        seed: the seed of the random split.
        colors: RGB colour → class id (``{(r, g, b): id}``, or a list of colours, position =
            id) for RGB masks.
        ids: raw mask value → class id (``{value: id}``) for coded single-band masks.
        classes: class names (default: ``"0"``, ``"1"``, … up to the largest mapped id).
        ignore_index: the id of unmapped colours / values (and of unlabelled pixels).
        bands: band names to load, in channel order (default: all).
        transforms: applied to each sample dict.

    Raises:
        NoFilesError: a glob matches nothing, or a listed file is missing.
        EoforgeError: images and masks do not pair up by name, both ``colors`` and ``ids`` are
            given, or a mapped id is not a class.
        BandNotFoundError: a band of ``bands`` is not in the images.

    Attributes:
        pairs: the split's ``(image, mask)`` paths.
        classes, colors: the class names and (with ``colors``) each class's colour.
        all_bands, bands: the images' band names, and the loaded ones.
    """

    task = "segmentation"

    def __init__(
        self,
        images: PathsLike,
        masks: PathsLike | None = None,
        *,
        split: str | None = None,
        split_fractions: Sequence[float] | Mapping[str, float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        colors: Mapping[Any, int] | Sequence[Sequence[int]] | None = None,
        ids: Mapping[Any, Any] | None = None,
        classes: Sequence[str] | None = None,
        ignore_index: int = 255,
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
    ) -> None:
        if colors is not None and ids is not None:
            raise EoforgeError("give colors= (RGB masks) or ids= (coded masks), not both")
        self.split = None if split is None else check_split(split, SPLIT_NAMES, "paired files")
        self.ignore_index = ignore_index
        self.transforms = transforms
        self.pairs = self._pairs(images, masks, split_fractions, seed)
        self.lookup: MaskLookup | None = None
        if colors is not None:
            self.lookup = MaskLookup.from_colors(colors, ignore_index)
        elif ids is not None:
            self.lookup = MaskLookup.from_ids(ids, ignore_index)
        self.classes = self._classes(classes)
        self.colors = self._class_colors()
        self.all_bands = chip_band_names(self.pairs[0][0])
        self.bands = check_bands(bands, self.all_bands, (), f"the images {self.pairs[0][0]}, …")
        self.band_indexes = [self.all_bands.index(b) for b in self.bands]
        self.rgb_bands = rgb_bands_of(self.bands)

    def _pairs(
        self,
        images: PathsLike,
        masks: PathsLike | None,
        fractions: Sequence[float] | Mapping[str, float],
        seed: int,
    ) -> list[tuple[Path, Path]]:
        splits: list[str] | None = None
        if _is_table(images):
            table = read_file_table(Path(str(images)))
            if (table.masks is None) == (masks is None):
                raise EoforgeError(
                    f"{images} {'has a' if table.masks else 'has no'} 'mask' column; give the "
                    "masks either in the table or as masks=, once"
                )
            image_files = table.images
            mask_files = table.masks or resolve_files(masks or [], "masks")
            pairs = (
                list(zip(image_files, mask_files, strict=True))
                if table.masks is not None
                else pair_files(image_files, mask_files)
            )
            splits = table.splits if table.masks is not None else None
        else:
            if masks is None:
                raise EoforgeError(
                    "masks= is missing; give the mask files (a glob, a folder or a list), or a "
                    "CSV table with image,mask columns as images="
                )
            pairs = pair_files(resolve_files(images, "images"), resolve_files(masks, "masks"))
        if self.split is None:
            return pairs
        if splits is not None:
            chosen = [pair for pair, name in zip(pairs, splits, strict=True) if name == self.split]
        else:
            keep = stratified_split([0] * len(pairs), fractions, seed)[self.split]
            chosen = [pairs[i] for i in keep]
        if not chosen:
            raise EoforgeError(
                f"the {self.split!r} split of {images} is empty ({len(pairs)} pairs in all); "
                "give more files, other split_fractions, or split names in the table"
            )
        return chosen

    def _classes(self, classes: Sequence[str] | None) -> list[str]:
        top = int(self.lookup.ids.max()) if self.lookup is not None and self.lookup.ids.size else -1
        if classes is None:
            return [str(i) for i in range(top + 1)]
        if top >= len(classes):
            raise EoforgeError(
                f"the mask table maps to class id {top} but classes= names {len(classes)} "
                f"classes ({list(classes)}); name every class id from 0"
            )
        return list(classes)

    def _class_colors(self) -> list[tuple[int, int, int]]:
        """Each class's colour when every class has one in ``colors``, else none."""
        if self.lookup is None or not self.lookup.by_color:
            return []
        colors: dict[int, tuple[int, int, int]] = {}
        for packed, class_id in zip(
            self.lookup.keys.tolist(), self.lookup.ids.tolist(), strict=True
        ):
            colors.setdefault(class_id, (packed >> 16 & 255, packed >> 8 & 255, packed & 255))
        if not all(i in colors for i in range(len(self.classes))):
            return []
        return [colors[i] for i in range(len(self.classes))]

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> Sample:
        image_path, mask_path = self.pairs[index]
        pixels, grid = read_raster_chip(
            image_path, [i + 1 for i in self.band_indexes], count=len(self.all_bands)
        )
        raw, _ = read_raster_chip(mask_path)
        if self.lookup is not None:
            mask = self.lookup(raw, repr(str(mask_path)))
        elif raw.shape[0] == 1:
            mask = raw[0].astype("int64")
        else:
            raise EoforgeError(
                f"{str(mask_path)!r} has {raw.shape[0]} bands; a mask of class ids has one. For "
                "RGB masks give colors={(r, g, b): class_id, …}"
            )
        if mask.shape != pixels.shape[1:]:
            raise EoforgeError(
                f"mask {str(mask_path)!r} is {mask.shape[0]}x{mask.shape[1]} pixels but image "
                f"{str(image_path)!r} is {pixels.shape[1]}x{pixels.shape[2]}; pair files of "
                "the same size"
            )
        sample: Sample = {
            "image": torch.from_numpy(pixels.astype("float32")),
            "mask": torch.from_numpy(mask),
            "bands": list(self.bands),
            "path": str(image_path),
        }
        if grid is not None:
            sample["grid"] = grid
        return self.transforms(sample) if self.transforms is not None else sample

    def __repr__(self) -> str:
        return (
            f"PairedFilesDataset(split={self.split!r}, classes={len(self.classes)}, "
            f"bands={self.bands}, samples={len(self)})"
        )

    def plot(
        self,
        sample: Sample,
        prediction: Any = None,
        *,
        show_titles: bool = True,
        suptitle: str | None = None,
    ) -> Any:
        """A figure of a sample: image, mask in class colours, and a prediction beside them."""
        return plot_chip(
            sample, prediction, task=self.task, classes=self.classes, colors=self.colors,
            rgb_bands=self.rgb_bands, ignore_index=self.ignore_index, show_titles=show_titles,
            suptitle=suptitle,
        )  # fmt: skip
