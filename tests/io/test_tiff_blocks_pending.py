"""Reads under way (start_tiff_window): rows can be used as they land, top rows first."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from eoforge.io import decoded_block
from eoforge.io.read_pool import StartedCalls, pool_threads
from eoforge.io.tiff_blocks import PendingWindow, start_tiff_window
from eoforge.io.tiff_layout import tiff_layout

BLOCK = 32


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three bands of 96x96 in 32x32 DEFLATE tiles (noise: no two windows alike)."""
    data = np.random.default_rng(3).integers(0, 5000, (3, 96, 96)).astype("uint16")
    path = tmp_path_factory.mktemp("pending") / "tiled.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=96, height=96, count=3, dtype="uint16",
        crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 0), tiled=True,
        blockxsize=BLOCK, blockysize=BLOCK, compress="deflate",
    ) as ds:  # fmt: skip
        ds.write(data)
    return path


def _blocking(waiter: threading.Thread) -> bool:
    waiter.start()
    waiter.join(0.3)
    return waiter.is_alive()


def test_wait_rows_waits_for_the_calls_writing_those_rows_only() -> None:
    if pool_threads() < 2:
        pytest.skip("one read thread here")
    gates = [threading.Event(), threading.Event()]
    calls = StartedCalls(lambda k: gates[k].wait(10) and None, [0, 1])
    pending = PendingWindow(np.zeros((1, 20, 4)), calls, [(0, 10), (10, 20)])
    gates[0].set()
    pending.wait_rows(2, 10)  # rows of the first call only: returns while the second waits
    assert not gates[1].is_set()
    waiter = threading.Thread(target=pending.wait_rows, args=(9, 11))
    assert _blocking(waiter)  # row 10 belongs to the second call, still running
    gates[1].set()
    waiter.join(10)
    assert not waiter.is_alive()


def test_upper_rows_are_ready_while_lower_blocks_still_decode(
    tiled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoding of the second row of blocks is held back: the window's rows in the first are
    usable anyway, and equal GDAL's; asking for a held-back row waits; in the end all is equal."""
    if pool_threads() < 2:
        pytest.skip("one read thread here")
    gate = threading.Event()
    decode = decoded_block.DecodedBlock.decode

    def held_back(self: decoded_block.DecodedBlock, rows: int, first: int = 0) -> int:
        if self._key is not None and self._key[2] == 1:  # (file, plane, block row, block col)
            assert gate.wait(10), "a held-back block was waited for"
        return decode(self, rows, first)

    monkeypatch.setattr(decoded_block.DecodedBlock, "decode", held_back)
    window = Window(10, 20, 60, 40)  # rows 20-59: block rows 0 and 1, block columns 0-2
    lower = BLOCK - 20  # the window's first row in block row 1
    with rasterio.open(tiled) as ds:
        want = ds.read([1, 2, 3], window=window)
        pending = start_tiff_window(ds, tiff_layout(ds), [1, 2, 3], window)
        pending.wait_rows(0, lower)  # returns although block row 1 is held back
        np.testing.assert_array_equal(pending.out[:, :lower], want[:, :lower])
        assert not gate.is_set()
        assert _blocking(threading.Thread(target=pending.wait_rows, args=(lower - 1, lower + 1)))
        gate.set()
        np.testing.assert_array_equal(pending.result(), want)


def test_a_file_gdal_reads_is_done_when_started(tmp_path: Path) -> None:
    path = tmp_path / "lzw.tif"
    data = np.arange(2 * 40 * 50, dtype="uint16").reshape(2, 40, 50)
    with rasterio.open(
        path, "w", driver="GTiff", width=50, height=40, count=2, dtype="uint16",
        crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 0), compress="lzw",
    ) as ds:  # fmt: skip
        ds.write(data)
    with rasterio.open(path) as ds:
        pending = start_tiff_window(ds, tiff_layout(ds), [2], Window(5, 6, 20, 10))
    np.testing.assert_array_equal(pending.out, data[1:2, 6:16, 5:25])
