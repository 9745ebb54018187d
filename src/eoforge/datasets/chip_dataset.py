"""``ChipDataset``: the base of eoforge's pre-chipped benchmark datasets (EuroSAT, BigEarthNet, …).

A subclass describes one dataset in class attributes — its registry ``name``, ``task``,
``classes``, ``colors``, ``all_bands`` (official identifiers of :mod:`eoforge.data.bands`),
``splits``, ``files`` to download — and implements two hooks:

- ``_load_index(self) -> Sequence[Any]``: the records of ``self.split`` (file paths, rows of a
  metadata table, …); called once, after the data was found (or downloaded);
- ``_load_sample(self, record) -> dict``: one sample: ``image`` (C, H, W) with the channels of
  ``self.bands`` in that order (read ``self.band_indexes`` of ``all_bands``), the task's label
  (``label``, ``mask`` or ``target``) and optionally ``grid`` and other metadata.

The base class validates ``split`` and ``bands``, finds, downloads, verifies and extracts the
files, converts samples to eoforge's types (``image`` float32, ``label``/``mask`` int64, ``target``
float32, ``bands`` names), applies ``transforms`` and plots samples. ``_is_present(self)`` may be
overridden when the files' presence is not the right test, ``_required_files(self)`` when a split
or a band selection needs only some of the files.

Example:
    >>> import numpy as np
    >>> class Tiny(ChipDataset):
    ...     name, task, classes = "tiny_doc", "classification", ("sea", "land")
    ...     all_bands = ("B04", "B08")
    ...     def _is_present(self):
    ...         return True
    ...     def _load_index(self):
    ...         return [0, 1, 1]
    ...     def _load_sample(self, record):
    ...         image = np.full((2, 4, 4), record, "uint16")
    ...         return {"image": self.select_bands(image), "label": record}
    >>> ds = Tiny(bands=["B08"])
    >>> len(ds), ds[2]["image"].shape, ds[2]["label"], ds[2]["bands"]
    (3, torch.Size([1, 4, 4]), tensor(1), ['B08'])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch.utils.data import Dataset

from eoforge.data.bands import band_info
from eoforge.datasets.checksums import verify_checksum
from eoforge.datasets.chip_checks import check_bands, check_dataset_class, check_split
from eoforge.datasets.chip_plot import plot_chip
from eoforge.datasets.fetch_files import fetch_files, missing_files_message
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import BandNotFoundError, DatasetNotFoundError, EoforgeError

__all__ = ["ChipDataset", "Sample", "Transforms"]

Sample = dict[str, Any]
"""A sample dict: ``image``, ``bands``, the task's label, optional ``grid`` and metadata."""
Transforms = Callable[[Sample], Sample]
"""A callable applied to each finished sample (image and label together)."""

_LABEL_KEY = {
    "classification": "label",
    "multilabel": "label",
    "segmentation": "mask",
    "regression": "target",
}


class ChipDataset(Dataset[Sample]):
    """A ``torch`` dataset of sample dicts for one split of a pre-chipped dataset.

    Args:
        root: the dataset's folder (files are looked for, and downloaded, here).
        split: one of :attr:`splits`.
        bands: band names to load, in channel order (default: :attr:`default_bands`).
        transforms: applied to each sample dict after loading.
        download: download (and extract) the files when they are not in ``root``.
        checksum: verify the files' checksums, also of files already present.

    Raises:
        UnknownNameError: ``split`` is not one of :attr:`splits`.
        BandNotFoundError: a band of ``bands`` is not in :attr:`all_bands`.
        DatasetNotFoundError: the data is not in ``root`` and ``download`` is False (the message
            says which files to download from where into which folder).

    Attributes:
        root: the dataset's folder.
        split: the split.
        bands: the loaded bands' names, in channel order.
        band_indexes: the position of each of :attr:`bands` in :attr:`all_bands`.
        index: the split's records (what ``_load_index`` returned).
    """

    name: ClassVar[str] = ""
    """Registry name, lowercase (``"eurosat"``); empty for abstract intermediate classes."""
    task: ClassVar[str] = "classification"
    """``classification``, ``multilabel``, ``segmentation``, ``regression`` or ``instances``."""
    classes: ClassVar[tuple[str, ...]] = ()
    """Class names; the position is the class id."""
    colors: ClassVar[tuple[tuple[int, int, int], ...]] = ()
    """One RGB colour (0-255) per class, or none."""
    all_bands: ClassVar[tuple[str, ...]] = ()
    """Every band of the data, by official identifier, in the files' order."""
    default_bands: ClassVar[tuple[str, ...] | None] = None
    """The bands loaded when ``bands`` is not given (``None``: all of them)."""
    rgb_bands: ClassVar[tuple[str, str, str] | None] = None
    """The bands shown as red, green, blue by :meth:`plot`."""
    splits: ClassVar[tuple[str, ...]] = ("train", "val", "test")
    """The official splits."""
    ignore_index: ClassVar[int | None] = None
    """The label value of unlabelled pixels or images, if any."""
    files: ClassVar[tuple[RemoteFile, ...]] = ()
    """The files to download into the root folder (empty: no automatic download)."""
    sensor: ClassVar[str | None] = None
    """The sensor of the bands, where a band name alone is ambiguous (``"landsat8"``)."""
    license: ClassVar[str] = ""
    """The data's licence (``"CC-BY-4.0"``)."""
    homepage: ClassVar[str] = ""
    """Where the dataset is described."""
    citation: ClassVar[str] = ""
    """How to cite it (BibTeX)."""
    description: ClassVar[str] = ""
    """One or two sentences on what the dataset is."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            check_dataset_class(cls)

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
    ) -> None:
        title = type(self).__name__
        self.root = Path(root)
        self.split = check_split(split, self.splits, title)
        self.bands: list[str] = check_bands(bands, self.all_bands, self.default_bands or (), title)
        self.band_indexes: list[int] = [self.all_bands.index(b) for b in self.bands]
        self.transforms = transforms
        self.download_allowed = download
        self.checksum = checksum
        self._verify()
        self.index: Sequence[Any] = self._load_index()

    # -- hooks for subclasses ------------------------------------------------------------------

    def _required_files(self) -> tuple[RemoteFile, ...]:
        """The files this split and these bands need (default: all of :attr:`files`).

        Override it to download only what is used, e.g. a Sentinel-1 archive only when
        Sentinel-1 bands are asked for; ``eoforge datasets download`` still gets every file.
        """
        return self.files

    def _is_present(self) -> bool:
        """Whether the data is in :attr:`root`: every required file is ready.

        A file is ready when it exists, and an archive when it was extracted (eoforge's marker
        or its ``extracts_to`` exists). A dataset without ``files`` counts as present when the
        root folder exists; override this hook where a better test exists.
        """
        if not self.files:
            return self.root.is_dir()
        return all(f.is_ready(self.root) for f in self._required_files())

    def _load_index(self) -> Sequence[Any]:
        """The records of :attr:`split`, one per sample (a subclass must implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _load_index()")

    def _load_sample(self, record: Any) -> Sample:
        """The sample of one record (a subclass must implement it); see the module docs."""
        raise NotImplementedError(f"{type(self).__name__} must implement _load_sample(record)")

    # -- finding and downloading -----------------------------------------------------------------

    def _verify(self) -> None:
        """Find the data; download it when asked; else raise with what to download where."""
        if self._is_present():
            if self.checksum:
                for remote in self._required_files():
                    if remote.is_fetched(self.root):
                        verify_checksum(
                            remote.path(self.root), md5=remote.md5, sha256=remote.sha256
                        )
            return
        needed = self._required_files()
        if needed and (self.download_allowed or self._archives_fetched()):
            self.download()
            if self._is_present():
                return
            raise DatasetNotFoundError(
                f"{type(self).__name__}'s files are in {self.root} but its data is still not "
                f"found there; delete the files of {self.root} and download them again"
            )
        raise DatasetNotFoundError(
            missing_files_message(type(self).__name__, self.name, needed, self.root, self.homepage)
        )

    def _archives_fetched(self) -> bool:
        """Every file (or all its parts) is on disk: only joining and extracting are left."""
        return all(f.is_local(self.root) for f in self._required_files())

    def download(self) -> None:
        """Download, verify and extract the required files missing from :attr:`root`."""
        fetch_files(self._required_files(), self.root, checksum=self.checksum)

    @classmethod
    def download_to(
        cls, root: str | Path, *, checksum: bool = False, progress: bool = True
    ) -> list[Path]:
        """Download, verify and extract the dataset's files into ``root`` (what is missing).

        Args:
            root: the dataset's folder (created).
            checksum: verify the files already present too.
            progress: show progress bars (on a terminal only).

        Returns:
            The downloaded files (archives included).

        Raises:
            DatasetNotFoundError: the dataset has no downloadable files.
            DownloadError, ChecksumError, ArchiveError: a download or an extraction failed.
        """
        if not cls.files:
            raise DatasetNotFoundError(
                missing_files_message(cls.__name__, cls.name, (), Path(root), cls.homepage)
            )
        return fetch_files(cls.files, root, checksum=checksum, progress=progress)

    # -- samples -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, index: int) -> Sample:
        sample = self._finish(self._load_sample(self.index[index]))
        return self.transforms(sample) if self.transforms is not None else sample

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(root={str(self.root)!r}, split={self.split!r}, "
            f"bands={self.bands}, samples={len(self)})"
        )

    def select_bands(self, image: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """The channels of :attr:`bands` from an image holding :attr:`all_bands` in order."""
        return image[self.band_indexes]

    def multi_hot(self, class_ids: Sequence[int]) -> np.ndarray:
        """A multi-hot int64 vector over :attr:`classes` with ``class_ids`` set to 1.

        Raises:
            EoforgeError: an id is not a class id.
        """
        vector = np.zeros(len(self.classes), dtype=np.int64)
        ids = np.asarray(list(class_ids), dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.classes)):
            raise EoforgeError(
                f"class ids {ids.tolist()} are not all in 0..{len(self.classes) - 1} "
                f"({type(self).__name__} has {len(self.classes)} classes)"
            )
        vector[ids] = 1
        return vector

    def _finish(self, sample: Sample) -> Sample:
        """Convert a loaded sample to eoforge's types and check it against the dataset."""
        title = type(self).__name__
        if "image" not in sample:
            raise EoforgeError(f"{title}._load_sample returned no 'image' (keys: {list(sample)})")
        image = torch.as_tensor(np.asarray(sample["image"]), dtype=torch.float32)
        image = image.unsqueeze(0) if image.ndim == 2 else image
        if image.ndim != 3 or image.shape[0] != len(self.bands):
            raise EoforgeError(
                f"{title}._load_sample returned an image of shape {tuple(image.shape)} for the "
                f"{len(self.bands)} bands {self.bands}; return (C, H, W) with the channels of "
                "self.bands in order (e.g. self.select_bands(all_band_image))"
            )
        out: Sample = {**sample, "image": image, "bands": list(self.bands)}
        key = _LABEL_KEY.get(self.task)
        if key is not None and key not in sample:
            raise EoforgeError(
                f"{title}._load_sample returned no {key!r}, which a {self.task} dataset needs"
            )
        if "label" in sample:
            out["label"] = torch.as_tensor(np.asarray(sample["label"]), dtype=torch.int64)
            if self.task == "multilabel" and tuple(out["label"].shape) != (len(self.classes),):
                raise EoforgeError(
                    f"{title}._load_sample returned a label of shape {tuple(out['label'].shape)};"
                    f" a multilabel label is a multi-hot vector of the {len(self.classes)} "
                    "classes (see self.multi_hot)"
                )
        if "mask" in sample:
            mask = torch.as_tensor(np.asarray(sample["mask"]), dtype=torch.int64)
            out["mask"] = mask[0] if mask.ndim == 3 and mask.shape[0] == 1 else mask
        if "target" in sample:
            out["target"] = torch.as_tensor(np.asarray(sample["target"]), dtype=torch.float32)
        return out

    # -- description and figures -------------------------------------------------------------

    def plot(
        self,
        sample: Sample,
        prediction: Any = None,
        *,
        show_titles: bool = True,
        suptitle: str | None = None,
    ) -> Any:
        """A figure of a sample (and a prediction beside its truth); see :func:`plot_chip`.

        Args:
            sample: a sample of this dataset.
            prediction: a mask or per-class scores (segmentation); a class id, multi-hot vector
                or probabilities (classification, multilabel); a value or map (regression).
            show_titles: title each panel (class names for classification).
            suptitle: the figure's title.

        Returns:
            A ``matplotlib.figure.Figure``.
        """
        return plot_chip(
            sample, prediction, task=self.task, classes=self.classes, colors=self.colors,
            rgb_bands=self.rgb_bands, ignore_index=self.ignore_index, show_titles=show_titles,
            suptitle=suptitle,
        )  # fmt: skip

    @classmethod
    def info(cls) -> dict[str, Any]:
        """The dataset's description as a plain dict (what ``eoforge datasets info`` shows).

        Keys: ``name``, ``title``, ``task``, ``description``, ``classes``, ``num_classes``,
        ``bands`` (each with ``name``, ``description``, ``wavelength_nm``, ``resolution_m``),
        ``default_bands``, ``rgb_bands``, ``splits``, ``ignore_index``, ``files`` (each with
        ``filename``, ``urls``, ``size``, ``md5``, ``sha256``, ``extract``), ``size`` (bytes,
        ``None`` when unknown), ``license``, ``homepage``, ``citation``.
        """
        bands = []
        for band in cls.all_bands:
            try:
                try:
                    found = band_info(band, sensor=cls.sensor)
                except BandNotFoundError:  # a band of another sensor (VV beside Sentinel-2)
                    found = band_info(band)
                described: dict[str, Any] = {
                    "description": found.description,
                    "wavelength_nm": found.wavelength_nm,
                    "resolution_m": found.resolution_m,
                }
            except BandNotFoundError:
                described = {"description": "", "wavelength_nm": None, "resolution_m": None}
            bands.append({"name": band, **described})
        files = [
            {
                "filename": f.filename,
                "urls": list(f.download_urls),
                "size": f.total_size,
                "md5": f.md5,
                "sha256": f.sha256,
                "extract": f.extract,
            }
            for f in cls.files
        ]
        sizes = [f["size"] for f in files]
        return {
            "name": cls.name,
            "title": cls.__name__,
            "task": cls.task,
            "description": cls.description,
            "classes": list(cls.classes),
            "num_classes": len(cls.classes),
            "bands": bands,
            "default_bands": list(cls.default_bands or cls.all_bands),
            "rgb_bands": list(cls.rgb_bands) if cls.rgb_bands else None,
            "splits": list(cls.splits),
            "ignore_index": cls.ignore_index,
            "files": files,
            "size": sum(sizes) if sizes and None not in sizes else None,
            "license": cls.license,
            "homepage": cls.homepage,
            "citation": cls.citation,
        }
