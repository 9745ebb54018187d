"""Label maps as polygons: one polygon per connected patch of a class, written to a GeoPackage.

Example:
    >>> import numpy as np
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 40, 20, "EPSG:32633"), res=10)
    >>> frame = label_polygons(np.array([[0, 0, 1, 1], [0, 0, 1, 255]], np.uint8), grid, tile=0)
    >>> frame[["tile", "class_id", "class_name"]].values.tolist()
    [[0, 0, 'water'], [0, 1, 'tree cover']]
    >>> float(frame.geometry.area.sum())
    700.0
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from rasterio.features import shapes
from shapely.geometry import shape

from eoforge.datasets.synthetic.classes import NODATA_LABEL, class_names
from eoforge.errors import OutputExistsError
from eoforge.geo import GridSpec, rio_crs

__all__ = ["POLYGON_LAYER", "label_polygons", "write_label_polygons"]

POLYGON_LAYER = "labels"
"""Layer name of the label polygons in the GeoPackage."""


def label_polygons(labels: np.ndarray, grid: GridSpec, *, tile: int = 0) -> Any:
    """The patches of a label map as a GeoDataFrame (``tile``, ``class_id``, ``class_name``).

    Pixels are joined through their edges (4-connectivity); nodata pixels give no polygon. The
    polygons follow pixel edges exactly (no simplification), in ``grid``'s CRS.

    Args:
        labels: uint8 ``(H, W)`` class ids on ``grid``.
        grid: where the label pixels are.
        tile: tile number written into the ``tile`` column.

    Example:
        >>> from eoforge.geo import BBox, GridSpec
        >>> grid = GridSpec.from_bounds(BBox(0, 0, 20, 10, "EPSG:32633"), res=10)
        >>> len(label_polygons(np.array([[2, 3]], np.uint8), grid))
        2
    """
    names = class_names()
    data = np.ascontiguousarray(labels, dtype=np.uint8)
    patches = list(
        shapes(data, mask=data != NODATA_LABEL, transform=grid.transform, connectivity=4)
    )
    ids = np.array([int(value) for _, value in patches], dtype=np.int32)
    columns = {
        "tile": np.full(len(patches), tile, dtype=np.int32),
        "class_id": ids,
        "class_name": [names.get(int(i), str(int(i))) for i in ids],
    }
    geometry = [shape(geom) for geom, _ in patches]
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=rio_crs(grid.crs).to_wkt())


def write_label_polygons(path: Path, frames: Sequence[Any], *, overwrite: bool = False) -> Path:
    """Write label polygons of several tiles as one GeoPackage layer, atomically.

    The layer is in the CRS of the first frame; frames in other CRSs (tiles in another UTM zone)
    are reprojected to it.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is False.

    Example:
        >>> import tempfile
        >>> from eoforge.geo import BBox, GridSpec
        >>> grid = GridSpec.from_bounds(BBox(0, 0, 20, 10, "EPSG:32633"), res=10)
        >>> frame = label_polygons(np.array([[2, 3]], np.uint8), grid)
        >>> write_label_polygons(Path(tempfile.mkdtemp()) / "labels.gpkg", [frame]).name
        'labels.gpkg'
    """
    if path.exists() and not overwrite:
        raise OutputExistsError(f"'{path}' already exists; pass overwrite=True to replace it")
    crs = frames[0].crs
    columns: dict[str, list[Any]] = {"tile": [], "class_id": [], "class_name": []}
    geometry: list[Any] = []
    for frame in frames:
        for name, values in columns.items():
            values.extend(frame[name].tolist())
        geoms = frame.geometry if frame.crs == crs else frame.geometry.to_crs(crs)
        geometry.extend(geoms.tolist())
    merged = gpd.GeoDataFrame(columns, geometry=geometry, crs=crs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp.gpkg")
    try:
        merged.to_file(tmp, layer=POLYGON_LAYER, driver="GPKG")
        if not overwrite and path.exists():
            raise OutputExistsError(f"'{path}' appeared while it was written; pass overwrite=True")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path
