"""GDAL's warp at a file's edge, in numpy: which target pixels it writes, and with what value.

A target grid that hangs over the edge of a file gets values only where GDAL's warper finds a
source pixel, and those next to the edge get a 2x2 bilinear over the taps inside the file
alone. :class:`FileEdges` reproduces both for :func:`eoforge.io.warp_kernels.resample_rows`,
bit for bit (GDAL 3.10, a warp GDAL does not split into chunks):

- a target pixel is written where its source point ``(x, y)`` (file pixels) has ``x >= 0``,
  ``y >= 0``, ``trunc(x + 1e-10) < width`` and ``trunc(y + 1e-10) < height``;
- a point of the approximate transformer that fails this test by less than a pixel is
  transformed again exactly, and that point is tested and sampled instead;
- bilinear weighs the taps ``floor(x - 0.5)`` and the next as inside the file, and sums, in
  GDAL's order, only those inside; unless their weights sum to exactly 1, the sum is divided by
  them; GDAL's general kernel (not its fast ones) first moves a tap at -1 to 0 with all the
  weight: equal values but for rounding, which shows where a value falls half-way between
  integers.

Blocks of target rows whose every 2x2 lies inside the file skip all of this.

Example:
    >>> edges = FileEdges(height=4, width=4, exact=lambda cols, rows: (cols, rows))
    >>> x, y = np.array([-1.5, 0.25, 3.9]), np.array([1.5, 1.5, 1.5])  # -1.5: not retried
    >>> edges.inside_everywhere(x, y)
    False
    >>> edges.written(x, y, first_row=0, width=3).tolist()
    [False, True, True]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rasterio.windows import Window

__all__ = ["FileEdges"]

Array = np.ndarray[Any, Any]

ExactTransform = Callable[[Array, Array], tuple[Array, Array]]
"""Maps target pixel positions ``(cols, rows)`` to file pixel coordinates ``(x, y)`` exactly."""


@dataclass(frozen=True)
class FileEdges:
    """The file's size and its exact pixel mapping, for target pixels over its edges.

    Attributes:
        height: the file's rows.
        width: the file's columns.
        exact: the exact mapping of target pixel positions to file pixel coordinates.
        move_taps: bilinear moves a tap at -1 to 0 with all the weight, as GDAL's general
            kernel does (pixels with a validity mask, or types without a fast kernel); its
            fast kernels do not.
    """

    height: int
    width: int
    exact: ExactTransform
    move_taps: bool = False

    def inside_everywhere(self, x: Array, y: Array) -> bool:
        """Whether every point's 2x2 bilinear kernel (so its nearest pixel too) is in the file."""
        return bool(
            x.min() >= 0.5 and y.min() >= 0.5
            and x.max() < self.width - 0.5 and y.max() < self.height - 0.5
        )  # fmt: skip

    def _accepts(self, x: Array, y: Array, slack: int = 0) -> Array:
        """GDAL's test of a source point (``slack``: that many pixels beyond the file pass)."""
        with np.errstate(invalid="ignore"):
            cols, rows = (x + 1e-10).astype(np.int64), (y + 1e-10).astype(np.int64)
        return (
            (x > -slack if slack else x >= 0) & (y > -slack if slack else y >= 0)
            & (cols < self.width + slack) & (rows < self.height + slack)
        )  # fmt: skip

    def written(self, x: Array, y: Array, first_row: int, width: int) -> Array:
        """Which points GDAL writes; ``x`` and ``y`` take the exact point where it retried.

        Args:
            x: the approximate source columns of the target pixels of rows ``first_row`` on,
                ``width`` a row, flattened (changed in place).
            y: their source rows (changed in place).
            first_row: the target row of the first point.
            width: the target grid's width.
        """
        ok = self._accepts(x, y)
        retry = np.flatnonzero(~ok & self._accepts(x, y, slack=1))
        if retry.size:
            rows, cols = np.divmod(retry, width)
            ex, ey = self.exact(cols + 0.5, rows + first_row + 0.5)
            x[retry], y[retry] = ex, ey
            ok[retry] = self._accepts(ex, ey)
        return ok

    def bilinear_over_edge(
        self, src: Array, window: Window, x: Array, y: Array, ok: Array
    ) -> tuple[Array, Array]:
        """The written points with a tap outside the file, and their renormalised values.

        Args:
            src: ``(bands, h, w)``, the file's pixels in ``window`` (every tap inside the file).
            window: where ``src`` lies in the file.
            x: source columns of the points.
            y: their source rows.
            ok: which points are written.

        Returns:
            ``(index, values)``: the positions (into ``x``) of the points, and their
            ``(bands, n)`` float64 values.
        """
        tx, ty = np.floor(x - 0.5), np.floor(y - 0.5)
        over = ok & ((tx < 0) | (ty < 0) | (tx >= self.width - 1) | (ty >= self.height - 1))
        index = np.flatnonzero(over)
        tx, ty, px, py = tx[index], ty[index], x[index], y[index]
        wx, wy = 1.5 - (px - tx), 1.5 - (py - ty)
        if self.move_taps:
            wx[tx == -1], wy[ty == -1] = 1.0, 1.0
            tx[tx == -1], ty[ty == -1] = 0.0, 0.0
        left, top = tx.astype(np.intp), ty.astype(np.intp)
        total = np.zeros((src.shape[0], index.size))
        weight = np.zeros(index.size)
        ux, uy = 1 - wx, 1 - wy
        for dx, dy, w in ((0, 0, wx * wy), (1, 0, ux * wy), (0, 1, wx * uy), (1, 1, ux * uy)):
            c, r = left + dx, top + dy
            inside = (c >= 0) & (c < self.width) & (r >= 0) & (r < self.height)
            pixels = src[:, np.clip(r - window.row_off, 0, src.shape[1] - 1),
                         np.clip(c - window.col_off, 0, src.shape[2] - 1)]  # fmt: skip
            total += np.where(inside, pixels * w, 0.0)
            weight += np.where(inside, w, 0.0)
        renormalise = weight != 1.0
        total[:, renormalise] /= weight[renormalise]
        return index, total
