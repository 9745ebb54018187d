"""``KuroSiwo``: multi-temporal Sentinel-1 flood maps — one post-event and two pre-event images.

Kuro Siwo (Bountos et al., NeurIPS 2024 Datasets & Benchmarks) labels floods of 43 events
world-wide on 224 x 224 grid cells of Sentinel-1 GRD backscatter (linear VV and VH, 10 m, EPSG:3857)
for three dates: the post-event image and two pre-event ones; a DEM and its slope come along.
Each pixel is *no water*, *permanent water* or *flood* (label value 3 = invalid pixel). The
splits are the authors' "RandomEvents" track: whole events (activation ids) per split.

Bands are named ``<polarisation>_<time>``: ``VV_post``, ``VH_post`` (``MS1``), ``VV_pre1``,
``VH_pre1`` (``SL1``), ``VV_pre2``, ``VH_pre2`` (``SL2``), and ``DEM``, ``SLOPE`` (``MK0``).
``times=`` and ``ancillary=`` build the band list for you (``times=("post", "pre1")``,
``ancillary=("DEM",)``), or ``bands=`` names the bands directly.

Samples: ``image`` (C, 224, 224) float32 with nodata (NaN, 0 in SAR, the files' nodata) set to 0,
``valid`` (224, 224) bool (every selected band holds data there), ``mask`` (224, 224) int64 from
``MK0_MLU`` with invalid pixels (label 3, or ``MK0_MNA`` not 1) set to 255, ``grid``, ``id``
(the cell folder ``<actid>/<aoiid>/<grid_hash>``), ``actid``, ``aoiid``, ``dates``.

Example:
    >>> KuroSiwo.classes, KuroSiwo.ignore_index
    (('no water', 'permanent water', 'flood'), 255)
    >>> KuroSiwo.bands_for(times=("post", "pre1"), ancillary=("DEM",))
    ['VV_post', 'VH_post', 'VV_pre1', 'VH_pre1', 'DEM']
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from eoforge.data.bands import band_info
from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.kurosiwo_cells import TIMES, KuroSiwoCell, index_cells, read_layer
from eoforge.datasets.mask_lookup import MaskLookup
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import EoforgeError, RasterReadError, UnknownNameError

__all__ = ["KuroSiwo"]

_DROPBOX = "https://www.dropbox.com/scl/fi/"
_ARCHIVES = (  # (folder id, rlkey) of 00.tar.gz … 10.tar.gz, from the authors' download script
    ("19mm9v5pnd5yor8b15alj", "f7qrqgv7h7z9j6r595xz1720e"),
    ("pjlgcqc3fm8lx97vdfjyn", "bvue0u3jgovc3qewkh464uyog"),
    ("7tt843025s8hqi00xpofx", "8vbfh3qc2h7zmzjem0c14lljh"),
    ("v7997kv11cc8ptj1vstim", "yj0qspgmlmohaf728a94curqf"),
    ("2o3cxwxu79phijxylm99h", "3mcmjrzbf8vmxwl8aacou7vvr"),
    ("q1jy4ep4j6bj38dva2es3", "g46498pgox03it080p83xhx8g"),
    ("843fba3poe6nu67og5n6x", "bnxhf9zj0y8mtvjv7k683ywaa"),
    ("89kogi7nisinbfa3z2wze", "byduc9q5cndwjphq4r1727xrl"),
    ("sctg1ybqxtzz23018htwx", "6hj887jxezjq5gibqz4zhh7gd"),
    ("425wrfqqc7sy8pbdnkgzw", "ziejzpo2ddgnygpbd1emn1nir"),
    ("rwc2yvd0g070qicg300de", "12i17si2kzjpey4vgig9pjnv7"),
)

_CATALOGUE = ("wu6nvj73cz4h7k3gxpzx6", "hsij2o0k60r2n0z6z4d2ngww9")
_ARCHIVE_FILES = tuple(
    RemoteFile(f"{_DROPBOX}{key}/{i:02d}.tar.gz?rlkey={rlkey}&dl=1", f"{i:02d}.tar.gz",
               extract=True)
    for i, (key, rlkey) in enumerate(_ARCHIVES)
)  # fmt: skip

ANCILLARY: dict[str, str] = {"DEM": "MK0_DEM", "SLOPE": "MK0_SLOPE"}
"""Ancillary band → layer key."""
_POLARISATIONS = {"VV": "IVV", "VH": "IVH"}
_SAR_BANDS = {f"{p}_{t}": f"{a}_{f}" for t, a in TIMES.items() for p, f in _POLARISATIONS.items()}
_LAYER_OF: dict[str, str] = {**_SAR_BANDS, **ANCILLARY}


def _known(name: str, names: tuple[str, ...], what: str) -> str:
    if name in names:
        return name
    close = difflib.get_close_matches(str(name), list(names), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownNameError(
        f"Kuro Siwo has no {what} {name!r}{hint}; use one of {', '.join(map(repr, names))}"
    )


_LABELS = MaskLookup.from_ids({0: 0, 1: 1, 2: 2}, ignore_index=255)  # 3 (invalid) and others


@register_dataset
class KuroSiwo(ChipDataset):
    """Kuro Siwo GRD flood segmentation (Sentinel-1 VV/VH at three dates, 224 x 224 cells).

    Args:
        root: the folder holding ``data/`` (the extracted ``00.tar.gz`` … ``10.tar.gz``).
        split: ``"train"``, ``"val"`` or ``"test"`` (events of :attr:`split_events`).
        bands: band names, in channel order; or leave ``None`` and use ``times``/``ancillary``.
        times: the time steps of the SAR bands (``"post"``, ``"pre1"``, ``"pre2"``), VV then VH
            of each, when ``bands`` is not given (default: all three).
        ancillary: ``"DEM"`` and/or ``"SLOPE"``, appended after the SAR bands (default: none).
        transforms: applied to each sample dict.
        download: download and extract the archives when ``data/`` is missing (≈ hundreds of GB).
        checksum: verify checksums (the authors publish none: this checks nothing).

    Raises:
        EoforgeError: ``bands`` is given together with ``times``/``ancillary``.
        UnknownNameError: an unknown split, time step or ancillary layer.

    Attributes:
        cells: the split's cells (:class:`~eoforge.datasets.kurosiwo_cells.KuroSiwoCell`).
        unlabelled: how many unlabelled cells (aoiid ``NA``, no labels) the data holds (skipped).
        incomplete: how many labelled cells of the split lack a file of the selected bands
            (skipped).
    """

    name = "kurosiwo"
    task = "segmentation"
    classes = ("no water", "permanent water", "flood")
    colors = ((215, 215, 215), (0, 60, 200), (230, 40, 40))
    all_bands = (*_SAR_BANDS, *ANCILLARY)
    default_bands = tuple(_SAR_BANDS)
    rgb_bands = ("VV_pre1", "VV_post", "VV_post")  # flooded land (dark after, bright before) → red
    ignore_index = 255
    files = (
        RemoteFile(f"{_DROPBOX}{_CATALOGUE[0]}/catalogue.gpkg?rlkey={_CATALOGUE[1]}&dl=1",
                   "catalogue.gpkg"),
        *_ARCHIVE_FILES,
    )  # fmt: skip
    license = "CC-BY-4.0 (per the authors' README; code MIT)"
    homepage = "https://github.com/Orion-AI-Lab/KuroSiwo"
    citation = (
        "@inproceedings{bountos2024kurosiwo,\n"
        "  title = {Kuro Siwo: 33 billion m$^2$ under the water. A global multi-temporal "
        "satellite dataset for rapid flood mapping},\n"
        "  author = {Bountos, Nikolaos Ioannis and Sdraka, Maria and Zavras, Angelos and "
        "Karavias, Andreas and Karasante, Ilektra and Herekakis, Themistocles and Thanasou, "
        "Angeliki and Michail, Dimitrios and Papoutsis, Ioannis},\n"
        "  booktitle = {Advances in Neural Information Processing Systems},\n"
        "  volume = {37}, pages = {38105--38121}, year = {2024}\n}"
    )
    description = (
        "Flood segmentation on Sentinel-1 GRD (VV, VH) at one post-event and two pre-event "
        "dates, 224x224 cells at 10 m (EPSG:3857), 3 classes; splits by flood event."
    )
    split_events: ClassVar[dict[str, tuple[int, ...]]] = {
        "train": (130, 470, 555, 118, 174, 324, 421, 554, 427, 518, 502, 498, 497, 496, 492, 147,
                  267, 273, 275, 417, 567, 1111011, 1111004, 1111009, 1111010, 1111006, 1111005),
        "val": (514, 559, 279, 520, 437, 1111003, 1111008),
        "test": (321, 561, 445, 562, 411, 1111002, 277, 1111007, 205, 1111013),
    }  # fmt: skip
    """The activation ids of each split (``configs/train/data_config.json``, RandomEvents)."""

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        times: Sequence[str] | None = None,
        ancillary: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
    ) -> None:
        if bands is not None and (times is not None or ancillary is not None):
            raise EoforgeError(
                f"KuroSiwo got bands={list(bands)} and times/ancillary; give either bands (by "
                "name) or times= and ancillary= (which build the band list), not both"
            )
        if bands is None and (times is not None or ancillary is not None):
            bands = self.bands_for(times or tuple(TIMES), ancillary or ())
        self.unlabelled = 0
        self.incomplete = 0
        self.cells: list[KuroSiwoCell] = []
        super().__init__(root, split, bands, transforms, download, checksum)

    @staticmethod
    def bands_for(times: Sequence[str], ancillary: Sequence[str] = ()) -> list[str]:
        """The band names of these time steps (VV then VH of each) and ancillary layers.

        Raises:
            UnknownNameError: a time step or ancillary layer is not known.
        """
        names = [f"{p}_{_known(t, tuple(TIMES), 'time step')}"
                 for t in times for p in _POLARISATIONS]  # fmt: skip
        return names + [_known(a, tuple(ANCILLARY), "ancillary layer") for a in ancillary]

    @property
    def data_dir(self) -> Path:
        """The folder of the event folders: ``root/data``."""
        return self.root / "data"

    def _required_files(self) -> tuple[RemoteFile, ...]:
        """The archives (the catalogue, a GeoPackage of the events, is not needed to train)."""
        return _ARCHIVE_FILES

    def _is_present(self) -> bool:
        return self.data_dir.is_dir() or super()._is_present()

    def _load_index(self) -> list[KuroSiwoCell]:
        if not self.data_dir.is_dir():
            raise EoforgeError(
                f"the archives in {self.root} were extracted but hold no data/ folder; extract "
                f"them so that {self.data_dir}/<actid>/<aoiid>/<grid_hash>/ holds the cells"
            )
        cells, self.unlabelled = index_cells(self.data_dir, self.root)
        events = set(self.split_events[self.split])
        needed = [_LAYER_OF[b] for b in self.bands] + ["MK0_MLU"]
        in_split = [c for c in cells if c.actid in events]
        self.cells = [c for c in in_split if all(k in c.files for k in needed)]
        self.incomplete = len(in_split) - len(self.cells)
        return self.cells

    def sample_id(self, index: int) -> str:
        """The id of sample ``index``: its cell folder ``<actid>/<aoiid>/<grid_hash>``."""
        return str(self.index[index].path)

    def _load_sample(self, record: Any) -> Sample:
        cell: KuroSiwoCell = record
        folder = self.data_dir / cell.path
        grid = None
        layers, oks = [], []
        for band in self.bands:
            pixels, ok, layer_grid = read_layer(folder / cell.files[_LAYER_OF[band]])
            if band in _SAR_BANDS:
                ok &= pixels != 0  # 0 is the SAR nodata value (info.json)
            grid = self._same_grid(grid, layer_grid, folder, cell.files[_LAYER_OF[band]])
            layers.append(np.where(ok, pixels, 0).astype(np.float32))
            oks.append(ok)
        image, valid = np.stack(layers), np.logical_and.reduce(oks, axis=0)
        labels, _, label_grid = read_layer(folder / cell.files["MK0_MLU"])
        self._same_grid(grid, label_grid, folder, cell.files["MK0_MLU"])
        mask = _LABELS(np.nan_to_num(labels, nan=255).astype(np.int64))
        if "MK0_MNA" in cell.files:
            measured, _, _ = read_layer(folder / cell.files["MK0_MNA"])
            mask[measured != 1] = 255
        sample: Sample = {
            "image": image,
            "mask": mask,
            "valid": torch.from_numpy(valid),
            "id": cell.path,
            "actid": cell.actid,
            "aoiid": cell.aoiid,
            "dates": cell.dates(),
        }
        if grid is not None:
            sample["grid"] = grid
        return sample

    @staticmethod
    def _same_grid(grid: Any, other: Any, folder: Path, name: str) -> Any:
        if grid is not None and other is not None and other != grid:
            raise RasterReadError(
                f"{folder / name} is not on the grid of the cell's other layers ({other} vs "
                f"{grid}); extract the cell again, or delete the folder {folder}"
            )
        return grid if grid is not None else other

    @classmethod
    def info(cls) -> dict[str, Any]:
        """The description of :meth:`ChipDataset.info`, with the time of each SAR band."""
        described = super().info()
        for band in described["bands"]:
            if band["name"] in _SAR_BANDS:
                polarisation, time = band["name"].split("_")
                s1 = band_info(polarisation, sensor="sentinel1")
                band.update(
                    description=f"Sentinel-1 {polarisation} backscatter (linear), {time}",
                    wavelength_nm=s1.wavelength_nm,
                    resolution_m=s1.resolution_m,
                )
            elif band["name"] == "SLOPE":
                band["description"] = "terrain slope (from the DEM)"
        return dict(described)
