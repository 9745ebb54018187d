"""Independent references computed with GDAL (through rasterio) and pyproj, shared by the tests."""

from __future__ import annotations

import math

import numpy as np
import pyproj

from eoforge.geo import GridSpec


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
