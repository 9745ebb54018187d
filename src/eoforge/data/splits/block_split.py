"""``block_split``: square blocks of a dataset's area assigned at random to train / val / test.

Spatial autocorrelation makes neighbouring pixels near-copies of each other, so a random split of
patches leaks: the model is tested on places it has seen. Splitting by blocks keeps every block
whole in one split; a ``buffer`` widens the gap between blocks of different splits.

Example:
    >>> from types import SimpleNamespace
    >>> from eoforge.geo import GridSpec
    >>> g = GridSpec.from_bounds((0, 0, 1000, 1000), 10, crs=32633)
    >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
    >>> split = block_split(ds, 100, seed=1)
    >>> [round(split.area(name) / g.bounds.area, 2) for name in split.names]
    [0.7, 0.15, 0.15]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np
import shapely

from eoforge.data.samplers.sampler_arguments import positive_int, seed_value
from eoforge.data.splits.footprinted import Footprinted
from eoforge.data.splits.region_boxes import Box, dilate_box, merge_boxes, subtract_boxes
from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.data.splits.split_fractions import DEFAULT_BLOCK_FRACTIONS, split_fractions
from eoforge.errors import InvalidGridError
from eoforge.geo import BBox

__all__ = ["MAX_BLOCKS", "block_split"]

MAX_BLOCKS = 1_000_000
"""The most blocks one split may tile (beyond, the block size is surely a unit mistake)."""


def _edges(start: float, stop: float, origin: float, step: float) -> np.ndarray:
    """Block edges ``origin + k·step`` covering ``[start, stop]``, clipped to it (``step`` > 0)."""
    first = math.floor((start - origin) / step + 1e-9)
    last = math.ceil((stop - origin) / step - 1e-9)
    edges = origin + np.arange(first, max(last, first + 1) + 1, dtype=np.float64) * step
    return np.unique(np.clip(edges, start, stop))


def _block_edges(
    ds: Footprinted, bounds: BBox, block_size: float | None, block_pixels: int | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Column edges (west→east), row edges (north→south) and a description of the blocks."""
    if (block_size is None) == (block_pixels is None):
        raise InvalidGridError(
            f"give exactly one of block_size (CRS units) and block_pixels (pixels of ds.grid); "
            f"got block_size={block_size!r}, block_pixels={block_pixels!r}"
        )
    if block_pixels is not None:
        pixels = positive_int(block_pixels, "block_pixels")
        t = ds.grid.transform
        if not ds.grid.is_north_up:
            raise InvalidGridError("block_pixels needs a north-up ds.grid; give block_size instead")
        width, height = pixels * t.a, pixels * -t.e
        xs = _edges(bounds.minx, bounds.maxx, t.c, width)
        ys = _edges(-bounds.maxy, -bounds.miny, -t.f, height)
        return xs, -ys, f"block_pixels={pixels}"
    try:
        size = float(block_size)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        size = math.nan
    if isinstance(block_size, bool) or not math.isfinite(size) or size <= 0:
        raise InvalidGridError(
            f"block_size={block_size!r} is not valid; give the side of a block in CRS units "
            f"({bounds.crs}), a positive number such as block_size=5000"
        )
    if size > max(bounds.width, bounds.height):
        raise InvalidGridError(
            f"block_size={block_size!r} is larger than the dataset ({bounds.width:g} x "
            f"{bounds.height:g} CRS units): one block would hold it all; use a smaller block_size"
        )
    xs = _edges(bounds.minx, bounds.maxx, bounds.minx, size)
    ys = _edges(-bounds.maxy, -bounds.miny, -bounds.maxy, size)
    return xs, -ys, f"block_size={size:g}"


def _assign(areas: np.ndarray, fractions: dict[str, float], seed: int, blocks: str) -> np.ndarray:
    """Split index of each block (-1 for blocks without data).

    The blocks are shuffled, then the sequence is cut where its cumulative area comes nearest
    to each target share.
    """
    labels = np.full(len(areas), -1, dtype=np.int64)
    data = np.flatnonzero(areas > 0)
    order = np.random.default_rng(seed).permutation(data)
    cumulative = np.concatenate([[0.0], np.cumsum(areas[order])])
    targets = cumulative[-1] * np.cumsum(list(fractions.values()))
    cuts = [0]
    for target in targets[:-1]:
        cuts.append(max(cuts[-1], int(np.argmin(np.abs(cumulative - target)))))
    cuts.append(len(order))
    for index, (start, stop) in enumerate(itertools.pairwise(cuts)):
        labels[order[start:stop]] = index
        name = list(fractions)[index]
        if start == stop and fractions[name] > 0:
            raise InvalidGridError(
                f"split {name!r} (share {fractions[name]:g}) got no block: {blocks} gives only "
                f"{len(data)} block(s) with data for fractions {fractions}; use smaller blocks"
            )
    return labels


def _buffered(
    cells: np.ndarray, labels: np.ndarray, shape: tuple[int, int], buffer: float
) -> list[list[Box]]:
    """Per block, its parts at least ``buffer`` (in x or y) away from every block not in its split.

    Blocks without data (label -1) belong to no split: they cut the others but are never cut
    (they are not regions). A block with no foreign block near it stays whole.
    """
    grid = labels.reshape(shape)
    widths = cells[:, 2] - cells[:, 0]
    heights = cells[:, 3] - cells[:, 1]
    reach_x = int(buffer // max(float(widths.max()), 1e-300)) + 1
    reach_y = int(buffer // max(float(heights.max()), 1e-300)) + 1
    boxes: list[Box] = [(a, b, c, d) for a, b, c, d in cells.tolist()]
    parts: list[list[Box]] = []
    for index, label in enumerate(labels.tolist()):
        cell = boxes[index]
        if label < 0 or buffer <= 0:
            parts.append([cell])
            continue
        row, col = divmod(index, shape[1])
        rows = slice(max(0, row - reach_y), row + reach_y + 1)
        cols = slice(max(0, col - reach_x), col + reach_x + 1)
        near = grid[rows, cols]
        rr, cc = np.nonzero(near != label)
        cutters = [
            dilate_box(boxes[(rows.start + r) * shape[1] + cols.start + c], buffer)
            for r, c in zip(rr.tolist(), cc.tolist(), strict=True)
        ]
        parts.append(subtract_boxes([cell], cutters))
    return parts


def block_split(
    ds: Footprinted,
    block_size: float | None = None,
    fractions: Mapping[str, float] | None = None,
    *,
    block_pixels: int | None = None,
    buffer: float = 0.0,
    seed: int = 0,
) -> SpatialSplit:
    """Tile the dataset's bounds into square blocks and assign whole blocks to splits at random.

    **Blocks.** ``block_size`` is the side of a block in CRS units (e.g. metres), with blocks
    laid from the top-left corner of ``ds.bounds``; ``block_pixels`` instead gives it in pixels
    of ``ds.grid``, with block edges on its pixel lines (counted from the grid's origin). Blocks
    on the east and south edges (and, with ``block_pixels``, on the west and north) are cut to
    the bounds.

    **Assignment.** Each block's area is its area inside the union of ``ds.footprints``; blocks
    with no such area belong to no split. The blocks are shuffled (seeded: the same seed gives
    the same split) and the shuffled sequence is cut where its cumulative area comes nearest to
    each target share, so each split's area differs from its share of the total by less than the
    area of one block.

    **Buffer.** With ``buffer`` > 0, a point stays in its split only when it is at least
    ``buffer`` away, along x or along y, from every block that is not of its split: blocks of
    other splits, and blocks without data (which belong to none, so that data on both sides of a
    gap between tiles stay apart too). Blocks of the same split, and the dataset's outer edge,
    take no gap. Any two points of different splits are therefore at least ``2·buffer`` apart
    along x or y (so in straight-line distance too): the point halfway between them would
    otherwise lie in a block within ``buffer`` of both. The shares above are those of the
    blocks before the gaps are cut; :meth:`SpatialSplit.report` gives the areas after.

    Blocks of one split that share a whole edge are merged, so a split has few, large regions.

    Args:
        ds: the dataset (``grid``, ``bounds``, ``footprints``), e.g. a :class:`GeoDataset`.
        block_size: the side of a block in CRS units.
        fractions: ``{split name: share of the area}``, shares ≥ 0 summing to 1; default
            ``{"train": 0.7, "val": 0.15, "test": 0.15}``.
        block_pixels: the side of a block in pixels of ``ds.grid`` (instead of ``block_size``).
        buffer: the gap each block leaves, in CRS units, towards blocks of other splits (≥ 0).
        seed: the seed of the shuffle (≥ 0).

    Returns:
        The :class:`SpatialSplit`, in ``ds.grid.crs``.

    Raises:
        InvalidGridError: for fractions that are negative or do not sum to 1, a block size that
            is ≤ 0 or larger than the dataset, too few blocks for the splits, a negative buffer,
            or a buffer that leaves a split with no area.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.geo import GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 800, 800), 10, crs=32633)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
        >>> split = block_split(ds, block_pixels=10, fractions={"train": .75, "test": .25},
        ...                     buffer=20, seed=3)
        >>> split.names, split == block_split(ds, block_pixels=10, fractions={"train": .75,
        ...                                   "test": .25}, buffer=20, seed=3)
        (('train', 'test'), True)
    """
    shares = split_fractions(DEFAULT_BLOCK_FRACTIONS if fractions is None else fractions)
    seed = seed_value(seed)
    try:
        gap = float(buffer)
    except (TypeError, ValueError):
        gap = math.nan
    if not math.isfinite(gap) or gap < 0:
        raise InvalidGridError(
            f"buffer={buffer!r} is not valid; give the gap in CRS units, a number ≥ 0 (0: none)"
        )
    crs = ds.grid.crs
    bounds = ds.bounds if ds.bounds.crs == crs else ds.bounds.to_crs(crs)
    xs, ys, blocks = _block_edges(ds, bounds, block_size, block_pixels)
    shape = (len(ys) - 1, len(xs) - 1)
    if shape[0] * shape[1] > MAX_BLOCKS:
        raise InvalidGridError(
            f"{blocks} tiles the dataset into {shape[0]} x {shape[1]} blocks (more than "
            f"{MAX_BLOCKS}); give a larger block size (in {crs} units)"
        )
    x0, y0 = np.meshgrid(xs[:-1], ys[1:])
    x1, y1 = np.meshgrid(xs[1:], ys[:-1])
    cells = np.stack([x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel()], axis=1)
    footprints = [fp if fp.crs == crs else fp.to_crs(crs) for fp in ds.footprints]
    covered = shapely.union_all([fp.to_polygon() for fp in footprints]).intersection(
        bounds.to_polygon()
    )
    areas = shapely.area(shapely.intersection(shapely.box(*cells.T), covered))
    labels = _assign(np.asarray(areas, dtype=np.float64), shares, seed, blocks)
    parts = _buffered(cells, labels, shape, gap)
    regions: dict[str, list[BBox]] = {}
    for index, name in enumerate(shares):
        mine = [box for part, label in zip(parts, labels, strict=True) if label == index
                for box in part]  # fmt: skip
        regions[name] = [BBox(*box, crs=crs) for box in merge_boxes(mine)]
        if shares[name] > 0 and not regions[name]:
            raise InvalidGridError(
                f"buffer={buffer!r} leaves split {name!r} no area ({blocks}); use a smaller "
                "buffer or larger blocks"
            )
    return SpatialSplit(regions, description=f"block_split({blocks}, buffer={gap:g}, seed={seed})")
