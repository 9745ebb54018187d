"""``EuroSATRGB``: the RGB release of EuroSAT — 27,000 8-bit JPEG chips, 64 × 64, 10 classes.

The RGB release, ``EuroSAT.zip``, holds the chips of :class:`~eoforge.datasets.EuroSAT` as
8-bit true-colour JPEGs (red, green, blue rendered from Sentinel-2 B04, B03, B02), without
georeferencing; it extracts to::

    2750/<Class>/<Class>_<n>.jpg

The official ``eurosat-{split}.txt`` lists name these very files. The bands are ``R``, ``G``,
``B``: display values 0–255, not reflectances, so that a model trained on them is never
matched by band name with Sentinel-2 reflectance bands.

Example:
    >>> EuroSATRGB.all_bands, EuroSATRGB.classes == EuroSAT.classes
    (('R', 'G', 'B'), True)
"""

from __future__ import annotations

from typing import ClassVar

from eoforge.datasets.eurosat import EuroSAT, split_files
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile

__all__ = ["EuroSATRGB"]

_RGB_ZIP = (
    "https://huggingface.co/datasets/torchgeo/eurosat/resolve/"
    "c877bcd43f099cd0196738f714544e355477f3fd/EuroSAT.zip"
)


@register_dataset
class EuroSATRGB(EuroSAT):
    """EuroSAT (RGB): the 27,000 EuroSAT chips as 8-bit JPEGs, 64 × 64, 10 classes.

    Samples: ``image`` (C, 64, 64) float32 values 0–255 in the order of ``bands``, ``label``
    (int64 class id), ``id`` (``"Pasture_300"``) and ``path``; no ``grid`` (JPEGs carry none).

    Example:
        >>> EuroSATRGB.name, EuroSATRGB.files[0].filename
        ('eurosat_rgb', 'EuroSAT.zip')
    """

    name = "eurosat_rgb"
    all_bands = ("R", "G", "B")
    rgb_bands = ("R", "G", "B")
    sensor = None
    files = (
        RemoteFile(
            _RGB_ZIP, "EuroSAT.zip", md5="c8fa014336c82ac7804f0398fcb19387", extract=True,
            extracts_to="2750",
        ),
        *split_files(),
    )  # fmt: skip
    description = (
        "EuroSAT's RGB release: 27,000 true-colour 8-bit JPEG chips (64x64) of Sentinel-2 "
        "over Europe, 10 land-use classes; official 16,200/5,400/5,400 split."
    )

    image_dir: ClassVar[str] = "2750"
    image_suffix: ClassVar[str] = ".jpg"
