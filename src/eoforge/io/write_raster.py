"""``write_raster``: an array on a ``GridSpec`` → a Cloud-Optimised GeoTIFF, written atomically.

GDAL's COG driver lays the file out for windowed and remote reads: tiled (``blocksize``²),
compressed (DEFLATE + horizontal predictor by default), with internal overviews, headers first.
The pixels go to a temporary file beside the target, which is renamed into place only when
complete: a crash never leaves a half-written map under the final name, and an existing file is
never replaced unless ``overwrite=True``.

Georeferencing and meaning travel with the pixels: CRS, transform, nodata, band descriptions
(band names), and for a single-band class map its colour table (``ds.colormap(1)``) and class
names. GDAL can keep category names only in a side-car ``.aux.xml``, which rasterio cannot write,
so class names are stored inside the file as the dataset tag ``CLASS_NAMES``: a JSON object
``{"<value>": "<name>", …}`` (read it back with :func:`read_class_names`).

Measured: 2048x2048x10 uint16 (80 MB of noisy values) writes in about 1.5 s on 2 cores.

Example:
    >>> import tempfile, pathlib
    >>> from eoforge.geo import BBox
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 40, 40, "EPSG:32633"), res=10)
    >>> labels = np.array([[0, 1, 1, 2]] * 4, dtype="uint8")
    >>> path = write_raster(pathlib.Path(tempfile.mkdtemp()) / "classes.tif", labels, grid,
    ...                     class_names=["water", "forest", "urban"],
    ...                     colormap={0: (0, 0, 255), 1: (0, 128, 0), 2: (128, 128, 128)})
    >>> read_class_names(path)
    {0: 'water', 1: 'forest', 2: 'urban'}
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError
from rasterio.errors import RasterioError

from eoforge.errors import InvalidGridError, OutputExistsError, RasterReadError
from eoforge.geo import GridSpec, rio_crs
from eoforge.io.cog_file import cog_creation_options, publish_file
from eoforge.io.handles import RasterLike, as_dataset, forget_raster

__all__ = ["CLASS_NAMES_TAG", "read_class_names", "write_raster"]

CLASS_NAMES_TAG = "CLASS_NAMES"
"""Dataset tag holding a class map's names as JSON ``{"<value>": "<name>"}``."""

_DTYPE_FOR_GDAL = {"bool": "uint8", "float16": "float32"}

Color = tuple[int, int, int] | tuple[int, int, int, int]


def _as_bands(array: Any, grid: GridSpec, path: Path) -> np.ndarray[Any, Any]:
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != grid.shape or arr.shape[0] == 0:
        raise InvalidGridError(
            f"array of shape {np.shape(array)} does not fit the grid {grid.shape} for '{path}'; "
            "pass (bands, rows, cols) or (rows, cols) matching grid.shape"
        )
    target = _DTYPE_FOR_GDAL.get(arr.dtype.name)
    if target is not None:
        arr = arr.astype(target)
    if arr.dtype.kind == "c" or not rasterio.dtypes.check_dtype(arr.dtype):
        raise InvalidGridError(
            f"dtype {arr.dtype} cannot be written by eoforge ('{path}'); cast the array to an "
            "integer or float32/float64 type first"
        )
    return arr


def _check_nodata(nodata: float | None, dtype: np.dtype[Any], path: Path) -> None:
    if nodata is None or dtype.kind == "f":
        return
    limits = np.iinfo(dtype)
    if math.isnan(nodata) or nodata != int(nodata) or not limits.min <= nodata <= limits.max:
        raise InvalidGridError(
            f"nodata {nodata!r} cannot be stored in {dtype} pixels ('{path}'); pick a value in "
            f"{limits.min}..{limits.max} or cast the array to float32"
        )


def _class_names(names: Mapping[int, str] | Sequence[str]) -> dict[int, str]:
    items = names.items() if isinstance(names, Mapping) else enumerate(names)
    return {int(value): str(name) for value, name in items}


def _check_class_map(arr: np.ndarray[Any, Any], path: Path, what: str, colormap: bool) -> None:
    if arr.shape[0] != 1 or arr.dtype.kind not in "iu":
        raise InvalidGridError(
            f"{what} need a single-band integer class map, but the array for '{path}' has "
            f"{arr.shape[0]} band(s) of {arr.dtype}; write class maps as one integer band"
        )
    if colormap and arr.dtype.name not in {"uint8", "uint16"}:
        raise InvalidGridError(
            f"a GeoTIFF colour table needs uint8 or uint16 pixels, not {arr.dtype} ('{path}'); "
            "cast the class map with .astype('uint8')"
        )


def write_raster(
    path: str | os.PathLike[str],
    array: Any,
    grid: GridSpec,
    *,
    nodata: float | None = None,
    band_names: Sequence[str] | None = None,
    class_names: Mapping[int, str] | Sequence[str] | None = None,
    colormap: Mapping[int, Color] | None = None,
    overwrite: bool = False,
    compress: str = "deflate",
    blocksize: int = 512,
    overviews: bool = True,
    overview_resampling: str | None = None,
) -> Path:
    """Write ``array`` on ``grid`` as a Cloud-Optimised GeoTIFF, atomically.

    Args:
        path: the output file (its folder is created if missing).
        array: ``(bands, rows, cols)`` or ``(rows, cols)`` matching ``grid.shape``.
        grid: where the pixels are (CRS + transform).
        nodata: the nodata value to record.
        band_names: one name per band, stored as band descriptions.
        class_names: names of the values of a single-band class map (list: value = position).
        colormap: ``{value: (r, g, b[, a])}`` colour table of a single-band uint8/uint16 map.
        overwrite: replace an existing file.
        compress: GDAL compression (``"deflate"``, ``"zstd"``, ``"lzw"``, ``"none"``, …).
        blocksize: tile size in pixels (a multiple of 16).
        overviews: build internal overviews (down to one tile).
        overview_resampling: default ``"nearest"`` for class maps (``class_names`` or
            ``colormap`` given), ``"average"`` otherwise.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is False.
        InvalidGridError: the array does not fit the grid, or an option does not fit the array.
        RasterReadError: GDAL failed to write (the temporary file is removed).

    Example:
        >>> import tempfile, pathlib
        >>> from eoforge.geo import BBox
        >>> grid = GridSpec.from_bounds(BBox(0, 0, 1280, 1280, "EPSG:32633"), res=10)
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "image.tif"
        >>> image = np.ones((2, 128, 128), "uint16")
        >>> write_raster(out, image, grid, band_names=["B04", "B08"], blocksize=64).name
        'image.tif'
        >>> with rasterio.open(out) as ds:
        ...     ds.descriptions, ds.overviews(1), ds.profile["tiled"]
        (('B04', 'B08'), [2], True)
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"'{path}' already exists; pass overwrite=True to replace it")
    arr = _as_bands(array, grid, path)
    count = arr.shape[0]
    if band_names is not None and len(band_names) != count:
        raise InvalidGridError(
            f"{len(band_names)} band names given for {count} band(s) in '{path}'; "
            "give one name per band"
        )
    _check_nodata(nodata, arr.dtype, path)
    if blocksize <= 0 or blocksize % 16:
        raise InvalidGridError(
            f"blocksize {blocksize} is not valid for '{path}'; use a multiple of 16 (e.g. 512)"
        )
    names = None if class_names is None else _class_names(class_names)
    if names is not None:
        _check_class_map(arr, path, "class names", colormap=False)
    if colormap is not None:
        _check_class_map(arr, path, "a colour table", colormap=True)
    is_class_map = names is not None or colormap is not None
    resampling = overview_resampling or ("nearest" if is_class_map else "average")

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    profile: dict[str, Any] = {
        "driver": "COG",
        "width": grid.width,
        "height": grid.height,
        "count": count,
        "dtype": arr.dtype.name,
        "crs": rio_crs(grid.crs),
        "transform": grid.transform,
        "nodata": nodata,
        **cog_creation_options(compress, blocksize, overviews, resampling),
    }
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(tmp, "w", **profile) as ds:
            ds.write(arr)
            for i, name in enumerate(band_names or (), start=1):
                ds.set_band_description(i, str(name))
            if names is not None:
                ds.update_tags(
                    **{CLASS_NAMES_TAG: json.dumps({str(k): v for k, v in names.items()})}
                )
            if colormap is not None:
                ds.write_colormap(
                    1, {int(k): tuple(int(c) for c in v) for k, v in colormap.items()}
                )
        publish_file(tmp, path, overwrite)
        forget_raster(path)  # a cached handle would still show the replaced file
    except (RasterioError, CPLE_BaseError) as err:
        raise RasterReadError(
            f"GDAL failed to write '{path}' ({err}); nothing was written"
        ) from err
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def read_class_names(src: RasterLike) -> dict[int, str] | None:
    """The class names stored by :func:`write_raster` (``None`` when the file has none).

    Example:
        >>> read_class_names("no/such.tif")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: raster file 'no/such.tif' does not exist ...
    """
    text = as_dataset(src).tags().get(CLASS_NAMES_TAG)
    if text is None:
        return None
    return {int(k): str(v) for k, v in json.loads(text).items()}
