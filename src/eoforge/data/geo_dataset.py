"""``GeoDataset``: image (+ mask / target) sources stacked on one target grid, indexed by queries.

A query is a :class:`~eoforge.geo.GridSpec` — *which pixels, in which CRS, at which resolution* —
or a :class:`~eoforge.geo.BBox` snapped to the dataset's :attr:`GeoDataset.grid`. Samplers
(:mod:`eoforge.data.samplers`) draw such queries from :attr:`GeoDataset.footprints`.

Example:
    >>> import tempfile, numpy as np, rasterio
    >>> from affine import Affine
    >>> from eoforge.data import RasterSource
    >>> path = tempfile.mkdtemp() + "/scene.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=3,
    ...                    dtype="uint16", crs="EPSG:32633",
    ...                    transform=Affine(10, 0, 500000, 0, -10, 4000000)) as dst:
    ...     dst.write(np.arange(3 * 64 * 64, dtype="uint16").reshape(3, 64, 64))
    >>> ds = GeoDataset(RasterSource(path))
    >>> sample = ds[ds.grid.subgrid(0, 0, 32, 32)]
    >>> sample["image"].shape, sample["image"].dtype, sample["bands"]
    (torch.Size([3, 32, 32]), torch.float32, ['B1', 'B2', 'B3'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from eoforge.data.dataset_extent import clipped_footprints, shared_bounds
from eoforge.data.raster_source import RasterSource
from eoforge.data.source_arrays import LabelSource, mask_array, read_or_none, target_array
from eoforge.data.target_grid import common_crs, finest_res, phase_grid
from eoforge.data.vector_source import VectorSource
from eoforge.errors import (
    EoforgeError,
    InvalidGridError,
    QueryOutsideError,
)
from eoforge.geo import BBox, CRSLike, GridSpec, TimeRange, crs_key
from eoforge.io.read_pool import parallel_map, stream_map

__all__ = ["GeoDataset"]

Sample = dict[str, Any]
Query = GridSpec | BBox


def _res_pair(res: float | tuple[float, float]) -> tuple[float, float]:
    xres, yres = (res, res) if isinstance(res, int | float) else res
    if not all(math.isfinite(float(v)) and float(v) > 0 for v in (xres, yres)):
        raise InvalidGridError(f"res={res!r} is not valid; give a positive pixel size, e.g. res=10")
    return (float(xres), float(yres))


class GeoDataset(Dataset[Sample]):
    """Image sources (bands stacked in order) plus an optional mask or target, read on queries.

    The target grid is fixed once, at construction:

    - **crs**: ``crs`` if given, else the one CRS all raster sources' files share
      (:class:`~eoforge.errors.CRSMismatchError` when they span several — then pass ``crs=``; files
      in other CRSs are reprojected on read, only those). Vector layers are always reprojected and
      do not take part in this choice.
    - **res**: ``res`` if given, else the finest native resolution of the image files in that CRS
      (estimated by reprojection when no image file is in it).
    - **pixel phase**: the origin of the first image file whose native grid is in that CRS at that
      resolution, so that queries on :attr:`grid` read that file without resampling.
    - **bounds**: the intersection of the raster sources' bounds. A vector layer must overlap them
      but does not clip them: it covers the whole plane (where it has no shape, the mask is 0).

    Args:
        image: one :class:`RasterSource` or several, whose bands are stacked in order
            (e.g. S2 + S1).
        mask: a class layer — ``RasterSource(kind="mask")`` (one band) or a :class:`VectorSource`;
            read as ``int64`` ``(H, W)``; where it has no data, its nodata value (e.g. an ignore
            index such as 255) or 0 when it has none.
        target: a regression layer (:class:`RasterSource` or :class:`VectorSource`), read as
            ``float32``: ``(H, W)`` for one band, ``(C, H, W)`` for several; NaN where it has
            no data.
        crs: the target CRS (anything :func:`~eoforge.geo.crs_key` accepts).
        res: the target pixel size, one number or ``(xres, yres)``, in ``crs`` units.
        transforms: an optional callable applied to every sample dict, returning a sample dict.
        time: read only the items of the raster sources whose time meets this range (items
            without a time always count); ``None`` reads every item.

    Raises:
        CRSMismatchError: if the raster files span several CRSs and ``crs`` is not given.
        NoOverlapError: if the sources' bounds share no area.
        EoforgeError: if two image sources give bands the same name, or a mask has several bands.

    Example:
        >>> import tempfile, numpy as np, rasterio
        >>> from affine import Affine
        >>> from eoforge.data import RasterSource
        >>> path = tempfile.mkdtemp() + "/dem.tif"
        >>> with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1,
        ...                    dtype="float32", crs="EPSG:32633",
        ...                    transform=Affine(30, 0, 0, 0, -30, 240)) as dst:
        ...     dst.write(np.ones((1, 8, 8), "float32"))
        >>> ds = GeoDataset(RasterSource(path, bands=["DEM"]))
        >>> ds.crs, ds.res, ds.grid.shape
        ('EPSG:32633', (30.0, 30.0), (8, 8))
    """

    def __init__(
        self,
        image: RasterSource | Sequence[RasterSource],
        mask: LabelSource | None = None,
        target: LabelSource | None = None,
        *,
        crs: CRSLike | None = None,
        res: float | tuple[float, float] | None = None,
        transforms: Callable[[Sample], Sample] | None = None,
        time: TimeRange | None = None,
    ) -> None:
        given: Sequence[Any] = image if isinstance(image, list | tuple) else [image]
        self.images: tuple[RasterSource, ...] = tuple(given)
        if not self.images:
            raise EoforgeError("GeoDataset needs at least one image source; got an empty list")
        for src in self.images:
            if not isinstance(src, RasterSource):
                raise EoforgeError(
                    f"image sources must be RasterSource objects, not {type(src).__name__}; "
                    "wrap the files with RasterSource(paths) (vector layers go in mask= or target=)"
                )
        self.mask = mask
        self.target = target
        self.transforms = transforms
        self.time = time
        self.bands: list[str] = [band for src in self.images for band in src.bands]
        self._check_bands()
        rasters = [s for s in self.sources if isinstance(s, RasterSource)]
        self.crs: str = crs_key(crs) if crs is not None else common_crs(rasters)
        self.res: tuple[float, float] = (
            _res_pair(res) if res is not None else finest_res(self.images, self.crs)
        )
        self.bounds: BBox = shared_bounds(self.sources, self.crs, self._role)
        self.grid: GridSpec = phase_grid(self.images, self.crs, self.res, self.bounds)
        self.footprints: list[BBox] = clipped_footprints(self.images[0], self.bounds, self.time)
        self._boxes = np.array([tuple(b) for b in self.footprints], dtype=np.float64).reshape(-1, 4)

    # ------------------------------------------------------------------ construction helpers
    def _check_bands(self) -> None:
        seen: set[str] = set()
        for band in self.bands:
            if band in seen:
                raise EoforgeError(
                    f"band name {band!r} appears in several image sources ({self.bands}); name "
                    "them apart, e.g. RasterSource(..., bands=['S1_VV', 'S1_VH'])"
                )
            seen.add(band)
        if isinstance(self.mask, RasterSource) and len(self.mask.bands) != 1:
            raise EoforgeError(
                f"the mask source has {len(self.mask.bands)} bands ({self.mask.bands}); a mask "
                "holds one band of class codes — pick it with RasterSource(..., bands=[<name>])"
            )

    @property
    def sources(self) -> list[RasterSource | VectorSource]:
        """Every source of the dataset: the image sources, then the mask and target if any."""
        extra = [s for s in (self.mask, self.target) if s is not None]
        return [*self.images, *extra]

    def _role(self, src: RasterSource | VectorSource) -> str:
        return "mask" if src is self.mask else "target" if src is self.target else "image"

    # ------------------------------------------------------------------ queries
    def _as_grid(self, query: Query) -> GridSpec:
        if isinstance(query, GridSpec):
            return query
        if isinstance(query, BBox):
            return self.grid.snap(query)
        raise EoforgeError(
            f"GeoDataset is indexed by a GridSpec or BBox query, not {type(query).__name__} "
            f"({query!r}); draw queries with a sampler, e.g. RandomPatchSampler(ds, size=256, "
            "length=1000), or use ds.grid.subgrid(row, col, height, width)"
        )

    def _touches(self, grid: GridSpec) -> bool:
        box = grid.bounds if grid.crs == self.crs else grid.bounds.to_crs(self.crs)
        b = self._boxes
        hits = (
            (b[:, 0] < box.maxx)
            & (box.minx < b[:, 2])
            & (b[:, 1] < box.maxy)
            & (box.miny < b[:, 3])
        )
        return bool(hits.any())

    def _read_image(self, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
        if len(self.images) == 1:  # the fast path: one read, one dtype conversion
            read = read_or_none(self.images[0], grid, self.time)
            if read is not None:
                return read[0].astype(np.float32, copy=False), read[1]
        image = np.empty((len(self.bands), grid.height, grid.width), dtype=np.float32)
        valid = np.ones(grid.shape, dtype=bool)
        start = 0
        for src in self.images:
            stop = start + len(src.bands)
            read = read_or_none(src, grid, self.time)
            if read is None:
                image[start:stop] = src.nodata if src.nodata is not None else 0
                valid[:] = False
            else:
                image[start:stop] = read[0]
                valid &= read[1]
            start = stop
        return image, valid

    def __getitem__(self, query: Query) -> Sample:
        """Read the sample of one query.

        Args:
            query: a :class:`GridSpec` (in any CRS and resolution — read as asked), or a
                :class:`BBox` (snapped to :attr:`grid`).

        Returns:
            ``{"image": float32 (C, H, W), "valid": bool (H, W), "grid": GridSpec,
            "bands": list[str]}`` plus ``"mask"`` (int64 (H, W)) and/or ``"target"`` (float32)
            when the dataset has them — then passed through ``transforms``.

        Raises:
            QueryOutsideError: if the query touches no footprint (the message gives both bounds).
        """
        sample = self._read_sample(query)
        return sample if self.transforms is None else self.transforms(sample)

    def __getitems__(self, queries: Sequence[Query]) -> list[Sample]:
        """Read the samples of several queries side by side (``DataLoader`` batches call it).

        The reads run on eoforge's read pool (:mod:`eoforge.io.read_pool`: all cores in a main
        process, one thread in a DataLoader worker); ``transforms`` then run in order on the
        calling thread, so that random augmentations stay reproducible.

        Example:
            >>> import tempfile, numpy as np, rasterio
            >>> from affine import Affine
            >>> from eoforge.data import RasterSource
            >>> path = tempfile.mkdtemp() + "/scene.tif"
            >>> with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1,
            ...                    dtype="uint8", crs="EPSG:32633",
            ...                    transform=Affine(10, 0, 500000, 0, -10, 4000000)) as dst:
            ...     dst.write(np.arange(64 * 64, dtype="uint8").reshape(1, 64, 64))
            >>> ds = GeoDataset(RasterSource(path))
            >>> queries = [ds.grid.subgrid(0, 0, 8, 8), ds.grid.subgrid(8, 8, 8, 8)]
            >>> [s["image"].shape for s in ds.__getitems__(queries)]
            [torch.Size([1, 8, 8]), torch.Size([1, 8, 8])]
        """
        samples = parallel_map(self._read_sample, list(queries))
        if self.transforms is None:
            return samples
        return [self.transforms(sample) for sample in samples]

    def stream(self, queries: Iterable[Query], *, ahead: int | None = None) -> Iterator[Sample]:
        """The samples of ``queries``, in order, read ahead on the read pool.

        For loops over many queries in one process (exporting patches, custom loops): while one
        sample is used, the next ones are being read. ``transforms`` run in order on the caller.

        Example:
            >>> import tempfile, numpy as np, rasterio
            >>> from affine import Affine
            >>> from eoforge.data import RandomPatchSampler, RasterSource
            >>> path = tempfile.mkdtemp() + "/scene.tif"
            >>> with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1,
            ...                    dtype="uint8", crs="EPSG:32633",
            ...                    transform=Affine(10, 0, 500000, 0, -10, 4000000)) as dst:
            ...     dst.write(np.ones((1, 64, 64), "uint8"))
            >>> ds = GeoDataset(RasterSource(path))
            >>> sum(s["image"].sum() for s in ds.stream(RandomPatchSampler(ds, 8, length=4)))
            tensor(256.)
        """
        for sample in stream_map(self._read_sample, queries, ahead):
            yield sample if self.transforms is None else self.transforms(sample)

    def _read_sample(self, query: Query) -> Sample:
        """The sample of one query, before ``transforms``."""
        grid = self._as_grid(query)
        if not self._touches(grid):
            raise QueryOutsideError(
                f"query {grid.bounds} touches none of the {len(self.footprints)} footprints of "
                f"the dataset (bounds {self.bounds}); draw queries inside ds.footprints, "
                "e.g. with a sampler"
            )
        image, valid = self._read_image(grid)
        sample: Sample = {
            "image": torch.from_numpy(image),
            "valid": torch.from_numpy(valid),
            "grid": grid,
            "bands": list(self.bands),
        }
        if self.mask is not None:
            sample["mask"] = torch.from_numpy(mask_array(self.mask, grid, self.time))
        if self.target is not None:
            sample["target"] = torch.from_numpy(target_array(self.target, grid, self.time))
        return sample

    def valid_fraction(self, query: Query) -> float:
        """The estimated share of the query's pixels that are valid in every image source.

        Cheap (footprints and low-resolution masks, delegated to the sources): samplers call it
        to reject mostly empty patches. 0.0 when the query touches no footprint.

        Example:
            >>> import tempfile, numpy as np, rasterio
            >>> from affine import Affine
            >>> from eoforge.data import RasterSource
            >>> path = tempfile.mkdtemp() + "/a.tif"
            >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1,
            ...                    dtype="uint8", crs="EPSG:32633",
            ...                    transform=Affine(1, 0, 0, 0, -1, 4)) as dst:
            ...     dst.write(np.ones((1, 4, 4), "uint8"))
            >>> ds = GeoDataset(RasterSource(path))
            >>> ds.valid_fraction(ds.grid)
            1.0
        """
        grid = self._as_grid(query)
        if not self._touches(grid):
            return 0.0
        return min(float(src.valid_fraction(grid, self.time)) for src in self.images)

    def plot(
        self,
        sample: Sample,
        bands: Sequence[str] | None = None,
        *,
        title: str | None = None,
    ) -> Any:
        """Draw a sample: its image as RGB (or grey) and its mask / target beside it.

        Args:
            sample: a sample of this dataset (before or after transforms that keep the keys).
            bands: the three bands shown as red, green, blue; by default ``B04, B03, B02`` when
                present, else ``R, G, B``, else the first three (or the first one, in grey).
            title: a title for the figure; by default the sample's bounds.

        Returns:
            A ``matplotlib.figure.Figure`` (needs matplotlib: ``pip install matplotlib``).

        Example:
            >>> import tempfile, numpy as np, rasterio
            >>> from affine import Affine
            >>> from eoforge.data import RasterSource
            >>> path = tempfile.mkdtemp() + "/rgb.tif"
            >>> with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=3,
            ...                    dtype="uint8", crs="EPSG:32633",
            ...                    transform=Affine(1, 0, 0, 0, -1, 8)) as dst:
            ...     dst.write(np.arange(192, dtype="uint8").reshape(3, 8, 8))
            >>> ds = GeoDataset(RasterSource(path, bands=["R", "G", "B"]))
            >>> ds.plot(ds[ds.grid]).axes[0].get_title()
            'R, G, B'
        """
        from eoforge.data.sample_plot import plot_sample

        return plot_sample(sample, bands=bands, title=title)

    def __repr__(self) -> str:
        def short(names: list[str]) -> str:
            return ", ".join(names) if len(names) <= 8 else ", ".join([*names[:6], "…", names[-1]])

        lines = [
            f"GeoDataset: {len(self.bands)} bands [{short(self.bands)}] from "
            f"{len(self.images)} image source(s)",
            f"  crs {self.crs}, res {self.res}, grid {self.grid.height} x {self.grid.width} px",
            f"  bounds {self.bounds}",
            f"  {len(self.footprints)} footprint(s)",
        ]
        for name, src in (("mask", self.mask), ("target", self.target)):
            if src is not None:
                lines.append(f"  {name}: {src!r}")
        return "\n".join(lines)
