"""``StripBlender``: blends weighted tile outputs into finished windows, in bounded memory.

Tiles arrive row of tiles by row of tiles, left to right (:class:`TileLayout` order). A pixel is
finished once no later tile covers it: after tile ``(i, j)``, the columns before the next tile's
start, in the rows before the next row of tiles' start. Finished windows are handed to ``finish``
at once (to be written to disk); what later tiles will still add to lives in two buffers only:

- the **strip**: the rows shared with the next row of tiles, across the whole width (its height
  is the overlap between the two rows of tiles);
- the **right part** of the current tile: the columns shared with the next tile.

So memory grows with the scene's width times the overlap, never with its area. The strip can be
saved and restored (:meth:`state`, :meth:`restore`) between rows, which is what makes a long
prediction resumable at row boundaries.

Example:
    >>> import numpy as np
    >>> from eoforge.predict.tile_layout import TileLayout
    >>> layout = TileLayout(height=40, width=40, tile=32, overlap=8)
    >>> out = np.zeros((40, 40))
    >>> def finish(values, weights, row, col):
    ...     out[row:row + values.shape[1], col:col + values.shape[2]] = values[0] / weights
    >>> blender = StripBlender(layout, bands=1, finish=finish)
    >>> for i in range(layout.shape[0]):
    ...     blender.begin_row(i)
    ...     for j in range(layout.shape[1]):
    ...         w = layout.weights(i, j)
    ...         blender.add_tile(j, 7.0 * w[None], w)  # every tile predicts 7 everywhere
    ...     _ = blender.end_row()
    >>> bool(np.allclose(out, 7.0))
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError
from eoforge.predict.tile_layout import TileLayout

__all__ = ["Finish", "StripBlender"]

Array = np.ndarray[Any, Any]
Finish = Callable[[Array, Array, int, int], None]
"""``finish(value_sums (bands, h, w), weight_sums (h, w), row, col)`` for a finished window."""


def _owned_float32(a: Array) -> Array:
    """``a`` itself when it is a writeable float32 array, else a float32 copy."""
    if a.dtype == np.float32 and a.flags.writeable:
        return a
    return np.array(a, dtype=np.float32)


class StripBlender:
    """Accumulates ``weight × output`` and ``weight`` of tiles; hands out finished windows.

    Args:
        layout: the tiles.
        bands: output bands.
        finish: called once for every finished window, in row-major order of tiles.
    """

    def __init__(self, layout: TileLayout, bands: int, finish: Finish) -> None:
        self.layout = layout
        self.bands = bands
        self.finish = finish
        self.row = -1
        self._strip_v = np.zeros((bands, 0, layout.width), dtype=np.float32)
        self._strip_w = np.zeros((0, layout.width), dtype=np.float32)
        self._next_col = 0
        self._j = -1

    # ------------------------------------------------------------------ resumable state
    def state(self) -> dict[str, Array]:
        """The strip after the last finished row (save it to resume after that row)."""
        return {"values": self._strip_v, "weights": self._strip_w, "row": np.array(self.row)}

    def restore(self, state: dict[str, Array]) -> None:
        """Continue after the row ``state`` was taken at."""
        self._strip_v = np.asarray(state["values"], dtype=np.float32)
        self._strip_w = np.asarray(state["weights"], dtype=np.float32)
        self.row = int(state["row"])

    # ------------------------------------------------------------------ rows and tiles
    def begin_row(self, i: int) -> None:
        """Start row ``i`` of tiles (rows must come in order)."""
        if i != self.row + 1:
            raise EoforgeError(f"tile row {i} out of order (after row {self.row})")
        lay = self.layout
        self.row = i
        self._top = int(lay.rows[i])
        self._bottom = min(self._top + lay.tile, lay.height)
        self._final = lay.final_rows(i)
        pending = self._bottom - self._final
        self._out_v = np.zeros((self.bands, pending, lay.width), dtype=np.float32)
        self._out_w = np.zeros((pending, lay.width), dtype=np.float32)
        self._right_v = np.zeros((self.bands, self._bottom - self._top, 0), dtype=np.float32)
        self._right_w = np.zeros((self._bottom - self._top, 0), dtype=np.float32)
        self._next_col = 0
        self._j = -1

    def add_tile(self, j: int, values: Array | None, weights: Array | None) -> None:
        """Add tile ``(row, j)`` of the current row.

        ``values`` is weight × output ``(bands, tile, tile)`` and ``weights`` ``(tile, tile)``;
        both ``None`` for a tile without data (skipped). Writeable float32 arrays are taken
        over (summed into in place, no copy): do not reuse them after the call.
        """
        if j != self._j + 1:
            raise EoforgeError(f"tile {j} of row {self.row} out of order (after {self._j})")
        self._j = j
        lay = self.layout
        height = self._bottom - self._top
        c0 = int(lay.cols[j])
        c1 = min(c0 + lay.tile, lay.width)
        if values is not None and weights is not None:  # taken over: summed into in place
            act_v = _owned_float32(values[:, :height, : c1 - c0])
            act_w = _owned_float32(weights[:height, : c1 - c0])
        else:
            act_v = np.zeros((self.bands, height, c1 - c0), dtype=np.float32)
            act_w = np.zeros((height, c1 - c0), dtype=np.float32)
        carried = self._right_w.shape[1]
        act_v[:, :, :carried] += self._right_v
        act_w[:, :carried] += self._right_w
        stop = int(lay.cols[j + 1]) if j + 1 < len(lay.cols) else lay.width
        a, b = self._next_col - c0, stop - c0
        seg_v, seg_w = act_v[:, :, a:b], act_w[:, a:b]
        strip = self._strip_w.shape[0]
        seg_v[:, :strip] += self._strip_v[:, :, self._next_col : stop]
        seg_w[:strip] += self._strip_w[:, self._next_col : stop]
        done = self._final - self._top
        self.finish(seg_v[:, :done], seg_w[:done], self._top, self._next_col)
        self._out_v[:, :, self._next_col : stop] = seg_v[:, done:]
        self._out_w[:, self._next_col : stop] = seg_w[done:]
        self._right_v, self._right_w = act_v[:, :, b:], act_w[:, b:]
        self._next_col = stop

    def end_row(self) -> dict[str, Array]:
        """Finish the row (every tile added); return the new strip state."""
        if self._j != len(self.layout.cols) - 1:
            raise EoforgeError(f"row {self.row} ended after {self._j + 1} of its tiles")
        self._strip_v, self._strip_w = self._out_v, self._out_w
        return self.state()
