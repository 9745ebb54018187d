"""``split_report``: how much of a dataset each split holds — area, share, regions, pixels, patches.

Example:
    >>> from eoforge.data.splits import SpatialSplit
    >>> from eoforge.geo import BBox
    >>> split = SpatialSplit({"a": [BBox(0, 0, 3, 1, 3857)], "b": [BBox(3, 0, 4, 1, 3857)]})
    >>> report = split_report(split)
    >>> report["splits"]["b"]
    {'area': 1.0, 'fraction': 0.25, 'regions': 1}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import shapely

from eoforge.data.splits.footprinted import Footprinted
from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.geo import BBox, GridSpec

__all__ = ["report_table", "split_pixels", "split_report"]


def _covered(ds: Footprinted, crs: str) -> Any:
    """The union of the dataset's footprints inside its bounds, as a shapely geometry."""
    bounds = ds.bounds if ds.bounds.crs == crs else ds.bounds.to_crs(crs)
    boxes = [fp if fp.crs == crs else fp.to_crs(crs) for fp in ds.footprints]
    return shapely.union_all([box.to_polygon() for box in boxes]).intersection(bounds.to_polygon())


def split_pixels(grid: GridSpec, boxes: Sequence[BBox], within: Sequence[BBox]) -> int:
    """How many pixels of ``grid`` have their centre in one of ``boxes`` and one of ``within``.

    A centre ``(x, y)`` is in a box when ``minx ≤ x < maxx`` and ``miny < y ≤ maxy``, the rule of
    :meth:`SpatialSplit.assign_points`. ``grid`` must be north-up, in the boxes' CRS.

    Example:
        >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
        >>> split_pixels(g, [BBox(0, 0, 4.2, 10, 3857)], [BBox(0, 5, 10, 10, 3857)])
        20
    """
    t = grid.transform
    rects = []
    for box in boxes:
        for other in within:
            cut = box.intersection(other)
            if cut is None:
                continue
            col0 = min(max(math.ceil((cut.minx - t.c) / t.a - 0.5), 0), grid.width)
            col1 = min(max(math.ceil((cut.maxx - t.c) / t.a - 0.5), 0), grid.width)
            row0 = min(max(math.ceil((cut.maxy - t.f) / t.e - 0.5), 0), grid.height)
            row1 = min(max(math.ceil((cut.miny - t.f) / t.e - 0.5), 0), grid.height)
            if col1 > col0 and row1 > row0:
                rects.append(shapely.box(col0, row0, col1, row1))
    if not rects:
        return 0
    return round(float(shapely.union_all(rects).area))


def split_report(
    split: SpatialSplit,
    ds: Footprinted | None = None,
    queries: Sequence[GridSpec | BBox] | None = None,
) -> dict[str, Any]:
    """Per split: its area, share of the total area, number of regions (and pixels, patches).

    Args:
        split: the spatial split.
        ds: a dataset; then ``area`` counts only the area inside its footprints (and bounds),
            and ``pixels`` counts the pixels of ``ds.grid`` whose centre lies there.
        queries: patches (grids or boxes); then ``patches`` counts those whose centroid lies in
            each split, and ``unassigned_patches`` the rest.

    Returns:
        ``{"crs", "description", "total_area", "splits": {name: {"area", "fraction",
        "regions"[, "pixels"][, "patches"]}}[, "unassigned_patches"]}``; areas in CRS units²,
        fractions of ``total_area`` (the sum over the splits).

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.data.splits import SpatialSplit
        >>> g = GridSpec.from_bounds((0, 0, 10, 10), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[BBox(0, 0, 10, 5, 3857)])
        >>> split = SpatialSplit({"a": [BBox(0, 0, 10, 10, 3857)]})
        >>> split_report(split, ds, [g.subgrid(0, 0, 2, 2)])["splits"]["a"]
        {'area': 50.0, 'fraction': 1.0, 'regions': 1, 'pixels': 50, 'patches': 1}
    """
    covered = None if ds is None else _covered(ds, split.crs)
    footprints = None
    if ds is not None:
        footprints = [fp if fp.crs == split.crs else fp.to_crs(split.crs) for fp in ds.footprints]
        bounds = ds.bounds if ds.bounds.crs == split.crs else ds.bounds.to_crs(split.crs)
        footprints = [cut for fp in footprints if (cut := fp.intersection(bounds)) is not None]
    entries: dict[str, dict[str, Any]] = {}
    for name, boxes in split.regions.items():
        union = shapely.union_all([box.to_polygon() for box in boxes]) if boxes else None
        if union is None:
            area = 0.0
        elif covered is not None:
            area = float(union.intersection(covered).area)
        else:
            area = float(union.area)
        entries[name] = {"area": area, "fraction": 0.0, "regions": len(boxes)}
        if ds is not None and footprints is not None:
            entries[name]["pixels"] = split_pixels(ds.grid, boxes, footprints)
    total = math.fsum(entry["area"] for entry in entries.values())
    for entry in entries.values():
        entry["fraction"] = entry["area"] / total if total > 0 else 0.0
    report: dict[str, Any] = {
        "crs": split.crs,
        "description": split.description,
        "total_area": total,
        "splits": entries,
    }
    if queries is not None:
        counts = split.counts(queries)
        for name, entry in entries.items():
            entry["patches"] = counts[name]
        report["unassigned_patches"] = counts[None]
    return report


def report_table(report: dict[str, Any]) -> Any:
    """A :func:`split_report` as a ``rich`` table.

    Example:
        >>> from eoforge.data.splits import SpatialSplit
        >>> split = SpatialSplit({"a": [BBox(0, 0, 3, 1, 3857)], "b": [BBox(3, 0, 4, 1, 3857)]})
        >>> [column.header for column in report_table(split_report(split)).columns]
        ['split', 'regions', 'area', 'share']
    """
    from rich.table import Table

    entries: dict[str, dict[str, Any]] = report["splits"]
    extra = [key for key in ("pixels", "patches") if any(key in e for e in entries.values())]
    title = f"spatial split ({report['crs']})"
    if report.get("description"):
        title += f": {report['description']}"
    table = Table(title=title)
    table.add_column("split")
    for header in ("regions", "area", "share", *extra):
        table.add_column(header, justify="right")
    for name, entry in entries.items():
        cells = [str(entry["regions"]), f"{entry['area']:.6g}", f"{100 * entry['fraction']:.2f} %"]
        cells += [str(entry.get(key, "")) for key in extra]
        table.add_row(name, *cells)
    if "unassigned_patches" in report:
        table.caption = f"{report['unassigned_patches']} patch(es) in no split"
    return table
