"""``RasterItem``: one indexed scene of a :class:`~eoforge.data.raster_source.RasterSource`.

An item is one file holding all bands, or — with a ``band_pattern`` — a group of one-band files that
differ only in the band name (Sentinel-2 SAFE / BigEarthNet style). It is a small, frozen, picklable
value: where each band lives (file, 1-based band index, native grid, dtype), the footprint in the
source's index CRS, the native CRS, the acquisition time and the nodata value.

Example:
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), res=10)
    >>> item = RasterItem(
    ...     id="scene",
    ...     footprint=grid.bounds,
    ...     crs=grid.crs,
    ...     bands=("B02", "B03"),
    ...     refs=(BandRef("scene.tif", 1, grid, "uint16"), BandRef("scene.tif", 2, grid, "uint16")),
    ...     time=None,
    ...     nodata=0.0,
    ... )
    >>> item.band("B03").index
    2
    >>> item.file_groups(["B03", "B02"])
    [FileGroup(path='scene.tif', indexes=(2, 1), positions=(0, 1))]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eoforge.errors import BandNotFoundError
from eoforge.geo import BBox, GridSpec, TimeRange

__all__ = ["BandRef", "FileGroup", "RasterItem"]


@dataclass(frozen=True, slots=True)
class BandRef:
    """Where one band of an item lives.

    Attributes:
        path: the file (absolute path as a string).
        index: the 1-based band index inside the file.
        grid: the file's native grid.
        dtype: the band's numpy dtype name.

    Example:
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 20, 20), 10, crs=32633)
        >>> BandRef("a.tif", 1, g, "uint16").grid.shape
        (2, 2)
    """

    path: str
    index: int
    grid: GridSpec
    dtype: str


@dataclass(frozen=True, slots=True)
class FileGroup:
    """Requested bands that live in one file: read them with one call.

    Attributes:
        path: the file.
        indexes: 1-based band indexes in the file, in request order.
        positions: where each of those bands goes in the requested band list.

    Example:
        >>> FileGroup("a.tif", (3, 1), (0, 1)).indexes
        (3, 1)
    """

    path: str
    indexes: tuple[int, ...]
    positions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RasterItem:
    """One indexed scene: all its bands, where they live, where and when it was taken.

    Attributes:
        id: a readable identifier (the file name; for band groups, the name without the band).
        footprint: bounds in the index CRS of the source.
        crs: the native CRS of the files.
        bands: band names, in the source's band order.
        refs: one :class:`BandRef` per band, matching ``bands``.
        time: the acquisition time (a day, an instant…) or ``None`` when unknown.
        nodata: the nodata value of the files (or the one given to the source), or ``None``.
        masked: True when a file marks invalid pixels (nodata value, internal mask or alpha).

    Example:
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 20, 20), 10, crs=32633)
        >>> it = RasterItem("x", g.bounds, g.crs, ("B1",), (BandRef("x.tif", 1, g, "uint8"),))
        >>> it.paths
        ('x.tif',)
    """

    id: str
    footprint: BBox
    crs: str
    bands: tuple[str, ...]
    refs: tuple[BandRef, ...]
    time: TimeRange | None = None
    nodata: float | None = None
    masked: bool = False

    def band(self, name: str) -> BandRef:
        """The :class:`BandRef` of a band name.

        Raises:
            BandNotFoundError: when the item has no such band (the message lists what exists).

        Example:
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 20, 20), 10, crs=32633)
            >>> it = RasterItem("x", g.bounds, g.crs, ("B1",), (BandRef("x.tif", 1, g, "uint8"),))
            >>> it.band("B1").path
            'x.tif'
        """
        try:
            return self.refs[self.bands.index(name)]
        except ValueError:
            raise BandNotFoundError(
                f"band {name!r} is not in {self.id}; it has {', '.join(self.bands)}"
            ) from None

    @property
    def paths(self) -> tuple[str, ...]:
        """The distinct files of the item, in band order."""
        return tuple(dict.fromkeys(ref.path for ref in self.refs))

    @property
    def native_bounds(self) -> BBox:
        """The bounds of the item in its native CRS (the union of its bands' grids)."""
        boxes = [ref.grid.bounds for ref in self.refs]
        out = boxes[0]
        for box in boxes[1:]:
            out = out.union(box)
        return out

    def file_groups(self, names: Sequence[str]) -> list[FileGroup]:
        """Group requested band names by file, so that each file is read with one call.

        Args:
            names: band names, in the order of the output array.

        Raises:
            BandNotFoundError: when a name is not a band of the item.

        Example:
            >>> from eoforge.geo import GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 20, 20), 10, crs=32633)
            >>> refs = (BandRef("a.tif", 1, g, "uint8"), BandRef("b.tif", 1, g, "uint8"))
            >>> it = RasterItem("x", g.bounds, g.crs, ("A", "B"), refs)
            >>> [grp.path for grp in it.file_groups(["B", "A"])]
            ['b.tif', 'a.tif']
        """
        groups: dict[str, tuple[list[int], list[int]]] = {}
        for pos, name in enumerate(names):
            ref = self.band(name)
            indexes, positions = groups.setdefault(ref.path, ([], []))
            indexes.append(ref.index)
            positions.append(pos)
        return [FileGroup(path, tuple(ix), tuple(ps)) for path, (ix, ps) in groups.items()]
