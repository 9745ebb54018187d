"""The class names and colours a label raster carries (``CLASS_NAMES`` tag, colour table).

:func:`eoforge.io.write_raster` stores both; so do the synthetic scenes and many land-cover
products (a GDAL colour table). Class ids are taken as ``0 … max id``; an id without a name gets
``"class <id>"``, one without a colour a grey.

Example:
    >>> import tempfile, pathlib, numpy as np
    >>> from eoforge.geo import BBox, GridSpec
    >>> from eoforge.io import write_raster
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 20, 20, "EPSG:32633"), res=10)
    >>> path = write_raster(pathlib.Path(tempfile.mkdtemp()) / "labels.tif",
    ...                     np.zeros((2, 2), "uint8"), grid, nodata=255,
    ...                     class_names={0: "water", 1: "trees"},
    ...                     colormap={0: (0, 100, 200), 1: (0, 100, 0)})
    >>> label_classes(path)
    (['water', 'trees'], [(0, 100, 200), (0, 100, 0)])
"""

from __future__ import annotations

import os

from eoforge.io import as_dataset, read_class_names

__all__ = ["label_classes"]


def label_classes(
    path: str | os.PathLike[str],
) -> tuple[list[str], list[tuple[int, int, int]]] | None:
    """``(names, colours)`` of classes 0 … max id, or ``None`` when the file names no class."""
    names = read_class_names(path)
    if not names:
        return None
    ds = as_dataset(path)
    try:
        table = ds.colormap(1)
    except ValueError:  # no colour table
        table = {}
    count = max(names) + 1
    labels = [names.get(i, f"class {i}") for i in range(count)]
    colors = [tuple(table.get(i, (128, 128, 128, 255))[:3]) for i in range(count)]
    return labels, [(int(c[0]), int(c[1]), int(c[2])) for c in colors]
