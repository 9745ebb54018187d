"""Choosing the grid a :class:`~eoforge.data.GeoDataset` reads on: CRS, resolution, pixel phase.

The choice is made once, from the sources' indexed native grids (no file is opened):

- :func:`common_crs` — the one CRS every raster file shares, or a clear error asking for ``crs=``;
- :func:`finest_res` — the finest native pixel size of the image files in the target CRS;
- :func:`phase_grid` — a grid at that resolution whose pixel corners fall on those of the first
  image file already in the target CRS at that resolution, so that reads of it stay plain
  windowed reads (no resampling).

Example:
    >>> import tempfile, numpy as np, rasterio
    >>> from affine import Affine
    >>> from eoforge.data import RasterSource
    >>> path = tempfile.mkdtemp() + "/a.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
    ...                    crs="EPSG:32633", transform=Affine(10, 0, 3, 0, -10, 40)) as dst:
    ...     dst.write(np.ones((1, 4, 4), "uint8"))
    >>> src = RasterSource(path)
    >>> crs = common_crs([src])
    >>> res = finest_res([src], crs)
    >>> phase_grid([src], crs, res, src.bounds).transform.c
    3.0
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from affine import Affine

from eoforge.data.raster_source import RasterSource
from eoforge.errors import CRSMismatchError, InvalidGridError
from eoforge.geo import BBox, GridSpec

__all__ = ["common_crs", "finest_res", "phase_grid"]


def _native_grids(sources: Sequence[RasterSource]) -> Iterator[GridSpec]:
    """Every band's native grid, sources and items in order."""
    for src in sources:
        for item in src.items:
            for ref in item.refs:
                yield ref.grid


def _same_res(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(math.isclose(p, q, rel_tol=1e-9) for p, q in zip(a, b, strict=True))


def common_crs(sources: Sequence[RasterSource]) -> str:
    """The one CRS of every file of ``sources``.

    Raises:
        CRSMismatchError: when the files span several CRSs; the message names them and suggests
            ``crs=`` (the first source's index CRS).

    Example:
        >>> common_crs([])
        Traceback (most recent call last):
        ...
        eoforge.errors.InvalidGridError: no raster source to take a CRS from; pass crs=…
    """
    crss = sorted({crs for src in sources for crs in src.crss})
    if len(crss) == 1:
        return crss[0]
    if not crss:
        raise InvalidGridError("no raster source to take a CRS from; pass crs=…")
    raise CRSMismatchError(
        f"the sources' files are in several CRSs ({', '.join(crss)}); pass the target CRS, "
        f"e.g. GeoDataset(..., crs={sources[0].crs!r}) — files in other CRSs are then "
        "reprojected on read"
    )


def finest_res(sources: Sequence[RasterSource], crs: str) -> tuple[float, float]:
    """The finest native pixel size of the files in ``crs``.

    When no file is in ``crs``, GDAL's estimate for the first file reprojected to ``crs`` (made
    square, the finer side).

    Example:
        >>> finest_res([], "EPSG:32633")
        Traceback (most recent call last):
        ...
        eoforge.errors.InvalidGridError: cannot infer a resolution (no image file); pass res=…
    """
    best: tuple[float, float] | None = None
    fallback: GridSpec | None = None
    for grid in _native_grids(sources):
        if grid.crs != crs:
            fallback = fallback or grid
        elif best is None or grid.res[0] * grid.res[1] < best[0] * best[1]:
            best = grid.res
    if best is not None:
        return best
    if fallback is None:
        raise InvalidGridError("cannot infer a resolution (no image file); pass res=…")
    side = min(fallback.to_crs(crs).res)
    return (side, side)


def phase_grid(
    sources: Sequence[RasterSource], crs: str, res: tuple[float, float], bounds: BBox
) -> GridSpec:
    """The north-up grid at ``res`` covering ``bounds``, in the pixel phase of the image files.

    The phase is that of the first file whose native grid is in ``crs`` at ``res``; when there is
    none, the grid is anchored at the top-left of ``bounds``.

    Example:
        >>> phase_grid([], "EPSG:32633", (10.0, 10.0), BBox(1, 1, 35, 35, "EPSG:32633")).shape
        (4, 4)
    """
    xres, yres = res
    for grid in _native_grids(sources):
        if grid.crs == crs and grid.is_north_up and _same_res(grid.res, res):
            t = grid.transform
            return GridSpec(crs, Affine(xres, 0.0, t.c, 0.0, -yres, t.f), 1, 1).snap(bounds)
    return GridSpec.from_bounds(bounds, res)
