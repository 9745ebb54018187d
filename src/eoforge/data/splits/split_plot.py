"""``plot_split``: a map of a split's regions, one colour per split, with the dataset's footprints.

Uses matplotlib's object API (no pyplot, no global state), like the other ``plot()`` helpers.

Example:
    >>> from eoforge.data.splits import SpatialSplit
    >>> from eoforge.geo import BBox
    >>> split = SpatialSplit({"train": [BBox(0, 0, 2, 1, 3857)], "test": [BBox(2, 0, 3, 1, 3857)]})
    >>> fig = plot_split(split)
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['train', 'test']
"""

from __future__ import annotations

from typing import Any

from eoforge.data.splits.footprinted import Footprinted
from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.errors import EoforgeError
from eoforge.geo import BBox

__all__ = ["SPLIT_COLOURS", "plot_split"]

SPLIT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
"""The colours of the splits, in their order (train blue, val orange, test green by default)."""


def _corners(box: BBox) -> list[tuple[float, float]]:
    return [(box.minx, box.miny), (box.maxx, box.miny), (box.maxx, box.maxy), (box.minx, box.maxy)]


def plot_split(
    split: SpatialSplit, ds: Footprinted | None = None, *, title: str | None = None
) -> Any:
    """Draw the regions of ``split`` filled by split, and ``ds``'s footprints as dashed outlines.

    Args:
        split: the spatial split.
        ds: an optional dataset whose footprints are drawn over the regions.
        title: the title; by default how the split was made.

    Returns:
        A ``matplotlib.figure.Figure`` with one axes, in the split's CRS units: one
        ``PolyCollection`` of regions per split (in order), then one of the footprints.

    Raises:
        EoforgeError: if matplotlib is not installed.

    Example:
        >>> from types import SimpleNamespace
        >>> from eoforge.data.splits import SpatialSplit
        >>> from eoforge.geo import BBox, GridSpec
        >>> g = GridSpec.from_bounds((0, 0, 4, 2), 1, crs=3857)
        >>> ds = SimpleNamespace(grid=g, bounds=g.bounds, footprints=[g.bounds])
        >>> fig = plot_split(SpatialSplit({"a": [g.bounds]}), ds)
        >>> [len(c.get_paths()) for c in fig.axes[0].collections]
        [1, 1]
    """
    try:
        from matplotlib.collections import PolyCollection
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError as err:  # matplotlib is optional
        raise EoforgeError(
            "plot() needs matplotlib; install it with: pip install matplotlib"
        ) from err

    fig = Figure(figsize=(6, 6), layout="constrained")
    ax = fig.add_subplot()
    boxes = [box for group in split.boxes for box in group]
    footprints = [] if ds is None else [
        fp if fp.crs == split.crs else fp.to_crs(split.crs) for fp in ds.footprints
    ]  # fmt: skip
    handles = []
    for index, (name, group) in enumerate(split.regions.items()):
        colour = SPLIT_COLOURS[index % len(SPLIT_COLOURS)]
        ax.add_collection(
            PolyCollection(
                [_corners(box) for box in group],
                facecolors=colour,
                edgecolors="white",
                linewidths=0.5,
                alpha=0.8,
                label=name,
            )
        )
        handles.append(Patch(facecolor=colour, label=name))
    if footprints:
        ax.add_collection(
            PolyCollection(
                [_corners(fp) for fp in footprints],
                facecolors="none",
                edgecolors="black",
                linestyles="--",
                linewidths=1.0,
                label="footprints",
            )
        )
    extent = boxes[0]
    for box in [*boxes[1:], *footprints]:
        extent = extent.union(box)
    pad = 0.02 * max(extent.width, extent.height)
    ax.set_xlim(extent.minx - pad, extent.maxx + pad)
    ax.set_ylim(extent.miny - pad, extent.maxy + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"x ({split.crs})" if split.crs.startswith("EPSG:") else "x")
    ax.set_ylabel("y")
    ax.legend(handles=handles, loc="upper right")
    ax.set_title(title if title is not None else (split.description or "spatial split"))
    return fig
