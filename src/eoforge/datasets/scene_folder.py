"""``SceneFolderDataset``: scene classification from a folder with one sub-folder per class.

The layout of UC Merced, EuroSAT and most labelled image collections::

    my_scenes/                      or, with fixed splits:    my_scenes/train/forest/…
        forest/  a.tif  b.tif  …                              my_scenes/val/forest/…
        river/   c.jpg  …                                     my_scenes/test/forest/…

Classes are the sub-folder names, sorted (the position is the class id). Any image GDAL reads
counts (GeoTIFF, JPEG, PNG, …; multi-band GeoTIFFs too). ``split=None`` gives every image;
``split="train"|"val"|"test"`` gives the images of ``root/<split>/`` when those folders exist, else
a seeded split stratified by class (:func:`~eoforge.datasets.random_split.stratified_split`):
the same seed and files give the same split everywhere.

Bands are named from the files' band descriptions, else ``R, G, B`` for three-band 8-bit images,
else ``B1, B2, …`` (from the first image; every image must have as many bands). Images may differ
in size; a batch needs equal sizes, so resize in ``transforms`` when they do.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("river", "forest"):
    ...     (root / name).mkdir()
    ...     with rasterio.open(root / name / "1.png", "w", driver="PNG", width=4, height=4,
    ...                        count=3, dtype="uint8") as ds:
    ...         ds.write(np.zeros((3, 4, 4), "uint8"))
    >>> ds = SceneFolderDataset(root, bands=["G"])
    >>> ds.classes, len(ds), ds[1]["label"], ds[1]["image"].shape
    (['forest', 'river'], 2, tensor(1), torch.Size([1, 4, 4]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from eoforge.data.sample_plot import _RGB_CHOICES  # the RGB band triples eoforge's plots know
from eoforge.datasets.chip_checks import check_bands, check_split
from eoforge.datasets.chip_dataset import Sample, Transforms
from eoforge.datasets.chip_plot import plot_chip
from eoforge.datasets.random_split import SPLIT_NAMES, stratified_split
from eoforge.datasets.raster_chip import chip_band_names, read_raster_chip
from eoforge.errors import DatasetNotFoundError, EoforgeError, NoFilesError

__all__ = ["IMAGE_EXTENSIONS", "SceneFolderDataset", "rgb_bands_of"]

IMAGE_EXTENSIONS: tuple[str, ...] = (".tif", ".tiff", ".jpg", ".jpeg", ".png", ".jp2", ".bmp")
"""The file endings read by default (case-insensitive)."""


def rgb_bands_of(bands: Sequence[str]) -> tuple[str, str, str] | None:
    """The bands to show as red, green, blue: Sentinel-2's B04, B03, B02, else R, G, B.

    Example:
        >>> rgb_bands_of(["B02", "B03", "B04", "B08"]), rgb_bands_of(["VV", "VH"])
        (('B04', 'B03', 'B02'), None)
    """
    for red, green, blue in _RGB_CHOICES:
        if red in bands and green in bands and blue in bands:
            return (red, green, blue)
    return None


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images(folder: Path, extensions: Sequence[str]) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in extensions and not p.name.startswith(".")
    )


class SceneFolderDataset(Dataset[Sample]):
    """Images in one folder per class: samples ``image``, ``label``, ``bands``, ``path``.

    Args:
        root: the folder of class folders (or of ``train/``, ``val/``, ``test/`` folders).
        split: ``None`` for every image, or ``"train"``, ``"val"``, ``"test"``.
        bands: band names to load, in channel order (default: all).
        transforms: applied to each sample dict.
        extensions: the file endings to read (default: :data:`IMAGE_EXTENSIONS`).
        split_fractions: train, val, test shares of the seeded split (when the folder has no
            split folders).
        seed: the seed of that split.

    Raises:
        DatasetNotFoundError: ``root`` is not a folder.
        NoFilesError: it holds no class folder, or no image.
        UnknownNameError: ``split`` is not a split name.
        BandNotFoundError: a band of ``bands`` is not in the images.

    Attributes:
        classes: the class names (sorted folder names; the position is the class id).
        all_bands: the images' band names; ``bands``: the loaded ones.
        files: the split's images; ``labels``: their class ids.
        grid: each sample also holds ``grid`` when its file is georeferenced.
    """

    task = "classification"
    colors: tuple[tuple[int, int, int], ...] = ()
    ignore_index: int | None = None

    def __init__(
        self,
        root: str | Path,
        split: str | None = None,
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        extensions: Sequence[str] | None = None,
        split_fractions: Sequence[float] | Mapping[str, float] = (0.8, 0.1, 0.1),
        seed: int = 0,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetNotFoundError(
                f"{self.root} is not a folder; give the folder that holds one sub-folder of "
                "images per class (e.g. my_scenes/forest/*.tif)"
            )
        self.split = None if split is None else check_split(split, SPLIT_NAMES, "a scene folder")
        self.extensions = tuple(
            e.lower() if e.startswith(".") else f".{e.lower()}"
            for e in extensions or IMAGE_EXTENSIONS
        )
        self.transforms = transforms
        self.classes, self.files, self.labels = self._index(split_fractions, seed)
        self.all_bands = chip_band_names(self.files[0])
        title = f"the images of {self.root}"
        self.bands = check_bands(bands, self.all_bands, (), title)
        self.band_indexes = [self.all_bands.index(b) for b in self.bands]
        self.rgb_bands = rgb_bands_of(self.bands)

    def _index(
        self, fractions: Sequence[float] | Mapping[str, float], seed: int
    ) -> tuple[list[str], list[Path], list[int]]:
        split_folders = [self.root / s for s in SPLIT_NAMES if (self.root / s).is_dir()]
        tops = split_folders or [self.root]
        classes = sorted({p.name for top in tops for p in _subfolders(top)})
        if not classes:
            raise NoFilesError(
                f"{self.root} holds no class folder; put the images of each class into a "
                "sub-folder named after the class (e.g. forest/, river/)"
            )
        if split_folders and self.split is not None:
            if not (self.root / self.split).is_dir():
                present = ", ".join(p.name for p in split_folders)
                raise NoFilesError(
                    f"{self.root} has the split folders {present} but no {self.split}/; add it, or "
                    "pass split=None for every image"
                )
            tops = [self.root / self.split]
        files: list[Path] = []
        labels: list[int] = []
        for top in tops:
            for label, name in enumerate(classes):
                found = _images(top / name, self.extensions) if (top / name).is_dir() else []
                files += found
                labels += [label] * len(found)
        if not files:
            raise NoFilesError(
                f"no images ({', '.join(self.extensions)}) in the class folders of {self.root}; "
                "add images, or pass extensions= with the endings of your files"
            )
        if self.split is not None and not split_folders:
            keep = stratified_split(labels, fractions, seed)[self.split]
            files, labels = [files[i] for i in keep], [labels[i] for i in keep]
        return classes, files, labels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Sample:
        path = self.files[index]
        pixels, grid = read_raster_chip(
            path, [i + 1 for i in self.band_indexes], count=len(self.all_bands)
        )
        sample: Sample = {
            "image": torch.from_numpy(pixels.astype("float32")),
            "label": torch.tensor(self.labels[index], dtype=torch.int64),
            "bands": list(self.bands),
            "path": str(path),
        }
        if grid is not None:
            sample["grid"] = grid
        return self.transforms(sample) if self.transforms is not None else sample

    def __repr__(self) -> str:
        return (
            f"SceneFolderDataset(root={str(self.root)!r}, split={self.split!r}, "
            f"classes={len(self.classes)}, bands={self.bands}, samples={len(self)})"
        )

    def class_counts(self) -> dict[str, int]:
        """The number of images of each class in this split.

        Example:
            >>> import tempfile, pathlib, numpy as np, rasterio
            >>> root = pathlib.Path(tempfile.mkdtemp())
            >>> (root / "a").mkdir()
            >>> with rasterio.open(root / "a" / "1.png", "w", driver="PNG", width=2, height=2,
            ...                    count=1, dtype="uint8") as ds:
            ...     ds.write(np.zeros((1, 2, 2), "uint8"))
            >>> SceneFolderDataset(root).class_counts()
            {'a': 1}
        """
        return {name: self.labels.count(i) for i, name in enumerate(self.classes)}

    def plot(
        self,
        sample: Sample,
        prediction: Any = None,
        *,
        show_titles: bool = True,
        suptitle: str | None = None,
    ) -> Any:
        """A figure of a sample with its class name (and the predicted one); see ``plot_chip``."""
        if "label" not in sample:
            raise EoforgeError("plot() needs a sample of this dataset (with its 'label')")
        return plot_chip(
            sample, prediction, task=self.task, classes=self.classes, rgb_bands=self.rgb_bands,
            show_titles=show_titles, suptitle=suptitle,
        )  # fmt: skip
