"""GDAL's nearest and 2x2 bilinear warp kernels in numpy, bit for bit, on a row-linear pixel map.

:func:`resample_rows` computes what GDAL's warper writes for target pixels whose kernels lie
inside the source array, given where each target pixel centre falls in the source
(:class:`PixelMap`: GDAL's approximate transformer, linear along each target row). It works
through the target rows in blocks, and can wait before each block for the source rows that
block needs (``ready``): the upper target rows are resampled while the lower source rows are
still being decoded (:func:`eoforge.io.tiff_blocks.start_tiff_window`).

:mod:`eoforge.io.warp_window` decides where these kernels apply (the conditions under which they
equal GDAL's) and warps everything else with GDAL.

Example:
    >>> from rasterio.windows import Window
    >>> src = np.arange(16, dtype="uint8").reshape(1, 4, 4)
    >>> shift = PixelMap(np.array([1.5, 1.5]), np.ones(2), np.array([1.5, 2.5]), np.zeros(2))
    >>> out = np.empty((1, 2, 2), dtype="float32")
    >>> resample_rows(src, Window(0, 0, 4, 4), shift, "nearest", out)
    >>> out.tolist()  # the pixels at (row 1, cols 1-2) and (row 2, cols 1-2)
    [[[5.0, 6.0], [9.0, 10.0]]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rasterio.windows import Window

from eoforge.io.warp_edges import FileEdges

__all__ = ["PixelMap", "resample_rows"]

Array = np.ndarray[Any, Any]

BLOCK_PIXELS = 2**14
"""Target pixels per numpy pass: temporaries stay small and cached."""

_MAX_ROW_ERROR = 0.125 / 2  # of the approximate transformer, in source pixels (GDAL's: 0.125)
_SHORT_ROW = 5  # GDAL transforms rows of this many pixels or fewer pixel by pixel


@dataclass(frozen=True)
class PixelMap:
    """File pixel coordinates of every target pixel centre, linear along each target row.

    Target pixel ``(j, i)`` samples the file at ``(col0[j] + dcol[j] * i, row0[j] + drow[j] * i)``
    (``(0, 0)``: the file's top-left corner): GDAL's approximate transformer, exactly.

    Example:
        >>> m = PixelMap(np.array([2.5]), np.array([1.0]), np.array([4.5]), np.array([0.0]))
        >>> float(m.col0[0] + m.dcol[0] * 3)  # the 4th pixel of the row
        5.5
    """

    col0: Array
    dcol: Array
    row0: Array
    drow: Array

    @staticmethod
    def row_points(width: int, height: int, col: int = 0, row: int = 0) -> tuple[Array, Array]:
        """The target positions GDAL transforms exactly for each row of a block of the grid.

        For the rows ``row`` to ``row + height`` of columns ``col`` to ``col + width``: the
        centres of each row's first, middle and last pixel, row after row.
        """
        mid = (width - 1) // 2
        cols = np.tile([col + 0.5, col + mid + 0.5, col + width - 0.5], height)
        return cols, np.repeat(np.arange(row, row + height) + 0.5, 3)

    @classmethod
    def from_row_points(cls, x: Array, y: Array, width: int) -> PixelMap | None:
        """The map through :meth:`row_points` transformed; ``None`` where GDAL would not use it.

        GDAL refines a row whose middle pixel is off the line by more than 0.125 source pixels
        (this asks for half that, in case a GDAL version also checks other points), and
        transforms rows of 5 pixels or fewer pixel by pixel.
        """
        if width <= _SHORT_ROW:
            return None
        ends_x, ends_y = x.reshape(-1, 3), y.reshape(-1, 3)  # first, middle, last
        mid = (width - 1) // 2
        dcol = (ends_x[:, 2] - ends_x[:, 0]) / (width - 1)
        drow = (ends_y[:, 2] - ends_y[:, 0]) / (width - 1)
        error = np.abs(ends_x[:, 0] + dcol * mid - ends_x[:, 1])
        error += np.abs(ends_y[:, 0] + drow * mid - ends_y[:, 1])
        if not (error <= _MAX_ROW_ERROR).all():
            return None
        return cls(ends_x[:, 0].copy(), dcol, ends_y[:, 0].copy(), drow)


def resample_rows(
    src: Array,
    window: Window,
    pixel_map: PixelMap,
    method: str,
    out: Array,
    ready: Callable[[int, int], None] | None = None,
    edges: FileEdges | None = None,
    rows_first: bool = False,
) -> Array | None:
    """GDAL's nearest or 2x2 bilinear kernel on ``src`` (the file's ``window``) at the map's points.

    GDAL's formulas in double precision: nearest takes pixel ``trunc(x + 1e-10)``; bilinear
    weighs pixels ``floor(x - 0.5)`` and the next by ``1.5 - (x - floor(x - 0.5))`` and its
    complement, and rounds integers half up. Without ``edges``, every kernel must lie inside
    ``window``, which starts a pixel into the file (so ``x - 0.5 > 0``: truncating floors); with
    them, ``window`` holds every kernel's taps inside the file, and target pixels over the
    file's edges get what GDAL gives them (:mod:`eoforge.io.warp_edges`).

    Args:
        src: ``(bands, h, w)``, the file's pixels in ``window``.
        window: where ``src`` lies in the file.
        pixel_map: where each target pixel centre falls in the file.
        method: ``"nearest"`` or ``"bilinear"``.
        out: the C-contiguous ``(bands, H, W)`` result, filled by blocks of rows.
        ready: called as ``ready(first, last)`` before each block of target rows: return once
            rows ``first`` to ``last`` (exclusive) of ``src`` hold their pixels.
        edges: the file's edges, where target pixels may lie over them.
        rows_first: bilinear sums each row's two weighted pixels first, then weighs the two
            rows (GDAL's formula for 8-bit and 16-bit pixels without nodata); else it
            sums the four pixels, each weighed by the product of its weights (GDAL's general
            formula). The two differ by rounding only, which matters where a value falls
            exactly half-way between integers: with weights from a grid of the file's CRS.

    Returns:
        with ``edges``, the ``(H, W)`` mask of the target pixels GDAL writes (the others hold
        no meaningful value); else ``None``.
    """
    assert out.flags.c_contiguous
    bands, src_h, src_w = src.shape
    height, width = out.shape[1:]
    flat = src.reshape(bands, src_h * src_w)
    cols = np.arange(width, dtype=np.float64)
    step = max(1, BLOCK_PIXELS // width)
    size = step * width
    # preallocated: x and y (then the weights of the left and top pixels), their integer parts
    # as floats (then the other weights), one spare; the four corners' indices and weights
    x, y, fx, fy, spare = np.empty((5, size))
    corners = np.empty((4, size), dtype=np.intp)
    weights = np.empty((4, size))
    samples = np.empty((bands, 4, size), dtype=src.dtype)
    value = np.empty((bands, size))
    written = np.ones((height, width), dtype=bool) if edges is not None else None
    for j0 in range(0, height, step):
        j1 = min(j0 + step, height)
        n = (j1 - j0) * width
        target = out[:, j0:j1].reshape(bands, n)  # a view: out is C-contiguous
        xs, ys = x[:n], y[:n]
        np.multiply(pixel_map.dcol[j0:j1, None], cols, out=xs.reshape(j1 - j0, width))
        xs.reshape(j1 - j0, width)[...] += pixel_map.col0[j0:j1, None]
        np.multiply(pixel_map.drow[j0:j1, None], cols, out=ys.reshape(j1 - j0, width))
        ys.reshape(j1 - j0, width)[...] += pixel_map.row0[j0:j1, None]
        ok = None
        if edges is not None and not edges.inside_everywhere(xs, ys):
            ok = edges.written(xs, ys, j0, width)
            assert written is not None
            written[j0:j1] = ok.reshape(j1 - j0, width)
        if method == "nearest":
            rows = (ys + 1e-10).astype(np.intp) - window.row_off
            if ready is not None:
                ready(max(int(rows.min()), 0), min(int(rows.max()) + 1, src_h))
            index = rows * src_w
            index += (xs + 1e-10).astype(np.intp) - window.col_off
            if out.dtype == src.dtype:
                np.take(flat, index, axis=1, out=target, mode="clip")
            else:
                target[...] = np.take(flat, index, axis=1, mode="clip")
            continue
        # the kernel's top-left pixel, trunc(x - 0.5) (x - 0.5 > 0: floor), kept as floats: all
        # the arithmetic stays in float64, and integer-valued floats convert to indices exactly
        tx, ty, c, w, v = fx[:n], fy[:n], corners[:, :n], weights[:, :n], value[:, :n]
        np.trunc(np.subtract(xs, 0.5, out=tx), out=tx)
        np.trunc(np.subtract(ys, 0.5, out=ty), out=ty)
        top = np.subtract(ty, window.row_off, out=spare[:n])  # the rows, in the window
        if ready is not None:
            ready(max(int(top.min()), 0), min(int(top.max()) + 2, src_h))
        over_edge = None  # the written pixels with a tap outside the file, and their values
        if ok is not None:
            assert edges is not None
            over_edge = edges.bilinear_over_edge(src, window, xs, ys, ok)
        top *= src_w
        top += tx
        top -= window.col_off
        c[0] = top
        np.add(c[0], 1, out=c[1])
        np.add(c[0], src_w, out=c[2])
        np.add(c[2], 1, out=c[3])
        wx = np.subtract(1.5, np.subtract(xs, tx, out=xs), out=xs)  # the left pixels' weights
        wy = np.subtract(1.5, np.subtract(ys, ty, out=ys), out=ys)  # the top pixels'
        ux, uy = np.subtract(1.0, wx, out=tx), np.subtract(1.0, wy, out=ty)
        np.take(flat, c, axis=1, out=samples[:, :, :n], mode="clip")
        if rows_first:  # (s00 wx + s01 ux) wy + (s10 wx + s11 ux) uy
            w[0], w[1], w[2], w[3] = wx, ux, wy, uy
            pair = np.empty((bands, 2, n))
            np.einsum("bkn,kn->bn", samples[:, :2, :n], w[:2], out=pair[:, 0])
            np.einsum("bkn,kn->bn", samples[:, 2:, :n], w[:2], out=pair[:, 1])
            np.einsum("bkn,kn->bn", pair, w[2:], out=v)
        else:
            for k, (a, b) in enumerate(((wx, wy), (ux, wy), (wx, uy), (ux, uy))):
                np.multiply(a, b, out=w[k])
            np.einsum("bkn,kn->bn", samples[:, :, :n], w, out=v)
        if over_edge is not None:
            v[:, over_edge[0]] = over_edge[1]
        if out.dtype.kind in "iu":  # GDAL: (T)(v + 0.5), floor(v + 0.5) for signed T
            v += 0.5
            if out.dtype.kind == "i":
                np.floor(v, out=v)
        target[...] = v
    return written
