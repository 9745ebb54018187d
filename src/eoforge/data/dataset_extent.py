"""Where a stack of sources has data: the area they share, and the image files' footprints in it.

A :class:`~eoforge.data.GeoDataset` covers the intersection of its raster sources (a vector
layer covers the whole plane: it only has to touch that area), in the dataset's CRS; its
footprints are those of the first image source's files, clipped to that area and to the
dataset's time range. Sources that share no area, or a time range no file falls in, are
explained by naming the sources and their bounds.

Example:
    >>> import tempfile, numpy as np, rasterio
    >>> from affine import Affine
    >>> from eoforge.data import RasterSource
    >>> path = tempfile.mkdtemp() + "/a.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1,
    ...                    dtype="uint8", crs="EPSG:32633",
    ...                    transform=Affine(10, 0, 0, 0, -10, 40)) as dst:
    ...     dst.write(np.ones((1, 4, 4), "uint8"))
    >>> src = RasterSource(path)
    >>> box = shared_bounds([src], "EPSG:32633", lambda s: "image")
    >>> tuple(box), len(clipped_footprints(src, box, None))
    ((0.0, 0.0, 40.0, 40.0), 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from eoforge.data.raster_source import RasterSource
from eoforge.data.vector_source import VectorSource
from eoforge.errors import NoOverlapError
from eoforge.geo import BBox, TimeRange

__all__ = ["clipped_footprints", "describe_source", "shared_bounds"]

Source = RasterSource | VectorSource


def describe_source(src: Source, role: str) -> str:
    """``role`` and the source's first files (for messages): ``"image a.tif, b.tif and 3 more"``."""
    if isinstance(src, VectorSource):
        return f"{role} {src.path.name}"
    names = [Path(item.refs[0].path).name for item in src.items[:2]]
    more = f" and {len(src.items) - 2} more" if len(src.items) > 2 else ""
    return f"{role} {', '.join(names)}{more}"


def shared_bounds(sources: Sequence[Source], crs: str, role: Callable[[Source], str]) -> BBox:
    """The area, in ``crs``, that every raster source covers and every vector source touches.

    Raises:
        NoOverlapError: two sources share no area (the message lists each source's bounds).
    """
    boxes = [(src, src.bounds.to_crs(crs)) for src in sources]
    shared: BBox | None = boxes[0][1]
    for src, box in boxes[1:]:
        if shared is None or not shared.intersects(box):
            shared = None
            break
        if isinstance(src, RasterSource):  # a vector layer covers the plane: no shape is 0
            shared = shared.intersection(box)
    if shared is None:
        listing = "; ".join(f"{describe_source(src, role(src))}: {box}" for src, box in boxes)
        raise NoOverlapError(
            f"the sources do not overlap anywhere in {crs} ({listing}); stack sources "
            "that cover a common area (and check the CRS of each)"
        )
    return shared


def clipped_footprints(images: RasterSource, bounds: BBox, time: TimeRange | None) -> list[BBox]:
    """The footprints of ``images``' files inside ``bounds`` (in its CRS) and ``time``.

    Raises:
        NoOverlapError: no file lies inside ``bounds`` at ``time``.
    """
    clipped = (
        item.native_bounds.to_crs(bounds.crs).intersection(bounds)
        for item in images.items
        if time is None or item.time is None or time.intersects(item.time)
    )
    boxes = [box for box in clipped if box is not None]
    if not boxes:
        raise NoOverlapError(
            f"no item of {describe_source(images, 'image')} lies inside {bounds} at "
            f"{time}; widen time= or check the files' dates"
        )
    return boxes
