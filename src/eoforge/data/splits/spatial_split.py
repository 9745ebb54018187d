"""``SpatialSplit``: named train / val / test regions of a dataset, as boxes in its CRS.

A split is geometric: each split name owns a set of axis-aligned boxes (rings are cut into boxes),
and the boxes of different splits never overlap. A patch belongs to the split whose region holds
its centroid; a :meth:`SpatialSplit.subset` view of a dataset lets the samplers draw only patches
that lie entirely inside one split, so that no pixel of the training area is seen at test time.

Build one with :func:`~eoforge.data.splits.block_split` or
:func:`~eoforge.data.splits.ring_split`, or directly from boxes.

Example:
    >>> from eoforge.geo import BBox
    >>> split = SpatialSplit({"train": [BBox(0, 0, 60, 100, 3857)],
    ...                       "test": [BBox(60, 0, 100, 100, 3857)]})
    >>> split.assign(BBox(10, 10, 20, 20, 3857)), split.assign(BBox(55, 0, 75, 10, 3857))
    ('train', 'test')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from rasterio.warp import transform as transform_points

from eoforge.data.splits.footprinted import Footprinted
from eoforge.errors import CRSMismatchError, EoforgeError, InvalidGridError
from eoforge.geo import BBox, GridSpec, rio_crs

if TYPE_CHECKING:
    from eoforge.data.splits.split_view import SplitView

__all__ = ["SpatialSplit"]

_CHUNK = 1 << 22  # point x region tests per vectorised step


def _check_regions(names: tuple[str, ...], boxes: tuple[tuple[BBox, ...], ...]) -> str:
    """The one CRS of all boxes, once checked that boxes of different splits do not overlap."""
    every = [(index, box) for index, group in enumerate(boxes) for box in group]
    if not every:
        raise InvalidGridError(
            f"the splits {list(names)} have no region at all; give each split at least one box"
        )
    for index, box in every:
        if not isinstance(box, BBox):
            raise InvalidGridError(
                f"region {box!r} of split {names[index]!r} is not a BBox; give each split a "
                "list of BBox values"
            )
    crs = every[0][1].crs
    for index, box in every:
        if box.crs != crs:
            raise CRSMismatchError(
                f"region {box} of split {names[index]!r} is not in {crs} like the others; "
                f"reproject it first, e.g. box.to_crs({crs!r})"
            )
        if box.is_empty:
            raise InvalidGridError(
                f"region {box} of split {names[index]!r} has no area; leave it out"
            )
    table = np.array([tuple(box) for _, box in every], dtype=np.float64)
    owner = np.array([index for index, _ in every])
    tol = 1e-9 * max(1.0, float(np.abs(table).max()))
    left, right = shapely.STRtree(shapely.box(*table.T)).query(shapely.box(*table.T))
    a, b = table[left], table[right]
    overlap = (
        (np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]) > tol)
        & (np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]) > tol)
        & (owner[left] != owner[right])
    )
    if overlap.any():
        k = int(np.argmax(overlap))
        i, j = int(left[k]), int(right[k])
        raise InvalidGridError(
            f"region {every[i][1]} of split {names[owner[i]]!r} overlaps region "
            f"{every[j][1]} of split {names[owner[j]]!r}; regions of different splits must "
            "not overlap — cut one out of the other"
        )
    return crs


@dataclass(frozen=True, init=False, eq=True)
class SpatialSplit:
    """Named splits, each a set of axis-aligned boxes in one CRS, disjoint between splits.

    Immutable (and hashable); two splits are equal when their names, order and boxes are.

    Args:
        regions: ``{split name: boxes}``, in the order splits are listed (a split may have no
            box). Boxes of one split may touch or overlap; boxes of different splits may touch
            but not overlap.
        description: how the split was made, shown in ``repr`` and reports.

    Raises:
        InvalidGridError: for an empty name, a box of no area, no box at all, or overlapping
            boxes of different splits.
        CRSMismatchError: if the boxes are not all in one CRS.

    Example:
        >>> from eoforge.geo import BBox
        >>> split = SpatialSplit({"train": [BBox(0, 0, 2, 1, 3857)], "val": [], "test":
        ...                       [BBox(2, 0, 3, 1, 3857)]})
        >>> split.names, split.crs, len(split.regions["train"])
        (('train', 'val', 'test'), 'EPSG:3857', 1)
    """

    names: tuple[str, ...]
    boxes: tuple[tuple[BBox, ...], ...]
    crs: str
    description: str = field(compare=False)
    _table: np.ndarray = field(compare=False, repr=False)
    _owner: np.ndarray = field(compare=False, repr=False)

    def __init__(self, regions: Mapping[str, Iterable[BBox]], *, description: str = "") -> None:
        names = tuple(regions)
        for name in names:
            if not isinstance(name, str) or not name:
                raise InvalidGridError(
                    f"split name {name!r} is not valid; name each split with a non-empty string"
                )
        boxes = tuple(tuple(regions[name]) for name in names)
        crs = _check_regions(names, boxes)
        flat = [tuple(box) for group in boxes for box in group]
        owner = np.array([i for i, group in enumerate(boxes) for _ in group], dtype=np.int64)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "crs", crs)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "_table", np.array(flat, dtype=np.float64).reshape(-1, 4))
        object.__setattr__(self, "_owner", owner)

    def __repr__(self) -> str:
        areas = {name: self.area(name) for name in self.names}
        total = sum(areas.values())
        parts = ", ".join(
            f"{name}: {len(group)} region(s), {100 * areas[name] / total:.1f} %"
            for name, group in zip(self.names, self.boxes, strict=True)
        )
        how = f" by {self.description}" if self.description else ""
        return f"SpatialSplit({parts}; crs={self.crs}{how})"

    # ------------------------------------------------------------------ regions
    @property
    def regions(self) -> Mapping[str, tuple[BBox, ...]]:
        """``{split name: boxes}`` (read-only)."""
        return MappingProxyType(dict(zip(self.names, self.boxes, strict=True)))

    def check_name(self, name: str) -> int:
        """The position of split ``name`` in :attr:`names`.

        Raises:
            InvalidGridError: if there is no split of that name (the message lists them).

        Example:
            >>> from eoforge.geo import BBox
            >>> SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)], "b": []}).check_name("b")
            1
        """
        if name not in self.names:
            raise InvalidGridError(
                f"there is no split named {name!r}; this split has {list(self.names)} — pick one "
                "of those"
            )
        return self.names.index(name)

    def area(self, name: str) -> float:
        """The area covered by split ``name``'s regions (overlaps counted once), in CRS units².

        Example:
            >>> from eoforge.geo import BBox
            >>> boxes = [BBox(0, 0, 2, 2, 3857), BBox(1, 1, 3, 3, 3857)]
            >>> SpatialSplit({"train": boxes}).area("train")
            7.0
        """
        group = self.boxes[self.check_name(name)]
        if not group:
            return 0.0
        return float(shapely.union_all([box.to_polygon() for box in group]).area)

    # ------------------------------------------------------------------ assignment
    def assign_points(self, xs: Any, ys: Any) -> np.ndarray:
        """For each point ``(x, y)`` in :attr:`crs`, the position of its split, or -1 for none.

        A point belongs to a box when ``minx ≤ x < maxx`` and ``miny < y ≤ maxy`` (west and north
        edges in, like a pixel owns its upper-left corner), so a point on an edge shared by two
        splits goes to exactly one; a point on an outer edge no other box continues (east or south)
        counts as inside.

        Example:
            >>> from eoforge.geo import BBox
            >>> split = SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)], "b": [BBox(1, 0, 2, 1, 3857)]})
            >>> split.assign_points([0.5, 1.0, 2.0, 5.0], [0.5, 0.5, 0.5, 0.5]).tolist()
            [0, 1, 1, -1]
        """
        x = np.asarray(xs, dtype=np.float64).ravel()
        y = np.asarray(ys, dtype=np.float64).ravel()
        found = np.full(len(x), -1, dtype=np.int64)
        t = self._table
        step = max(1, _CHUNK // max(1, len(t)))
        for start in range(0, len(x), step):
            px, py = x[start : start + step, None], y[start : start + step, None]
            half = (t[:, 0] <= px) & (px < t[:, 2]) & (t[:, 1] < py) & (py <= t[:, 3])
            closed = (t[:, 0] <= px) & (px <= t[:, 2]) & (t[:, 1] <= py) & (py <= t[:, 3])
            hit = np.where(half.any(axis=1), half.argmax(axis=1), -1)
            hit = np.where((hit < 0) & closed.any(axis=1), closed.argmax(axis=1), hit)
            found[start : start + step] = np.where(hit >= 0, self._owner[np.maximum(hit, 0)], -1)
        return found

    def _centroids(self, queries: Sequence[GridSpec | BBox]) -> tuple[np.ndarray, np.ndarray]:
        xs = np.empty(len(queries), dtype=np.float64)
        ys = np.empty(len(queries), dtype=np.float64)
        crss: list[str] = []
        for index, query in enumerate(queries):
            if isinstance(query, GridSpec):
                box = query.bounds
            elif isinstance(query, BBox):
                box = query
            else:
                raise EoforgeError(
                    f"a split assigns GridSpec or BBox queries, not {type(query).__name__} "
                    f"({query!r}); pass sample['grid'] or a patch's bounds"
                )
            xs[index], ys[index] = box.center
            crss.append(box.crs)
        for crs in set(crss):
            if crs != self.crs:  # a centroid is a point: reproject it exactly
                sel = np.array([c == crs for c in crss])
                tx, ty = transform_points(rio_crs(crs), rio_crs(self.crs), xs[sel], ys[sel])
                xs[sel], ys[sel] = tx, ty
        return xs, ys

    def assign(self, query: GridSpec | BBox) -> str | None:
        """The split holding the centroid of ``query`` (a patch grid or box), or ``None``.

        A query in another CRS has its centroid reprojected to :attr:`crs`. ``None`` means the
        centroid lies in no region (e.g. in a buffer gap, or outside the dataset).

        Example:
            >>> from eoforge.geo import BBox, GridSpec
            >>> split = SpatialSplit({"a": [BBox(0, 0, 10, 10, 3857)]})
            >>> split.assign(GridSpec.from_bounds((2, 2, 6, 6), 1, crs=3857))
            'a'
            >>> split.assign(BBox(20, 20, 30, 30, 3857)) is None
            True
        """
        return self.assign_all([query])[0]

    def assign_all(self, queries: Sequence[GridSpec | BBox]) -> list[str | None]:
        """:meth:`assign` for many queries at once (vectorised).

        Example:
            >>> from eoforge.geo import BBox
            >>> split = SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)], "b": [BBox(1, 0, 2, 1, 3857)]})
            >>> split.assign_all([BBox(0, 0, 1, 1, 3857), BBox(1.2, 0, 2, 1, 3857)])
            ['a', 'b']
        """
        if not queries:
            return []
        found = self.assign_points(*self._centroids(queries))
        return [self.names[i] if i >= 0 else None for i in found.tolist()]

    def counts(self, queries: Sequence[GridSpec | BBox]) -> dict[str | None, int]:
        """How many queries each split holds (by centroid); key ``None`` counts the rest.

        Example:
            >>> from eoforge.geo import BBox
            >>> split = SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)], "b": [BBox(1, 0, 2, 1, 3857)]})
            >>> split.counts([BBox(0, 0, 1, 1, 3857), BBox(5, 5, 6, 6, 3857)])
            {'a': 1, 'b': 0, None: 1}
        """
        seen = Counter(self.assign_all(queries))
        return {**{name: seen.get(name, 0) for name in self.names}, None: seen.get(None, 0)}

    # ------------------------------------------------------------------ dataset views
    def subset(
        self, ds: Any, name: str, *, patch_size: int | tuple[int, int] | None = None
    ) -> SplitView:
        """A view of ``ds`` restricted to split ``name``, for any sampler.

        See :class:`~eoforge.data.splits.SplitView`: same grid, bounds, reads and validity as
        ``ds``; its footprints are the pieces of ``ds.footprints`` inside the split's regions,
        shrunk to whole pixels of ``ds.grid``. Give the ``patch_size`` you will sample with, so
        that pieces too small to hold a patch are left out (else a random sampler centres a patch
        on such a piece and it reaches outside the split).

        Example:
            >>> from types import SimpleNamespace
            >>> from eoforge.geo import BBox, GridSpec
            >>> g = GridSpec.from_bounds((0, 0, 100, 100), 1, crs=3857)
            >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
            >>> split = SpatialSplit({"train": [BBox(0, 0, 70.5, 100, 3857)],
            ...                       "test": [BBox(70.5, 0, 100, 100, 3857)]})
            >>> split.subset(ds, "train").footprints
            [BBox(0.0, 0.0, 70.0, 100.0, crs='EPSG:3857')]
        """
        from eoforge.data.splits.split_view import SplitView

        return SplitView(ds, self, name, patch_size=patch_size)

    # ------------------------------------------------------------------ reports and exports
    def report(
        self, ds: Footprinted | None = None, queries: Sequence[GridSpec | BBox] | None = None
    ) -> dict[str, Any]:
        """Per split: area, share of the total, number of regions, pixels and patch counts.

        See :func:`~eoforge.data.splits.split_report.split_report`.

        Example:
            >>> from eoforge.geo import BBox
            >>> split = SpatialSplit({"a": [BBox(0, 0, 3, 1, 3857)], "b": [BBox(3, 0, 4, 1, 3857)]})
            >>> split.report()["splits"]["a"]["fraction"]
            0.75
        """
        from eoforge.data.splits.split_report import split_report

        return split_report(self, ds, queries)

    def table(
        self, ds: Footprinted | None = None, queries: Sequence[GridSpec | BBox] | None = None
    ) -> Any:
        """:meth:`report` as a ``rich`` table (print it with ``rich.print``).

        Example:
            >>> from eoforge.geo import BBox
            >>> SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)]}).table().row_count
            1
        """
        from eoforge.data.splits.split_report import report_table

        return report_table(self.report(ds, queries))

    def __rich__(self) -> Any:
        """The :meth:`table`, for ``rich.print(split)``."""
        return self.table()

    def to_geodataframe(self) -> Any:
        """The regions as a ``geopandas.GeoDataFrame``: columns ``split``, ``region``, ``area``.

        Example:
            >>> from eoforge.geo import BBox
            >>> SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)]}).to_geodataframe()["split"].tolist()
            ['a']
        """
        from eoforge.data.splits.split_export import split_frame

        return split_frame(self)

    def to_geojson(self, *, wgs84: bool = True) -> str:
        """The regions as GeoJSON text, in WGS 84 (RFC 7946) unless ``wgs84=False``.

        Example:
            >>> import json
            >>> from eoforge.geo import BBox
            >>> text = SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)]}).to_geojson()
            >>> json.loads(text)["features"][0]["properties"]["split"]
            'a'
        """
        from eoforge.data.splits.split_export import split_geojson

        return split_geojson(self, wgs84=wgs84)

    def to_file(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the regions, atomically, as a GeoPackage (``.gpkg``) or GeoJSON (``.geojson``).

        See :func:`~eoforge.data.splits.split_export.write_split`.

        Example:
            >>> import tempfile
            >>> from eoforge.geo import BBox
            >>> split = SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)]})
            >>> split.to_file(tempfile.mkdtemp() + "/split.gpkg").name
            'split.gpkg'
        """
        from eoforge.data.splits.split_export import write_split

        return write_split(self, Path(path), overwrite=overwrite)

    def plot(self, ds: Footprinted | None = None, *, title: str | None = None) -> Any:
        """A matplotlib figure of the regions coloured by split (and ``ds``'s footprints).

        See :func:`~eoforge.data.splits.split_plot.plot_split`.

        Example:
            >>> from eoforge.geo import BBox
            >>> fig = SpatialSplit({"a": [BBox(0, 0, 1, 1, 3857)]}).plot(title="split")
            >>> fig.axes[0].get_title()
            'split'
        """
        from eoforge.data.splits.split_plot import plot_split

        return plot_split(self, ds, title=title)
