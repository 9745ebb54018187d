"""``ReBENMaps``: reBEN's pixel reference maps — 19-class land-cover segmentation of its patches.

Each reBEN patch has a reference map, ``Reference_Maps/<tile>/<patch_id>/<patch_id>_reference_map
.tif``: a uint16 GeoTIFF on the patch's 10 m grid (120 × 120) of raw CORINE Land Cover 2018
level-3 codes (nodata 0). :class:`ReBENMaps` pairs the patch's bands (as
:class:`~eoforge.datasets.ReBEN` reads them) with its map, the codes mapped to the 19 class
ordinals by :data:`~eoforge.datasets.bigearthnet_labels.CLC_TO_19`; codes without a 19-class
target (road and rail, ports, airports, mines, dumps, construction sites, urban green, sport and
leisure, bare rock, burnt areas, intertidal flats) and nodata become ``ignore_index`` (255).

Example:
    >>> ReBENMaps.task, ReBENMaps.ignore_index, ReBENMaps.classes == ReBEN.classes
    ('segmentation', 255, True)
    >>> clc_mask(np.array([[211, 231], [122, 0]])).tolist()
    [[2, 4], [255, 255]]
"""

from __future__ import annotations

import numpy as np

from eoforge.datasets.band_files import band_file_grid, same_area
from eoforge.datasets.bigearthnet_labels import CLC_TO_19
from eoforge.datasets.chip_dataset import Sample
from eoforge.datasets.mask_lookup import MaskLookup
from eoforge.datasets.raster_chip import read_raster_chip
from eoforge.datasets.reben import MAPS_ARCHIVE, ReBEN, reben_paths
from eoforge.datasets.reben_metadata import PatchRecord
from eoforge.datasets.registry import register_dataset
from eoforge.datasets.remote_file import RemoteFile
from eoforge.errors import RasterReadError

__all__ = ["IGNORE_INDEX", "ReBENMaps", "clc_mask"]

IGNORE_INDEX = 255
"""The mask value of pixels without a 19-class target."""

_LOOKUP = MaskLookup.from_ids(CLC_TO_19, ignore_index=IGNORE_INDEX)


def clc_mask(codes: np.ndarray, source: str = "the reference map") -> np.ndarray:
    """The ``(H, W)`` int64 19-class ordinals of CLC codes (others: :data:`IGNORE_INDEX`).

    Example:
        >>> clc_mask(np.array([[311, 313]])).tolist()
        [[8, 10]]
    """
    return _LOOKUP(codes, source)


@register_dataset
class ReBENMaps(ReBEN):
    """reBEN's patches with their pixel reference maps: 19-class segmentation, 120 × 120.

    Takes the arguments of :class:`~eoforge.datasets.ReBEN` (``modality`` included).

    Samples: ``image`` (C, 120, 120) float32, ``mask`` (120, 120) int64 of class ordinals
    (255: no class), ``grid``, ``id`` and ``s1_id``.

    Example:
        >>> [f.filename for f in ReBENMaps.files][2]
        'Reference_Maps.tar.gz'
    """

    name = "reben_maps"
    task = "segmentation"
    ignore_index = IGNORE_INDEX
    description = (
        "reBEN / BigEarthNet v2.0 pixel reference maps: 19-class CORINE 2018 segmentation of "
        "480,038 Sentinel-2 (+ Sentinel-1) patches, 120x120 px at 10 m."
    )

    def _required_files(self) -> tuple[RemoteFile, ...]:
        """The patches' archives and the table (see :class:`ReBEN`), and the maps."""
        return (*super()._required_files(), MAPS_ARCHIVE)

    def _load_sample(self, record: PatchRecord) -> Sample:
        """The patch's bands and its reference map as class ordinals."""
        sample = self._load_image(record)
        path = reben_paths(self.root, record)["map"]
        grid = band_file_grid(path)
        if not same_area(grid, sample["grid"]) or grid.shape != sample["grid"].shape:
            raise RasterReadError(
                f"{str(path)!r} does not cover the patch {record.patch_id} "
                f"({sample['grid'].bounds}); extract Reference_Maps.tar.gz again"
            )
        codes, _ = read_raster_chip(path, [1], count=1)
        sample["mask"] = clc_mask(codes[0], str(path))
        return sample
