"""``OAMTCD``: OAM-TCD — trees and tree canopy in 10 cm OpenAerialMap tiles (Restor, 2024).

5,072 RGB tiles of 2048 x 2048 pixels at 10 cm (EPSG:3395) with instance annotations of two
categories: individual ``tree`` crowns and closed ``canopy`` areas. The data is published as
Parquet on Hugging Face (``restor/tcd``, ``restor/tcd-nc``, ``restor/tcd-sa``); eoforge reads the
layout that Restor's exporter writes (``tools/generate_dataset.py <repos…> <root> --tiffs
--folds`` of github.com/Restor-Foundation/tcd)::

    root/holdout/train.json, test.json      COCO (images[].id = image_id, file_name)
    root/holdout/images/<oam_id>_<image_id>.tif   (or .jpg without --tiffs; also root/images/)
    root/holdout/masks/<oam_id>_<image_id>.png    (optional)
    root/kfold_<k>/train.json, val.json     the 5 cross-validation folds (with --folds;
                                            fold_<k>/ is accepted too)

Semantic masks are rasterized from the COCO annotations (polygons or RLE; see
:mod:`eoforge.datasets.coco_masks`), with eoforge's class ids **0 background, 1 tree,
2 canopy** — categories are matched by *name*, whatever ids the file uses
(:mod:`eoforge.datasets.oamtcd_coco`). Where a tree and a canopy overlap, the pixel is a tree.
``binary=True`` gives two classes, background and tree cover (tree or canopy).

Splits: ``"train"`` and ``"test"`` (``holdout/``); with ``fold=k``, ``"train"`` and ``"val"`` are
fold k's (``test`` stays the holdout test set). ``patch_size`` cuts each tile into square
patches (non-overlapping, from the top-left; a remainder narrower than a patch is left out).

Example:
    >>> OAMTCD.classes, OAMTCD.splits
    (('background', 'tree', 'canopy'), ('train', 'val', 'test'))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rasterio.windows import Window

from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.coco_masks import PixelMask, segmentation_mask
from eoforge.datasets.oamtcd_coco import CocoImage, load_coco_images
from eoforge.datasets.raster_chip import open_chip
from eoforge.datasets.registry import register_dataset
from eoforge.errors import DatasetNotFoundError, EoforgeError, RasterReadError, UnknownNameError
from eoforge.geo import GridSpec

__all__ = ["BINARY_CLASSES", "OAMTCD"]

BINARY_CLASSES = ("background", "tree cover")
"""The classes of ``binary=True``."""

_EXPORT = (
    "export it from Hugging Face (restor/tcd) with Restor's tools/generate_dataset.py: python "
    "tools/generate_dataset.py restor/tcd {root} --tiffs --folds (github.com/Restor-Foundation/tcd)"
)
_IMAGE_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png")


@register_dataset
class OAMTCD(ChipDataset):
    """OAM-TCD (Veitch-Michaelis et al., 2024): tree and canopy segmentation at 10 cm.

    Args:
        root: the exporter's output folder (``holdout/``, ``kfold_<k>/``).
        split: ``"train"``, ``"val"`` (with ``fold``) or ``"test"``.
        bands: any of ``R``, ``G``, ``B``, in the order wanted.
        transforms: applied to each sample dict.
        download: not possible (the data is Parquet on Hugging Face; export it, see above).
        checksum: unused (no files to verify).
        fold: a cross-validation fold (0-4) for ``"train"`` and ``"val"``; ``None``: holdout.
        binary: two classes (background, tree cover) instead of three.
        patch_size: cut each tile into ``patch_size``-pixel square patches (``None``: whole).
        instances: add ``sample["instances"]``: ``{"boxes"`` (N, 4) float32 pixel boxes
            ``x0, y0, x1, y1`` in the patch, ``"labels"`` (N,) int64 class ids, ``"masks"``: a
            list of N boolean masks cropped to their boxes, ``"ids"`` (N,) annotation ids``}``
            (``eoforge.datasets.coco_masks.paste_masks`` puts the masks on the whole patch).
        mask_source: ``"coco"`` (rasterize the annotations), or ``"png"``: the exporter's masks
            (``masks/<name>.png``; any non-zero pixel is tree cover; needs ``binary=True``).

    Samples: ``image`` (3, H, W) float32 (0-255), ``mask`` (H, W) int64, ``id`` (the file stem,
    plus ``_<row>_<col>`` for patches), ``grid`` for GeoTIFF tiles.

    Raises:
        DatasetNotFoundError: the split's COCO file or one of its images is missing.
        UnknownNameError: ``split="val"`` without ``fold``, or an unknown ``mask_source``.
        EoforgeError: unknown category names in the COCO file, or malformed annotations.
    """

    name = "oamtcd"
    task = "segmentation"
    classes = ("background", "tree", "canopy")
    colors = ((0, 0, 0), (0, 160, 0), (190, 230, 60))
    all_bands = ("R", "G", "B")
    rgb_bands = ("R", "G", "B")
    splits = ("train", "val", "test")
    license = "CC-BY-4.0 (annotations); imagery CC-BY-4.0, CC-BY-NC-4.0 or CC-BY-SA-4.0 per tile"
    homepage = "https://huggingface.co/datasets/restor/tcd"
    citation = (
        "@article{veitchmichaelis2024oamtcd,\n"
        "  title={OAM-TCD: A globally diverse dataset of high-resolution tree cover maps},\n"
        "  author={Veitch-Michaelis, Josh and Cottam, Andrew and Schweizer, Daniella and "
        "Broadbent, Eben N. and Dao, David and Zhang, Ce and Almeyda Zambrano, Angelica and "
        "Max, Simeon},\n  journal={arXiv preprint arXiv:2407.11743},\n  year={2024}\n}"
    )
    description = (
        "RGB aerial tiles (2048x2048, 10 cm, OpenAerialMap) with tree and canopy instance "
        "annotations (COCO), read as semantic masks: background, tree, canopy."
    )

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
        fold: int | None = None,
        binary: bool = False,
        patch_size: int | None = None,
        instances: bool = False,
        mask_source: str = "coco",
    ) -> None:
        if split == "val" and fold is None:
            raise UnknownNameError(
                "OAMTCD has no official 'val' split; pass fold=0…4 to validate on a "
                "cross-validation fold (kfold_<k>/val.json), or use 'train' and 'test'"
            )
        if mask_source not in ("coco", "png"):
            raise UnknownNameError(f"OAMTCD has no mask_source {mask_source!r}; use coco or png")
        if mask_source == "png" and not binary:
            raise EoforgeError(
                "mask_source='png' reads the exporter's masks, which do not tell trees from "
                "canopy; pass binary=True with it, or use mask_source='coco'"
            )
        if patch_size is not None and patch_size <= 0:
            raise EoforgeError(f"patch_size={patch_size} must be a positive number of pixels")
        self.fold, self.binary, self.patch_size = fold, binary, patch_size
        self.with_instances, self.mask_source = instances, mask_source
        if binary:  # the instance's classes shadow the class attributes
            self.__dict__.update(classes=BINARY_CLASSES, colors=((0, 0, 0), (0, 160, 0)))
        self.images: list[CocoImage] = []
        super().__init__(root, split, bands, transforms, download, checksum)

    # -- files ----------------------------------------------------------------------------

    @property
    def annotation_file(self) -> Path:
        """The COCO file of this split (and fold)."""
        if self.split == "test" or self.fold is None:
            return self.root / "holdout" / f"{self.split}.json"
        for folder in (f"kfold_{self.fold}", f"fold_{self.fold}"):
            if (self.root / folder).is_dir():
                return self.root / folder / f"{self.split}.json"
        return self.root / f"kfold_{self.fold}" / f"{self.split}.json"

    def _is_present(self) -> bool:
        return self.annotation_file.is_file()

    def _verify(self) -> None:
        if not self._is_present():
            raise DatasetNotFoundError(
                f"OAMTCD is not in {self.root} (missing: {self.annotation_file}); it cannot be "
                "downloaded automatically: " + _EXPORT.format(root=self.root)
            )

    def _folders(self, kind: str) -> list[Path]:
        return [self.root / "holdout" / kind, self.root / kind, self.annotation_file.parent / kind]

    def _find(self, kind: str, file_name: str, suffixes: Sequence[str]) -> Path | None:
        stem = Path(file_name).stem
        names = [file_name, *(stem + s for s in suffixes)]
        for folder in self._folders(kind):
            for name in names:
                if (folder / name).is_file():
                    return folder / name
        return None

    # -- hooks ------------------------------------------------------------------------------

    def _load_index(self) -> list[tuple[int, int, int, Path]]:
        self.images = load_coco_images(self.annotation_file)
        records = []
        missing = []
        for i, image in enumerate(self.images):
            path = self._find("images", image.file_name, _IMAGE_SUFFIXES)
            if path is None:
                missing.append(image.file_name)
                continue
            size = self.patch_size
            if size is None:
                records.append((i, 0, 0, path))
                continue
            for row in range(0, image.height - size + 1, size):
                records.extend(
                    (i, row, col, path) for col in range(0, image.width - size + 1, size)
                )
        if missing:
            raise DatasetNotFoundError(
                f"{len(missing)} images of {self.annotation_file} are not in "
                f"{self._folders('images')[0]} (e.g. {missing[0]}); "
                + _EXPORT.format(root=self.root)
            )
        return records

    def _window(self, record: tuple[int, int, int, Path]) -> tuple[int, int, int, int]:
        i, row, col, _ = record
        image = self.images[i]
        if self.patch_size is None:
            return (0, 0, image.height, image.width)
        return (row, col, self.patch_size, self.patch_size)

    def _load_sample(self, record: Any) -> Sample:
        i, row, col, path = record
        image = self.images[i]
        window = self._window(record)
        height, width = window[2], window[3]
        with open_chip(path) as ds:
            if (ds.height, ds.width) != (image.height, image.width):
                raise RasterReadError(
                    f"{path} is {ds.width}x{ds.height} pixels but {self.annotation_file} says "
                    f"{image.width}x{image.height}; export the dataset again"
                )
            pixels = ds.read([b + 1 for b in self.band_indexes],
                             window=Window(col, row, width, height))  # fmt: skip
            grid = GridSpec(ds.crs, ds.transform, ds.width, ds.height) if ds.crs else None
        found = self._instance_masks(image, window)
        sample: Sample = {"image": pixels, "mask": self._mask(found, image, record, window),
                          "id": self._id(record)}  # fmt: skip
        if grid is not None:
            sample["grid"] = grid.subgrid(row, col, height, width)
        if self.with_instances:
            sample["instances"] = self._instances(found)
        return sample

    def _instance_masks(
        self, image: CocoImage, window: tuple[int, int, int, int]
    ) -> list[tuple[int, Any, PixelMask]]:
        """``(class id, annotation id, mask)`` of the annotations inside the window."""
        found = []
        for class_id, annotation in image.annotations:
            pixels = segmentation_mask(annotation, (image.height, image.width), window)
            if pixels is not None:
                found.append((1 if self.binary else class_id, annotation.get("id"), pixels))
        return found

    def _mask(
        self,
        found: list[tuple[int, Any, PixelMask]],
        image: CocoImage,
        record: tuple[int, int, int, Path],
        window: tuple[int, int, int, int],
    ) -> np.ndarray:
        if self.mask_source == "png":
            return self._png_mask(image, record, window)
        mask = np.zeros(window[2:], dtype=np.uint8)
        order = (1,) if self.binary else (2, 1)  # canopy first: a tree over a canopy stays a tree
        for drawn in order:
            for class_id, _, pixels in found:
                if class_id == drawn:
                    h, w = pixels.mask.shape
                    view = mask[pixels.row : pixels.row + h, pixels.col : pixels.col + w]
                    view[pixels.mask] = class_id
        return mask

    def _png_mask(
        self, image: CocoImage, record: tuple[int, int, int, Path], window: tuple[int, ...]
    ) -> np.ndarray:
        path = self._find("masks", Path(image.file_name).stem + ".png", (".png",))
        if path is None:
            raise DatasetNotFoundError(
                f"no mask {Path(image.file_name).stem}.png in {self._folders('masks')[0]}; "
                "export the dataset with its masks, or use mask_source='coco'"
            )
        row, col, height, width = window
        with open_chip(path) as ds:
            values = ds.read(window=Window(col, row, width, height))
        return np.asarray((values != 0).any(axis=0), dtype=np.uint8)

    def _instances(self, found: list[tuple[int, Any, PixelMask]]) -> dict[str, Any]:
        boxes = np.asarray([p.box for _, _, p in found], dtype=np.float32).reshape(-1, 4)
        ids = [-1 if a is None else int(a) for _, a, _ in found]
        return {
            "boxes": torch.from_numpy(boxes),
            "labels": torch.as_tensor([c for c, _, _ in found], dtype=torch.int64),
            "masks": [torch.from_numpy(p.mask) for _, _, p in found],
            "ids": torch.as_tensor(ids, dtype=torch.int64),
        }

    def _id(self, record: tuple[int, int, int, Path]) -> str:
        i, row, col, _ = record
        stem = Path(self.images[i].file_name).stem
        return stem if self.patch_size is None else f"{stem}_{row}_{col}"

    def sample_id(self, index: int) -> str:
        """The id of sample ``index``: the tile's file stem (``_<row>_<col>`` for patches)."""
        return self._id(self.index[index])
