"""``AGBD``: above-ground biomass at GEDI footprints, with 25 x 25 patches of co-registered inputs.

AGBD (Sialelli et al., 2024) pairs ~16 million GEDI L4A footprints (above-ground biomass
density, Mg/ha) with 25 x 25 pixel windows at 10 m centred on them: Sentinel-2 L2A (12 bands and
the scene classification), ALOS-2 PALSAR-2 HH/HV, canopy height (Lang et al.), land cover
(Copernicus) and a DEM, stored per Sentinel-2 tile in 40 HDF5 files
(``data_subset-{2019,2020}-v4_{0..19}-20.h5``). The splits are biome-stratified by Sentinel-2 tile
(``biomes_splits_to_name.pkl``).

The task is **dense regression with sparse labels**: ``target`` is a 25 x 25 float32 map that is
NaN everywhere except the centre pixel ``[12, 12]``, the footprint's biomass, so a dense model
(``RegressionTask(dense=True)``) learns from that pixel only. Footprints whose biomass is not a
finite, non-negative number are dropped (:attr:`AGBD.dropped` says how many).

Samples: ``image`` (C, 25, 25) float32 of the asked bands (see
:mod:`eoforge.datasets.agbd_layers` for the units) with nodata set to 0, ``valid`` (25, 25)
bool (every asked band holds data there; the task ignores the label where it is False),
``target``, ``lat``/``lon`` (the footprint, degrees), ``tile`` and ``id``
(``<file stem>/<tile>/<row>``). The files store no per-pixel georeferencing: no ``grid``.

Example:
    >>> AGBD.task, AGBD.default_bands[-2:], len(AGBD.files)
    ('regression', ('HH', 'HV'), 41)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eoforge.datasets.agbd_footprints import FootprintIndex, index_footprints, load_split_tiles
from eoforge.datasets.agbd_layers import AGBD_BANDS, S2_ORDER, read_bands
from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.hdf5_files import HDF5Files
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import EoforgeError

__all__ = ["AGBD", "agbd_file_name"]

YEARS: tuple[int, ...] = (2019, 2020)
SHARDS = 20
_URL = "https://libdrive.ethz.ch/index.php/s/VPio6i5UlXTgir0/download?path=%2F"
_SPLITS_FILE = "biomes_splits_to_name.pkl"
_CENTRE = 12
# Bands outside eoforge's band table, and HH/HV, which the table knows as Sentinel-1 C-band:
# PALSAR-2 is L-band (22.9 cm, CATALYST's ALOS-2 sensor page); the yearly mosaics have 25 m pixels.
_DESCRIBED = {
    "HH": ("ALOS-2 PALSAR-2 L-band HH, gamma0 (dB)", 229_000_000.0, 25.0),
    "HV": ("ALOS-2 PALSAR-2 L-band HV, gamma0 (dB)", 229_000_000.0, 25.0),
    "CH": ("canopy height (m), Lang et al. 2023", None, 10.0),
    "CH_std": ("canopy height standard deviation (m)", None, 10.0),
    "LC": ("Copernicus land-cover class code", None, 100.0),
    "LC_prob": ("land-cover class probability (%)", None, 100.0),
    "DEM": ("ALOS AW3D30 elevation (m)", None, 30.0),
    "SCL": ("Sentinel-2 scene classification code", None, 20.0),
}


def agbd_file_name(year: int, shard: int) -> str:
    """The name of one AGBD HDF5 file.

    Example:
        >>> agbd_file_name(2019, 3)
        'data_subset-2019-v4_3-20.h5'
    """
    return f"data_subset-{year}-v4_{shard}-{SHARDS}.h5"


def _file(year: int, shard: int) -> RemoteFile:
    name = agbd_file_name(year, shard)
    return RemoteFile(_URL + name, name)


@register_dataset
class AGBD(ChipDataset):
    """AGBD biomass regression at GEDI footprints (25 x 25 patches, label at the centre pixel).

    Args:
        root: the folder of the HDF5 files and ``biomes_splits_to_name.pkl`` (or ``.json``).
        split: ``"train"``, ``"val"`` or ``"test"``.
        bands: band names, in channel order (default: the 12 Sentinel-2 bands, ``HH``, ``HV``).
        years: the years whose files are read (default both, 2019 and 2020).
        shards: the file numbers 0-19 read of each year (default all): to work on a part of the
            ~300 GB.
        transforms: applied to each sample dict.
        download: download the missing files (no checksums are published).
        checksum: verify checksums (none are known: this checks nothing).

    Raises:
        EoforgeError: a year or shard that does not exist.

    Attributes:
        dropped: footprints of the split left out for a non-finite or negative biomass.
    """

    name = "agbd"
    task = "regression"
    all_bands = AGBD_BANDS
    default_bands = (*S2_ORDER, "HH", "HV")
    rgb_bands = ("B04", "B03", "B02")
    sensor = "sentinel2"  # B11, B12 are Landsat names too; the other layers are described below
    files = (
        *(_file(year, shard) for year in YEARS for shard in range(SHARDS)),
        RemoteFile(_URL + _SPLITS_FILE, _SPLITS_FILE),
    )
    license = "CC-BY-NC-4.0"
    homepage = "https://github.com/ghjuliasialelli/AGBD"
    citation = (
        "@article{sialelli2024agbd,\n  title = {AGBD: A Global-scale Biomass Dataset},\n"
        "  author = {Sialelli, Ghjulia and Peters, Torben and Wegner, Jan D. and Schindler, "
        "Konrad},\n  journal = {arXiv preprint arXiv:2406.04928},\n  year = {2024},\n"
        "  doi = {10.48550/ARXIV.2406.04928}\n}"
    )
    description = (
        "Above-ground biomass (GEDI L4A, Mg/ha) at ~16M footprints with 25x25 patches of "
        "Sentinel-2, ALOS-2 PALSAR-2, canopy height, land cover and DEM; label at the centre pixel."
    )

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        years: Sequence[int] = YEARS,
        shards: Sequence[int] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
    ) -> None:
        self.years = [int(y) for y in years]
        self.shards = list(range(SHARDS)) if shards is None else [int(s) for s in shards]
        bad = [y for y in self.years if y not in YEARS] + [s for s in self.shards
                                                           if not 0 <= s < SHARDS]  # fmt: skip
        if bad or not self.years or not self.shards:
            raise EoforgeError(
                f"AGBD has no files for years={self.years}, shards={self.shards}; years are "
                f"{list(YEARS)} and shards 0-{SHARDS - 1} (or shards=None for all)"
            )
        self.h5 = HDF5Files()
        self.dropped = 0
        super().__init__(root, split, bands, transforms, download, checksum)

    @property
    def file_names(self) -> list[str]:
        """The HDF5 files read, in order (years, then shards)."""
        return [agbd_file_name(y, s) for y in self.years for s in self.shards]

    def _required_files(self) -> tuple[RemoteFile, ...]:
        """The HDF5 files of the years and shards asked, and the split file (unless as JSON)."""
        names = set(self.file_names)
        if not (self.root / _SPLITS_FILE).with_suffix(".json").is_file():
            names.add(_SPLITS_FILE)
        return tuple(f for f in self.files if f.filename in names)

    def _load_index(self) -> FootprintIndex:
        tiles = load_split_tiles(self.root / _SPLITS_FILE, self.split)
        scanned = index_footprints(self.root, self.file_names)
        groups = [
            (name, tile, int(group["n"]), group["dropped"])
            for name in self.file_names
            for tile, group in sorted(scanned[name].items())
            if tile in tiles
        ]
        index = FootprintIndex(groups)
        self.dropped = index.dropped
        return index

    def sample_id(self, index: int) -> str:
        """The id of sample ``index``: ``<file stem>/<tile>/<row>``."""
        file, tile, row = self.index[index]
        return f"{Path(file).stem}/{tile}/{row}"

    def _load_sample(self, record: Any) -> Sample:
        file, tile, row = record
        group = self.h5.get(self.root / file)[tile]
        where = f"{self.root / file}:{tile}"
        pixels = read_bands(group, row, self.bands, where)
        if pixels.shape[1:] != (2 * _CENTRE + 1, 2 * _CENTRE + 1):
            raise EoforgeError(f"{where} holds {pixels.shape[1:]} patches; AGBD's are 25 x 25")
        valid = np.isfinite(pixels).all(axis=0)
        gedi = group["GEDI"]
        target = np.full(pixels.shape[1:], np.nan, dtype=np.float32)
        target[_CENTRE, _CENTRE] = np.float32(gedi["agbd"][row])
        return {
            "image": np.nan_to_num(pixels, nan=0.0),
            "valid": torch.from_numpy(valid),
            "target": target,
            "lat": _degrees(gedi, "lat", row),
            "lon": _degrees(gedi, "lon", row),
            "tile": tile,
            "id": f"{Path(file).stem}/{tile}/{row}",
        }

    @classmethod
    def info(cls) -> dict[str, Any]:
        """The description of :meth:`ChipDataset.info`, with AGBD's own layers described."""
        described = super().info()
        for band in described["bands"]:
            if band["name"] in _DESCRIBED:
                text, wavelength, resolution = _DESCRIBED[band["name"]]
                band.update(description=text, wavelength_nm=wavelength, resolution_m=resolution)
        return dict(described)


def _degrees(gedi: Any, axis: str, row: int) -> float:
    """A footprint coordinate: ``sign(decimal)·(|decimal| + offset)`` (offset = |integer part|)."""
    decimal = float(gedi[f"{axis}_decimal"][row])
    offset = float(gedi[f"{axis}_offset"][row])
    return float(np.copysign(abs(decimal) + offset, decimal))
