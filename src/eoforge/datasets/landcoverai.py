"""``LandCoverAI``: LandCover.ai v1 — buildings, woodland, water and roads in Polish orthophotos.

41 RGB orthophotos of Poland (33 at 25 cm, 8 at 50 cm; EPSG:2180) with masks of five classes
(0 background, 1 building, 2 woodland, 3 water, 4 road), cut into the official ``512 x 512``
tiles named by ``train.txt`` / ``val.txt`` / ``test.txt`` (``<sheet>_<k>``; 7,470 / 1,602 /
1,602 tiles, as commonly quoted).

Layout of the extracted ``landcover.ai.v1.zip``::

    root/images/<sheet>.tif   RGB orthophoto (GeoTIFF, EPSG:2180)
    root/masks/<sheet>.tif    class ids (uint8)
    root/train.txt, val.txt, test.txt, split.py

eoforge does **not** run the archive's ``split.py``: on first use it cuts the orthophotos itself
(:mod:`eoforge.datasets.landcoverai_tiles`, the same rule) into ``root/output/<id>.tif`` and
``root/output/<id>_m.tif`` — lossless, georeferenced GeoTIFFs, so every sample has its ``grid``.
The official tiles are JPEG, so their pixel values differ slightly from eoforge's (results of
papers trained on the JPEG tiles are not bit-comparable). A folder holding the official tiles
instead (``output/<id>.jpg`` and ``output/<id>_m.png``, as ``split.py`` writes them) is read as
it is (``tiles="official"``, or ``"auto"`` when there are no orthophotos); those tiles have no
georeferencing.

Example:
    >>> LandCoverAI.classes
    ('background', 'building', 'woodland', 'water', 'road')
    >>> LandCoverAI("nowhere")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    eoforge.errors.DatasetNotFoundError: LandCoverAI is not in nowhere (missing: landcover.ai...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eoforge.datasets.chip_dataset import ChipDataset, Sample, Transforms
from eoforge.datasets.landcoverai_tiles import cut_landcoverai_tiles, tiles_complete
from eoforge.datasets.raster_chip import read_raster_chip
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import DatasetNotFoundError, UnknownNameError

__all__ = ["TILE_MODES", "LandCoverAI"]

TILE_MODES = ("auto", "geotiff", "official")
"""How the tiles are read: eoforge's GeoTIFF tiles, the official JPEG/PNG ones, or either."""


@register_dataset
class LandCoverAI(ChipDataset):
    """LandCover.ai v1 (Boguszewski et al., 2021): 512x512 RGB aerial tiles, 5 classes.

    Args:
        root: the extracted archive's folder (``images/``, ``masks/``, ``train.txt`` …).
        split: ``"train"``, ``"val"`` or ``"test"``.
        bands: any of ``R``, ``G``, ``B``, in the order wanted.
        transforms: applied to each sample dict.
        download: download and extract the archive (its size is not published).
        checksum: verify the archive's MD5.
        tiles: ``"geotiff"`` (cut the orthophotos into eoforge's lossless tiles on first use),
            ``"official"`` (read the JPEG/PNG tiles of ``split.py`` in ``output/``), or
            ``"auto"``: GeoTIFF tiles when the orthophotos (or a complete cut) are there, else
            the official ones.
        progress: show a progress bar while cutting (on a terminal only).

    Samples: ``image`` (C, 512, 512) float32 (0-255), ``mask`` (512, 512) int64 class ids,
    ``id`` (``<sheet>_<k>``), and ``grid`` (EPSG:2180) for GeoTIFF tiles.

    Raises:
        DatasetNotFoundError: neither the archive, the orthophotos nor the official tiles are in
            ``root``, or a tile of the split file is missing.
        UnknownNameError: ``tiles`` is not one of :data:`TILE_MODES`.
    """

    name = "landcoverai"
    task = "segmentation"
    classes = ("background", "building", "woodland", "water", "road")
    colors = ((0, 0, 0), (97, 74, 74), (38, 115, 0), (0, 197, 255), (207, 207, 207))
    all_bands = ("R", "G", "B")
    rgb_bands = ("R", "G", "B")
    splits = ("train", "val", "test")
    files = (
        RemoteFile(
            "https://landcover.ai.linuxpolska.com/download/landcover.ai.v1.zip",
            "landcover.ai.v1.zip",
            md5="3268c89070e8734b4e91d531c0617e03",
            extract=True,
            extracts_to="images",
        ),
    )
    license = "CC-BY-NC-SA-4.0"
    homepage = "https://landcover.ai.linuxpolska.com/"
    citation = (
        "@inproceedings{boguszewski2021landcover,\n"
        "  title={LandCover.ai: Dataset for Automatic Mapping of Buildings, Woodlands, Water and "
        "Roads from Aerial Imagery},\n"
        "  author={Boguszewski, Adrian and Batorski, Dominik and Ziemba-Jankowska, Natalia and "
        "Dziedzic, Tomasz and Zambrzycka, Anna},\n"
        "  booktitle={CVPR Workshops},\n  pages={1102--1110},\n  year={2021}\n}"
    )
    description = (
        "Aerial RGB orthophotos of Poland (25/50 cm) cut into 512x512 tiles; semantic "
        "segmentation of background, building, woodland, water and road."
    )

    def __init__(
        self,
        root: str | Path = "data",
        split: str = "train",
        bands: Sequence[str] | None = None,
        transforms: Transforms | None = None,
        download: bool = False,
        checksum: bool = False,
        tiles: str = "auto",
        progress: bool = True,
    ) -> None:
        if tiles not in TILE_MODES:
            raise UnknownNameError(
                f"LandCoverAI has no tiles={tiles!r}; use one of {', '.join(TILE_MODES)}"
            )
        self.tiles = tiles
        self.progress = progress
        super().__init__(root, split, bands, transforms, download, checksum)

    # -- where the tiles are -----------------------------------------------------------------

    @property
    def output(self) -> Path:
        """The folder of the tiles (``root/output``)."""
        return self.root / "output"

    def _has_orthophotos(self) -> bool:
        return (self.root / "images").is_dir() and (self.root / "masks").is_dir()

    def _has_official(self) -> bool:
        return self.output.is_dir() and any(self.output.glob("*.jpg"))

    def _mode(self) -> str:
        """``"geotiff"`` or ``"official"``: the tiles this dataset reads."""
        if self.tiles != "auto":
            return self.tiles
        if self._has_orthophotos() or tiles_complete(self.output):
            return "geotiff"
        return "official" if self._has_official() else "geotiff"

    def _is_present(self) -> bool:
        if not (self.root / f"{self.split}.txt").is_file():
            return False
        if self._mode() == "geotiff":
            return self._has_orthophotos() or tiles_complete(self.output)
        return self._has_official()

    def _paths(self, tile_id: str) -> tuple[Path, Path]:
        if self._mode() == "geotiff":
            return self.output / f"{tile_id}.tif", self.output / f"{tile_id}_m.tif"
        return self.output / f"{tile_id}.jpg", self.output / f"{tile_id}_m.png"

    # -- hooks ------------------------------------------------------------------------------

    def _load_index(self) -> list[str]:
        split_file = self.root / f"{self.split}.txt"
        ids = [line.strip() for line in split_file.read_text().splitlines() if line.strip()]
        if self._mode() == "geotiff":
            cut_landcoverai_tiles(
                self.root, class_names=self.classes, colors=self.colors, progress=self.progress
            )
        missing = [i for i in ids if not all(p.is_file() for p in self._paths(i))]
        if missing:
            image, mask = self._paths(missing[0])
            fix = (
                f"delete {self.output} and construct the dataset again to cut the tiles anew"
                if self._mode() == "geotiff"
                else "run the archive's split.py again, or extract the archive and use "
                "tiles='geotiff'"
            )
            raise DatasetNotFoundError(
                f"{len(missing)} tiles of {split_file} are missing, e.g. {image.name} or "
                f"{mask.name} in {self.output}; {fix}"
            )
        return ids

    def _load_sample(self, record: Any) -> Sample:
        image_path, mask_path = self._paths(str(record))
        pixels, grid = read_raster_chip(image_path, [i + 1 for i in self.band_indexes], count=3)
        mask, _ = read_raster_chip(mask_path, [1])  # official masks may have 3 equal bands
        sample: Sample = {"image": pixels, "mask": mask[0], "id": str(record)}
        if grid is not None:
            sample["grid"] = grid
        return sample

    def sample_id(self, index: int) -> str:
        """The tile id of sample ``index`` (``<sheet>_<k>``), the chip store's key."""
        return str(self.index[index])
