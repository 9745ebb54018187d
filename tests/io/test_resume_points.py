"""Resuming DEFLATE blocks part-way: the same pixels as inflating from the start, less inflated."""

from __future__ import annotations

import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from eoforge.errors import RasterReadError
from eoforge.io import block_cache as block_cache_module
from eoforge.io import decoded_block as decoded_block_module
from eoforge.io import tiff_blocks as tiff_blocks_module
from eoforge.io.decoded_block import DecodedBlock
from eoforge.io.resume_points import INFLATE, POINT_BYTES, ResumePoint, ResumePoints
from eoforge.io.tiff_blocks import read_tiff_window
from eoforge.io.tiff_layout import tiff_layout


def _encoded(pixels: np.ndarray, predictor: int) -> bytes:
    """The bytes a TIFF block stores: horizontal differences with predictor 2."""
    if predictor == 2:  # on the values, stored in the file's byte order
        native = pixels.astype(pixels.dtype.newbyteorder("="))
        as_int = native.view(f"u{pixels.dtype.itemsize}")
        diff = as_int.copy()
        diff[:, 1:] = as_int[:, 1:] - as_int[:, :-1]  # wraps as unsigned, as libtiff's does
        return diff.astype(diff.dtype.newbyteorder(pixels.dtype.byteorder)).tobytes()
    return pixels.tobytes()


class _Stream:
    """A block's compressed stream, fetched in parts; remembers the offsets and sizes asked."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offsets: list[int] = []
        self.sizes: list[int] = []

    def __call__(self, start: int, size: int) -> bytes:
        assert start >= 0 and size > 0 and start + size <= len(self.data)
        self.offsets.append(start)
        self.sizes.append(size)
        return self.data[start : start + size]


def _block(pixels: np.ndarray, stream: _Stream, points: ResumePoints | None, **kw) -> DecodedBlock:
    return DecodedBlock(
        pixels.shape, pixels.dtype, kw.pop("predictor", 1), fetch=stream,
        fetch_size=len(stream.data), points=points, key="k", name="b.tif", **kw,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(4, 40),
    cols=st.integers(1, 12),
    samples=st.integers(1, 3),
    dtype=st.sampled_from(["u1", "<u2", ">u2", "<i2", "<f4"]),
    predictor=st.sampled_from([1, 2]),
    spacing_rows=st.integers(1, 9),
    level=st.sampled_from([1, 6, 9]),
    requests=st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 41), st.booleans()), min_size=1, max_size=8
    ),
    seed=st.integers(0, 2**16),
    feed_min=st.sampled_from([1, 7, 8192]),
)
def test_any_sequence_of_reads_and_evictions_gives_the_pixels(
    rows: int,
    cols: int,
    samples: int,
    dtype: str,
    predictor: int,
    spacing_rows: int,
    level: int,
    requests: list[tuple[int, int, bool]],
    seed: int,
    feed_min: int,
) -> None:
    """Rows asked in any order, with the block dropped and made again in between, resuming at
    saved points, are the block's pixels (predictor undone, any byte order), whether the stream
    is fetched at once or in many small parts."""
    if np.dtype(dtype).kind == "f":
        predictor = 1  # TIFF's predictor 2 is for integers
    rng = np.random.default_rng(seed)
    pixels = (rng.integers(0, 4, (rows, cols, samples)) * 37).astype(dtype)  # runs and noise
    stream = _Stream(zlib.compress(_encoded(pixels, predictor), level))
    row_bytes = cols * samples * pixels.dtype.itemsize
    points = ResumePoints(budget=100 * POINT_BYTES, spacing=spacing_rows * row_bytes)
    block = _block(pixels, stream, points, predictor=predictor)
    with mock.patch.object(decoded_block_module, "_FEED_MIN", feed_min):
        for first, last, evict in requests:
            first, last = min(first, rows - 1), min(max(last, first + 1), rows)
            if evict:  # the cache dropped the block: a new one shares the saved points
                block = _block(pixels, stream, points, predictor=predictor)
            block.decode(last, first)
            np.testing.assert_array_equal(block.data[first:last], pixels[first:last])
    assert all(p.row % spacing_rows == 0 and 0 < p.row < rows for ps in points._points.values()
               for p in ps)  # fmt: skip


def test_a_block_made_again_resumes_at_the_point_above_the_rows_it_needs() -> None:
    pixels = np.arange(64 * 16, dtype="<u2").reshape(64, 16, 1)
    stream = _Stream(zlib.compress(pixels.tobytes()))
    points = ResumePoints(budget=10**6, spacing=8 * 32)  # every 8 rows
    first = _block(pixels, stream, points)
    first.decode(64)
    assert [p.row for p in points._points["k"]] == [8, 16, 24, 32, 40, 48, 56]
    again = _block(pixels, stream, points)
    again.decode(60, 50)
    assert again.rows == 12  # rows 48-59: inflated from the point at row 48 only
    np.testing.assert_array_equal(again.data[48:60], pixels[48:60])
    point_48 = points.before("k", 50)
    assert point_48 is not None and stream.offsets == [0, point_48.offset] and point_48.offset > 0
    again.decode(20, 10)  # above the rows it holds: from the point at row 8
    assert again.rows == 12 + 12 and stream.offsets[-1] == points.before("k", 8).offset
    np.testing.assert_array_equal(again.data[8:20], pixels[8:20])


def test_a_block_fetches_about_the_compressed_bytes_its_rows_need() -> None:
    pixels = np.random.default_rng(3).integers(0, 2**16, (1024, 512, 1)).astype("<u2")
    stream = _Stream(zlib.compress(pixels.tobytes(), 6))  # noise: hardly compresses
    block = _block(pixels, stream, ResumePoints(budget=10**6))
    block.decode(64)  # a sixteenth of the rows: about that of the stream, and a margin
    assert sum(stream.sizes) < len(stream.data) / 4
    assert block.nbytes < pixels.nbytes + len(stream.data) / 4  # the cache counts what it holds
    block.decode(1024)
    np.testing.assert_array_equal(block.data, pixels)
    ends = [o + n for o, n in zip(stream.offsets, stream.sizes, strict=True)]
    assert ends[-1] == len(stream.data) and stream.offsets == sorted(stream.offsets)
    assert sum(stream.sizes) < 1.1 * len(stream.data)  # little read twice


def test_rows_already_decoded_are_not_written_again() -> None:
    """Inflating through rows a block holds leaves them as they are (another thread may be
    copying them, and undoing the predictor in place passes through other values)."""
    pixels = np.arange(64 * 16, dtype="<u2").reshape(64, 16, 1)
    stream = _Stream(zlib.compress(_encoded(pixels, 2)))
    points = ResumePoints(budget=10**6, spacing=8 * 32)  # every 8 rows
    _block(pixels, stream, points, predictor=2).decode(64)
    block = _block(pixels, stream, points, predictor=2)
    block.decode(32, 24)
    block.data[24:32] = 7  # what a reader copying these rows must keep seeing
    block.decode(40, 16)  # inflates rows 16-39, through 24-31
    assert (block.data[24:32] == 7).all()
    np.testing.assert_array_equal(block.data[16:24], pixels[16:24])
    np.testing.assert_array_equal(block.data[32:40], pixels[32:40])


def test_from_row_0_past_saved_points_only_the_faster_inflater_runs() -> None:
    """Rows from the first on, where every point on the way is saved, inflate with ISA-L (no
    state to copy); where one is missing, with the copyable inflater, which saves it again."""
    pixels = np.arange(64 * 16, dtype="<u2").reshape(64, 16, 1)
    stream = _Stream(zlib.compress(pixels.tobytes()))
    points = ResumePoints(budget=10**6, spacing=8 * 32)  # every 8 rows
    _block(pixels, stream, points).decode(64)
    fast = type(decoded_block_module.FAST_INFLATE.decompressobj())
    block = _block(pixels, stream, points)
    block.decode(20)  # passes the points at 8 and 16
    assert isinstance(block._live.inflater, fast) and points._count == 7
    np.testing.assert_array_equal(block.data[:20], pixels[:20])
    block.decode(40)  # goes on from row 20 with it (the points from 24 on are saved already)
    np.testing.assert_array_equal(block.data[:40], pixels[:40])
    points._points["k"] = [p for p in points._points["k"] if p.row != 16]
    points._count -= 1
    again = _block(pixels, stream, points)
    again.decode(20)
    assert not isinstance(again._live.inflater, fast) and points.has("k", 16)
    np.testing.assert_array_equal(again.data[:20], pixels[:20])


def test_without_points_a_block_inflates_from_its_first_row() -> None:
    pixels = np.arange(32 * 4, dtype="u1").reshape(32, 4, 1)
    stream = _Stream(zlib.compress(pixels.tobytes()))
    block = _block(pixels, stream, None)
    block.decode(30, 20)
    assert block.rows == 30 and stream.offsets == [0]
    np.testing.assert_array_equal(block.data[:30], pixels[:30])


def test_a_truncated_stream_fails_after_a_point_too() -> None:
    pixels = np.random.default_rng(1).integers(0, 255, (32, 64, 1)).astype("u1")
    data = zlib.compress(pixels.tobytes())
    points = ResumePoints(budget=10**6, spacing=8 * 64)
    _block(pixels, _Stream(data), points).decode(16)
    cut = _block(pixels, _Stream(data[: len(data) // 2]), points)
    with pytest.raises(RasterReadError, match=r"b\.tif.*(truncated|corrupt)"):
        cut.decode(32, 20)


def test_points_are_kept_by_block_under_the_budget() -> None:
    points = ResumePoints(budget=3 * POINT_BYTES)
    inflater = INFLATE.decompressobj()
    for key, row in [("a", 4), ("a", 8), ("a", 8), ("b", 4), ("b", 12)]:
        points.add(key, ResumePoint(row, row, inflater))
    assert points.before("a", 100) is None  # block a, least recently used, was dropped
    assert [p.row for p in points._points["b"]] == [4, 12] and points.held == 2 * POINT_BYTES
    assert points.before("b", 11).row == 4 and points.before("b", 12).row == 12
    assert points.before("b", 3) is None and points.has("b", 12) and not points.has("b", 8)
    tiny = ResumePoints(budget=POINT_BYTES - 1)
    tiny.add("a", ResumePoint(4, 4, inflater))
    assert tiny.held == 0


def test_a_resumed_point_leaves_the_saved_state_untouched() -> None:
    data = zlib.compress(bytes(range(256)) * 64)
    inflater = INFLATE.decompressobj()
    head = inflater.decompress(data, 1000)
    point = ResumePoint(0, len(data) - len(inflater.unconsumed_tail), inflater.copy())
    rest = data[point.offset :]
    assert head + point.resume().decompress(rest) == bytes(range(256)) * 64
    assert head + point.resume().decompress(rest) == bytes(range(256)) * 64  # again, the same


def test_windows_read_after_the_cache_dropped_blocks_equal_gdal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    data = rng.integers(0, 3000, (3, 128, 96)).astype("uint16")
    path = tmp_path / "a.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=96, height=128, count=3, dtype="uint16",
        crs="EPSG:32633", transform=Affine(10, 0, 0, 0, -10, 0), tiled=True, blockxsize=32,
        blockysize=64, compress="deflate", predictor=2,
    ) as ds:  # fmt: skip
        ds.write(data)
    points = ResumePoints(budget=10**7, spacing=16 * 32 * 3 * 2)  # every 16 rows of a tile
    monkeypatch.setattr(tiff_blocks_module, "resume_points", lambda: points)
    cache = block_cache_module.block_cache()
    cache.clear()
    with rasterio.open(path) as ds:
        lay = tiff_layout(ds)
        read_tiff_window(ds, lay, [1, 2, 3], Window(0, 0, 96, 128))
        assert points.held > 0
        cache.clear()
        window = Window(10, 70, 50, 40)  # rows 6-45 of the lower tiles
        got = read_tiff_window(ds, lay, [3, 1], window)
        np.testing.assert_array_equal(got, ds.read([3, 1], window=window))
        blocks = [b for b, _ in cache._blocks.values()]
        assert blocks and all(b.rows == 46 for b in blocks)  # rows 0-45, none resumed yet...
        cache.clear()
        window = Window(0, 100, 96, 20)  # rows 36-55: from the point at row 32
        got = read_tiff_window(ds, lay, [1, 2, 3], window)
        np.testing.assert_array_equal(got, ds.read(window=window))
        assert all(b.rows == 24 for b, _ in cache._blocks.values())
