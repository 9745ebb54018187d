"""``VectorSource``: a vector layer (GeoJSON, GeoPackage, Shapefile …) rasterised on query grids.

The layer is read once (geopandas with the pyogrio engine) on first use, reprojected once per
query CRS (the vectors are reprojected, never the raster), and indexed with a shapely ``STRtree``,
so that each read rasterises only the shapes that touch the query.

Example:
    >>> import tempfile, geopandas as gpd, shapely
    >>> from eoforge.geo import GridSpec
    >>> path = tempfile.mkdtemp() + "/fields.gpkg"
    >>> gpd.GeoDataFrame({"cls": [2]}, geometry=[shapely.box(0, 0, 20, 20)],
    ...                  crs="EPSG:32633").to_file(path)
    >>> src = VectorSource(path, "cls")
    >>> grid = GridSpec.from_bounds((0, 0, 40, 40), 10, crs="EPSG:32633")
    >>> array, valid = src.read(grid)
    >>> array[0]
    array([[0, 0, 0, 0],
           [0, 0, 0, 0],
           [2, 2, 0, 0],
           [2, 2, 0, 0]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError, MissingCRSError, NoFilesError
from eoforge.geo import BBox, CRSLike, GridSpec, crs_key

__all__ = ["VectorSource"]


@dataclass(frozen=True, slots=True)
class _Shapes:
    """The layer's geometries and burn values in one CRS, with a spatial index over them."""

    geometries: np.ndarray  # shapely geometries, file order
    values: np.ndarray
    tree: Any  # shapely.STRtree


def _layer_info(path: Path, layer: str | int | None) -> dict[str, Any]:
    import pyogrio

    try:
        info: dict[str, Any] = pyogrio.read_info(path, layer=layer, force_total_bounds=True)
    except Exception as err:  # pyogrio raises DataSourceError / DataLayerError and friends
        raise EoforgeError(
            f"cannot read the vector layer {str(path)!r} (layer={layer!r}): {err}; check that it "
            "is a GeoJSON/GeoPackage/Shapefile GDAL can open and that the layer exists"
        ) from err
    return info


class VectorSource:
    """A vector layer that answers raster queries: shapes burned onto the query grid.

    Args:
        path: a vector file GDAL/OGR can read (GeoJSON, GeoPackage, Shapefile, FlatGeobuf …).
        attribute: the numeric column whose values are burned; ``None`` burns ``burn_value``.
            Integer columns give ``int64`` arrays, float columns ``float32``; features whose value
            is null are skipped.
        crs: the CRS of the file's coordinates, overriding the file's own — required when the file
            carries none.
        burn_value: the value burned for every shape when ``attribute`` is ``None``.
        all_touched: burn every pixel a shape touches, not only those whose centre it covers.
        layer: the layer name or index in multi-layer files (GeoPackage); default the first.

    Raises:
        NoFilesError: if ``path`` does not exist.
        MissingCRSError: if the file has no CRS and ``crs`` is not given.
        EoforgeError: if the file cannot be read, has no features, or ``attribute`` is not one of
            its numeric columns (the message lists them).

    Example:
        >>> import tempfile, geopandas as gpd, shapely
        >>> path = tempfile.mkdtemp() + "/roads.geojson"
        >>> gpd.GeoDataFrame(geometry=[shapely.box(5, 45, 6, 46)], crs=4326).to_file(path)
        >>> VectorSource(path).bounds
        BBox(5.0, 45.0, 6.0, 46.0, crs='EPSG:4326')
    """

    def __init__(
        self,
        path: str | Path,
        attribute: str | None = None,
        *,
        crs: CRSLike | None = None,
        burn_value: float = 1,
        all_touched: bool = False,
        layer: str | int | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise NoFilesError(f"vector file {str(self.path)!r} does not exist; check the path")
        info = _layer_info(self.path, layer)
        file_crs = info.get("crs")
        if crs is None and not file_crs:
            raise MissingCRSError(
                f"{str(self.path)!r} carries no CRS; give the CRS of its coordinates, e.g. "
                f"VectorSource({str(self.path)!r}, crs='EPSG:4326')"
            )
        self.crs: str = crs_key(crs if crs is not None else file_crs)
        self.attribute = attribute
        self.burn_value = burn_value
        self.all_touched = bool(all_touched)
        self.layer = layer
        self.dtype = self._check_attribute(info)
        n_features = int(info.get("features") or 0)
        total = info.get("total_bounds")
        if n_features <= 0 or total is None or not all(math.isfinite(v) for v in total):
            raise EoforgeError(
                f"{str(self.path)!r} (layer={layer!r}) has no features; there is nothing to "
                "rasterise — check the file or the layer name"
            )
        self._len = n_features
        minx, miny, maxx, maxy = (float(v) for v in total)
        self.bounds: BBox = BBox(minx, miny, maxx, maxy, self.crs)
        self._cache: dict[str, _Shapes] = {}

    def _check_attribute(self, info: dict[str, Any]) -> str:
        if self.attribute is None:
            return "int64" if float(self.burn_value).is_integer() else "float32"
        fields = [str(f) for f in info.get("fields", [])]
        dtypes = [str(d) for d in info.get("dtypes", [])]
        if self.attribute not in fields:
            raise EoforgeError(
                f"{str(self.path)!r} has no attribute {self.attribute!r}; its columns are "
                f"{fields}; pass one of them as attribute=, or attribute=None to burn burn_value"
            )
        kind = np.dtype(dtypes[fields.index(self.attribute)]).kind
        if kind in "biu":
            return "int64"
        if kind == "f":
            return "float32"
        raise EoforgeError(
            f"attribute {self.attribute!r} of {str(self.path)!r} is not numeric "
            f"({dtypes[fields.index(self.attribute)]}); map its values to numbers first (e.g. a "
            "class-code column) and pass that column as attribute="
        )

    # ------------------------------------------------------------------ loading (lazy, cached)
    def _load(self) -> _Shapes:
        import geopandas as gpd
        import shapely

        columns = [self.attribute] if self.attribute is not None else []
        frame = gpd.read_file(self.path, layer=self.layer, engine="pyogrio", columns=columns)
        frame = frame.set_crs(self.crs, allow_override=True)
        geometries = np.asarray(frame.geometry.values, dtype=object)
        if self.attribute is None:
            values = np.full(len(frame), self.burn_value, dtype=self.dtype)
            keep = np.ones(len(frame), dtype=bool)
        else:
            column = frame[self.attribute]
            keep = column.notna().to_numpy()
            values = column.to_numpy()[keep].astype(self.dtype)
            geometries = geometries[keep]
        present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
        geometries, values = geometries[present], values[present]
        return _Shapes(geometries, values, shapely.STRtree(geometries))

    def _shapes(self, crs: str) -> _Shapes:
        shapes = self._cache.get(crs)
        if shapes is not None:
            return shapes
        base = self._cache.get(self.crs)
        if base is None:
            base = self._cache[self.crs] = self._load()
        if crs == self.crs:
            return base
        import geopandas as gpd
        import shapely

        moved = gpd.GeoSeries(base.geometries, crs=self.crs).to_crs(crs)
        geometries = np.asarray(moved.values, dtype=object)
        shapes = self._cache[crs] = _Shapes(geometries, base.values, shapely.STRtree(geometries))
        return shapes

    # ------------------------------------------------------------------ queries
    def read(self, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
        """Rasterise the shapes that touch ``grid`` onto it.

        Pixels that no shape covers are 0; where shapes overlap, the later feature in the file
        wins. Every pixel is valid (the layer defines the whole plane: no shape means 0).

        Args:
            grid: the query grid, in any CRS (the shapes are reprojected to it once, then cached).

        Returns:
            ``(array, valid)``: ``array`` of shape ``(1, H, W)`` (``int64``, or ``float32`` for a
            float attribute) and ``valid`` of shape ``(H, W)``, all ``True``.

        Example:
            >>> import tempfile, geopandas as gpd, shapely
            >>> path = tempfile.mkdtemp() + "/a.gpkg"
            >>> gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=3857).to_file(path)
            >>> grid = GridSpec.from_bounds((0, 0, 2, 1), 1, crs=3857)
            >>> VectorSource(path, burn_value=7).read(grid)[0].tolist()
            [[[7, 0]]]
        """
        from rasterio.features import rasterize
        from shapely import box

        shapes = self._shapes(grid.crs)
        out = np.zeros((1, grid.height, grid.width), dtype=self.dtype)
        hits = np.sort(shapes.tree.query(box(*grid.bounds)))
        if hits.size:
            rasterize(
                zip(shapes.geometries[hits], shapes.values[hits].tolist(), strict=True),
                out=out[0],
                transform=grid.transform,
                fill=0,
                all_touched=self.all_touched,
            )
        return out, np.ones(grid.shape, dtype=bool)

    def __len__(self) -> int:
        return self._len

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cache"] = {}  # rebuilt lazily in each worker: keeps pickles small
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        what = (
            f"attribute={self.attribute!r}" if self.attribute else f"burn_value={self.burn_value}"
        )
        return (
            f"VectorSource({str(self.path)!r}, {what}, crs={self.crs!r}, features={self._len}, "
            f"all_touched={self.all_touched})"
        )
