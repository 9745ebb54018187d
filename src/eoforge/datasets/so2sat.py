"""``So2Sat``: So2Sat LCZ42 — Local Climate Zones of 32x32 Sentinel-1/2 patches (17 classes).

Each HDF5 file (``training.h5``, ``validation.h5``, ``testing.h5``) holds three arrays of the
same length N, channels last: ``sen1`` N x 32 x 32 x 8 and ``sen2`` N x 32 x 32 x 10 (float64),
and ``label`` N x 17 (one-hot). Patches have 10 m pixels and no georeferencing in these files.

- ``sen2`` holds Sentinel-2 ``B02, B03, B04, B05, B06, B07, B08, B8A, B11, B12``, already divided
  by 10,000 (reflectance, about 0-1): eoforge passes the values on unchanged.
- ``sen1`` holds 8 channels derived from Sentinel-1 (not dB, not normalised), named here
  ``VH_real, VH_imag, VV_real, VV_imag`` (real and imaginary parts of the complex VH and VV
  signals), ``VH_lee, VV_lee`` (intensities of the Lee-filtered VH and VV signals), and
  ``C12_real, C12_imag`` (real and imaginary parts of the off-diagonal element of the
  Lee-filtered PolSAR covariance matrix). These names are eoforge's (the band table has no
  entry for them); ``VV``/``VH`` are not used, since none of the channels is a plain backscatter.

Versions (``version=``): ``"2"`` (default; the culture-10 split: train = 42 cities, val = the
western, test = the eastern halves of 10 other cities), ``"3_random"``, ``"3_block"``,
``"3_culture_10"`` (train and test only; files under ``random/``, ``block/``, ``culture_10/``).

The file is opened lazily, once per process (so DataLoader workers each open their own handle,
never one inherited across ``fork``), and each item reads one patch.

Example:
    >>> So2Sat.classes[10], len(So2Sat.classes), So2Sat.default_bands[:3]
    ('dense trees', 17, ('B02', 'B03', 'B04'))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.hdf5_files import HDF5Files
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import BandNotFoundError, EoforgeError, RasterReadError, UnknownNameError

__all__ = ["MODALITIES", "S1_BANDS", "S2_BANDS", "VERSIONS", "So2Sat"]

S2_BANDS = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
"""The channels of ``sen2``, in the file's order."""

S1_BANDS = (
    "VH_real", "VH_imag", "VV_real", "VV_imag", "VH_lee", "VV_lee", "C12_real", "C12_imag",
)  # fmt: skip
"""The channels of ``sen1``, in the file's order (eoforge's names; see the module docs)."""

MODALITIES = {"s2": S2_BANDS, "s1": S1_BANDS, "s1+s2": S1_BANDS + S2_BANDS}
"""The bands of each ``modality``."""

_FTP = {
    "2": "ftp://m1483140:m1483140@dataserv.ub.tum.de/",
    "3": "ftp://m1613658:m1613658@dataserv.ub.tum.de/",
}
_MD5 = {
    ("2", "train"): "702bc6a9368ebff4542d791e53469244",
    ("2", "val"): "71cfa6795de3e22207229d06d6f8775d",
    ("2", "test"): "e81426102b488623a723beab52b31a8a",
    ("3_random", "train"): "94e2e2e667b406c2adf61e113b42204e",
    ("3_random", "test"): "1e15c425585ce816342d1cd779d453d8",
    ("3_block", "train"): "a91d6150e8b059dac86105853f377a11",
    ("3_block", "test"): "6414af1ec33ace417e879f9c88066d47",
    ("3_culture_10", "train"): "702bc6a9368ebff4542d791e53469244",  # the v2 training.h5
    ("3_culture_10", "test"): "58335ce34ca3a18424e19da84f2832fc",
}
_FILE_OF_SPLIT = {"train": "training.h5", "val": "validation.h5", "test": "testing.h5"}
VERSIONS = ("2", "3_random", "3_block", "3_culture_10")
"""The dataset versions: the v2 culture-10 split and the three splits of v3."""


def _remote(version: str, split: str) -> RemoteFile:
    folder = "" if version == "2" else version.removeprefix("3_") + "/"
    name = folder + _FILE_OF_SPLIT[split]
    return RemoteFile(_FTP[version[0]] + name, name, md5=_MD5[(version, split)])


@register_dataset
class So2Sat(ChipDataset):
    """So2Sat LCZ42 (Zhu et al., 2020): Local Climate Zones of Sentinel-1/2 patches.

    Args:
        root: the folder of the HDF5 files (v3: with ``random/``, ``block/``, ``culture_10/``).
        split: ``"train"``, ``"val"`` (version 2 only) or ``"test"``.
        bands: bands of the ``modality``, in the order wanted (default: all of them).
        transforms: applied to each sample dict.
        download: download the split's file from mediaTUM (FTP; tens of GB for training).
        checksum: verify the file's MD5.
        version: one of :data:`VERSIONS`.
        modality: ``"s2"`` (Sentinel-2, default), ``"s1"`` (the 8 Sentinel-1 channels) or
            ``"s1+s2"`` (Sentinel-1 channels first).

    Samples: ``image`` (C, 32, 32) float32, ``label`` (the LCZ class id, 0-16, from the
    one-hot vector), ``id`` (``<file stem>_<row>``, e.g. ``training_000042``).

    Raises:
        UnknownNameError: an unknown ``version`` or ``modality``, or ``split="val"`` with v3.
        BandNotFoundError: a band that is not of the ``modality``.
        DatasetNotFoundError: the split's file is not in ``root``.
    """

    name = "so2sat"
    task = "classification"
    classes = (
        "compact high rise", "compact mid rise", "compact low rise", "open high rise",
        "open mid rise", "open low rise", "lightweight low rise", "large low rise",
        "sparsely built", "heavy industry", "dense trees", "scattered trees", "bush, scrub",
        "low plants", "bare rock or paved", "bare soil or sand", "water",
    )  # fmt: skip
    all_bands = S1_BANDS + S2_BANDS
    default_bands = S2_BANDS
    rgb_bands = ("B04", "B03", "B02")
    sensor = "sentinel2"  # B11 and B12 are Landsat names too
    splits = ("train", "val", "test")
    files = tuple(_remote("2", split) for split in ("train", "val", "test"))
    license = "CC-BY-4.0"
    homepage = "https://mediatum.ub.tum.de/1454690"
    citation = (
        "@article{zhu2020so2sat,\n"
        "  title={So2Sat LCZ42: A Benchmark Data Set for the Classification of Global Local "
        "Climate Zones},\n  author={Zhu, Xiao Xiang and Hu, Jingliang and Qiu, Chunping and "
        "others},\n  journal={IEEE Geoscience and Remote Sensing Magazine},\n  volume={8},\n"
        "  number={3},\n  pages={76--89},\n  year={2020},\n  doi={10.1109/MGRS.2020.2964708}\n}"
    )
    description = (
        "Local Climate Zone classification (17 classes) of 32x32 patches at 10 m: 10 Sentinel-2 "
        "bands (reflectance) and 8 Sentinel-1 derived channels, in HDF5 files."
    )

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
        version: str = "2",
        modality: str = "s2",
    ) -> None:
        if version not in VERSIONS:
            raise UnknownNameError(
                f"So2Sat has no version {version!r}; use one of {', '.join(VERSIONS)}"
            )
        if modality not in MODALITIES:
            raise UnknownNameError(
                f"So2Sat has no modality {modality!r}; use one of {', '.join(MODALITIES)}"
            )
        if version != "2" and split == "val":
            raise UnknownNameError(
                f"So2Sat version {version} has no 'val' split (only 'train' and 'test'); use "
                "version='2' for the validation file, or hold out part of 'train'"
            )
        self.version, self.modality = version, modality
        wanted = MODALITIES[modality]
        asked = [bands] if isinstance(bands, str) else list(bands or wanted)
        outside = [b for b in asked if str(b).lower() not in {w.lower() for w in wanted}]
        if outside and all(str(b).lower() in {a.lower() for a in self.all_bands} for b in outside):
            raise BandNotFoundError(
                f"So2Sat bands {outside} are not of modality {modality!r} (its bands are "
                f"{', '.join(wanted)}); pick among them, or choose modality='s1+s2'"
            )
        self._files = HDF5Files()  # one handle per process, none inherited across fork
        super().__init__(root, split, asked, transforms, download, checksum)
        n1 = len(S1_BANDS)
        self._s1 = [i for i in self.band_indexes if i < n1]
        self._s2 = [i - n1 for i in self.band_indexes if i >= n1]
        read = [i for i in self.band_indexes if i < n1] + [i for i in self.band_indexes if i >= n1]
        self._order = [read.index(i) for i in self.band_indexes]  # S1 is read first

    @property
    def path(self) -> Path:
        """The HDF5 file of this version and split."""
        return self._required_files()[0].path(self.root)

    def _required_files(self) -> tuple[RemoteFile, ...]:
        return (_remote(self.version, self.split),)

    def _load_index(self) -> range:
        probe = HDF5Files()
        try:
            f = probe.get(self.path)
            arrays = {key: tuple(f[key].shape) for key in ("sen1", "sen2", "label") if key in f}
        finally:
            probe.close()
        missing = sorted({"sen1", "sen2", "label"} - set(arrays))
        n = arrays.get("label", (0,))[0]
        expected = {"sen1": (n, 32, 32, 8), "sen2": (n, 32, 32, 10), "label": (n, 17)}
        wrong = {k: v for k, v in arrays.items() if v != expected[k]}
        if missing or wrong:
            raise RasterReadError(
                f"{self.path} is not a So2Sat LCZ42 file (missing {missing}, shapes {arrays}; "
                "expected sen1 N x 32 x 32 x 8, sen2 N x 32 x 32 x 10, label N x 17); download "
                "it again"
            )
        return range(int(n))

    def _load_sample(self, record: Any) -> Sample:
        row = int(record)
        f = self._files.get(self.path)
        parts = []
        if self._s1:
            parts.append(np.asarray(f["sen1"][row])[:, :, self._s1])
        if self._s2:
            parts.append(np.asarray(f["sen2"][row])[:, :, self._s2])
        image = np.moveaxis(np.concatenate(parts, axis=-1), -1, 0)[self._order]
        one_hot = np.asarray(f["label"][row])
        if one_hot.max() <= 0:
            raise EoforgeError(
                f"row {row} of {self.path} has no class in its one-hot label {one_hot.tolist()}; "
                "the file is corrupt: download it again"
            )
        return {"image": image, "label": int(one_hot.argmax()), "id": self.sample_id(row)}

    def sample_id(self, index: int) -> str:
        """The id of sample ``index``: the file's stem and the row, e.g. ``training_000042``."""
        return f"{self.path.stem}_{int(self.index[index]):06d}"
