"""write_raster: a valid COG that keeps georeferencing, names and colours; atomic, no clobber."""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from eoforge.errors import InvalidGridError, OutputExistsError, RasterReadError
from eoforge.geo import BBox, GridSpec
from eoforge.io import CLASS_NAMES_TAG, read_class_names, read_window, write_raster

writer_module = importlib.import_module("eoforge.io.write_raster")  # the package shadows the name
GRID = GridSpec("EPSG:32633", Affine(10, 0, 500000, 0, -10, 4000000), 300, 200)


def _image(bands: int = 3, dtype: str = "uint16") -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(1, 1000, size=(bands, *GRID.shape)).astype(dtype)


def _is_cog_layout(path: Path) -> bool:
    """GDAL's own verdict when available, else: tiled, overviews, header before the data."""
    try:
        from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
    except ImportError:
        validate = None
    if validate is not None:  # pragma: no cover - GDAL's Python bindings are not installed here
        _, errors, _ = validate(str(path), full_check=True)
        return not errors
    with rasterio.open(path) as ds:
        layout = ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT")
        return bool(ds.profile["tiled"]) and bool(ds.overviews(1)) and layout == "COG"


def test_cog_layout_and_georeferencing(tmp_path: Path) -> None:
    data = _image()
    path = write_raster(
        tmp_path / "img.tif", data, GRID, nodata=0, band_names=["B02", "B03", "B04"], blocksize=64
    )
    assert path == tmp_path / "img.tif"
    with rasterio.open(path) as ds:
        assert ds.driver == "GTiff"
        assert ds.profile["tiled"]
        assert ds.block_shapes[0] == (64, 64)
        assert ds.compression is not None and ds.compression.value == "DEFLATE"
        assert ds.overviews(1) == [2, 4, 8]  # down to one block
        assert ds.crs.to_epsg() == 32633
        assert ds.transform == GRID.transform
        assert ds.nodata == 0
        assert ds.descriptions == ("B02", "B03", "B04")
        np.testing.assert_array_equal(ds.read(), data)
    assert _is_cog_layout(path)
    assert [p.name for p in tmp_path.iterdir()] == ["img.tif"]  # no temp or side-car files


@pytest.mark.parametrize(
    "dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "float32", "float64"]
)
def test_dtypes_round_trip(tmp_path: Path, dtype: str) -> None:
    data = (np.arange(GRID.width * GRID.height).reshape(GRID.shape) % 120).astype(dtype)
    path = write_raster(tmp_path / f"{dtype}.tif", data, GRID, nodata=0)
    got = read_window(path, GRID)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got[0], data)


def test_2d_array_and_round_trip_through_read_window(tmp_path: Path) -> None:
    data = _image(1, "float32")[0]
    path = write_raster(tmp_path / "one.tif", data, GRID, overviews=False)
    with rasterio.open(path) as ds:
        assert ds.count == 1
        assert ds.overviews(1) == []
    np.testing.assert_array_equal(read_window(path, GRID)[0], data)


def test_bool_is_written_as_uint8(tmp_path: Path) -> None:
    mask = np.zeros(GRID.shape, bool)
    mask[10:20, 30:40] = True
    path = write_raster(tmp_path / "mask.tif", mask, GRID)
    got = read_window(path, GRID)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got[0], mask)


def test_class_map_colours_and_names(tmp_path: Path) -> None:
    labels = (np.arange(GRID.width)[None, :] // 100 + np.zeros((GRID.height, 1), int)).astype(
        np.uint8
    )
    colours = {0: (0, 0, 255), 1: (0, 128, 0, 255), 2: (200, 200, 200)}
    path = write_raster(
        tmp_path / "classes.tif",
        labels,
        GRID,
        class_names={0: "water", 1: "forest", 2: "urban"},
        colormap=colours,
        blocksize=64,
    )
    with rasterio.open(path) as ds:
        cmap = ds.colormap(1)
        assert cmap[0] == (0, 0, 255, 255)
        assert cmap[1] == (0, 128, 0, 255)
        assert cmap[2] == (200, 200, 200, 255)
        assert ds.tags()[CLASS_NAMES_TAG] == '{"0": "water", "1": "forest", "2": "urban"}'
        # nearest overviews: no invented classes
        overview = ds.read(1, out_shape=(GRID.height // 2, GRID.width // 2))
        assert set(np.unique(overview)) <= {0, 1, 2}
    assert read_class_names(path) == {0: "water", 1: "forest", 2: "urban"}


def test_class_names_as_list(tmp_path: Path) -> None:
    labels = np.zeros(GRID.shape, np.int16)
    path = write_raster(tmp_path / "c.tif", labels, GRID, class_names=["bg", "fg"])
    assert read_class_names(path) == {0: "bg", 1: "fg"}
    assert read_class_names(write_raster(tmp_path / "d.tif", labels, GRID)) is None


def test_overview_resampling_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    original = writer_module.cog_creation_options

    def spy(compress: str, blocksize: int, overviews: bool, resampling: str) -> dict[str, str]:
        seen.append(resampling)
        return original(compress, blocksize, overviews, resampling)

    monkeypatch.setattr(writer_module, "cog_creation_options", spy)
    write_raster(tmp_path / "a.tif", _image(1), GRID)
    write_raster(tmp_path / "b.tif", _image(1, "uint8"), GRID, class_names=["a"])
    write_raster(tmp_path / "c.tif", _image(1, "uint8"), GRID, colormap={0: (1, 2, 3)})
    write_raster(tmp_path / "d.tif", _image(1), GRID, overview_resampling="bilinear")
    assert seen == ["average", "nearest", "nearest", "bilinear"]


def test_average_overviews_of_an_image(tmp_path: Path) -> None:
    data = np.arange(GRID.width * GRID.height, dtype=np.float32).reshape(GRID.shape)
    path = write_raster(tmp_path / "ramp.tif", data, GRID, blocksize=64)
    with rasterio.open(path) as ds:
        overview = ds.read(1, out_shape=(GRID.height // 2, GRID.width // 2))
    want = data.reshape(GRID.height // 2, 2, GRID.width // 2, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(overview, want, rtol=1e-6)


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    path = write_raster(tmp_path / "x.tif", _image(1), GRID)
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        write_raster(path, _image(1) + 1, GRID)
    assert path.read_bytes() == before
    write_raster(path, _image(1) + 1, GRID, overwrite=True)
    np.testing.assert_array_equal(read_window(path, GRID), _image(1) + 1)  # no stale handle


def test_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise rasterio.errors.RasterioIOError("disk on fire")

    monkeypatch.setattr(writer_module, "publish_file", broken)
    with pytest.raises(RasterReadError, match="disk on fire"):
        write_raster(tmp_path / "y.tif", _image(1), GRID)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer_module, "publish_file", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_raster(tmp_path / "z.tif", _image(1), GRID)
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidGridError, match="does not fit the grid"):
        write_raster(tmp_path / "a.tif", np.zeros((1, 5, 5)), GRID)
    with pytest.raises(InvalidGridError, match="band names"):
        write_raster(tmp_path / "a.tif", _image(2), GRID, band_names=["B1"])
    with pytest.raises(InvalidGridError, match="single-band integer"):
        write_raster(tmp_path / "a.tif", _image(2), GRID, class_names=["a", "b"])
    with pytest.raises(InvalidGridError, match="uint8 or uint16"):
        write_raster(tmp_path / "a.tif", _image(1, "int32"), GRID, colormap={0: (0, 0, 0)})
    with pytest.raises(InvalidGridError, match="nodata -5 cannot be stored"):
        write_raster(tmp_path / "a.tif", _image(1, "uint8"), GRID, nodata=-5)
    with pytest.raises(InvalidGridError, match="multiple of 16"):
        write_raster(tmp_path / "a.tif", _image(1), GRID, blocksize=100)
    with pytest.raises(InvalidGridError, match="cannot be written"):
        write_raster(tmp_path / "a.tif", np.zeros(GRID.shape, np.complex64), GRID)
    assert list(tmp_path.iterdir()) == []


def test_creates_parent_folders(tmp_path: Path) -> None:
    path = write_raster(tmp_path / "a" / "b" / "c.tif", _image(1), GRID)
    assert path.is_file()


@pytest.mark.slow
def test_write_speed_2048x2048x10(tmp_path: Path) -> None:
    """About 1.5 s on 2 idle cores (2.5 s of CPU); the bound leaves room for a busy CI box."""
    grid = GridSpec.from_bounds(BBox(0, 0, 20480, 20480, "EPSG:32633"), res=10)
    rng = np.random.default_rng(0)
    base = (np.add.outer(np.arange(2048), np.arange(2048)) % 1000).astype(np.uint16)
    data = np.stack([base + rng.integers(0, 200, base.shape, dtype=np.uint16) for _ in range(10)])
    start = time.perf_counter()
    path = write_raster(tmp_path / "big.tif", data, grid)
    elapsed = time.perf_counter() - start
    assert elapsed < 20, f"writing 2048x2048x10 uint16 took {elapsed:.1f} s"
    with rasterio.open(path) as ds:
        assert ds.overviews(1) == [2, 4]
        assert os.path.getsize(path) < data.nbytes
