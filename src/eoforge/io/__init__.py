"""Read windows of rasters on any target ``GridSpec``; write Cloud-Optimised GeoTIFFs.

- :func:`read_window`: pixels of a file on a grid (aligned: one windowed read; otherwise
  resampled/reprojected from the covering source window), with an optional valid mask.
- :func:`open_raster` / :func:`close_all`: per-process, per-thread, fork-safe handle cache.
- :func:`raster_info`: the header: grid, bands, dtype, nodata, descriptions, scales, tags.
- :func:`write_raster`: atomic COG writer carrying CRS, nodata, band and class names, colours.
- :func:`gdal_env` / :func:`configure_gdal`: the one place GDAL is tuned.

Example:
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 40, 40, "EPSG:32633"), res=10)
    >>> path = write_raster(pathlib.Path(tempfile.mkdtemp()) / "a.tif",
    ...                     np.arange(16, dtype="uint16").reshape(4, 4), grid)
    >>> raster_info(path).grid == grid
    True
    >>> read_window(path, grid.subgrid(1, 1, 2, 2)).tolist()
    [[[5, 6], [9, 10]]]
"""

from eoforge.io.gdal_env import GDAL_SETTINGS, configure_gdal, gdal_env
from eoforge.io.handles import MAX_OPEN_HANDLES, RasterLike, as_dataset, close_all, open_raster
from eoforge.io.raster_info import RasterInfo, raster_info
from eoforge.io.read_window import RESAMPLING_METHODS, read_window
from eoforge.io.write_raster import CLASS_NAMES_TAG, read_class_names, write_raster

__all__ = [
    "CLASS_NAMES_TAG",
    "GDAL_SETTINGS",
    "MAX_OPEN_HANDLES",
    "RESAMPLING_METHODS",
    "RasterInfo",
    "RasterLike",
    "as_dataset",
    "close_all",
    "configure_gdal",
    "gdal_env",
    "open_raster",
    "raster_info",
    "read_class_names",
    "read_window",
    "write_raster",
]
