"""Tiny rasters for the eoforge.io tests, written in tmp_path with rasterio itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

from eoforge.io import close_all

MakeRaster = Callable[..., Path]
UTM_TRANSFORM = Affine(10, 0, 500000, 0, -10, 4000000)


@pytest.fixture(autouse=True)
def _fresh_handles() -> Any:
    yield
    close_all()


def write_tif(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None = "EPSG:32633",
    transform: Affine = UTM_TRANSFORM,
    nodata: float | None = None,
    **profile: Any,
) -> Path:
    """Write ``data`` (C, H, W) with plain rasterio (independent of eoforge's writer)."""
    count, height, width = data.shape
    with rasterio.open(
        path,
        "w",
        driver=profile.pop("driver", "GTiff"),
        width=width,
        height=height,
        count=count,
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
        **profile,
    ) as ds:
        ds.write(data)
    return path


@pytest.fixture
def make_raster(tmp_path: Path) -> MakeRaster:
    """Factory: ``make_raster(data, name="a.tif", **write_tif options)`` -> path."""
    counter = iter(range(10_000))

    def make(data: np.ndarray, name: str | None = None, **kwargs: Any) -> Path:
        return write_tif(tmp_path / (name or f"r{next(counter)}.tif"), data, **kwargs)

    return make


@pytest.fixture(scope="session")
def cog6(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-band uint16 DEFLATE tiled GeoTIFF (512 blocks), nodata 0, with some nodata pixels."""
    rng = np.random.default_rng(42)
    data = rng.integers(1, 5000, size=(6, 1100, 1300), dtype=np.uint16)
    data[:, :40, :70] = 0
    data[2, 500:520, 600:650] = 0  # nodata in one band only
    return write_tif(
        tmp_path_factory.mktemp("io") / "cog6.tif",
        data,
        nodata=0,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
    )
