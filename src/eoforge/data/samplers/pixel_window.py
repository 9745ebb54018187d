"""``PixelWindow``: an integer pixel window (offsets and size), immutable and hashable.

Example:
    >>> import numpy as np
    >>> w = PixelWindow(row_off=1, col_off=2, height=2, width=3)
    >>> np.arange(20).reshape(4, 5)[w.slices]
    array([[ 7,  8,  9],
           [12, 13, 14]])
"""

from __future__ import annotations

from dataclasses import dataclass

from rasterio.windows import Window

__all__ = ["PixelWindow"]


@dataclass(frozen=True, slots=True)
class PixelWindow:
    """Rows ``row_off … row_off+height-1`` and columns ``col_off … col_off+width-1`` of a grid.

    Args:
        row_off: first row.
        col_off: first column.
        height: number of rows.
        width: number of columns.

    Example:
        >>> PixelWindow(0, 0, 2, 3).to_window()
        Window(col_off=0, row_off=0, width=3, height=2)
    """

    row_off: int
    col_off: int
    height: int
    width: int

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(row_slice, col_slice)`` to index the last two axes of an array."""
        return (
            slice(self.row_off, self.row_off + self.height),
            slice(self.col_off, self.col_off + self.width),
        )

    def to_window(self) -> Window:
        """The same window as a rasterio ``Window``."""
        return Window(self.col_off, self.row_off, self.width, self.height)
