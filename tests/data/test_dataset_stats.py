from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from eoforge.data import (
    BandStats,
    GeoDataset,
    GridPatchSampler,
    RasterSource,
    compute_band_stats,
)
from eoforge.errors import EoforgeError

QS = (1.0, 2.0, 50.0, 98.0, 99.0)


def _write(path: Path, pixels: np.ndarray, x0: float, nodata: float | None = None) -> Path:
    count, height, width = pixels.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype=pixels.dtype,
        crs="EPSG:32633",
        transform=Affine(10, 0, x0, 0, -10, 4_000_000),
        nodata=nodata,
    ) as dst:
        dst.write(pixels)
    return path


@pytest.fixture(scope="module")
def uint16_scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(11)
    pixels = rng.integers(1, 12_000, size=(2, 45, 70)).astype(np.uint16)
    pixels[:, 3:9, 50:61] = 0  # a nodata hole, in every band
    path = _write(tmp_path_factory.mktemp("u16") / "scene.tif", pixels, 500_000, nodata=0)
    return path, pixels


def _assert_matches_numpy(stats: BandStats, values: list[np.ndarray], exact: bool) -> None:
    assert stats.count == tuple(v.size for v in values)
    np.testing.assert_allclose(stats.mean, [np.mean(v) for v in values], rtol=1e-9)
    np.testing.assert_allclose(stats.std, [np.std(v) for v in values], rtol=1e-9)
    assert stats.min == tuple(float(v.min()) for v in values)
    assert stats.max == tuple(float(v.max()) for v in values)
    for q in QS:
        want = np.array([np.percentile(v, q) for v in values])
        got = np.array(stats.percentile(q))
        if exact:
            np.testing.assert_array_equal(got, want)
        else:
            assert np.all(np.abs(got - want) <= np.array(stats.max_error) + 1e-9 * np.abs(want))


@pytest.mark.parametrize(("size", "stride"), [(256, None), (32, None), (16, 7)])
def test_every_valid_pixel_counts_once(
    uint16_scene: tuple[Path, np.ndarray], size: int, stride: int | None
) -> None:
    path, pixels = uint16_scene
    ds = GeoDataset(RasterSource(path, bands=["B04", "B08"]))
    sampler = None if size == 256 else GridPatchSampler(ds, size, stride)
    if sampler is not None:  # the patches do overlap: the last ones are shifted inward
        assert sum(q.height * q.width for q in sampler) > pixels[0].size
    stats = compute_band_stats(ds, sampler, batch_size=5, progress=False)
    keep = pixels[0] != 0
    values = [band[keep].astype(np.float64) for band in pixels]
    assert stats.bands == ("B04", "B08")
    _assert_matches_numpy(stats, values, exact=True)


def test_adjacent_tiles_with_a_gap_and_nan_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    left = rng.normal(0.2, 0.05, size=(2, 30, 40)).astype(np.float32)
    right = rng.normal(0.3, 0.1, size=(2, 30, 25)).astype(np.float32)
    left[1, :4, :4] = np.nan  # only band 2 lacks a value there: the pixel stays valid
    right[:, 10:12, :] = -1.0  # nodata in both bands
    _write(tmp_path / "a_left.tif", left, 500_000, nodata=-1.0)
    _write(tmp_path / "b_right.tif", right, 500_000 + 10 * 45, nodata=-1.0)  # 5-column gap
    ds = GeoDataset(RasterSource(tmp_path))
    assert ds.grid.width == 70
    stats = compute_band_stats(ds, GridPatchSampler(ds, 16, 11), progress=False)
    values = []
    for c in range(2):
        both = np.concatenate([left[c].ravel(), right[c][right[c] != -1.0]]).astype(np.float64)
        values.append(both[np.isfinite(both)])
    _assert_matches_numpy(stats, values, exact=False)
    assert stats.count[0] == stats.count[1] + 16


def test_workers_give_the_same_result(uint16_scene: tuple[Path, np.ndarray]) -> None:
    path, _ = uint16_scene
    ds = GeoDataset(RasterSource(path))
    sampler = GridPatchSampler(ds, 24)
    alone = compute_band_stats(ds, sampler, batch_size=3, progress=False)
    pooled = compute_band_stats(ds, sampler, num_workers=1, batch_size=3, progress=False)
    assert pooled == alone


def test_plain_query_lists_count_every_pixel_of_every_patch(
    uint16_scene: tuple[Path, np.ndarray],
) -> None:
    path, pixels = uint16_scene
    ds = GeoDataset(RasterSource(path))
    patch = ds.grid.subgrid(20, 0, 10, 10)  # no nodata here
    stats = compute_band_stats(ds, [patch, patch], progress=False)
    window = pixels[:, 20:30, 0:10].reshape(2, -1).astype(np.float64)
    assert stats.count == (200, 200)
    np.testing.assert_allclose(stats.mean, window.mean(axis=1), rtol=1e-12)
    with pytest.raises(EoforgeError, match="yields no query"):
        compute_band_stats(ds, [], progress=False)
    with pytest.raises(EoforgeError, match="pass sampler="):
        compute_band_stats([{"image": np.ones((1, 2, 2))}], progress=False)
