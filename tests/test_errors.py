"""Every bad input named by the data-engine issue raises its eoforge error, with a useful message.

Each case goes through the public API a user would call; the message must name the offending
file or value and say what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from eoforge.data import GeoDataset, RasterSource
from eoforge.errors import (
    BandNotFoundError,
    CRSMismatchError,
    EoforgeError,
    InvalidGridError,
    MissingCRSError,
    NoFilesError,
    NoOverlapError,
    QueryOutsideError,
    RasterReadError,
)
from eoforge.geo import BBox, GridSpec
from eoforge.io import read_window


def _write(path: Path, *, crs: str | None = "EPSG:32633", x0: float = 500_000) -> Path:
    profile = dict(
        driver="GTiff", width=8, height=8, count=2, dtype="uint16",
        transform=Affine(10, 0, x0, 0, -10, 5_000_080),
    )  # fmt: skip
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(np.arange(128, dtype="uint16").reshape(2, 8, 8) + 1)
    return path


def test_every_error_is_an_eoforge_error() -> None:
    for cls in (BandNotFoundError, CRSMismatchError, InvalidGridError, MissingCRSError,
                NoFilesError, NoOverlapError, QueryOutsideError, RasterReadError):  # fmt: skip
        assert issubclass(cls, EoforgeError)


def test_no_files_match(tmp_path: Path) -> None:
    pattern = str(tmp_path / "scenes" / "*.tif")
    with pytest.raises(NoFilesError) as err:
        RasterSource(pattern)
    assert "scenes" in str(err.value)


def test_corrupt_header(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tif"
    bad.write_bytes(_write(tmp_path / "good.tif").read_bytes()[:100])
    with pytest.raises(RasterReadError) as err:
        RasterSource(bad)
    assert "broken.tif" in str(err.value)


def test_corrupt_pixels(tmp_path: Path) -> None:
    good = tmp_path / "good.tif"
    profile = dict(
        driver="GTiff", width=256, height=256, count=1, dtype="uint16", crs="EPSG:32633",
        transform=Affine(10, 0, 500_000, 0, -10, 5_000_000), compress="deflate", tiled=True,
    )  # fmt: skip
    with rasterio.open(good, "w", **profile) as ds:
        ds.write(np.random.default_rng(0).integers(0, 9999, (1, 256, 256), dtype="uint16"))
    data = bytearray(good.read_bytes())
    noise = np.random.default_rng(1).integers(0, 256, len(data) - 4000, dtype=np.uint8)
    data[2000:-2000] = noise.tobytes()  # garble the compressed blocks, keep the header
    bad = tmp_path / "zeroed.tif"
    bad.write_bytes(bytes(data))
    src = RasterSource(bad)
    with pytest.raises(RasterReadError) as err:
        src.read(GridSpec.from_bounds(src.bounds, 10))
    assert "zeroed.tif" in str(err.value)


def test_not_a_raster(tmp_path: Path) -> None:
    text = tmp_path / "notes.tif"
    text.write_text("not an image")
    with pytest.raises(RasterReadError, match=r"notes.tif"):
        RasterSource(text)


def test_no_crs(tmp_path: Path) -> None:
    path = _write(tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(MissingCRSError) as err:
        RasterSource(path)
    assert "nocrs.tif" in str(err.value)


def test_crs_mismatch_without_target(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.tif", crs="EPSG:32633")
    b = _write(tmp_path / "b.tif", crs="EPSG:32634", x0=166_000)
    with pytest.raises(CRSMismatchError) as err:
        GeoDataset(RasterSource([a, b]))
    message = str(err.value)
    assert "EPSG:32633" in message and "EPSG:32634" in message and "crs=" in message
    GeoDataset(RasterSource([a, b]), crs="EPSG:32633")  # the fix works


def test_missing_band(tmp_path: Path) -> None:
    path = _write(tmp_path / "scene.tif")
    src = RasterSource(path, bands=["B04", "B08"])
    with pytest.raises(BandNotFoundError) as err:
        src.read(GridSpec.from_bounds(src.bounds, 10), bands=["B11"])
    assert "B11" in str(err.value) and "B04" in str(err.value)
    with pytest.raises(BandNotFoundError, match="band"):
        read_window(path, GridSpec.from_bounds(src.bounds, 10), bands=[3])


def test_query_outside_every_footprint(tmp_path: Path) -> None:
    ds = GeoDataset(RasterSource(_write(tmp_path / "scene.tif")))
    far = GridSpec.from_bounds(BBox(900_000, 5_000_000, 900_080, 5_000_080, "EPSG:32633"), 10)
    with pytest.raises(QueryOutsideError) as err:
        ds[far]
    assert "900000" in str(err.value).replace(",", "").replace("_", "")


def test_sources_with_no_overlap(tmp_path: Path) -> None:
    a = RasterSource(_write(tmp_path / "a.tif"))
    b = RasterSource(_write(tmp_path / "b.tif", x0=600_000), kind="mask", bands=["B1"])
    with pytest.raises(NoOverlapError) as err:
        GeoDataset(a, mask=b)
    assert "a.tif" in str(err.value) or "b.tif" in str(err.value)


@pytest.mark.parametrize("res", [0, -10, float("nan")])
def test_invalid_resolution(tmp_path: Path, res: float) -> None:
    src = RasterSource(_write(tmp_path / "scene.tif"))
    with pytest.raises(InvalidGridError, match=r"res=.*positive pixel size"):
        GeoDataset(src, res=res)


def test_invalid_patch_size(tmp_path: Path) -> None:
    from eoforge.data import GridPatchSampler, RandomPatchSampler

    ds = GeoDataset(RasterSource(_write(tmp_path / "scene.tif")))
    for bad in (0, -4):
        with pytest.raises(InvalidGridError, match="size"):
            RandomPatchSampler(ds, bad, length=1)
    with pytest.raises(InvalidGridError, match="stride"):
        GridPatchSampler(ds, 4, stride=8)
