"""``RasterSource``: an indexed collection of raster files, read on any query grid.

A source indexes files (a folder, a glob, a list) once — the headers are saved beside the data and
reused while the files are unchanged (:mod:`eoforge.data.raster_index`) — and answers two
questions: *which items touch this area and time* (:meth:`RasterSource.query`, through a
:class:`~eoforge.data.footprint_index.FootprintIndex`) and *what are the pixels on this grid*
(:meth:`RasterSource.read`, a :class:`~eoforge.data.mosaic_reader.MosaicReader` mosaic of every
item touching the grid through :func:`eoforge.io.read_window`, first valid pixel wins).

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> from eoforge.geo import GridSpec
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> profile = dict(driver="GTiff", width=4, height=4, count=2, dtype="uint16",
    ...                crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 40))
    >>> with rasterio.open(folder / "scene.tif", "w", **profile) as ds:
    ...     ds.write(np.arange(32, dtype="uint16").reshape(2, 4, 4))
    >>> src = RasterSource(folder, bands=["B04", "B08"])
    >>> src.bands, src.crs, src.res, len(src)
    (['B04', 'B08'], 'EPSG:32633', (10.0, 10.0), 1)
    >>> image, valid = src.read(GridSpec.from_bounds(src.bounds, 20), bands=["B08"])
    >>> image.shape, bool(valid.all())
    ((1, 2, 2), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely

from eoforge.data.footprint_index import FootprintIndex
from eoforge.data.item_builder import ItemOptions, build_items
from eoforge.data.mosaic_reader import MosaicReader
from eoforge.data.raster_files import PathsLike, find_raster_files, path_spec
from eoforge.data.raster_index import build_index
from eoforge.data.raster_item import RasterItem
from eoforge.errors import BandNotFoundError, NoFilesError, QueryOutsideError
from eoforge.geo import BBox, CRSLike, GridSpec, TimeRange, crs_key

__all__ = ["RasterSource"]

Kind = Literal["image", "mask"]
_DEFAULT_RESAMPLING = {"image": "bilinear", "mask": "nearest"}


class RasterSource:
    r"""An indexed collection of raster files with named bands.

    Args:
        paths: files, folders (searched recursively), globs, or a list of them.
        bands: band names — a selection/order of the files' band descriptions or band-file
            names, or one name per band of the files. Default: the descriptions, else
            ``B1``…``Bn`` (with ``band_pattern``: every band found, in the sensor's order).
        kind: ``"image"`` (resampled bilinearly) or ``"mask"`` (nearest neighbour).
        band_pattern: a regex with a named group ``band`` (e.g.
            ``r"_(?P<band>B\d[\dA])\.tif$"``): files whose names differ only in that group form
            one item.
        date_pattern: a regex with a ``date`` group (or ``year``/``month``/``day``…) giving each
            item's time (see :mod:`eoforge.data.scene_time`); else the ``TIFFTAG_DATETIME`` tag.
        nodata: a nodata value to use instead of (or in addition to) the files' own.
        resampling: override the resampling method of ``kind``.
        cache_dir: where to save the index when the data folder is not writable.
        crs: the index CRS (footprints, ``res``, ``bounds``); default: the first file's.
        skip_invalid: skip unreadable files (and incomplete band groups) with a warning instead
            of raising.

    Raises:
        NoFilesError: nothing matches ``paths``.
        RasterReadError: a file is corrupt (unless ``skip_invalid``).
        MissingCRSError: a file has no CRS (unless ``skip_invalid``).
        BandNotFoundError: requested bands are missing, or files disagree on their bands.

    Example:
        >>> RasterSource("/nonexistent/*.tif")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: no raster files match '*.tif' in /nonexistent; ...
    """

    def __init__(
        self,
        paths: PathsLike,
        *,
        bands: Sequence[str] | None = None,
        kind: Kind = "image",
        band_pattern: str | None = None,
        date_pattern: str | None = None,
        nodata: float | None = None,
        resampling: str | None = None,
        cache_dir: Path | None = None,
        crs: CRSLike | None = None,
        skip_invalid: bool = False,
    ) -> None:
        files = find_raster_files(paths, band_pattern)
        index_crs = None if crs is None else crs_key(crs)
        params = {"paths": path_spec(paths), "band_pattern": band_pattern}
        index = build_index(files, params=params, crs=index_crs, cache_dir=cache_dir)
        options = ItemOptions(
            bands=None if bands is None else tuple(bands),
            band_pattern=band_pattern,
            date_pattern=date_pattern,
            nodata=nodata,
            skip_invalid=skip_invalid,
        )
        items, names = build_items(index.records, index.crs, options)
        if not items:
            raise NoFilesError(
                f"none of the {len(files)} files under {path_spec(paths)[0]} could be used; "
                "see the warnings above for each file"
            )
        self.index_path: Path | None = index.location
        """Where the file index was saved (``None`` if it could not be)."""
        self._setup(items, names, index.crs, kind, resampling, nodata)

    @classmethod
    def from_items(
        cls,
        items: Sequence[RasterItem],
        *,
        bands: Sequence[str] | None = None,
        crs: CRSLike | None = None,
        kind: Kind = "image",
        resampling: str | None = None,
        nodata: float | None = None,
    ) -> RasterSource:
        """A source over ready-made items (e.g. from a catalogue), without indexing files.

        Args:
            items: the items, in priority order (the first valid pixel wins in reads).
            bands: the source's band names (default: the first item's); every item needs them.
            crs: the index CRS (default: the first item's footprint CRS); footprints in other
                CRSs are reprojected.
            kind: ``"image"`` or ``"mask"``.
            resampling: override the resampling of ``kind``.
            nodata: a nodata value to use in addition to the files' own.

        Raises:
            NoFilesError: when ``items`` is empty.
            BandNotFoundError: when an item lacks one of ``bands``.

        Example:
            >>> from eoforge.data.raster_item import BandRef, RasterItem
            >>> g = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), 10)
            >>> item = RasterItem("a", g.bounds, g.crs, ("B1",), (BandRef("a.tif", 1, g, "uint8"),))
            >>> src = RasterSource.from_items([item])
            >>> [i.id for i in src.query(BBox(50, 50, 60, 60, "EPSG:32633"))]
            ['a']
        """
        if not items:
            raise NoFilesError("no items given; pass at least one RasterItem")
        names = list(bands) if bands is not None else list(items[0].bands)
        key = crs_key(crs) if crs is not None else items[0].footprint.crs
        moved = []
        for item in items:
            missing = [b for b in names if b not in item.bands]
            if missing:
                raise BandNotFoundError(
                    f"item {item.id} has no band(s) {missing}; it has {', '.join(item.bands)}. "
                    "Select bands that every item has with bands=[…]"
                )
            if item.footprint.crs != key:
                item = replace(item, footprint=item.native_bounds.to_crs(key))
            moved.append(item)
        source = cls.__new__(cls)
        source.index_path = None
        source._setup(moved, names, key, kind, resampling, nodata)
        return source

    def _setup(
        self,
        items: list[RasterItem],
        names: list[str],
        crs: str,
        kind: Kind,
        resampling: str | None,
        nodata: float | None,
    ) -> None:
        if kind not in _DEFAULT_RESAMPLING:
            raise ValueError(f"kind={kind!r} is not valid; use 'image' or 'mask'")
        self.items: list[RasterItem] = items
        """The indexed items, in index order (sorted file paths)."""
        self.bands: list[str] = list(names)
        """The band names, in read order."""
        self.crs: str = crs
        """The index CRS: footprints, :attr:`bounds` and :attr:`res` are in it."""
        self.kind: Kind = kind
        self.resampling: str = resampling or _DEFAULT_RESAMPLING[kind]
        """The resampling of files not aligned with a query grid."""
        self._index = FootprintIndex([i.footprint for i in items], crs, [i.time for i in items])
        self._reader = MosaicReader(items, names, self.resampling, nodata)
        self.dtypes: dict[str, np.dtype[Any]] = self._reader.dtypes
        """The numpy dtype of each band (the common type where files differ)."""
        self.nodata: float | None = self._reader.nodata
        """The files' nodata value (when they agree) or the one given: the fill of reads."""
        self.bounds: BBox = self._index.bounds
        """The box around every item's footprint, in the index CRS."""
        self.res: tuple[float, float] = _finest_res(items, crs)
        """The finest native pixel size, in index CRS units (estimated for other CRSs)."""

    # ------------------------------------------------------------------ properties
    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"RasterSource({len(self)} items, bands={self.bands}, crs={self.crs!r}, "
            f"res={self.res}, kind={self.kind!r})"
        )

    @property
    def crss(self) -> set[str]:
        """The native CRSs of the files."""
        return {item.crs for item in self.items}

    # ------------------------------------------------------------------ query and read
    def query(self, bbox: BBox, time: TimeRange | None = None) -> list[RasterItem]:
        """The items whose footprint overlaps ``bbox`` (and whose time meets ``time``), in order.

        Items without a time match every ``time``. Touching edges do not count as overlap.

        Args:
            bbox: the area, in any CRS (reprojected to the index CRS).
            time: keep only items whose time intersects this range.

        Example:
            >>> from eoforge.data.raster_item import BandRef, RasterItem
            >>> g = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), 10)
            >>> a = RasterItem("a", g.bounds, g.crs, ("B1",), (BandRef("a.tif", 1, g, "uint8"),),
            ...                time=TimeRange("2020-06-01"))
            >>> src = RasterSource.from_items([a])
            >>> len(src.query(g.bounds, TimeRange("2020-01-01", "2020-12-31")))
            1
            >>> len(src.query(g.bounds, TimeRange("2021-01-01", "2021-12-31")))
            0
        """
        return [self.items[i] for i in self._index.hits(bbox, time)]

    def read(
        self,
        grid: GridSpec,
        bands: Sequence[str] | None = None,
        time: TimeRange | None = None,
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Mosaic every item touching ``grid`` onto it.

        Items are read in index order; each output pixel takes the first valid value (a pixel is
        valid in an item when each of its band files has data there). Bands at another
        resolution or CRS are resampled with :attr:`resampling`. Each file is read with one
        :func:`eoforge.io.read_window` call for all its requested bands.

        Args:
            grid: the query grid (any CRS and resolution).
            bands: band names to read, in output order (default: all).
            time: only items whose time meets this range.

        Returns:
            ``(array, valid)``: ``(C, H, W)`` in the bands' common dtype, filled with
            :attr:`nodata` (or 0) where no item has data, and the ``(H, W)`` bool valid mask.

        Raises:
            BandNotFoundError: a band name is not in the source.
            QueryOutsideError: no item touches ``grid``.

        Example:
            >>> import tempfile, pathlib, rasterio
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
            >>> g = GridSpec.from_bounds(BBox(0, 0, 30, 20, "EPSG:32633"), 10)
            >>> with rasterio.open(path, "w", driver="GTiff", width=3, height=2, count=1,
            ...                    dtype="uint8", crs=g.crs, transform=g.transform) as ds:
            ...     ds.write(np.arange(6, dtype="uint8").reshape(1, 2, 3))
            >>> image, valid = RasterSource(path).read(g.subgrid(0, 1, 2, 2))
            >>> image.tolist(), valid.all()
            ([[[1, 2], [4, 5]]], np.True_)
        """
        self._reader.plan(bands)  # unknown bands fail before the query
        hits = self._index.grid_hits(grid, time)
        if not hits:
            when = "" if time is None else f" at {time.start:%Y-%m-%d}…{time.end:%Y-%m-%d}"
            raise QueryOutsideError(
                f"the query {grid.bounds} touches none of the {len(self)} items of this source"
                f"{when}; the source covers {self.bounds}. Query inside those bounds"
            )
        return self._reader.read(hits, grid, bands)

    def valid_fraction(self, grid: GridSpec, time: TimeRange | None = None) -> float:
        """A cheap estimate of the share of ``grid``'s pixels that hold data.

        The footprint coverage when no file marks invalid pixels (nodata, mask); otherwise the
        valid share of the first band alone: a plain windowed read when the files are aligned
        with ``grid`` (about a band's share of the cost of :meth:`read`), else a decimated read
        on at most 32 x 32 pixels.

        Example:
            >>> from eoforge.data.raster_item import BandRef, RasterItem
            >>> g = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), 10)
            >>> a = RasterItem("a", g.bounds, g.crs, ("B1",), (BandRef("a.tif", 1, g, "uint8"),))
            >>> RasterSource.from_items([a]).valid_fraction(g.subgrid(5, 5, 10, 10))
            0.25
        """
        hits = self._index.grid_hits(grid, time)
        if not hits:
            return 0.0
        items = [self.items[i] for i in hits]
        if self._reader.nodata_override is None and not any(item.masked for item in items):
            return _footprint_share(grid, items, self.crs)
        return self._reader.valid_share(hits, grid)

    # ------------------------------------------------------------------ union
    def __or__(self, other: RasterSource) -> RasterSource:
        """The union of two sources with the same bands (a mosaic across tiles and CRSs).

        Items of ``self`` come first (they win where both have data); the result's index CRS,
        band order, kind and resampling are ``self``'s.

        Raises:
            BandNotFoundError: when the sources have different bands.

        Example:
            >>> from eoforge.data.raster_item import BandRef, RasterItem
            >>> g = GridSpec.from_bounds(BBox(0, 0, 100, 100, "EPSG:32633"), 10)
            >>> h = GridSpec.from_bounds(BBox(500000, 0, 500100, 100, "EPSG:32632"), 10)
            >>> a = RasterItem("a", g.bounds, g.crs, ("B1",), (BandRef("a.tif", 1, g, "uint8"),))
            >>> b = RasterItem("b", h.bounds, h.crs, ("B1",), (BandRef("b.tif", 1, h, "uint8"),))
            >>> both = RasterSource.from_items([a]) | RasterSource.from_items([b])
            >>> len(both), sorted(both.crss), both.crs
            (2, ['EPSG:32632', 'EPSG:32633'], 'EPSG:32633')
        """
        if not isinstance(other, RasterSource):
            return NotImplemented
        if set(other.bands) != set(self.bands):
            raise BandNotFoundError(
                f"cannot unite sources with bands {self.bands} and {other.bands}; select the "
                "same bands on both with bands=[…]"
            )
        return RasterSource.from_items(
            self.items + other.items,
            bands=self.bands,
            crs=self.crs,
            kind=self.kind,
            resampling=self.resampling,
            nodata=self._reader.nodata_override,
        )


def _finest_res(items: Sequence[RasterItem], crs: str) -> tuple[float, float]:
    xs, ys = [], []
    for item in items:
        for ref in item.refs:
            if ref.grid.crs == crs:
                xres, yres = ref.grid.res
            else:  # estimated from the footprint in the index CRS
                xres = item.footprint.width / ref.grid.width
                yres = item.footprint.height / ref.grid.height
            xs.append(xres)
            ys.append(yres)
    return (min(xs), min(ys))


def _footprint_share(grid: GridSpec, items: Sequence[RasterItem], crs: str) -> float:
    target = grid.bounds
    if grid.crs == crs:
        boxes = [item.footprint for item in items]
    else:
        boxes = [item.native_bounds.to_crs(grid.crs) for item in items]
    covered = shapely.union_all([b.to_polygon() for b in boxes])
    area = float(covered.intersection(target.to_polygon()).area)
    return min(1.0, area / target.area)
