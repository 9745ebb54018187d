"""An independent numpy reference of bilinear upsampling by an integer factor.

Pixel centres are aligned (output pixel ``i`` samples the source at ``(i + 0.5) / f - 0.5``) and
the edges are clamped to the outermost source pixels — what GDAL's bilinear resampling of a
whole raster onto a finer grid of the same extent computes.
"""

from __future__ import annotations

import numpy as np


def upsample_bilinear(values: np.ndarray, factor: int) -> np.ndarray:
    """``values`` (H, W) upsampled ``factor`` times, in float64."""
    source = np.asarray(values, dtype="float64")

    def weights(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
        low = np.floor(x).astype(int)
        return low, np.minimum(low + 1, n - 1), x - low

    r0, r1, wr = weights(source.shape[0])
    c0, c1, wc = weights(source.shape[1])
    rows = source[r0] * (1 - wr)[:, None] + source[r1] * wr[:, None]
    return rows[:, c0] * (1 - wc)[None, :] + rows[:, c1] * wc[None, :]
