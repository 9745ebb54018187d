"""The numpy warp kernels: what ``ready`` is asked for covers every source row each block reads.

Bit-identity with GDAL is tested through ``read_window`` (test_read_window_warp.py); here, the
contract that lets resampling start before the whole source window is decoded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from eoforge.io import warp_kernels
from eoforge.io.warp_kernels import PixelMap, resample_rows

POISON = 65535  # no true pixel holds it


def _turned_map(height: int, width: int, degrees: float, row: float, col: float) -> PixelMap:
    """Target rows turned by ``degrees`` against the source, starting near (row, col)."""
    turn = math.radians(degrees)
    j = np.arange(height, dtype=np.float64)
    return PixelMap(
        col + j * math.sin(turn), np.full(height, math.cos(turn)),
        row + j * math.cos(turn), np.full(height, -math.sin(turn)),
    )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    method=st.sampled_from(["nearest", "bilinear"]),
    degrees=st.floats(-8, 8),
    height=st.integers(1, 90),
    width=st.integers(6, 70),
    block=st.sampled_from([64, 256, 2**14]),
)
def test_ready_rows_cover_what_each_block_reads(
    method: str, degrees: float, height: int, width: int, block: int
) -> None:
    rng = np.random.default_rng(height * 1000 + width)
    truth = rng.integers(0, 60000, (3, 140, 140)).astype("uint16")
    window = Window(4, 6, 140, 140)  # where the source lies in the file
    pixel_map = _turned_map(height, width, degrees, row=6 + 20.3, col=4 + 20.7)
    want = np.empty((3, height, width), dtype="float32")
    resample_rows(truth, window, pixel_map, method, want)

    src = np.full_like(truth, POISON)  # rows land only when asked for
    asked: list[tuple[int, int]] = []

    def ready(first: int, last: int) -> None:
        assert 0 <= first < last <= src.shape[1]
        asked.append((first, last))
        src[:, first:last] = truth[:, first:last]

    got = np.empty_like(want)
    original = warp_kernels.BLOCK_PIXELS
    warp_kernels.BLOCK_PIXELS = block
    try:
        resample_rows(src, window, pixel_map, method, got, ready)
    finally:
        warp_kernels.BLOCK_PIXELS = original
    np.testing.assert_array_equal(got, want)
    blocks = math.ceil(height / max(1, block // width))
    assert len(asked) == blocks  # once per block of rows


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_blocks_ask_for_the_rows_below_as_they_go(method: str) -> None:
    """Going down the target rows, each block asks for rows further down the source."""
    truth = np.arange(200 * 150, dtype="uint16").reshape(1, 200, 150)
    pixel_map = _turned_map(128, 100, 3.0, row=20.5, col=30.5)
    asked: list[tuple[int, int]] = []
    out = np.empty((1, 128, 100), dtype="float32")
    resample_rows(
        truth, Window(0, 0, 150, 200), pixel_map, method, out, lambda a, b: asked.append((a, b))
    )
    assert len(asked) == 1  # 128 x 100 pixels fit one block of 2**14
    original = warp_kernels.BLOCK_PIXELS
    warp_kernels.BLOCK_PIXELS = 3200  # 32 rows a block
    try:
        asked.clear()
        resample_rows(
            truth, Window(0, 0, 150, 200), pixel_map, method, out, lambda a, b: asked.append((a, b))
        )
    finally:
        warp_kernels.BLOCK_PIXELS = original
    assert len(asked) == 4
    assert [a for a, _ in asked] == sorted(a for a, _ in asked)
    assert asked[-1][1] - asked[0][0] < 200  # not the whole source each time
    assert all(b - a < 60 for a, b in asked)  # 32 rows, turned by 3 degrees over 100 columns
