"""Read a chip stored as one single-band file per band (BigEarthNet): stacked on its finest grid.

Sentinel-2 chips of BigEarthNet keep each band at its native resolution — 10 m bands 120 × 120
pixels, 20 m bands 60 × 60, 60 m bands 20 × 20 — in a file of its own.
:func:`read_band_files` stacks such files into one ``(C, H, W)`` float32 array on the grid of the
finest file: files of that size are read as they are (bit-exact), coarser ones are upsampled by
GDAL's bilinear resampling in rasterio's ``out_shape`` reads (pixel centres aligned, edges
clamped; integer files stay integer, rounded to the nearest value). Every file must cover the
same area, so that a band of another patch is never stacked silently.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name, res in (("B04", 10), ("B05", 20)):
    ...     size = 40 // res
    ...     with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=size,
    ...                        height=size, count=1, dtype="uint16", crs="EPSG:32633",
    ...                        transform=Affine(res, 0, 0, 0, -res, 40)) as ds:
    ...         ds.write(np.full((1, size, size), res, "uint16"))
    >>> image, grid = read_band_files([folder / "B04.tif", folder / "B05.tif"])
    >>> image.shape, image[:, 0, 0].tolist(), grid.res
    ((2, 4, 4), [10.0, 20.0], (10.0, 10.0))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.enums import Resampling

from eoforge.datasets.raster_chip import open_chip
from eoforge.errors import RasterReadError
from eoforge.geo import GridSpec

__all__ = ["band_file_grid", "read_band_files", "same_area"]


def _grid(ds: Any, path: Path) -> GridSpec:
    if not ds.crs:
        raise RasterReadError(
            f"{str(path)!r} has no CRS; the bands of a chip must be georeferenced GeoTIFFs "
            "(re-extract the dataset's archive if this file was altered)"
        )
    return GridSpec(ds.crs, ds.transform, ds.width, ds.height)


def band_file_grid(path: Path | str) -> GridSpec:
    """The grid of a georeferenced file (its header only).

    Raises:
        RasterReadError: the file cannot be read or has no CRS.

    Example:
        >>> band_file_grid("missing.tif")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.RasterReadError: cannot read 'missing.tif' ...
    """
    with open_chip(path) as ds:
        return _grid(ds, Path(path))


def same_area(grid: GridSpec, target: GridSpec) -> bool:
    """Whether ``grid`` covers the area of ``target``, to within half a pixel of ``target``.

    Example:
        >>> from eoforge.geo import BBox
        >>> box = BBox(0, 0, 1200, 1200, "EPSG:32633")
        >>> fine, coarse = GridSpec.from_bounds(box, 10), GridSpec.from_bounds(box, 60)
        >>> same_area(coarse, fine), same_area(fine.subgrid(0, 1, 120, 120), fine)
        (True, False)
    """
    a, b = grid.bounds, target.bounds
    tolerance = min(abs(target.res[0]), abs(target.res[1])) / 2
    edges = zip((a.minx, a.miny, a.maxx, a.maxy), (b.minx, b.miny, b.maxx, b.maxy), strict=True)
    return grid.crs == target.crs and all(abs(p - q) <= tolerance for p, q in edges)


def read_band_files(
    paths: Sequence[Path | str], grid: GridSpec | None = None
) -> tuple[np.ndarray, GridSpec]:
    """Stack single-band files into ``(len(paths), H, W)`` float32 on the finest file's grid.

    Args:
        paths: one single-band file per band, in channel order.
        grid: the grid to stack on (its shape is used; its area must be the files'); default:
            the grid of the file with the most pixels.

    Returns:
        The stacked pixels and their grid.

    Raises:
        RasterReadError: a file cannot be read, has no CRS or not one band, or covers another
            area than the others.

    Example:
        >>> read_band_files(["missing_B02.tif"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.RasterReadError: cannot read 'missing_B02.tif' ...
    """
    files = [Path(p) for p in paths]
    target = grid or max((band_file_grid(p) for p in files), key=lambda g: g.width * g.height)
    image = np.empty((len(files), target.height, target.width), dtype=np.float32)
    for i, path in enumerate(files):
        with open_chip(path) as ds:  # one opening per file: header checks, then the pixels
            if ds.count != 1:
                raise RasterReadError(
                    f"{str(path)!r} has {ds.count} bands where one band per file was expected; "
                    "check that it is a file of the dataset"
                )
            own = _grid(ds, path)
            if not same_area(own, target):
                raise RasterReadError(
                    f"{str(path)!r} covers {own.bounds} but the chip covers {target.bounds}; "
                    "the bands of a sample must be files of one patch (check the pairing)"
                )
            if (own.height, own.width) == (target.height, target.width):
                image[i] = ds.read(1)
            else:
                image[i] = ds.read(
                    1, out_shape=(target.height, target.width), resampling=Resampling.bilinear
                )
    return image, target
