"""How GDAL cuts a warp into chunks when the source window lies mostly outside the file.

GDAL's warper (``CollectChunkListInternal``) halves a target window over 100 pixels wide or high
whose *source fill ratio* is below 0.5: the source window of the target's sides (plus the kernel
radius), clipped to the file, over the unclipped one (``ComputeSourceWindow``). It halves along
the width when the window is wider than high, else along the height (the first half rounded
down), and looks at each half again. Each chunk is then warped on its own, and GDAL's
approximate transformer interpolates each chunk's rows between the chunk's own end points: the
values differ from one warp of the whole grid, and from GDAL's warp of a window of the file (whose
fill ratio is another).

:func:`gdal_chunks` finds the chunks GDAL makes when it warps the whole file, from an estimate
of each ratio; where one is too close to 0.5, or the overlap with the file too thin, to call
either way, it gives up (``None``).

Example:
    >>> def shifted(cols, rows):  # a target grid 200 pixels left of the file's top-left corner
    ...     return cols - 200.0, rows
    >>> chunks = gdal_chunks(shifted, file_shape=(300, 300), grid_shape=(300, 300), radius=1)
    >>> [(c.col, c.row, c.width, c.height) for c in chunks]  # halved twice; the left ones empty
    [(0, 0, 150, 150), (150, 0, 150, 150), (0, 150, 150, 150), (150, 150, 150, 150)]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Chunk", "fill_ratio", "gdal_chunks"]

Array = np.ndarray[Any, Any]

PixelTransform = Callable[[Array, Array], tuple[Array, Array]]
"""Maps target pixel positions ``(cols, rows)`` to file pixel coordinates ``(x, y)``, exactly."""

SPLIT_BELOW = 0.5
"""GDAL halves a window whose source fill ratio is below this."""
_MARGIN = 0.05  # an estimated ratio this close to SPLIT_BELOW is not called either way
_MAX_SIDE = 100  # GDAL halves only windows wider or higher than this
_EDGE_SAMPLES = 22  # ComputeSourceWindow samples each side of the target at 21 steps
_THIN = 2  # an overlap of fewer source pixels is not called either way


class Chunk(NamedTuple):
    """A window of the target grid that GDAL warps on its own (target pixels)."""

    col: int
    row: int
    width: int
    height: int


def fill_ratio(
    transform: PixelTransform, file_shape: tuple[int, int], chunk: Chunk, radius: int
) -> float | None:
    """GDAL's source fill ratio of a window of the target grid, estimated as GDAL computes it.

    Args:
        transform: the exact mapping of target positions to file pixel coordinates.
        file_shape: the file's ``(height, width)``.
        chunk: the window of the target grid.
        radius: the resampling kernel's radius in source pixels.

    Returns:
        the ratio (0 when the window's source lies clearly outside the file), or ``None`` when
        it overlaps the file by too little to tell whether GDAL sees an overlap.
    """
    steps = np.linspace(0.0, 1.0, _EDGE_SAMPLES)
    first, last = np.zeros(_EDGE_SAMPLES), np.ones(_EDGE_SAMPLES)
    across = np.concatenate([steps, steps, first, last])
    down = np.concatenate([first, last, steps, steps])
    x, y = transform(chunk.col + across * chunk.width, chunk.row + down * chunk.height)
    x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    height, width = file_shape
    over_x = min(x1 + radius, width) - max(x0 - radius, 0)
    over_y = min(y1 + radius, height) - max(y0 - radius, 0)
    if over_x < _THIN or over_y < _THIN:
        return 0.0 if min(over_x, over_y) <= -_THIN else None
    c0, r0 = max(math.floor(x0) - radius, 0), max(math.floor(y0) - radius, 0)
    cols_in = min(width - c0, math.ceil(x1) - c0 + radius)
    rows_in = min(height - r0, math.ceil(y1) - r0 + radius)
    unclipped = max(1.0, (x1 - x0 + 2 * radius) * (y1 - y0 + 2 * radius))
    return max(cols_in, 0) * max(rows_in, 0) / unclipped


def gdal_chunks(
    transform: PixelTransform,
    file_shape: tuple[int, int],
    grid_shape: tuple[int, int],
    radius: int,
) -> list[Chunk] | None:
    """The chunks GDAL warps the whole file onto the target grid in, in GDAL's order.

    Args:
        transform: the exact mapping of target positions to file pixel coordinates.
        file_shape: the file's ``(height, width)``.
        grid_shape: the target grid's ``(height, width)``.
        radius: the resampling kernel's radius in source pixels.

    Returns:
        the chunks (one: the whole grid, when GDAL does not halve it), or ``None`` when some
        ratio is too close to call.
    """
    chunks: list[Chunk] = []

    def collect(chunk: Chunk) -> bool:
        if chunk.width > _MAX_SIDE or chunk.height > _MAX_SIDE:
            ratio = fill_ratio(transform, file_shape, chunk, radius)
            if ratio is None or SPLIT_BELOW - _MARGIN <= ratio < SPLIT_BELOW + _MARGIN:
                return False
            if 0 < ratio < SPLIT_BELOW:
                col, row, width, height = chunk
                if width > height:
                    half = width // 2
                    first = Chunk(col, row, half, height)
                    second = Chunk(col + half, row, width - half, height)
                else:
                    half = height // 2
                    first = Chunk(col, row, width, half)
                    second = Chunk(col, row + half, width, height - half)
                return collect(first) and collect(second)
        chunks.append(chunk)
        return True

    height, width = grid_shape
    return chunks if collect(Chunk(0, 0, width, height)) else None
