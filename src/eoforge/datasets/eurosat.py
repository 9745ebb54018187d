"""``EuroSAT``: Sentinel-2 scene classification, 13 bands, 64 × 64 pixels, 10 classes.

EuroSAT (Helber et al., 2019) holds 27,000 georeferenced Sentinel-2 L1C chips of 64 × 64 pixels
over Europe, one class each. The multispectral release, ``EuroSATallBands.zip``, extracts to::

    ds/images/remote_sensing/otherDatasets/sentinel_2/tif/<Class>/<Class>_<n>.tif

one 13-band uint16 GeoTIFF per chip (digital numbers, reflectance × 10,000; per-chip UTM CRS)
whose bands are B01 … B12 with B10, and **B8A last** (band 13). The official train / val / test
split (16,200 / 5,400 / 5,400 chips) is that of Neumann et al. (2019), ``eurosat-{split}.txt``:
one file name per line, written with ``.jpg`` (the RGB release's names); the loader looks up
the chip of the same name with its own extension. Class ids are the alphabetical order of the
class folders (AnnualCrop = 0 … SeaLake = 9).

Example:
    >>> EuroSAT.all_bands[-1], EuroSAT.classes[9], len(EuroSAT.classes)
    ('B8A', 'SeaLake', 10)
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from eoforge.datasets.chip_dataset import ChipDataset, Sample
from eoforge.datasets.raster_chip import read_raster_chip
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import EoforgeError

__all__ = ["EuroSAT", "split_files"]

_MIRROR = "https://hf.co/datasets/torchgeo/eurosat/resolve/1ce6f1bfb56db63fd91b6ecc466ea67f2509774c"
_SPLIT_MD5 = {
    "train": "908f142e73d6acdf3f482c5e80d851b1",
    "val": "95de90f2aa998f70a3b2416bfe0687b4",
    "test": "7ae5ab94471417b6e315763121e67c5f",
}


def split_files() -> tuple[RemoteFile, ...]:
    """The official split lists, ``eurosat-{train,val,test}.txt`` (shared by both releases).

    Example:
        >>> [f.filename for f in split_files()]
        ['eurosat-train.txt', 'eurosat-val.txt', 'eurosat-test.txt']
    """
    return tuple(
        RemoteFile(f"{_MIRROR}/eurosat-{split}.txt", f"eurosat-{split}.txt", md5=md5)
        for split, md5 in _SPLIT_MD5.items()
    )


@register_dataset
class EuroSAT(ChipDataset):
    """EuroSAT (multispectral): 27,000 Sentinel-2 L1C chips, 13 bands, 64 × 64, 10 classes.

    Samples: ``image`` (C, 64, 64) float32 digital numbers in the order of ``bands``, ``label``
    (int64 class id), ``grid`` (the chip's UTM grid; its pixels are close to, not exactly,
    10 m), ``id`` (the chip's name, e.g. ``"Pasture_300"``) and ``path``.

    Example:
        >>> EuroSAT.info()["bands"][9]["description"], EuroSAT.splits
        ('SWIR cirrus', ('train', 'val', 'test'))
    """

    name = "eurosat"
    task = "classification"
    classes = (
        "AnnualCrop",
        "Forest",
        "HerbaceousVegetation",
        "Highway",
        "Industrial",
        "Pasture",
        "PermanentCrop",
        "Residential",
        "River",
        "SeaLake",
    )
    all_bands: ClassVar[tuple[str, ...]] = (
        "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11", "B12", "B8A",
    )  # fmt: skip
    rgb_bands = ("B04", "B03", "B02")
    splits = ("train", "val", "test")
    sensor: ClassVar[str | None] = "sentinel2"
    files = (
        RemoteFile(
            f"{_MIRROR}/EuroSATallBands.zip",
            "EuroSATallBands.zip",
            md5="5ac12b3b2557aa56e1826e981e8e200e",
            extract=True,
            extracts_to="ds/images/remote_sensing/otherDatasets/sentinel_2/tif",
        ),
        *split_files(),
    )
    license = "MIT"
    homepage = "https://github.com/phelber/EuroSAT"
    citation = (
        "@article{helber2019eurosat, title={EuroSAT: A Novel Dataset and Deep Learning Benchmark "
        "for Land Use and Land Cover Classification}, author={Helber, Patrick and Bischke, "
        "Benjamin and Dengel, Andreas and Borth, Damian}, journal={IEEE Journal of Selected "
        "Topics in Applied Earth Observations and Remote Sensing}, volume={12}, number={7}, "
        "pages={2217--2226}, year={2019}}"
    )
    description = (
        "Sentinel-2 L1C scene classification over Europe: 27,000 georeferenced 64x64 chips, "
        "13 bands (B8A last), 10 land-use classes; official 16,200/5,400/5,400 split."
    )

    image_dir: ClassVar[str] = "ds/images/remote_sensing/otherDatasets/sentinel_2/tif"
    """The folder of the class folders, relative to the root."""
    image_suffix: ClassVar[str] = ".tif"
    """The extension of the chip files."""

    def _load_index(self) -> list[tuple[Path, int]]:
        """``(chip path, class id)`` of each name in ``eurosat-<split>.txt``."""
        listing = self.root / f"eurosat-{self.split}.txt"
        ids = {name: i for i, name in enumerate(self.classes)}
        records: list[tuple[Path, int]] = []
        for line in listing.read_text().splitlines():
            name = line.strip()
            if not name:
                continue
            stem = Path(name).stem
            class_name = stem.rpartition("_")[0]
            if class_name not in ids:
                raise EoforgeError(
                    f"{listing} lists {name!r}, whose class {class_name!r} is not one of "
                    f"{', '.join(self.classes)}; download the split file again"
                )
            path = self.root / self.image_dir / class_name / f"{stem}{self.image_suffix}"
            records.append((path, ids[class_name]))
        return records

    def _load_sample(self, record: tuple[Path, int]) -> Sample:
        """The chip's bands of ``self.bands``, its class id, grid, name and path."""
        path, label = record
        pixels, grid = read_raster_chip(
            path, [i + 1 for i in self.band_indexes], count=len(self.all_bands)
        )
        sample: Sample = {"image": pixels, "label": label, "id": path.stem, "path": str(path)}
        if grid is not None:
            sample["grid"] = grid
        return sample

    def sample_id(self, index: int) -> str:
        """The name of chip ``index`` (``"AnnualCrop_1"``): its key in a chip store."""
        path: Path = self.index[index][0]
        return path.stem
