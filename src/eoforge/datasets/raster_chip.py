"""Read a whole chip file (GeoTIFF, JPEG, PNG, … anything GDAL opens): pixels, band names, grid.

Pre-chipped datasets store one small image per file, often without georeferencing (JPEG, PNG):
:func:`read_raster_chip` reads all of it (or some bands) and returns its grid only when the file
has a CRS; :func:`chip_band_names` names its bands from the file's band descriptions, else
``R, G, B`` for three-band 8-bit images, else ``B1, B2, …``.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "chip.png"
    >>> with rasterio.open(path, "w", driver="PNG", width=4, height=4, count=3,
    ...                    dtype="uint8") as ds:
    ...     ds.write(np.full((3, 4, 4), 7, "uint8"))
    >>> pixels, grid = read_raster_chip(path, indexes=[3, 1])
    >>> pixels.shape, grid, chip_band_names(path)
    ((2, 4, 4), None, ['R', 'G', 'B'])
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from eoforge.errors import RasterReadError
from eoforge.geo import GridSpec

__all__ = ["chip_band_names", "open_chip", "read_raster_chip"]


@contextmanager
def open_chip(path: Path | str) -> Iterator[Any]:
    """Open a chip file with rasterio (no warning for files without georeferencing).

    Raises:
        RasterReadError: the file cannot be opened or read (the message names it).

    Example:
        >>> with open_chip("missing.tif") as ds:  # doctest: +ELLIPSIS
        ...     pass
        Traceback (most recent call last):
        ...
        eoforge.errors.RasterReadError: cannot read 'missing.tif' ...
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as ds:
                yield ds
    except RasterioError as err:
        raise RasterReadError(
            f"cannot read {str(path)!r} ({err}); check that it is a complete image file "
            "(GeoTIFF, JPEG, PNG, …) or remove it from the dataset"
        ) from err


def _names(ds: Any) -> list[str]:
    descriptions = list(ds.descriptions)
    if descriptions and all(descriptions) and len(set(descriptions)) == len(descriptions):
        return [str(d) for d in descriptions]
    if ds.count == 3 and all(dtype == "uint8" for dtype in ds.dtypes):
        return ["R", "G", "B"]
    return [f"B{i + 1}" for i in range(ds.count)]


def chip_band_names(path: Path | str) -> list[str]:
    """The band names of a chip file: its descriptions, else R, G, B (3-band 8-bit), else B1….

    Example:
        >>> import tempfile, pathlib, numpy as np, rasterio
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "chip.tif"
        >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=2,
        ...                    dtype="uint16") as ds:
        ...     ds.write(np.zeros((2, 2, 2), "uint16"))
        ...     ds.descriptions = ("B04", "B08")
        >>> chip_band_names(path)
        ['B04', 'B08']
    """
    with open_chip(path) as ds:
        return _names(ds)


def read_raster_chip(
    path: Path | str, indexes: Sequence[int] | None = None, *, count: int | None = None
) -> tuple[np.ndarray, GridSpec | None]:
    """All pixels of a chip file, ``(C, H, W)`` in its own dtype, and its grid when it has a CRS.

    Args:
        path: the file.
        indexes: 1-based band numbers to read, in this order (default: all bands).
        count: the number of bands the file must have (``None``: any).

    Raises:
        RasterReadError: the file cannot be read, or has another number of bands than ``count``.

    Example:
        >>> import tempfile, pathlib, numpy as np, rasterio
        >>> from affine import Affine
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "chip.tif"
        >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1,
        ...                    dtype="uint8", crs="EPSG:32633",
        ...                    transform=Affine(10, 0, 500000, 0, -10, 10)) as ds:
        ...     ds.write(np.ones((1, 2, 2), "uint8"))
        >>> read_raster_chip(path)[1].bounds
        BBox(500000.0, -10.0, 500020.0, 10.0, crs='EPSG:32633')
    """
    with open_chip(path) as ds:
        if count is not None and ds.count != count:
            raise RasterReadError(
                f"{str(path)!r} has {ds.count} bands where the dataset's files have {count}; "
                "give every file of the dataset the same bands, or move this one out"
            )
        try:
            pixels = ds.read(list(indexes) if indexes is not None else None)
        except (RasterioError, IndexError) as err:
            raise RasterReadError(
                f"cannot read bands {list(indexes or [])} of {str(path)!r} ({err}); the file "
                f"has {ds.count} bands: check that every file of the dataset has the same bands"
            ) from err
        grid = GridSpec(ds.crs, ds.transform, ds.width, ds.height) if ds.crs else None
    return np.asarray(pixels), grid
