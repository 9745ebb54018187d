"""raster_info: the header, checked against what rasterio reports; errors name the file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from eoforge.errors import MissingCRSError, NoFilesError, RasterReadError
from eoforge.io import open_raster, raster_info

MakeRaster = Callable[..., Path]


def test_fields_match_rasterio(cog6: Path) -> None:
    info = raster_info(cog6)
    with rasterio.open(cog6) as ds:
        assert info.grid.crs == "EPSG:32633"
        assert info.grid.transform == ds.transform
        assert info.grid.shape == (ds.height, ds.width)
        assert info.count == ds.count == 6
        assert info.dtype == "uint16"
        assert info.nodata == 0.0
        assert info.descriptions == ds.descriptions
        assert info.scales == (1.0,) * 6
        assert info.offsets == (0.0,) * 6
        assert info.block_shape == (512, 512)
        assert info.mask_kind == "nodata"
        assert info.path == ds.name


def test_descriptions_tags_overviews(make_raster: MakeRaster) -> None:
    path = make_raster(np.zeros((2, 64, 64), np.float32))
    with rasterio.open(path, "r+") as ds:
        ds.set_band_description(1, "B04")
        ds.update_tags(TIFFTAG_DATETIME="2021:06:01 10:00:00", SENSOR="S2A")
        ds.build_overviews([2, 4])
    info = raster_info(path)
    assert info.descriptions == ("B04", None)
    assert info.tags["SENSOR"] == "S2A"
    assert info.tags.get("TIFFTAG_DATETIME") == "2021:06:01 10:00:00"
    assert info.overviews == (2, 4)
    assert info.nodata is None
    assert info.mask_kind == "none"
    with pytest.raises(TypeError):
        info.tags["X"] = "y"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.count = 3  # type: ignore[misc]


def test_info_is_cached_per_handle(cog6: Path) -> None:
    assert raster_info(cog6) is raster_info(open_raster(cog6))


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_no_crs(make_raster: MakeRaster) -> None:
    path = make_raster(np.zeros((1, 4, 4), np.uint8), crs=None, transform=Affine.identity())
    with pytest.raises(MissingCRSError, match="has no CRS") as err:
        raster_info(path)
    assert str(path.name) in str(err.value)
    assert "--crs" in str(err.value)


def test_missing_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match="does not exist"):
        raster_info(tmp_path / "missing.tif")
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    with pytest.raises(RasterReadError, match=r"readme\.txt"):
        raster_info(text)
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    with pytest.raises(RasterReadError, match=r"empty\.tif"):
        raster_info(empty)


def test_not_a_path() -> None:
    with pytest.raises(TypeError):
        raster_info(42)  # type: ignore[arg-type]
