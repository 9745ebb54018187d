"""Several threads decoding one block: rows cut at saved points, inflated side by side, exact."""

from __future__ import annotations

import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from eoforge.errors import RasterReadError
from eoforge.io.decoded_block import DecodedBlock
from eoforge.io.resume_points import ResumePoints

ROWS, COLS = 96, 24


def _pixels(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**16, (ROWS, COLS, 2)).astype("<u2")


def _stream(pixels: np.ndarray) -> bytes:
    """Predictor 2: undoing it in place makes a row written twice visible to a reader."""
    diff = pixels.copy()
    diff[:, 1:] = pixels[:, 1:] - pixels[:, :-1]
    return zlib.compress(diff.tobytes())


def _block(data: bytes, points: ResumePoints | None) -> DecodedBlock:
    return DecodedBlock(
        (ROWS, COLS, 2), np.dtype("<u2"), 2, name="t.tif", key="k", points=points,
        fetch=lambda start, size: data[start : start + size], fetch_size=len(data),
    )  # fmt: skip


def test_split_cuts_at_saved_points_above_rows_still_to_decode() -> None:
    pixels = _pixels()
    data = _stream(pixels)
    points = ResumePoints(budget=10**6, spacing=16 * COLS * 4)  # every 16 rows
    assert _block(data, points).split(5, 90) == [(5, 90)]  # no points saved yet
    _block(data, points).decode(ROWS)
    block = _block(data, points)
    assert block.split(5, 90) == [(5, 16), (16, 32), (32, 48), (48, 64), (64, 80), (80, 90)]
    assert block.split(20, 30) == [(20, 30)]  # within one stretch between points
    block.decode(40, 30)  # from the point at 16: rows 16-39
    assert block.split(5, 50) == [(5, 48), (48, 50)]  # none at 16 and 32: rows decoded
    assert _block(data, None).split(0, ROWS) == [(0, ROWS)]  # a block saving no points


@pytest.mark.parametrize("seed", range(6))
def test_threads_decoding_one_block_at_once_each_get_the_pixels(seed: int) -> None:
    """Random overlapping row ranges from four threads at once, split at points or not, the
    block made again in between: every thread copies exactly the pixels, and none hangs."""
    pixels = _pixels(seed)
    data = _stream(pixels)
    rng = np.random.default_rng(seed)
    points = ResumePoints(budget=10**6, spacing=8 * COLS * 4)
    with ThreadPoolExecutor(4) as pool:
        for round_ in range(30):
            block = _block(data, points if round_ % 3 else None)
            ranges = [sorted(rng.integers(0, ROWS + 1, 2)) for _ in range(8)]
            ranges = [(a, max(b, a + 1)) for a, b in ranges]
            start = threading.Barrier(4)

            def read(
                k: int,
                block: DecodedBlock = block,
                start: threading.Barrier = start,
                ranges: list[tuple[int, int]] = ranges,
            ) -> None:
                start.wait(timeout=10)
                for a, b in ranges[k::4]:
                    for first, last in block.split(a, b) if k % 2 else [(a, b)]:
                        block.decode(last, first)
                    np.testing.assert_array_equal(block.data[a:b], pixels[a:b])

            for future in [pool.submit(read, k) for k in range(4)]:
                future.result(timeout=30)
            assert block.nbytes == block.data.nbytes or block.rows < ROWS


def test_a_corrupt_block_fails_in_every_thread_and_none_hangs() -> None:
    pixels = _pixels()
    data = bytearray(_stream(pixels))
    data[len(data) // 3 :] = bytes(len(data) - len(data) // 3)  # zeros: not DEFLATE data
    block = _block(bytes(data), None)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(block.decode, ROWS, k * 10) for k in range(3)]
        for future in futures:
            with pytest.raises(RasterReadError, match=r"t\.tif.*(truncated|corrupt)"):
                future.result(timeout=30)
    assert block.rows < ROWS


def test_bytes_freed_add_up_to_what_the_block_holds_across_threads() -> None:
    pixels = _pixels()
    data = _stream(pixels)
    points = ResumePoints(budget=10**6, spacing=8 * COLS * 4)
    _block(data, points).decode(ROWS)
    block = _block(data, points)
    counted = block.nbytes
    with ThreadPoolExecutor(4) as pool:
        freed = list(
            pool.map(lambda r: block.decode(*r), [(10, 0), (30, 10), (60, 30), (ROWS, 50)])
        )
    assert block.rows == ROWS and counted - sum(freed) == block.nbytes == pixels.nbytes
