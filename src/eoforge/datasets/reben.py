"""``ReBEN``: reBEN (refined BigEarthNet, BigEarthNet v2.0) — multi-label S2 / S1 patches.

reBEN (Clasen et al., 2025) rebuilds BigEarthNet from the same Sentinel-2 tiles, re-processed
to L2A with sen2cor 2.11, with labels from CORINE Land Cover 2018 in the 19-class nomenclature,
a geographical split, and pixel reference maps (:class:`~eoforge.datasets.ReBENMaps`):
480,038 patch pairs (237,871 train / 122,342 validation / 119,825 test) once the snow, cloud and
shadow patches are left out. Its archives extract to::

    BigEarthNet-S2/<tile>/<patch_id>/<patch_id>_B01.tif … _B12.tif, _B8A.tif
    BigEarthNet-S1/<s1_scene>/<s1_name>/<s1_name>_VV.tif, _VH.tif
    Reference_Maps/<tile>/<patch_id>/<patch_id>_reference_map.tif

where ``<tile>`` is the patch id without its last two ``_`` fields (column, row) and
``<s1_scene>`` the Sentinel-1 name without its last three (tile, column, row); the patches, their
labels, split and Sentinel-1 partner are rows of ``metadata.parquet`` (or of its CSV export,
``metadata.csv``: see :mod:`eoforge.datasets.reben_metadata`). eoforge's ``val`` split is the
table's ``validation``.

Pixels as in :class:`~eoforge.datasets.BigEarthNet`: 10 m bands and Sentinel-1 bit-exact,
20/60 m bands bilinearly upsampled to the 10 m grid (rasterio ``out_shape`` reads), Sentinel-1
float32 dB in the order ``VV``, ``VH``; with ``modality="s1+s2"`` the Sentinel-1 patch must cover
the Sentinel-2 patch (checked on every sample).

The files come from torchgeo's Hugging Face mirror, as byte-split ``tar.gz`` parts that are
joined, then extracted.

Example:
    >>> ReBEN.splits, [f.filename for f in ReBEN.files][:2]
    (('train', 'val', 'test'), ['BigEarthNet-S2.tar.gz', 'BigEarthNet-S1.tar.gz'])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eoforge.datasets.band_files import band_file_grid, read_band_files
from eoforge.datasets.bigearthnet_bands import S1_BANDS, S2_BANDS, modality_bands
from eoforge.datasets.bigearthnet_labels import CLASSES_19, COLORS_19, label_ids_19
from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.reben_metadata import (
    METADATA_CSV,
    METADATA_PARQUET,
    PatchRecord,
    read_metadata,
    split_records,
)
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile

__all__ = ["ReBEN", "reben_paths"]

_MIRROR = (
    "https://hf.co/datasets/torchgeo/bigearthnet/resolve/"
    "3cf3a5910a5302d449fdb8e570e5b78de24fe07f/V2/"
)


def _parts(archive: str, folder: str, md5s: Sequence[str]) -> RemoteFile:
    suffixes = ("aa", "ab", "ac", "ad")
    return RemoteFile(
        _MIRROR + archive,
        archive,
        extract=True,
        extracts_to=folder,
        parts=tuple(
            RemoteFile(f"{_MIRROR}{archive}{s}", f"{archive}{s}", md5=md5)
            for s, md5 in zip(suffixes, md5s, strict=False)
        ),
    )


S2_ARCHIVE = _parts(
    "BigEarthNet-S2.tar.gz",
    "BigEarthNet-S2",
    ("94e8ed32065234d3ab46353d814778d1", "24c223d9e36166136c13b24a27debe34"),
)
"""The Sentinel-2 patches (two parts)."""
S1_ARCHIVE = _parts(
    "BigEarthNet-S1.tar.gz",
    "BigEarthNet-S1",
    ("039b9ce305fc6582b2c3d60d1573f5b7", "e94f0ea165d04992ca91d8e58e82ec6d"),
)
"""The Sentinel-1 patches (two parts)."""
MAPS_ARCHIVE = _parts(
    "Reference_Maps.tar.gz", "Reference_Maps", ("b0cd1f0a31b49fcbfd61d80f963e759d",)
)
"""The pixel reference maps (one part)."""
METADATA = RemoteFile(
    _MIRROR + METADATA_PARQUET, METADATA_PARQUET, md5="55687065e77b6d0b0f1ff604a6e7b49c"
)
"""The patch table."""


def reben_paths(root: Path, record: PatchRecord) -> dict[str, Path]:
    """The files of one patch: each band's (``B01`` … ``VH``) and the reference map's (``map``).

    Example:
        >>> record = PatchRecord("S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_26_57",
        ...                      "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_61_39", (), "test")
        >>> paths = reben_paths(Path("data"), record)
        >>> paths["B8A"].parent.parent.name, paths["VV"].parent.parent.name
        ('S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP', 'S1A_IW_GRDH_1SDV_20170613T165043')
    """
    s2, s1 = record.patch_id, record.s1_name
    tile = "_".join(s2.split("_")[:-2])
    scene = "_".join(s1.split("_")[:-3])
    s2_folder = root / "BigEarthNet-S2" / tile / s2
    s1_folder = root / "BigEarthNet-S1" / scene / s1
    paths = {band: s2_folder / f"{s2}_{band}.tif" for band in S2_BANDS}
    paths.update({band: s1_folder / f"{s1}_{band}.tif" for band in S1_BANDS})
    paths["map"] = root / "Reference_Maps" / tile / s2 / f"{s2}_reference_map.tif"
    return paths


@register_dataset
class ReBEN(ChipDataset):
    """reBEN (BigEarthNet v2.0): multi-label 19-class Sentinel-2 (+ Sentinel-1) patches.

    Args:
        root: the dataset's folder.
        split: ``"train"``, ``"val"`` (the table's ``validation``) or ``"test"``.
        bands: bands of the modality to load, in channel order (default: all of them).
        transforms: applied to each sample dict.
        download: download the files (only the modality's archives) when missing.
        checksum: verify the files' MD5s, also of files already present.
        modality: ``"s2"``, ``"s1"`` or ``"s1+s2"`` (Sentinel-2 bands, then VV, VH).

    Samples: ``image`` (C, 120, 120) float32, ``label`` (int64 multi-hot of the 19
    :attr:`classes`), ``grid`` (the patch's 10 m UTM grid), ``id`` (the Sentinel-2
    ``patch_id``) and ``s1_id`` (its ``s1_name``).

    Example:
        >>> ReBEN.classes[2], ReBEN.default_bands[-1]
        ('Arable land', 'B12')
    """

    name = "reben"
    task = "multilabel"
    classes = CLASSES_19
    colors = COLORS_19
    all_bands = S2_BANDS + S1_BANDS
    default_bands = S2_BANDS
    rgb_bands = ("B04", "B03", "B02")
    splits = ("train", "val", "test")
    sensor = "sentinel2"  # VV and VH are looked up as Sentinel-1 bands
    files = (S2_ARCHIVE, S1_ARCHIVE, MAPS_ARCHIVE, METADATA)
    license = "CDLA-Permissive-1.0"
    homepage = "https://bigearth.net"
    citation = (
        "@inproceedings{clasen2025refinedbigearthnet, title={{reBEN}: Refined BigEarthNet "
        "Dataset for Remote Sensing Image Analysis}, author={Clasen, Kai Norman and Hackel, "
        'Leonard and Burgert, Tom and Sumbul, Gencer and Demir, Beg{\\"u}m and Markl, Volker}, '
        "booktitle={IEEE International Geoscience and Remote Sensing Symposium (IGARSS)}, "
        "year={2025}}"
    )
    description = (
        "reBEN / BigEarthNet v2.0: 480,038 Sentinel-2 L2A (12 bands) + Sentinel-1 (VV, VH) "
        "patches of 120x120 px at 10 m, 19-class CORINE multi-labels, geographical split."
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
    ) -> None:
        self.modality = modality
        chosen = modality_bands(modality, bands, type(self).__name__)
        super().__init__(root, split, chosen, transforms, download, checksum)

    def _required_files(self) -> tuple[RemoteFile, ...]:
        """The modality's archives, and the patch table unless its CSV export is there."""
        needed: list[RemoteFile] = []
        if self.modality != "s1":
            needed.append(S2_ARCHIVE)
        if self.modality != "s2":
            needed.append(S1_ARCHIVE)
        if not (self.root / METADATA_CSV).is_file():
            needed.append(METADATA)
        return tuple(needed)

    def _load_index(self) -> list[PatchRecord]:
        """The rows of the patch table in this split."""
        return split_records(read_metadata(self.root), self.split)

    def _load_image(self, record: PatchRecord) -> dict[str, Any]:
        """``image`` (the bands of ``self.bands``), ``grid``, ``id`` and ``s1_id`` of a patch."""
        paths = reben_paths(self.root, record)
        grid = band_file_grid(paths["VV" if self.modality == "s1" else "B02"])
        image, grid = read_band_files([paths[band] for band in self.bands], grid)
        return {"image": image, "grid": grid, "id": record.patch_id, "s1_id": record.s1_name}

    def _load_sample(self, record: PatchRecord) -> Sample:
        """The patch's bands on its 10 m grid, and its multi-hot label."""
        sample = self._load_image(record)
        source = f"the metadata row of {record.patch_id}"
        sample["label"] = self.multi_hot(label_ids_19(record.labels, source))
        return sample

    def sample_id(self, index: int) -> str:
        """The ``patch_id`` of sample ``index``: its key in a chip store."""
        record: PatchRecord = self.index[index]
        return record.patch_id
