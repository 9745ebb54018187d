"""eoforge's own DEFLATE block decoder: bit-identical to GDAL's ``ds.read`` on every layout."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from eoforge.errors import RasterReadError
from eoforge.io import block_cache as block_cache_module
from eoforge.io import read_window
from eoforge.io.block_cache import BlockCache, DecodedBlock, cache_budget_bytes
from eoforge.io.tiff_blocks import read_tiff_window
from eoforge.io.tiff_layout import tiff_layout

TRANSFORM = Affine(10, 0, 500000, 0, -10, 4000000)


def _pixels(dtype: str, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        smooth = np.cumsum(rng.normal(0, 1, shape), axis=2)  # compressible, with ties rare
        return smooth.astype(dtype)
    info = np.iinfo(dtype)
    low, high = max(info.min, -3000), min(info.max, 3000)
    return rng.integers(low, high, shape, endpoint=True).astype(dtype)


def _write(path: Path, data: np.ndarray, **options: Any) -> Path:
    count, height, width = data.shape
    driver = options.pop("driver", "GTiff")
    with rasterio.open(
        path, "w", driver=driver, width=width, height=height, count=count, dtype=data.dtype,
        crs="EPSG:32633", transform=TRANSFORM, **options,
    ) as ds:  # fmt: skip
        ds.write(data)
    return path


LAYOUTS = [
    dict(tiled=True, blockxsize=64, blockysize=32, compress="deflate"),
    dict(tiled=True, blockxsize=32, blockysize=64, compress="deflate", predictor=2),
    dict(tiled=True, blockxsize=48, blockysize=48, compress="deflate", interleave="band"),
    dict(tiled=True, blockxsize=32, blockysize=32, compress="none"),
    dict(compress="deflate", blockysize=24),  # strips of 24 rows
    dict(compress="deflate", blockysize=16, predictor=2, interleave="band"),
    dict(tiled=True, blockxsize=64, blockysize=64, compress="deflate", endianness="big"),
    dict(
        tiled=True, blockxsize=32, blockysize=32, compress="deflate", predictor=2, endianness="big"
    ),
]
DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, str], Path]:
    folder = tmp_path_factory.mktemp("blocks")
    out = {}
    for i, layout in enumerate(LAYOUTS):
        for dtype in DTYPES:
            data = _pixels(dtype, (3, 150, 170), seed=i)
            out[i, dtype] = _write(folder / f"l{i}_{dtype}.tif", data, **layout)
    return out


@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_layout_is_decoded_by_eoforge(
    files: dict[tuple[int, str], Path], layout: int, dtype: str
) -> None:
    with rasterio.open(files[layout, dtype]) as ds:
        assert tiff_layout(ds) is not None
        window = Window(13, 7, 140, 120)
        got = read_tiff_window(ds, tiff_layout(ds), [1, 2, 3], window)
        np.testing.assert_array_equal(got, ds.read(window=window))
        assert got.dtype == np.dtype(dtype)  # native byte order, as rasterio returns


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.integers(0, len(LAYOUTS) - 1),
    dtype=st.sampled_from(DTYPES),
    windows=st.lists(
        st.tuples(
            st.integers(0, 169), st.integers(0, 149), st.integers(1, 170), st.integers(1, 150)
        ),
        min_size=1,
        max_size=4,
    ),
    bands=st.lists(st.integers(1, 3), min_size=1, max_size=4),
)
def test_random_windows_and_bands_equal_gdal(
    files: dict[tuple[int, str], Path],
    layout: int,
    dtype: str,
    windows: list[tuple[int, int, int, int]],
    bands: list[int],
) -> None:
    """Several reads in a row (partly decoded blocks continue where they stopped) all equal GDAL."""
    block_cache_module.block_cache().clear()
    with rasterio.open(files[layout, dtype]) as ds:
        lay = tiff_layout(ds)
        for col, row, w, h in windows:
            window = Window(col, row, min(w, 170 - col), min(h, 150 - row))
            got = read_tiff_window(ds, lay, bands, window)
            # GDAL itself is asked for each band once: with a band repeated in one multi-threaded
            # read of a band-interleaved file, GDAL 3.10 sometimes returns garbage for the repeat
            unique = sorted(set(bands))
            expected = ds.read(unique, window=window)[[unique.index(b) for b in bands]]
            np.testing.assert_array_equal(got, expected)


def test_partial_then_full_decoding(tmp_path: Path) -> None:
    data = _pixels("uint16", (2, 128, 128), seed=3)
    path = _write(tmp_path / "a.tif", data, tiled=True, blockxsize=128, blockysize=128,
                  compress="deflate", predictor=2)  # fmt: skip
    block_cache_module.block_cache().clear()
    with rasterio.open(path) as ds:
        lay = tiff_layout(ds)
        top = read_tiff_window(ds, lay, [1, 2], Window(0, 0, 128, 10))
        (block,) = [b for b, _ in block_cache_module.block_cache()._blocks.values()]
        assert block.rows == 10  # only the rows the window needed
        bottom = read_tiff_window(ds, lay, [1, 2], Window(0, 100, 128, 28))
        assert block.rows == 128
    np.testing.assert_array_equal(top, data[:, :10])
    np.testing.assert_array_equal(bottom, data[:, 100:])


def test_sparse_blocks_get_gdal_fill(tmp_path: Path) -> None:
    for nodata in (None, 7):
        path = tmp_path / f"sparse_{nodata}.tif"
        with rasterio.open(
            path, "w", driver="GTiff", width=128, height=128, count=1, dtype="uint16",
            crs="EPSG:32633", transform=TRANSFORM, tiled=True, blockxsize=64, blockysize=64,
            compress="deflate", sparse_ok=True, nodata=nodata,
        ) as ds:  # fmt: skip
            ds.write(np.full((1, 64, 64), 5, "uint16"), window=Window(0, 0, 64, 64))
        with rasterio.open(path) as ds:
            assert ds.get_tag_item("BLOCK_OFFSET_1_1", "TIFF", bidx=1) in (None, "", "0")
            got = read_tiff_window(ds, tiff_layout(ds), [1], Window(0, 0, 128, 128))
            np.testing.assert_array_equal(got, ds.read(window=Window(0, 0, 128, 128)))
            assert got[0, 100, 100] == (nodata or 0) and got[0, 0, 0] == 5


@pytest.mark.parametrize(
    "options",
    [
        dict(tiled=True, compress="lzw"),
        dict(tiled=True, compress="deflate", predictor=3, dtype="float32"),
        dict(compress="deflate", blockysize=4),  # strips of fewer than 16 rows
        dict(tiled=True, compress="deflate", nbits=12),
        dict(driver="PNG"),
    ],
)
def test_other_files_are_left_to_gdal(tmp_path: Path, options: dict[str, Any]) -> None:
    dtype = options.pop("dtype", "uint16")
    path = _write(tmp_path / "other.tif", _pixels(dtype, (1, 64, 64), 0), **options)
    with rasterio.open(path) as ds:
        assert tiff_layout(ds) is None
    np.testing.assert_array_equal(
        read_window(path, _grid(64, 64)), rasterio.open(path).read()
    )  # still read (by GDAL)


def _grid(height: int, width: int) -> Any:
    from eoforge.geo import GridSpec

    return GridSpec("EPSG:32633", TRANSFORM, width, height)


def test_read_window_uses_the_decoder_and_equals_rasterio(tmp_path: Path) -> None:
    data = _pixels("int16", (4, 300, 260), seed=5)
    path = _write(tmp_path / "a.tif", data, tiled=True, blockxsize=64, blockysize=64,
                  compress="deflate", nodata=-3000)  # fmt: skip
    block_cache_module.block_cache().clear()
    grid = _grid(300, 260).subgrid(-20, 30, 200, 256)  # partly above the file
    got, valid = read_window(path, grid, bands=[4, 2], with_mask=True)
    assert len(block_cache_module.block_cache()._blocks) > 0  # decoded by eoforge
    expected = np.full((2, 200, 256), -3000, "int16")
    expected[:, 20:, :230] = data[[3, 1], :180, 30:]
    np.testing.assert_array_equal(got, expected)
    assert valid[20:, :230].sum() == (expected[:, 20:, :230] != -3000).any(axis=0).sum()


def test_corrupt_block_raises_read_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.tif", _pixels("uint16", (1, 128, 128), 1), tiled=True,
                  blockxsize=64, blockysize=64, compress="deflate")  # fmt: skip
    with rasterio.open(path) as ds:
        offset = int(ds.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
    raw = bytearray(path.read_bytes())
    raw[offset + 2 : offset + 40] = bytes(38)  # garble the first block's stream
    path.write_bytes(bytes(raw))
    block_cache_module.block_cache().clear()
    with rasterio.open(path) as ds, pytest.raises(RasterReadError, match=r"c\.tif.*corrupt"):
        read_tiff_window(ds, tiff_layout(ds), [1], Window(0, 0, 64, 64))


def test_rewritten_file_is_not_served_from_cache(tmp_path: Path) -> None:
    path = tmp_path / "r.tif"
    opts = dict(tiled=True, blockxsize=64, blockysize=64, compress="deflate")
    for value in (1, 2):
        _write(path, np.full((1, 64, 64), value, "uint8"), **opts)
        with rasterio.open(path) as ds:
            assert read_tiff_window(ds, tiff_layout(ds), [1], Window(0, 0, 8, 8))[0, 0, 0] == value


def test_decoded_block_truncated_stream() -> None:
    rows = np.arange(40, dtype="<u2").reshape(4, 10, 1)
    stream = zlib.compress(rows.tobytes())[:-30]
    block = DecodedBlock((4, 10, 1), np.dtype("<u2"), 1, stream, name="x.tif")
    block.decode(1)
    assert block.data[0, :, 0].tolist() == list(range(10))
    with pytest.raises(RasterReadError, match=r"x\.tif"):
        block.decode(4)


def test_cache_keeps_to_its_budget() -> None:
    cache = BlockCache(budget=3 * 100)
    for i in range(10):
        cache.get(("f", i), lambda i=i: DecodedBlock((10, 10, 1), np.dtype("u1"), 1, fill=i))
    assert len(cache._blocks) == 3 and cache._held == 300
    assert [k[1] for k in cache._blocks] == [7, 8, 9]  # least recently used went first
    cache.get(("f", 7), lambda: pytest.fail("cached"))
    cache.get(("f", 10), lambda: DecodedBlock((10, 10, 1), np.dtype("u1"), 1))
    assert [k[1] for k in cache._blocks] == [9, 7, 10]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("64", 64 * 2**20), ("200000", 200000), ("bogus", 256 * 2**20)],
)
def test_cache_budget_follows_gdal_cachemax(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv("GDAL_CACHEMAX", value)
    assert cache_budget_bytes() == expected


def _cached() -> list[DecodedBlock]:
    return [b for b, _ in block_cache_module.block_cache()._blocks.values()]


@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
def test_whole_block_scans_equal_gdal_and_inflate_blocks_to_their_end(
    files: dict[tuple[int, str], Path], layout: int
) -> None:
    """Prediction's mode: blocks inflated whole (a file's short last strip included)."""
    cache = block_cache_module.block_cache()
    cache.clear()
    with rasterio.open(files[layout, "uint16"]) as ds, cache.limited(10**8, whole_blocks=True):
        lay = tiff_layout(ds)
        assert lay is not None
        for window in (Window(0, 0, 50, 20), Window(100, 60, 70, 90), Window(5, 140, 40, 10)):
            got = read_tiff_window(ds, lay, [3, 1], window)
            np.testing.assert_array_equal(got, ds.read([3, 1], window=window))
        rows = lay.block_shape[0]
        for key, (block, size) in cache._blocks.items():
            in_image = min(rows, ds.height - key[2] * rows)  # a last strip stores no more
            assert block.rows >= in_image  # inflated to its end, not to the window's last row
            assert size == block.nbytes == block.data.nbytes  # no stream left to count
    assert not cache.whole_blocks  # only inside limited()


def test_cache_counts_what_its_blocks_hold(files: dict[tuple[int, str], Path]) -> None:
    """Partly inflated blocks count their compressed rest; it leaves the count as it is used."""
    cache = block_cache_module.block_cache()
    cache.clear()
    with rasterio.open(files[0, "uint16"]) as ds:
        lay = tiff_layout(ds)
        for window in (Window(0, 0, 170, 5), Window(0, 10, 170, 20), Window(30, 40, 90, 100)):
            read_tiff_window(ds, lay, [1, 2, 3], window)
            held = sum(b.nbytes for b in _cached())
            assert cache.held == held == sum(size for _, size in cache._blocks.values())
        partial = [b for b in _cached() if b.rows < b.data.shape[0]]
        assert partial and all(b.nbytes > b.data.nbytes for b in partial)


def test_a_fetched_block_reads_its_stream_once_when_first_decoded() -> None:
    rows = np.arange(40, dtype="<u2").reshape(4, 10, 1)
    stream = zlib.compress(rows.tobytes())
    calls: list[int] = []

    def fetch(start: int, size: int) -> bytes:
        calls.append(start)
        return stream[start : start + size]

    block = DecodedBlock(
        (4, 10, 1), np.dtype("<u2"), 1, name="f.tif", fetch=fetch, fetch_size=len(stream)
    )
    before = block.nbytes
    assert calls == [] and before > rows.nbytes + len(stream)  # the stream and the inflater
    dropped = block.decode(2) + block.decode(4)
    assert calls == [0] and block.nbytes == rows.nbytes and dropped == before - rows.nbytes
    np.testing.assert_array_equal(block.data, rows)


def test_a_block_whose_stream_cannot_be_read_fails_at_each_decode() -> None:
    def fetch(start: int, size: int) -> bytes:
        raise RasterReadError("'t.tif' ends before its block")

    block = DecodedBlock((4, 10, 1), np.dtype("<u2"), 1, fetch=fetch, fetch_size=10)
    for _ in range(2):
        with pytest.raises(RasterReadError, match=r"t\.tif"):
            block.decode(1)
    assert block.rows == 0
