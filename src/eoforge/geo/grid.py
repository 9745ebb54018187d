"""``GridSpec``: a raster grid — CRS, affine transform, width and height — and pure functions on it.

A ``GridSpec`` is the query every eoforge reader answers: *which pixels, in which CRS, at which
resolution*. Sub-grids, windows of other grids and pixel↔world conversions are all here, so that
readers and samplers never do affine arithmetic of their own.

Example:
    >>> g = GridSpec.from_bounds(BBox(0, 0, 100, 50, "EPSG:32633"), res=10)
    >>> g.shape
    (5, 10)
    >>> g.subgrid(1, 2, 2, 3).bounds
    BBox(20.0, 20.0, 50.0, 40.0, crs='EPSG:32633')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio.warp import calculate_default_transform
from rasterio.windows import Window

from eoforge.errors import CRSMismatchError, InvalidGridError
from eoforge.geo.bbox import BBox
from eoforge.geo.crs import CRSLike, crs_key, rio_crs

__all__ = ["GridSpec"]

_EPS = 1e-6  # tolerance, in pixels, for "is a whole number of pixels"


def _as_res(res: float | tuple[float, float]) -> tuple[float, float]:
    xres, yres = (res, res) if isinstance(res, int | float) else res
    xres, yres = float(xres), float(yres)
    if not (math.isfinite(xres) and math.isfinite(yres)) or xres <= 0 or yres <= 0:
        raise InvalidGridError(f"resolution {res!r} is not valid; give a positive pixel size")
    return xres, yres


def _near_int(value: float, tol: float = _EPS) -> bool:
    return abs(value - round(value)) <= tol


@dataclass(frozen=True, slots=True, init=False)
class GridSpec:
    """A raster grid: ``crs`` + affine ``transform`` + ``width`` × ``height`` pixels.

    Args:
        crs: the grid's CRS (anything :func:`~eoforge.geo.crs_key` accepts).
        transform: affine map from (col, row) pixel corners to world coordinates.
        width: number of columns (> 0).
        height: number of rows (> 0).

    Example:
        >>> from affine import Affine
        >>> g = GridSpec("EPSG:32633", Affine(10, 0, 500000, 0, -10, 4000000), 256, 256)
        >>> g.res
        (10.0, 10.0)
    """

    crs: str
    transform: Affine
    width: int
    height: int

    def __init__(self, crs: CRSLike, transform: Affine, width: int, height: int) -> None:
        if int(width) != width or int(height) != height or width <= 0 or height <= 0:
            raise InvalidGridError(
                f"grid size {width}x{height} is not valid; width and height must be positive "
                "integers"
            )
        if not isinstance(transform, Affine):
            transform = Affine(*transform)
        if transform.is_degenerate:
            raise InvalidGridError(
                f"transform {tuple(transform)[:6]} is degenerate (zero pixel size)"
            )
        object.__setattr__(self, "crs", crs_key(crs))
        object.__setattr__(self, "transform", transform)
        object.__setattr__(self, "width", int(width))
        object.__setattr__(self, "height", int(height))

    def __repr__(self) -> str:
        t = self.transform
        return (
            f"GridSpec(crs={self.crs!r}, transform=Affine({t.a!r}, {t.b!r}, {t.c!r}, {t.d!r}, "
            f"{t.e!r}, {t.f!r}), width={self.width}, height={self.height})"
        )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_bounds(
        cls,
        bounds: BBox | tuple[float, float, float, float],
        res: float | tuple[float, float],
        crs: CRSLike | None = None,
    ) -> GridSpec:
        """A north-up grid with its origin at the top-left of ``bounds``, covering them fully.

        The last column/row may reach past ``maxx``/``miny`` by less than one pixel.

        Args:
            bounds: a :class:`BBox`, or a tuple together with ``crs``.
            res: pixel size, one number or ``(xres, yres)``, positive.
            crs: the CRS when ``bounds`` is a plain tuple.

        Example:
            >>> GridSpec.from_bounds((0, 0, 25, 10), 10, crs=3857).shape
            (1, 3)
        """
        if not isinstance(bounds, BBox):
            if crs is None:
                raise InvalidGridError("bounds given as a tuple need crs=…; or pass a BBox")
            bounds = BBox(*bounds, crs=crs)
        xres, yres = _as_res(res)
        if bounds.is_empty:
            raise InvalidGridError(f"{bounds} has no area; a grid needs positive width and height")
        width = max(1, math.ceil(bounds.width / xres - _EPS))
        height = max(1, math.ceil(bounds.height / yres - _EPS))
        transform = Affine(xres, 0.0, bounds.minx, 0.0, -yres, bounds.maxy)
        return cls(bounds.crs, transform, width, height)

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def res(self) -> tuple[float, float]:
        """Pixel size ``(xres, yres)`` (positive) of a north-up grid."""
        t = self.transform
        return (math.hypot(t.a, t.d), math.hypot(t.b, t.e))

    @property
    def is_north_up(self) -> bool:
        """True when rows run south and columns east with no rotation."""
        t = self.transform
        return t.b == 0 and t.d == 0 and t.a > 0 and t.e < 0

    @property
    def bounds(self) -> BBox:
        """The box the grid covers (for a rotated grid, the box around its four corners)."""
        t = self.transform
        if self.is_north_up:
            return BBox(t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f, self.crs)
        corners = [t @ (c, r) for c in (0, self.width) for r in (0, self.height)]
        xs = [x for x, _ in corners]
        ys = [y for _, y in corners]
        return BBox(min(xs), min(ys), max(xs), max(ys), self.crs)

    # ------------------------------------------------------------------ pixel <-> world
    def xy(self, row: float, col: float, offset: str = "center") -> tuple[float, float]:
        """World coordinates of a pixel (``offset`` = ``"center"`` or ``"ul"`` corner).

        Example:
            >>> GridSpec.from_bounds((0, 0, 100, 100), 10, crs=3857).xy(0, 0)
            (5.0, 95.0)
        """
        shift = 0.5 if offset == "center" else 0.0
        x, y = self.transform @ (col + shift, row + shift)
        return (float(x), float(y))

    def rowcol(self, x: float, y: float) -> tuple[float, float]:
        """Fractional ``(row, col)`` of a world point (floor it for the pixel index)."""
        col, row = ~self.transform @ (x, y)
        return (float(row), float(col))

    def xy_arrays(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised :meth:`xy` at pixel centres."""
        t = self.transform
        c = np.asarray(cols, dtype=np.float64) + 0.5
        r = np.asarray(rows, dtype=np.float64) + 0.5
        return (t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f)

    # ------------------------------------------------------------------ relations between grids
    def _check_crs(self, other: GridSpec) -> None:
        if other.crs != self.crs:
            raise CRSMismatchError(
                f"grids are in different CRSs ({self.crs} and {other.crs}); reproject one with "
                f".to_crs({self.crs!r}) first"
            )

    def window_of(self, other: GridSpec) -> Window:
        """Where ``other`` lies in this grid, in this grid's pixels (fractional when unaligned).

        Example:
            >>> g = GridSpec.from_bounds((0, 0, 100, 100), 10, crs=3857)
            >>> g.window_of(g.subgrid(2, 3, 4, 5))
            Window(col_off=3.0, row_off=2.0, width=5.0, height=4.0)
        """
        self._check_crs(other)
        inv = ~self.transform
        col0, row0 = inv @ (other.transform.c, other.transform.f)
        col1, row1 = inv @ (other.transform @ (other.width, other.height))
        return Window(col0, row0, col1 - col0, row1 - row0)

    def is_aligned_with(self, other: GridSpec, tol: float = _EPS) -> bool:
        """True when both grids share CRS, pixel size, orientation and pixel phase.

        Aligned grids can be read from one another with a plain windowed read: every pixel of one
        falls exactly on a pixel of the other.
        """
        if other.crs != self.crs:
            return False
        a, b = self.transform, other.transform
        pairs = ((a.a, b.a), (a.b, b.b), (a.d, b.d), (a.e, b.e))
        if not all(math.isclose(p, q, rel_tol=1e-9, abs_tol=1e-12) for p, q in pairs):
            return False
        col, row = ~a @ (b.c, b.f)
        return _near_int(col, tol) and _near_int(row, tol)

    def subgrid(self, row_off: int, col_off: int, height: int, width: int) -> GridSpec:
        """The grid of a pixel window of this grid (offsets may be negative or reach past it).

        Example:
            >>> g = GridSpec.from_bounds((0, 0, 100, 100), 10, crs=3857)
            >>> g.subgrid(0, 0, 2, 2).bounds
            BBox(0.0, 80.0, 20.0, 100.0, crs='EPSG:3857')
        """
        transform = self.transform @ Affine.translation(col_off, row_off)
        return GridSpec(self.crs, transform, width, height)

    def snap(self, bounds: BBox) -> GridSpec:
        """The smallest sub-grid aligned with this grid that covers ``bounds`` (may reach outside).

        Example:
            >>> g = GridSpec.from_bounds((0, 0, 100, 100), 10, crs=3857)
            >>> g.snap(BBox(12, 12, 28, 38, 3857)).bounds
            BBox(10.0, 10.0, 30.0, 40.0, crs='EPSG:3857')
        """
        if bounds.crs != self.crs:
            bounds = bounds.to_crs(self.crs)
        if not self.is_north_up:
            raise InvalidGridError("snap() needs a north-up grid; this grid is rotated or flipped")
        inv = ~self.transform
        c0, r0 = inv @ (bounds.minx, bounds.maxy)
        c1, r1 = inv @ (bounds.maxx, bounds.miny)
        col0, row0 = math.floor(c0 + _EPS), math.floor(r0 + _EPS)
        col1, row1 = math.ceil(c1 - _EPS), math.ceil(r1 - _EPS)
        return self.subgrid(row0, col0, max(1, row1 - row0), max(1, col1 - col0))

    def clip_to(self, other: GridSpec) -> GridSpec | None:
        """The part of this grid inside ``other``'s bounds, aligned with it; ``None`` if apart.

        Only whole pixels of this grid that overlap ``other`` are kept (a pixel that overlaps partly
        is kept).
        """
        box = self.bounds.intersection(other.bounds.to_crs(self.crs))
        if box is None:
            return None
        return self.snap(box)

    def to_crs(self, crs: CRSLike, res: float | tuple[float, float] | None = None) -> GridSpec:
        """A north-up grid in ``crs`` covering the same area (GDAL's default output grid).

        Args:
            crs: target CRS.
            res: target pixel size; by default GDAL's estimate preserving the pixel count.
        """
        key = crs_key(crs)
        if key == self.crs and res is None:
            return self
        b = self.bounds
        kwargs = {"resolution": _as_res(res)} if res is not None else {}
        transform, width, height = calculate_default_transform(
            rio_crs(self.crs), rio_crs(key), self.width, self.height, *b, **kwargs
        )
        return GridSpec(key, transform, int(width), int(height))

    def with_res(self, res: float | tuple[float, float]) -> GridSpec:
        """The same bounds (top-left anchored) at another pixel size."""
        return GridSpec.from_bounds(self.bounds, res)

    def tiles(self, size: int) -> list[GridSpec]:
        """Split into non-overlapping ``size``×``size`` sub-grids (the last ones may be smaller)."""
        if size <= 0:
            raise InvalidGridError(f"tile size {size} must be positive")
        return [
            self.subgrid(r, c, min(size, self.height - r), min(size, self.width - c))
            for r in range(0, self.height, size)
            for c in range(0, self.width, size)
        ]
