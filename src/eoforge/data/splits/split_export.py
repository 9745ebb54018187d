"""Writing a split's regions for GIS tools: a GeoDataFrame, GeoJSON text, a GeoPackage file.

People look at a split in QGIS before they trust it: every region becomes one polygon with the
name of its split in the ``split`` column.

Example:
    >>> from eoforge.data.splits import SpatialSplit
    >>> from eoforge.geo import BBox
    >>> split = SpatialSplit({"train": [BBox(0, 0, 2, 1, 32633)],
    ...                       "test": [BBox(2, 0, 3, 1, 32633)]})
    >>> frame = split_frame(split)
    >>> frame["split"].tolist(), frame.crs.to_epsg()
    (['train', 'test'], 32633)
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

from eoforge.data.splits.spatial_split import SpatialSplit
from eoforge.errors import EoforgeError, OutputExistsError

__all__ = ["SPLIT_LAYER", "split_frame", "split_geojson", "write_split"]

SPLIT_LAYER = "split"
"""The layer name of the regions in a GeoPackage."""

_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def split_frame(split: SpatialSplit) -> Any:
    """The regions as a ``GeoDataFrame``: ``split`` (name), ``region`` (index in it), ``area``.

    Example:
        >>> from eoforge.data.splits import SpatialSplit
        >>> from eoforge.geo import BBox
        >>> split_frame(SpatialSplit({"a": [BBox(0, 0, 2, 1, 3857)]}))["area"].tolist()
        [2.0]
    """
    import geopandas as gpd

    names: list[str] = []
    regions: list[int] = []
    geometry: list[Any] = []
    for name, boxes in split.regions.items():
        for index, box in enumerate(boxes):
            names.append(name)
            regions.append(index)
            geometry.append(box.to_polygon())
    frame = gpd.GeoDataFrame(
        {"split": names, "region": regions, "area": [g.area for g in geometry]},
        geometry=geometry,
        crs=split.crs,
    )
    return frame


def split_geojson(split: SpatialSplit, *, wgs84: bool = True) -> str:
    """The regions as GeoJSON text: in WGS 84 (RFC 7946), or in the split's CRS.

    Example:
        >>> import json
        >>> from eoforge.data.splits import SpatialSplit
        >>> from eoforge.geo import BBox
        >>> text = split_geojson(SpatialSplit({"a": [BBox(0, 0, 2, 1, 3857)]}), wgs84=False)
        >>> json.loads(text)["features"][0]["geometry"]["type"]
        'Polygon'
    """
    frame = split_frame(split)
    if wgs84:
        frame = frame.to_crs("EPSG:4326")
    text: str = frame.to_json()
    return text


def write_split(split: SpatialSplit, path: Path, *, overwrite: bool = False) -> Path:
    """Write the regions to ``path`` — GeoPackage (``.gpkg``, layer ``split``) or GeoJSON.

    The file is written next to ``path`` under a temporary name, then renamed: a reader never
    sees half a file. GeoJSON keeps the split's CRS (GDAL writes it in the file).

    Raises:
        OutputExistsError: if ``path`` exists and ``overwrite`` is False.
        EoforgeError: for a suffix other than ``.gpkg``, ``.geojson`` or ``.json``.

    Example:
        >>> import tempfile
        >>> import geopandas as gpd
        >>> from eoforge.data.splits import SpatialSplit
        >>> from eoforge.geo import BBox
        >>> path = write_split(SpatialSplit({"a": [BBox(0, 0, 2, 1, 3857)]}),
        ...                    Path(tempfile.mkdtemp()) / "split.geojson")
        >>> gpd.read_file(path)["split"].tolist()
        ['a']
    """
    driver = _DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise EoforgeError(
            f"cannot write a split to '{path}': unknown suffix {path.suffix!r}; use .gpkg "
            "(GeoPackage) or .geojson"
        )
    if path.exists() and not overwrite:
        raise OutputExistsError(f"'{path}' already exists; pass overwrite=True to replace it")
    frame = split_frame(split)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}")
    try:
        if driver == "GPKG":
            frame.to_file(tmp, layer=SPLIT_LAYER, driver=driver)
        else:
            frame.to_file(tmp, driver=driver)
        if not overwrite and path.exists():
            raise OutputExistsError(f"'{path}' appeared while it was written; pass overwrite=True")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path
