"""Independent references computed with GDAL (through rasterio) and pyproj, shared by the tests."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
from rasterio.warp import Resampling, reproject

from eoforge.geo import GridSpec
from eoforge.io import raster_info


def pixel_size_scale(file_grid: GridSpec, grid: GridSpec) -> dict[str, float]:
    """GDAL's XSCALE/YSCALE as eoforge defines them: target pixels per file pixel at the centre.

    Computed with pyproj, independently of ``eoforge.io.warp_window``; pass it to
    ``rasterio.warp.reproject`` to get the reference eoforge's resampled reads must equal.
    """
    cols = grid.width / 2 + np.array([0.0, 1.0, 0.0])
    rows = grid.height / 2 + np.array([0.0, 0.0, 1.0])
    xs, ys = grid.transform @ (cols, rows)
    to_file = pyproj.Transformer.from_crs(grid.crs, file_grid.crs, always_xy=True)
    fc, fr = ~file_grid.transform @ to_file.transform(xs, ys)
    step_x = math.hypot(fc[1] - fc[0], fr[1] - fr[0])  # file pixels per target pixel, along x
    step_y = math.hypot(fc[2] - fc[0], fr[2] - fr[0])
    return {"XSCALE": 1 / step_x, "YSCALE": 1 / step_y}


def smooth_imagery(bands: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth fields plus noise, like reflectances (so that bilinear values rarely tie)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    layers = [
        3000 + 900 * np.sin(xx / (23 + 3 * b) + b) * np.cos(yy / 31) + rng.normal(0, 40, (h, w))
        for b in range(bands)
    ]
    return np.stack(layers)


def reproject_whole_file(
    path: Path, grid: GridSpec, method: str, dtype: Any = None, fill: float = 0
) -> tuple[np.ndarray, np.ndarray]:
    """GDAL: the whole file onto ``grid``, with :func:`pixel_size_scale`; and where it wrote.

    Where it wrote: a band of ones (zeros where the file holds nodata) warped along.
    """
    with rasterio.open(path) as ds:
        src = ds.read()
        nodata = ds.nodata
        if nodata is not None:
            ones = (src != nodata).any(axis=0, keepdims=True)
        else:
            ones = np.ones((1, *src.shape[1:]), bool)
        transform, crs = ds.transform, ds.crs
    scale = pixel_size_scale(raster_info(path).grid, grid)
    dst = np.full((src.shape[0], *grid.shape), fill, dtype or src.dtype)
    kwargs = dict(src_transform=transform, src_crs=crs, dst_transform=grid.transform)
    kwargs |= dict(dst_crs=grid.crs, resampling=Resampling[method], **scale)
    reproject(src, dst, src_nodata=nodata, dst_nodata=fill, **kwargs)
    written = np.zeros((1, *grid.shape), np.uint8)
    marker = np.where(ones, 1, nodata if nodata is not None else 0).astype(src.dtype)
    reproject(marker, written, src_nodata=nodata, dst_nodata=0, **kwargs)
    return dst, written[0] == 1
