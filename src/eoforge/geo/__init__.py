"""The vocabulary every eoforge module speaks: ``BBox``, ``GridSpec``, ``TimeRange`` and CRS keys.

``eoforge.geo`` imports no other eoforge module (``eoforge.errors`` aside).

Example:
    >>> from eoforge.geo import BBox, GridSpec
    >>> GridSpec.from_bounds(BBox(0, 0, 640, 640, "EPSG:32633"), res=10).shape
    (64, 64)
"""

from eoforge.geo.bbox import BBox
from eoforge.geo.crs import CRSLike, crs_key, rio_crs
from eoforge.geo.grid import GridSpec
from eoforge.geo.time_range import TimeLike, TimeRange, as_datetime

__all__ = [
    "BBox",
    "CRSLike",
    "GridSpec",
    "TimeLike",
    "TimeRange",
    "as_datetime",
    "crs_key",
    "rio_crs",
]
