"""``BigEarthNet``: BigEarthNet v1.0 (BigEarthNet-MM) — multi-label Sentinel-2 / Sentinel-1 patches.

BigEarthNet v1.0 (Sumbul et al., 2019, 2021) holds 590,326 patches of 1.2 × 1.2 km over ten
European countries, each a Sentinel-2 L2A patch paired with a Sentinel-1 GRD patch, labelled
with the CORINE Land Cover 2018 classes present. Its two archives extract to::

    BigEarthNet-v1.0/<s2_patch>/<s2_patch>_B01.tif … _B12.tif, _B8A.tif, _labels_metadata.json
    BigEarthNet-S1-v1.0/<s1_patch>/<s1_patch>_VV.tif, _VH.tif, _labels_metadata.json

(S2 uint16 bands at native resolution: 120 × 120 px at 10 m, 60 × 60 at 20 m, 20 × 20 at 60 m;
S1 float32 backscatter in dB, 120 × 120). The official splits, ``bigearthnet-{split}.csv``
(of BigEarthNet-MM_19-classes_models; they leave out the patches with seasonal snow, cloud or
shadow), list ``<s2_patch>,<s1_patch>`` per line, no header. Labels are the ``labels`` of the
patch's JSON (43 names); with ``num_classes=19`` (the default) they are mapped to the 19-class
nomenclature, in which 11 of the 43 labels have no class (a patch may then have none).

Pixels: the 10 m bands and Sentinel-1 are read as they are (bit-exact); 20 m and 60 m bands are
upsampled to the 10 m grid by GDAL's bilinear resampling (rasterio ``out_shape`` reads; see
:func:`~eoforge.datasets.band_files.read_band_files`). Sentinel-1 is read as float32, channels
``VV`` then ``VH``.

Example:
    >>> BigEarthNet.all_bands[-3:], len(BigEarthNet.classes), BigEarthNet.task
    (('B12', 'VV', 'VH'), 19, 'multilabel')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eoforge.datasets.band_files import band_file_grid, read_band_files
from eoforge.datasets.bigearthnet_bands import S1_BANDS, S2_BANDS, modality_bands
from eoforge.datasets.bigearthnet_labels import CLASSES_19, CLASSES_43, COLORS_19, label_ids
from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import EoforgeError, NoFilesError

__all__ = ["BigEarthNet"]

S2_FOLDER = "BigEarthNet-v1.0"
"""The folder of the Sentinel-2 patches, relative to the root."""
S1_FOLDER = "BigEarthNet-S1-v1.0"
"""The folder of the Sentinel-1 patches, relative to the root."""

_SPLITS_URL = (
    "https://git.tu-berlin.de/rsim/BigEarthNet-MM_19-classes_models/-/raw/"
    "9a5be07346ab0884b2d9517475c27ef9db9b5104/splits/{}.csv?inline=false"
)
_SPLIT_MD5 = {
    "train": "623e501b38ab7b12fe44f0083c00986d",
    "val": "22efe8ed9cbd71fa10742ff7df2b7978",
    "test": "697fb90677e30571b9ac7699b7e5b432",
}
_S2_ARCHIVE = RemoteFile(
    "https://zenodo.org/records/12687186/files/BigEarthNet-S2-v1.0.tar.gz",
    "BigEarthNet-S2-v1.0.tar.gz",
    md5="5a64e9ce38deb036a435a7b59494924c",
    extract=True,
    extracts_to=S2_FOLDER,
)
_S1_ARCHIVE = RemoteFile(
    "https://zenodo.org/records/12687186/files/BigEarthNet-S1-v1.0.tar.gz",
    "BigEarthNet-S1-v1.0.tar.gz",
    md5="94ced73440dea8c7b9645ee738c5a172",
    extract=True,
    extracts_to=S1_FOLDER,
)
_SPLIT_FILES = {
    split: RemoteFile(_SPLITS_URL.format(split), f"bigearthnet-{split}.csv", md5=md5)
    for split, md5 in _SPLIT_MD5.items()
}


def read_labels_json(path: Path) -> list[str]:
    """The ``labels`` of a BigEarthNet ``_labels_metadata.json`` file.

    Raises:
        NoFilesError: the file is missing.
        EoforgeError: it is not JSON with a list of ``labels``.

    Example:
        >>> read_labels_json(Path("missing_labels_metadata.json"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: the label file missing_labels_metadata.json is missing; ...
    """
    try:
        content = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise NoFilesError(
            f"the label file {path} is missing; extract the dataset's archives again"
        ) from err
    except (OSError, ValueError) as err:
        raise EoforgeError(f"{path} is not a readable JSON file ({err}); extract it again") from err
    labels = content.get("labels") if isinstance(content, dict) else None
    if not isinstance(labels, list) or not all(isinstance(n, str) for n in labels):
        raise EoforgeError(f"{path} has no list of 'labels'; extract the dataset's archives again")
    return labels


@register_dataset
class BigEarthNet(ChipDataset):
    """BigEarthNet v1.0: 1.2 km Sentinel-2 (+ Sentinel-1) patches with 19 or 43 labels.

    Args:
        root: the dataset's folder.
        split: ``"train"``, ``"val"`` or ``"test"``.
        bands: bands of the modality to load, in channel order (default: all of them).
        transforms: applied to each sample dict.
        download: download the files (only the modality's archives) when missing.
        checksum: verify the files' MD5s, also of files already present.
        modality: ``"s2"``, ``"s1"`` or ``"s1+s2"`` (Sentinel-2 bands, then VV, VH).
        num_classes: 19 (the 19-class nomenclature) or 43 (the original labels).

    Samples: ``image`` (C, 120, 120) float32, ``label`` (int64 multi-hot of
    :attr:`classes`), ``grid`` (the patch's 10 m UTM grid), ``id`` (the Sentinel-2 patch name)
    and ``s1_id`` (the Sentinel-1 patch name).

    Raises:
        UnknownNameError: ``modality`` or ``split`` is not known.
        BandNotFoundError: a band is not one of the modality's.
        EoforgeError: ``num_classes`` is not 19 or 43.
        DatasetNotFoundError: the data is not in ``root`` and ``download`` is False.

    Example:
        >>> BigEarthNet.default_bands == BigEarthNet.all_bands[:12]
        True
    """

    name = "bigearthnet"
    task = "multilabel"
    classes = CLASSES_19
    colors = COLORS_19
    all_bands = S2_BANDS + S1_BANDS
    default_bands = S2_BANDS
    rgb_bands = ("B04", "B03", "B02")
    splits = ("train", "val", "test")
    sensor = "sentinel2"  # VV and VH are looked up as Sentinel-1 bands
    files = (_S2_ARCHIVE, _S1_ARCHIVE, *_SPLIT_FILES.values())
    license = "CDLA-Permissive-1.0"
    homepage = "https://bigearth.net"
    citation = (
        "@inproceedings{sumbul2019bigearthnet, title={BigEarthNet: A Large-Scale Benchmark "
        "Archive for Remote Sensing Image Understanding}, author={Sumbul, Gencer and Charfuelan, "
        'Marcela and Demir, Beg{\\"u}m and Markl, Volker}, booktitle={IEEE International '
        "Geoscience and Remote Sensing Symposium (IGARSS)}, pages={5901--5904}, year={2019}}"
    )
    description = (
        "BigEarthNet v1.0: 590,326 Sentinel-2 L2A (12 bands) + Sentinel-1 (VV, VH) patches of "
        "120x120 px at 10 m, multi-label CORINE classes (19 or 43); official split CSVs."
    )

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
        *,
        modality: str = "s2",
        num_classes: int = 19,
    ) -> None:
        if num_classes not in (19, 43):
            raise EoforgeError(
                f"BigEarthNet has no {num_classes!r}-class nomenclature; use num_classes=19 "
                "(merged classes) or num_classes=43 (the original labels)"
            )
        self.modality = modality
        chosen = modality_bands(modality, bands, type(self).__name__)
        self.num_classes = num_classes
        if num_classes == 43:  # a per-instance nomenclature: shadows the class attributes
            self.classes = CLASSES_43  # type: ignore[misc]
            self.colors = ()  # type: ignore[misc]
        super().__init__(root, split, chosen, transforms, download, checksum)

    def _required_files(self) -> tuple[RemoteFile, ...]:
        """The archives of the modality's sensors and the split's CSV."""
        needed: list[RemoteFile] = []
        if self.modality != "s1":
            needed.append(_S2_ARCHIVE)
        if self.modality != "s2":
            needed.append(_S1_ARCHIVE)
        return (*needed, _SPLIT_FILES[self.split])

    def _load_index(self) -> list[tuple[str, str]]:
        """``(s2_patch, s1_patch)`` of each line of ``bigearthnet-<split>.csv``."""
        listing = self.root / _SPLIT_FILES[self.split].filename
        pairs: list[tuple[str, str]] = []
        for number, line in enumerate(listing.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            fields = [f.strip() for f in line.split(",")]
            if len(fields) != 2 or not all(fields):
                raise EoforgeError(
                    f"line {number} of {listing} is {line!r}, not '<s2_patch>,<s1_patch>'; "
                    "download the split file again"
                )
            pairs.append((fields[0], fields[1]))
        return pairs

    def _band_path(self, band: str, s2: str, s1: str) -> Path:
        if band in S1_BANDS:
            return self.root / S1_FOLDER / s1 / f"{s1}_{band}.tif"
        return self.root / S2_FOLDER / s2 / f"{s2}_{band}.tif"

    def _load_sample(self, record: tuple[str, str]) -> Sample:
        """The patch's bands on its 10 m grid, and its multi-hot label."""
        s2, s1 = record
        if self.modality == "s1":
            grid = band_file_grid(self._band_path("VV", s2, s1))
            labels_file = self.root / S1_FOLDER / s1 / f"{s1}_labels_metadata.json"
        else:
            grid = band_file_grid(self._band_path("B02", s2, s1))
            labels_file = self.root / S2_FOLDER / s2 / f"{s2}_labels_metadata.json"
        paths = [self._band_path(band, s2, s1) for band in self.bands]
        image, grid = read_band_files(paths, grid)
        ids = label_ids(read_labels_json(labels_file), self.num_classes, str(labels_file))
        sample: dict[str, Any] = {
            "image": image, "label": self.multi_hot(ids), "grid": grid, "id": s2, "s1_id": s1,
        }  # fmt: skip
        return sample

    def sample_id(self, index: int) -> str:
        """The Sentinel-2 patch name of sample ``index``: its key in a chip store."""
        return str(self.index[index][0])
