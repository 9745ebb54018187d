"""``MosaicReader``: the pixels of several items on one grid, the first valid pixel winning.

Every file is read through :func:`eoforge.io.read_window` — one call per file for all the bands it
holds. When one file holds every requested band (the common case: one multi-band scene covering
an aligned patch), the read goes straight into a new output array with no extra copy. Otherwise
the output is allocated once, filled with the nodata value, and each item adds its valid pixels
where no earlier item had data; reading stops as soon as every pixel is valid.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from eoforge.data.raster_item import BandRef, RasterItem
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 20, 10, "EPSG:32633"), 10)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1, dtype="uint8",
    ...                    crs=grid.crs, transform=grid.transform, nodata=0) as ds:
    ...     ds.write(np.array([[[0, 9]]], "uint8"))
    >>> item = RasterItem("a", grid.bounds, grid.crs, ("B1",),
    ...                   (BandRef(str(path), 1, grid, "uint8"),), nodata=0.0, masked=True)
    >>> image, valid = MosaicReader([item], ["B1"], "nearest").read([0], grid)
    >>> image.tolist(), valid.tolist()
    ([[[0, 9]]], [[False, True]])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from affine import Affine

from eoforge.data.raster_item import FileGroup, RasterItem
from eoforge.errors import BandNotFoundError
from eoforge.geo import GridSpec
from eoforge.io import read_window

__all__ = ["MosaicReader", "ReadPlan"]

Array = np.ndarray[Any, Any]
_GROUP_CACHE_SIZE = 65536
_COARSE = 32  # valid_share reads at most this many pixels per side


class ReadPlan(NamedTuple):
    """A band request resolved: names, output dtype and fill value.

    Example:
        >>> ReadPlan(("B1",), np.dtype("uint8"), 0).fill
        0
    """

    names: tuple[str, ...]
    dtype: np.dtype[Any]
    fill: float


def _fits(fill: float, dtype: np.dtype[Any]) -> bool:
    if math.isnan(fill):
        return dtype.kind == "f"
    if dtype.kind in "iu":  # GDAL reports nodata as a float: 255.0 fits uint8
        info = np.iinfo(dtype)
        return float(fill).is_integer() and info.min <= fill <= info.max
    return bool(np.can_cast(np.min_scalar_type(fill), dtype))


class MosaicReader:
    """Reads band requests of a list of items onto query grids.

    Args:
        items: the items, in priority order.
        bands: the band names every item has.
        resampling: used for files not aligned with the query grid.
        nodata: a nodata value to honour on top of the files' own.

    Attributes:
        dtypes: the numpy dtype of each band (the common type where files differ).
        nodata: the fill value of reads: ``nodata`` if given, else the files' nodata when they
            all agree, else ``None`` (reads then fill with 0).

    Example:
        >>> from eoforge.data.raster_item import BandRef, RasterItem
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 20, 20), 10, crs=32633)
        >>> it = RasterItem("x", g.bounds, g.crs, ("B1",), (BandRef("x.tif", 1, g, "int16"),))
        >>> MosaicReader([it], ["B1"], "bilinear").plan(None)
        ReadPlan(names=('B1',), dtype=dtype('int16'), fill=0)
    """

    def __init__(
        self,
        items: Sequence[RasterItem],
        bands: Sequence[str],
        resampling: str,
        nodata: float | None = None,
    ) -> None:
        self.items = list(items)
        self.bands = tuple(bands)
        self.resampling = resampling
        self.nodata_override = nodata
        found: dict[str, set[str]] = {name: set() for name in self.bands}
        for item in self.items:
            for name, ref in zip(item.bands, item.refs, strict=True):
                if name in found:
                    found[name].add(ref.dtype)
        self.dtypes: dict[str, np.dtype[Any]] = {
            name: np.result_type(*sorted(kinds)) for name, kinds in found.items()
        }
        values = {item.nodata for item in self.items}
        agreed = values.pop() if len(values) == 1 else None
        self.nodata: float | None = nodata if nodata is not None else agreed
        self._plans: dict[tuple[str, ...] | None, ReadPlan] = {}
        self._groups: dict[tuple[int, tuple[str, ...]], list[FileGroup]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_plans": {}, "_groups": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------------ requests
    def plan(self, bands: Sequence[str] | None) -> ReadPlan:
        """Resolve a band request (``None``: every band); cached per request.

        Raises:
            BandNotFoundError: when a name is not a band of the items (the message lists them).
        """
        key = None if bands is None else (bands,) if isinstance(bands, str) else tuple(bands)
        plan = self._plans.get(key)
        if plan is None:
            names = self.bands if key is None else key
            missing = [b for b in names if b not in self.dtypes]
            if missing:
                raise BandNotFoundError(
                    f"band(s) {missing} are not in this source; it has {', '.join(self.bands)}"
                )
            dtype = np.result_type(*(self.dtypes[n] for n in names))
            fill = self.nodata if self.nodata is not None and _fits(self.nodata, dtype) else 0
            plan = ReadPlan(names, dtype, fill)
            self._plans[key] = plan
        return plan

    def _file_groups(self, index: int, names: tuple[str, ...]) -> list[FileGroup]:
        key = (index, names)
        groups = self._groups.get(key)
        if groups is None:
            if len(self._groups) > _GROUP_CACHE_SIZE:
                self._groups.clear()
            groups = self.items[index].file_groups(names)
            self._groups[key] = groups
        return groups

    def _read_group(
        self,
        group: FileGroup,
        grid: GridSpec,
        plan: ReadPlan,
        out: Array | None = None,
        resampling: str | None = None,
    ) -> tuple[Array, Array]:
        arr, valid = read_window(
            group.path,
            grid,
            group.indexes,
            resampling=resampling or self.resampling,
            fill_value=plan.fill,
            dtype=plan.dtype,
            out=out,
            with_mask=True,
        )
        nodata = self.nodata_override
        if nodata is not None:  # the given nodata, on top of the file's own
            has_data = ~np.isnan(arr) if math.isnan(nodata) else arr != nodata
            valid = valid & has_data.any(axis=0)
        return arr, valid

    # ------------------------------------------------------------------ reads
    def read(
        self, hits: Sequence[int], grid: GridSpec, bands: Sequence[str] | None = None
    ) -> tuple[Array, Array]:
        """Mosaic the items at positions ``hits`` (in that order) onto ``grid``.

        Returns:
            ``(array (C, H, W), valid (H, W))``; a pixel is valid in an item when each of the
            item's files holding requested bands has data there.
        """
        names, dtype, fill = plan = self.plan(bands)
        groups = self._file_groups(hits[0], names)
        if len(groups) == 1 and groups[0].positions == tuple(range(len(names))):
            out, valid = self._read_group(groups[0], grid, plan)  # one call, no extra copy
        else:
            out = np.full((len(names), grid.height, grid.width), fill, dtype=dtype)
            valid = np.ones(grid.shape, dtype=bool)
            for group in groups:
                valid &= self._read_into(group, grid, plan, out)
        for index in hits[1:]:
            if valid.all():
                break
            groups = self._file_groups(index, names)
            reads = [self._read_group(g, grid, plan) for g in groups]
            take = ~valid
            for _, group_valid in reads:
                take &= group_valid
            for group, (arr, _) in zip(groups, reads, strict=True):
                for k, pos in enumerate(group.positions):
                    np.copyto(out[pos], arr[k], where=take)
            valid |= take
        return out, valid

    def _read_into(self, group: FileGroup, grid: GridSpec, plan: ReadPlan, out: Array) -> Array:
        """Read one file's bands into their slots of ``out``; return their valid mask."""
        lo, hi = group.positions[0], group.positions[-1] + 1
        if group.positions == tuple(range(lo, hi)):
            return self._read_group(group, grid, plan, out[lo:hi])[1]
        arr, valid = self._read_group(group, grid, plan)
        for k, pos in enumerate(group.positions):
            out[pos] = arr[k]
        return valid

    def valid_share(self, hits: Sequence[int], grid: GridSpec) -> float:
        """The valid share of ``grid``, from the first band's valid mask only.

        When every file is aligned with ``grid`` it is read at full resolution (a plain windowed
        read of one band); otherwise on a decimated grid of at most 32 x 32 pixels (nearest
        neighbour).
        """
        plan = self.plan(self.bands[:1])
        refs = [self.items[i].band(plan.names[0]) for i in hits]
        target = grid
        if not all(ref.grid.is_aligned_with(grid) for ref in refs):
            factor = max(1, math.ceil(max(grid.width, grid.height) / _COARSE))
            width, height = math.ceil(grid.width / factor), math.ceil(grid.height / factor)
            scale = Affine.scale(grid.width / width, grid.height / height)
            target = GridSpec(grid.crs, grid.transform @ scale, width, height)
        valid = np.zeros(target.shape, dtype=bool)
        for ref in refs:
            group = FileGroup(ref.path, (ref.index,), (0,))
            valid |= self._read_group(group, target, plan, resampling="nearest")[1]
            if valid.all():
                return 1.0
        return float(valid.mean())
